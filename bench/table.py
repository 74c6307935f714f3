"""Plain-text tables for the benchmark report: a title, a header row, aligned columns."""

from __future__ import annotations

from collections.abc import Sequence


def render(
    title: str, headers: Sequence[str], rows: Sequence[Sequence[str]], notes: Sequence[str] = ()
) -> str:
    """A titled table; the first column is left-aligned (labels), the others right-aligned (figures)."""
    widths = [max(len(str(cell)) for cell in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        first, *rest = (str(cell) for cell in cells)
        parts = [first.ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(rest, widths[1:], strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "-" * len(line(headers))
    body = [title, "=" * len(title), line(headers), rule, *(line(row) for row in rows)]
    return "\n".join([*body, *(f"  {note}" for note in notes)])


def ms(value: float | None, digits: int = 1) -> str:
    """Milliseconds with a thousands separator, or '-' when there is no figure."""
    return "-" if value is None else f"{value:,.{digits}f}"


def ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def verdict(met: bool | None) -> str:
    return "-" if met is None else ("yes" if met else "MISSED")
