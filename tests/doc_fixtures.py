"""Document builders for tests: real PDFs and DOCX files, and the hostile kinds (encrypted, bombs,
truncated, images). Every builder is fast; the bombs are built once per process."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from functools import lru_cache

MIB = 1024 * 1024

# A page item for docx_bytes: a paragraph, or a table given as rows of cell texts.
DocxItem = str | list[list[str]]


# --- PDF ------------------------------------------------------------------------------------


def _pdf_string(text: str) -> bytes:
    escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return b"(" + escaped.encode("cp1252", errors="replace") + b")"


def _text_content(text: str) -> bytes:
    """A content stream drawing each line of ``text`` in 11 pt Helvetica, top-down."""
    ops = [b"BT", b"/F1 11 Tf", b"14 TL", b"72 760 Td"]
    for line in text.split("\n"):
        ops += [_pdf_string(line) + b" Tj", b"T*"]
    ops.append(b"ET")
    return b"\n".join(ops)


def _assemble_pdf(page_contents: list[bytes], *, extra_resources: bytes = b"", extra_objects=()) -> bytes:
    """A complete PDF: catalog, page tree, one Helvetica font, pages with the given content streams.

    ``page_contents`` items are whole stream objects' bodies: dictionary plus stream.
    """
    count = len(page_contents)
    font_id = 3
    first_page = 4
    objects: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(count))
        + b"] /Count %d >>" % count,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, content in enumerate(page_contents):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 %d 0 R >> %s>>"
            b" /Contents %d 0 R >>" % (font_id, extra_resources, first_page + 2 * i + 1)
        )
        objects.append(content)
    objects.extend(extra_objects)

    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _stream(data: bytes, *, flate: bool = False) -> bytes:
    if flate:
        data = zlib.compress(data)
        return b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def pdf_bytes(pages: list[str]) -> bytes:
    """A real text PDF, one page per string; lines (``\\n``) are drawn one under another."""
    return _assemble_pdf([_stream(_text_content(text), flate=True) for text in pages])


def blank_pdf(pages: int = 1) -> bytes:
    """A PDF whose pages draw nothing."""
    return _assemble_pdf([_stream(b"") for _ in range(pages)])


def image_only_pdf() -> bytes:
    """A one-page PDF that paints a small grey image and has no text (a scan without OCR)."""
    pixels = bytes(range(0, 256, 4)) * 64  # 64 x 64, 8-bit grey
    image = (
        b"<< /Type /XObject /Subtype /Image /Width 64 /Height 64 /ColorSpace /DeviceGray"
        b" /BitsPerComponent 8 /Length %d >>\nstream\n" % len(pixels) + pixels + b"\nendstream"
    )
    # Objects: catalog 1, pages 2, font 3, page 4, content 5, image 6.
    draw = _stream(b"q 300 0 0 300 156 246 cm /Im1 Do Q")
    return _assemble_pdf([draw], extra_resources=b"/XObject << /Im1 6 0 R >> ", extra_objects=[image])


def encrypted_pdf(
    pages: list[str] | None = None, *, user_password: str = "secret", owner_password: str = "owner"
) -> bytes:
    """A text PDF encrypted with pypdf (RC4-128). With ``user_password=""`` anyone can open it."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf_bytes(pages or ["Confidential plan."]))))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _zeros_deflate(mebibytes: int) -> bytes:
    """A zlib stream of ``mebibytes`` MiB of zeros, built in milliseconds.

    After a full flush the compressor starts afresh, so every further MiB compresses to the same
    bytes; the stream is the first block repeated, a final empty block and the Adler-32 of zeros.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    zero = bytes(MIB)
    block = compressor.compress(zero) + compressor.flush(zlib.Z_FULL_FLUSH)
    tail = compressor.flush(zlib.Z_FINISH)
    size = mebibytes * MIB
    adler = ((size % 65521) << 16) | 1  # A stays 1 over zero bytes; B adds A once per byte
    return b"\x78\xda" + block * mebibytes + tail + struct.pack(">I", adler)


@lru_cache(maxsize=1)
def pdf_bomb() -> bytes:
    """A one-page PDF whose FlateDecode content stream inflates to 128 MiB (about 130 KB on disk)."""
    data = _zeros_deflate(128)
    stream = b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(data) + data + b"\nendstream"
    return _assemble_pdf([stream])


# --- DOCX -----------------------------------------------------------------------------------


def docx_bytes(pages: list[list[DocxItem]], *, break_before: bool = False) -> bytes:
    """A real DOCX: each page's items (paragraph strings, or tables as rows of cells) in order, pages
    separated by a page break — a ``w:br w:type="page"`` run, or with ``break_before`` the next
    page's first paragraph marked ``pageBreakBefore``."""
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    for number, items in enumerate(pages):
        if number and not break_before:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        for position, item in enumerate(items):
            if isinstance(item, str):
                paragraph = document.add_paragraph(item)
                if number and break_before and position == 0:
                    paragraph.paragraph_format.page_break_before = True
            else:
                table = document.add_table(rows=len(item), cols=max(len(row) for row in item))
                for r, row in enumerate(item):
                    for c, cell in enumerate(row):
                        table.cell(r, c).text = cell
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    b"</Types>"
)
_DOCUMENT_XML = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    b"<w:body><w:p><w:r><w:t>Quarterly report.</w:t></w:r></w:p></w:body></w:document>"
)


def _zip(members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return out.getvalue()


@lru_cache(maxsize=2)
def docx_bomb(expanded_mib: int = 8) -> bytes:
    """A DOCX-shaped ZIP with a member of ``expanded_mib`` MiB of zeros: more than 100:1 always,
    and beyond 100 MiB in total from ``expanded_mib=101``."""
    out = io.BytesIO()
    # Level 1: zeros still shrink more than 200:1, and building takes a quarter of the time.
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("word/document.xml", _DOCUMENT_XML)
        with archive.open("word/media/padding.bin", "w", force_zip64=True) as member:
            zero = bytes(MIB)
            for _ in range(expanded_mib):
                member.write(zero)
    return out.getvalue()


def docx_with_many_parts(count: int = 2500) -> bytes:
    """A DOCX-shaped ZIP with ``count`` small extra members."""
    members = {"[Content_Types].xml": _CONTENT_TYPES, "word/document.xml": _DOCUMENT_XML}
    members.update({f"word/media/p{i}.xml": b"<x/>" for i in range(count)})
    return _zip(members)


def plain_zip() -> bytes:
    """A ZIP archive that is not a Word document."""
    return _zip({"readme.txt": b"Just a zip.", "data/values.csv": b"a,b\n1,2\n"})


# --- Other ------------------------------------------------------------------------------------


def truncated(data: bytes, keep: float = 0.5) -> bytes:
    """The first part of a file, as an interrupted upload leaves it."""
    return data[: int(len(data) * keep)]


def png_bytes() -> bytes:
    """A valid 1x1 PNG image."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )
