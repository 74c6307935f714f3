"""Text out of uploaded documents, page by page, or a :class:`DocumentError` a user can act on.

Uploads are untrusted. A document's type is judged from its bytes (:func:`sniff_content_type`),
never from its name. PDFs are read with pypdf, whose own limits stop decompression bombs inside a
stream; DOCX files are ZIP archives whose declared sizes are checked before python-docx unpacks
anything. Any failure of a parser on a file is the file's fault, so it becomes a DocumentError with
a sentence for the user rather than an error of ours.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from typing import Any

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"
MARKDOWN = "text/markdown"
SUPPORTED_TYPES = (PDF, DOCX, TEXT, MARKDOWN)

MIB = 1024 * 1024
# The API's promise: a document that unpacks beyond 100 MiB, or by more than 100:1, is refused.
MAX_EXPANDED_BYTES = 100 * MIB
MAX_EXPANSION_RATIO = 100
# A Word document holds a few dozen parts (more with many images); thousands is an attack.
MAX_ARCHIVE_MEMBERS = 2000

ENCRYPTED_PDF = "The PDF is encrypted; upload it without a password."
DAMAGED_PDF = "The PDF is damaged or incomplete; export it again and upload the new file."
PDF_BOMB = (
    "The PDF holds compressed data that expands far beyond a normal document; "
    "export it again without the oversized content."
)
PDF_NO_TEXT = (
    "The PDF contains no extractable text (it may hold only scanned images); "
    "upload a PDF with a text layer, for example after running OCR on it."
)
DAMAGED_DOCX = "The DOCX file is damaged or is not a Word document; save it again as .docx and upload it."
DOCX_TOO_LARGE = (
    "The DOCX file unpacks to more than 100 MiB; split it or remove large images and upload it again."
)
DOCX_BOMB = (
    "The DOCX file unpacks to more than 100 times its own size, as a decompression bomb does; "
    "save it again from Word and upload the new file."
)
DOCX_TOO_MANY_PARTS = (
    f"The DOCX archive holds more than {MAX_ARCHIVE_MEMBERS} files; save it again from Word and upload it."
)
NOT_UTF8 = "The text file is not valid UTF-8; save it with UTF-8 encoding and upload it again."
NO_TEXT = "The document contains no extractable text; upload a document that contains text."
UNSUPPORTED = "Only PDF, DOCX, plain text and Markdown documents can be read; upload one of those."


class DocumentError(Exception):
    """A document that cannot be read safely. ``reason`` is one sentence the uploader can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Page:
    """The normalised text of one page; pages count from 1."""

    number: int
    text: str


# ---------------------------------------------------------------------------------------------
# Sniffing


# C0 controls other than tab, newline, vertical tab, form feed and carriage return, and DEL: text
# files do not hold them, binary files nearly always do.
_BINARY_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f]")
_MARKDOWN_NAMES = (".md", ".markdown")
_TEXT_NAMES = (".txt", ".text")
# What Markdown looks like, one pattern per feature; two different features make a Markdown file.
_MARKDOWN_FEATURES = (
    re.compile(r"^#{1,6}[ \t]+\S", re.MULTILINE),  # ATX heading
    re.compile(r"^\S[^\n]*\n(?:=+|-+)[ \t]*$", re.MULTILINE),  # setext heading
    re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])[ \t]+\S", re.MULTILINE),  # list item
    re.compile(r"\[[^\]\n]+\]\([^)\s]+(?:[ \t]+\"[^\"\n]*\")?\)"),  # inline link or image
    re.compile(r"^(?:```|~~~)", re.MULTILINE),  # fenced code
    re.compile(r"^>[ \t]?\S", re.MULTILINE),  # block quote
    re.compile(r"(?:\*\*|__)\S[^\n]*?\S(?:\*\*|__)"),  # strong emphasis
    re.compile(r"^\|[^\n]*\|[ \t]*\n\|[ \t]*:?-{3,}", re.MULTILINE),  # table header
)
_MARKDOWN_SAMPLE_CHARS = 64 * 1024


