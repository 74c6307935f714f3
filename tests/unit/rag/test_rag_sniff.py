"""Sniffing: a document's type comes from its bytes; the name only tells text from Markdown."""

from __future__ import annotations

import pytest

from agentflow.rag.extract import DOCX, MARKDOWN, PDF, TEXT, looks_like_markdown, sniff_content_type
from tests import doc_fixtures as docs


def test_a_pdf_is_a_pdf_whatever_its_name() -> None:
    assert sniff_content_type(docs.pdf_bytes(["Hello."]), "notes.txt") == PDF


def test_a_docx_is_a_docx_whatever_its_name() -> None:
    assert sniff_content_type(docs.docx_bytes([["Hello."]]), "report.pdf") == DOCX


@pytest.mark.parametrize(
    ("data", "name"),
    [
        (docs.png_bytes(), "scan.pdf"),
        (docs.plain_zip(), "report.docx"),
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", "setup.txt"),
        (b"\x7fELF\x02\x01\x01\x00", "readme.md"),
        ("Preise für Köln".encode("latin-1"), "prices.txt"),
        (b"text with a NUL\x00 inside", "notes.txt"),
    ],
    ids=["png named pdf", "zip named docx", "exe", "elf", "latin-1", "nul"],
)
def test_anything_else_is_none_whatever_its_name(data: bytes, name: str) -> None:
    assert sniff_content_type(data, name) is None


def test_utf8_text_is_text_and_a_bom_is_fine() -> None:
    assert sniff_content_type("\ufeffPreise für Köln: 12 €\n".encode(), None) == TEXT


@pytest.mark.parametrize("name", ["README.md", "notes.MARKDOWN"])
def test_the_markdown_extension_makes_text_markdown(name: str) -> None:
    assert sniff_content_type(b"Just a sentence.", name) == MARKDOWN


def test_text_named_txt_stays_text_even_if_it_looks_like_markdown() -> None:
    assert sniff_content_type(b"# Title\n\n- one\n- two\n", "notes.txt") == TEXT


def test_unnamed_text_that_clearly_looks_like_markdown_is_markdown() -> None:
    data = b"# Onboarding\n\nRead the [handbook](https://example.com/handbook).\n\n- laptop\n- badge\n"
    assert sniff_content_type(data, "upload") == MARKDOWN


def test_one_markdown_like_feature_is_not_enough() -> None:
    assert not looks_like_markdown("Shopping list:\n- milk\n- bread\n")
    assert sniff_content_type(b"Shopping list:\n- milk\n- bread\n") == TEXT


def test_a_pdf_header_after_leading_white_space_is_still_a_pdf() -> None:
    assert sniff_content_type(b"\r\n" + docs.pdf_bytes(["x"])) == PDF
