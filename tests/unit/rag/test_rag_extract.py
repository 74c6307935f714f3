"""Extraction: real PDFs and DOCX files give numbered pages; every unsafe or unreadable file gives a
DocumentError whose reason tells the uploader what to do."""

from __future__ import annotations

import pytest

from agentflow.rag.extract import (
    DOCX,
    MARKDOWN,
    PDF,
    TEXT,
    DocumentError,
    Page,
    extract_pages,
    normalise_text,
)
from tests import doc_fixtures as docs


def reason_of(data: bytes, content_type: str) -> str:
    with pytest.raises(DocumentError) as caught:
        extract_pages(data, content_type)
    return caught.value.reason


# --- PDF ------------------------------------------------------------------------------------


def test_a_text_pdf_gives_one_page_per_pdf_page_counted_from_one() -> None:
    # Given a three-page PDF whose second page is empty
    data = docs.pdf_bytes(["Refunds take 14 days.\nContact billing.", "", "Shipping is free over 50 EUR."])
    # When its pages are extracted
    pages = extract_pages(data, PDF)
    # Then page numbers follow the PDF, the empty page keeps its place, lines stay lines
    assert pages == [
        Page(1, "Refunds take 14 days.\nContact billing."),
        Page(2, ""),
        Page(3, "Shipping is free over 50 EUR."),
    ]


def test_a_pdf_with_a_user_password_is_refused_as_encrypted() -> None:
    assert "encrypted" in reason_of(docs.encrypted_pdf(["Salary bands."]), PDF)


def test_a_pdf_restricted_only_by_an_owner_password_is_read() -> None:
    # Given a PDF that opens with the empty user password (only editing is restricted)
    data = docs.encrypted_pdf(["Open to read."], user_password="")
    # Then its text is read
    assert extract_pages(data, PDF) == [Page(1, "Open to read.")]


def test_a_pdf_bomb_is_refused_before_its_text_is_read() -> None:
    assert "expands far beyond" in reason_of(docs.pdf_bomb(), PDF)


@pytest.mark.parametrize("builder", [docs.blank_pdf, docs.image_only_pdf], ids=["blank", "image only"])
def test_a_pdf_without_a_text_layer_is_refused_with_a_hint_at_ocr(builder) -> None:
    reason = reason_of(builder(), PDF)
    assert "no extractable text" in reason and "OCR" in reason


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.9])
def test_a_truncated_pdf_is_refused_as_damaged(keep: float) -> None:
    data = docs.truncated(docs.pdf_bytes(["First page.", "Second page."]), keep)
    assert "damaged or incomplete" in reason_of(data, PDF)


def test_bytes_that_are_not_a_pdf_are_refused_as_damaged() -> None:
    assert "damaged" in reason_of(docs.png_bytes(), PDF)


# --- DOCX -----------------------------------------------------------------------------------


def test_docx_pages_are_split_at_explicit_page_breaks() -> None:
    # Given a DOCX of three pages separated by page-break runs
    data = docs.docx_bytes([["Overview.", "Scope of the audit."], ["Findings."], ["Next steps."]])
    # When its pages are extracted
    pages = extract_pages(data, DOCX)
    # Then each page holds its own paragraphs, a blank line between paragraphs
    assert pages == [
        Page(1, "Overview.\n\nScope of the audit."),
        Page(2, "Findings."),
        Page(3, "Next steps."),
    ]


def test_page_break_before_a_paragraph_starts_a_new_page() -> None:
    data = docs.docx_bytes([["Cover."], ["Chapter one."]], break_before=True)
    assert extract_pages(data, DOCX) == [Page(1, "Cover."), Page(2, "Chapter one.")]


def test_docx_tables_are_read_row_by_row() -> None:
    # Given a page with a paragraph and a price table
    data = docs.docx_bytes([["Prices:", [["Plan", "EUR"], ["Basic", "10"], ["Pro", "25"]]]])
    # Then cells are joined on their row, rows on their own lines
    assert extract_pages(data, DOCX) == [Page(1, "Prices:\n\nPlan | EUR\nBasic | 10\nPro | 25")]


def test_a_docx_that_unpacks_more_than_100_to_1_is_refused_as_a_bomb() -> None:
    assert "more than 100 times" in reason_of(docs.docx_bomb(), DOCX)


def test_a_docx_that_unpacks_beyond_100_mib_is_refused() -> None:
    assert "more than 100 MiB" in reason_of(docs.docx_bomb(101), DOCX)


def test_a_docx_with_thousands_of_parts_is_refused() -> None:
    assert "more than 2000 files" in reason_of(docs.docx_with_many_parts(), DOCX)


@pytest.mark.parametrize(
    "data",
    [docs.truncated(docs.docx_bytes([["Some text."]])), docs.plain_zip(), docs.png_bytes()],
    ids=["truncated", "zip without a document", "png"],
)
def test_a_damaged_or_foreign_file_is_refused_as_not_a_docx(data: bytes) -> None:
    assert "damaged or is not a Word document" in reason_of(data, DOCX)


def test_a_docx_with_only_empty_paragraphs_has_no_text() -> None:
    assert "no extractable text" in reason_of(docs.docx_bytes([["", "   "], [""]]), DOCX)


# --- Text -------------------------------------------------------------------------------------


def test_text_and_markdown_are_one_page_with_white_space_normalised() -> None:
    # Given UTF-8 text with a BOM, Windows line ends, runs of spaces and many blank lines
    data = "\ufeffTitle\r\n\r\n\r\n\r\nFirst   line\twith  tabs\r\nsecond line  ".encode()
    # Then it is one page: spaces collapsed, one blank line kept between paragraphs
    expected = [Page(1, "Title\n\nFirst line with tabs\nsecond line")]
    assert extract_pages(data, TEXT) == expected
    assert extract_pages(data, MARKDOWN) == expected


def test_text_that_is_not_utf8_is_refused() -> None:
    assert "UTF-8" in reason_of("Preise für Köln".encode("latin-1"), TEXT)


@pytest.mark.parametrize("data", [b"", b"  \n\n\t  "], ids=["empty", "white space"])
def test_a_text_file_without_text_is_refused(data: bytes) -> None:
    assert reason_of(data, TEXT).startswith("The document contains no extractable text")


def test_an_unsupported_type_is_refused() -> None:
    assert "Only PDF, DOCX" in reason_of(b"a,b\n1,2\n", "text/csv")


def test_normalising_drops_control_characters_and_keeps_paragraphs() -> None:
    assert normalise_text("a\x00b  c\n\n\n\nd\x0c e ") == "a b c\n\nd e"