def sniff_content_type(data: bytes, filename: str | None = None) -> str | None:
    """The document type ``data`` really is — PDF, DOCX, TEXT or MARKDOWN — or None for any other.

    Judged from the content: a ``%PDF-`` header, a ZIP holding ``word/document.xml`` and
    ``[Content_Types].xml``, or UTF-8 text (a BOM is fine) free of NULs and binary control
    characters. The name only chooses between plain text and Markdown (``.md``/``.markdown`` is
    Markdown, ``.txt`` is text); otherwise text that clearly looks like Markdown is Markdown.
    """
    if data[:1024].lstrip(b" \t\r\n")[:5] == b"%PDF-":
        return PDF
    if data[:4] == b"PK\x03\x04":
        return DOCX if _is_docx(data) else None
    text = _as_text(data)
    if text is None:
        return None
    name = (filename or "").strip().lower()
    if name.endswith(_MARKDOWN_NAMES):
        return MARKDOWN
    if name.endswith(_TEXT_NAMES):
        return TEXT
    return MARKDOWN if looks_like_markdown(text) else TEXT


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return False
    return "word/document.xml" in names and "[Content_Types].xml" in names


def _as_text(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    return None if _BINARY_CONTROLS.search(text) else text


def looks_like_markdown(text: str) -> bool:
    """Whether text shows at least two different Markdown features (headings, lists, links, …)."""
    sample = text[:_MARKDOWN_SAMPLE_CHARS]
    return sum(1 for feature in _MARKDOWN_FEATURES if feature.search(sample)) >= 2


# ---------------------------------------------------------------------------------------------
# Extraction


def extract_pages(data: bytes, content_type: str) -> list[Page]:
    """The document's pages with normalised text (runs of spaces collapsed, paragraph breaks kept).

    PDF pages are the PDF's own; DOCX pages are separated by explicit page breaks; plain text and
    Markdown are one page. Pages without text keep their number. Raises :class:`DocumentError` for
    encrypted, malformed or truncated files, decompression bombs, and documents without text.
    """
    if content_type == PDF:
        pages = _pdf_pages(data)
        no_text = PDF_NO_TEXT
    elif content_type == DOCX:
        pages = _docx_pages(data)
        no_text = NO_TEXT
    elif content_type in (TEXT, MARKDOWN):
        pages = [Page(1, normalise_text(_decode_text(data)))]
        no_text = NO_TEXT
    else:
        raise DocumentError(UNSUPPORTED)
    if not any(page.text for page in pages):
        raise DocumentError(no_text)
    return pages


def _decode_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DocumentError(NOT_UTF8) from None


_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLANK_LINES = re.compile(r"\n{3,}")


def normalise_text(text: str) -> str:
    """Collapse runs of white space inside lines, keep line and paragraph breaks (at most one blank
    line), drop control characters, and trim the ends."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROLS.sub(" ", text)
    text = "\n".join(" ".join(line.split()) for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


# --- PDF ------------------------------------------------------------------------------------


def _pdf_pages(data: bytes) -> list[Page]:
    from pypdf import PasswordType, PdfReader
    from pypdf.errors import DependencyError, LimitReachedError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # Readable with the empty user password: only editing is restricted, reading is not.
            try:
                opened = reader.decrypt("")
            except DependencyError:
                raise DocumentError(ENCRYPTED_PDF) from None
            if opened == PasswordType.NOT_DECRYPTED:
                raise DocumentError(ENCRYPTED_PDF)
        if len(reader.pages) == 0:
            raise DocumentError(DAMAGED_PDF)
        budget = MAX_EXPANDED_BYTES
        pages = []
        for number, page in enumerate(reader.pages, start=1):
            # Decoding the content streams first makes pypdf's stream limits raise here; inside
            # extract_text() the same failure can be swallowed into an empty string.
            budget -= _content_bytes(page)
            if budget < 0:
                raise DocumentError(PDF_BOMB)
            pages.append(Page(number, normalise_text(page.extract_text() or "")))
    except DocumentError:
        raise
    except LimitReachedError:
        raise DocumentError(PDF_BOMB) from None
    except Exception as error:
        # A parser failing on an uploaded file is the file's fault, whatever the exception type.
        raise DocumentError(DAMAGED_PDF) from error
    return pages


def _content_bytes(page: Any) -> int:
    """Decoded size of a page's content streams (pypdf keeps the decoded data for extraction)."""
    if "/Contents" not in page:
        return 0
    contents = page["/Contents"].get_object()
    streams = contents if isinstance(contents, list) else [contents]
    return sum(len(stream.get_object().get_data()) for stream in streams)


# --- DOCX -----------------------------------------------------------------------------------

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_OFF = frozenset({"0", "false", "off"})
# Marks a table cell's end while collecting; XML 1.0 cannot carry this character, so no text has it.
_CELL_END = "\x1f"


def check_archive(data: bytes) -> None:
    """Refuse a ZIP archive that unpacks beyond the limits, before anything is decompressed.

    zipfile never inflates a member past its declared size (it fails on the CRC instead), so the
    declared sizes in the central directory bound what python-docx can unpack.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise DocumentError(DAMAGED_DOCX) from None
    if len(members) > MAX_ARCHIVE_MEMBERS:
        raise DocumentError(DOCX_TOO_MANY_PARTS)
    expanded = sum(member.file_size for member in members)
    if expanded > MAX_EXPANDED_BYTES:
        raise DocumentError(DOCX_TOO_LARGE)
    if expanded > MAX_EXPANSION_RATIO * max(len(data), 1):
        raise DocumentError(DOCX_BOMB)


def _docx_pages(data: bytes) -> list[Page]:
    check_archive(data)
    try:
        import docx

        body = docx.Document(io.BytesIO(data)).element.body
        texts = _docx_page_texts(body)
    except DocumentError:
        raise
    except Exception as error:
        # python-docx and lxml raise many types on a broken package; all mean "not a readable DOCX".
        raise DocumentError(DAMAGED_DOCX) from error
    return [Page(number, normalise_text(text)) for number, text in enumerate(texts, start=1)]


def _docx_page_texts(body: Any) -> list[str]:
    """The body's text split at explicit page breaks (``w:br w:type="page"``, ``pageBreakBefore``).

    Table cells are joined with `` | `` and rows end lines; paragraphs end with a blank line.
    """
    from lxml import etree

    pages: list[list[str]] = [[]]
    cell_depth = 0
    walk = etree.iterwalk(body, events=("start", "end"))
    for event, element in walk:
        tag = element.tag
        if event == "start":
            if tag == _MC_FALLBACK:
                # Alternate content repeats its choice (text boxes twice); read the choice only.
                walk.skip_subtree()
            elif tag == f"{_W}t":
                pages[-1].append(element.text or "")
            elif tag == f"{_W}tab":
                pages[-1].append("\t")
            elif tag in (f"{_W}cr", f"{_W}noBreakHyphen"):
                pages[-1].append("\n" if tag == f"{_W}cr" else "-")
            elif tag == f"{_W}br":
                if element.get(f"{_W}type") == "page":
                    pages.append([])
                else:
                    pages[-1].append("\n")
            elif tag == f"{_W}p" and _breaks_before(element) and any(piece.strip() for piece in pages[-1]):
                pages.append([])
            elif tag == f"{_W}tc":
                cell_depth += 1
        elif tag == f"{_W}p":
            pages[-1].append(" " if cell_depth else "\n\n")
        elif tag == f"{_W}tc":
            cell_depth -= 1
            pages[-1].append(_CELL_END)
        elif tag == f"{_W}tr" or tag == f"{_W}tbl":
            pages[-1].append("\n")
    return [_cells_joined("".join(pieces)) for pieces in pages]


def _breaks_before(paragraph: Any) -> bool:
    properties = paragraph.find(f"{_W}pPr")
    flag = properties.find(f"{_W}pageBreakBefore") if properties is not None else None
    return flag is not None and (flag.get(f"{_W}val") or "true").lower() not in _OFF


def _cells_joined(text: str) -> str:
    lines = (line.rstrip(_CELL_END + " ") for line in text.split("\n"))
    return "\n".join(re.sub(rf"\s*{_CELL_END}\s*", " | ", line) for line in lines)
