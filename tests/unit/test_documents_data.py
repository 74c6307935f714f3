"""The bundled document corpus for retrieval and its labelled question set.

Pages are read back the way an ingester would: pypdf per PDF page, python-docx split at explicit page
breaks, and TXT/Markdown files as one page.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import docx
import pypdf
import pytest
from tools import generate_documents

from tests.unit.agent_support import reference_deals, sandbox_context

DOCUMENTS = generate_documents.OUTPUT_DIR
MANIFEST = json.loads((DOCUMENTS / "manifest.json").read_text(encoding="utf-8"))
QUESTIONS = json.loads(generate_documents.QUESTIONS_OUTPUT.read_text(encoding="utf-8"))["questions"]
ACCOUNT_NOTES = [entry for entry in MANIFEST["documents"] if entry.get("accounts")]


def normalize(text: str) -> str:
    return " ".join(text.split())


@cache
def pages(filename: str) -> tuple[str, ...]:
    """The text of each page of a bundled document, whitespace folded."""
    path = DOCUMENTS / filename
    if path.suffix == ".pdf":
        return tuple(normalize(page.extract_text()) for page in pypdf.PdfReader(path).pages)
    if path.suffix == ".docx":
        texts: list[list[str]] = [[]]
        for paragraph in docx.Document(str(path)).paragraphs:
            if paragraph._p.xpath('.//w:br[@w:type="page"]'):
                texts.append([])
            texts[-1].append(paragraph.text)
        return tuple(normalize(" ".join(page)) for page in texts)
    return (normalize(path.read_text(encoding="utf-8")),)


def test_committed_documents_match_the_generator() -> None:
    assert generate_documents.main(["--check"]) == 0, "run python tools/generate_documents.py"


def test_manifest_lists_exactly_the_files_present() -> None:
    listed = [entry["filename"] for entry in MANIFEST["documents"]]
    present = sorted(path.name for path in DOCUMENTS.iterdir() if path.name != "manifest.json")
    assert sorted(listed) == present
    assert len(listed) == len(set(listed))
    for entry in MANIFEST["documents"]:
        assert entry["content_type"] == generate_documents.CONTENT_TYPES[Path(entry["filename"]).suffix]
        assert entry["description"]
        assert entry["pages"] == len(pages(entry["filename"])), entry["filename"]


def test_every_reference_deal_account_has_notes_on_its_listed_page(tmp_path: Path) -> None:
    # Given the accounts of the reference workflow's deals, as the sales agent finds them
    accounts = {deal["account_name"] for deal in reference_deals(sandbox_context(tmp_path))["deals"]}
    assert len(accounts) == 20
    # Then each has an account plan, on the page the manifest names, with its name in the title
    covered = {
        account["name"]: (entry["filename"], account["page"])
        for entry in ACCOUNT_NOTES
        for account in entry["accounts"]
    }
    assert accounts <= set(covered), accounts - set(covered)
    assert len(covered) > len(accounts), "a few other accounts have notes too"
    for name, (filename, page) in covered.items():
        assert f"{name}: account plan" in pages(filename)[page - 1], (name, filename, page)


def test_account_notes_come_in_several_formats() -> None:
    assert {Path(entry["filename"]).suffix for entry in ACCOUNT_NOTES} == {".pdf", ".docx", ".md"}
    assert any(entry["pages"] > 1 for entry in ACCOUNT_NOTES if entry["filename"].endswith(".docx"))


@pytest.mark.parametrize("question", QUESTIONS, ids=[question["id"] for question in QUESTIONS])
def test_each_answer_is_on_its_labelled_page_only(question: dict[str, object]) -> None:
    answer = normalize(str(question["answer_contains"]))
    where = [
        (entry["filename"], number)
        for entry in MANIFEST["documents"]
        for number, text in enumerate(pages(entry["filename"]), start=1)
        if answer in text
    ]
    assert where == [(question["filename"], question["page"])]


def test_question_set_covers_accounts_and_policies() -> None:
    assert 25 <= len(QUESTIONS) <= 40
    assert len({question["question"] for question in QUESTIONS}) == len(QUESTIONS)
    files = {question["filename"] for question in QUESTIONS}
    assert files == {entry["filename"] for entry in MANIFEST["documents"]}, "every document is asked about"
