"""Pages cut into chunks that fit the embedding model, each cited by the one page it comes from.

Chunks are cut on token boundaries of the tokenizer of the model that embeds them, so a chunk is
never longer than the model reads; the cut prefers the end of a paragraph, then of a sentence, then
of a line, then of a word, within the second half of the budget. Consecutive chunks of a page share
up to ``overlap`` tokens, so a passage split by a cut is still whole in one of them. Chunk text is
sliced from the page text, never rebuilt from tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from agentflow.rag.extract import Page

MIN_MAX_TOKENS = 16
_SENTENCE_ENDS = frozenset(".!?…")
_CLOSERS = frozenset(")]\"'\u2019\u201d\u00bb")  # brackets and closing quotes


class TokenCounter(Protocol):
    """A tokenizer as chunking needs it: where the tokens of a text are, and how many there are."""

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        """Character spans ``(start, end)`` of the text's tokens, in order, special tokens excluded."""
        ...

    def count_tokens(self, text: str) -> int:
        """How many tokens the text is (special tokens excluded)."""
        ...


@dataclass(frozen=True)
class Chunk:
    """A piece of one page. ``index`` counts from 0 across the document; ``char_start``/``char_end``
    locate ``text`` in its page's text."""

    index: int
    page: int
    text: str
    token_count: int
    char_start: int = 0
    char_end: int = 0


def chunk_pages(
    pages: Sequence[Page], tokenizer: TokenCounter, max_tokens: int = 500, overlap: int = 50
) -> list[Chunk]:
    """Cut every page into chunks of at most ``max_tokens`` tokens (as ``tokenizer`` counts them).

    A chunk never crosses a page; pages without text give no chunk. Raises ValueError unless
    ``max_tokens >= 16`` and ``0 <= overlap < max_tokens``.
    """
    if max_tokens < MIN_MAX_TOKENS:
        raise ValueError(f"max_tokens must be at least {MIN_MAX_TOKENS}, got {max_tokens}")
    if not 0 <= overlap < max_tokens:
        raise ValueError(f"overlap must be at least 0 and less than max_tokens ({max_tokens}), got {overlap}")
    chunks: list[Chunk] = []
    for page in pages:
        for start, end in _page_cuts(page.text, tokenizer, max_tokens, overlap):
            text = page.text[start:end]
            chunks.append(
                Chunk(
                    index=len(chunks),
                    page=page.number,
                    text=text,
                    token_count=tokenizer.count_tokens(text),
                    char_start=start,
                    char_end=end,
                )
            )
    return chunks


def _page_cuts(text: str, tokenizer: TokenCounter, max_tokens: int, overlap: int) -> list[tuple[int, int]]:
    """Character ranges of a page's chunks, trimmed of surrounding white space."""
    spans = tokenizer.token_spans(text)
    count = len(spans)
    content_end = len(text.rstrip())
    cuts: list[tuple[int, int]] = []
    first = previous_last = 0
    while first < count:
        # A chunk starts with content, so each chunk starts further into the page than the last.
        if not text[spans[first][0] : spans[first][1]].strip():
            first += 1
            continue
        last = min(first + max_tokens, count)  # exclusive
        if last < count:
            # Each chunk ends past the one before: with an overlap, the best boundary of this window
            # could otherwise be the previous chunk's own end.
            last = _best_end(text, spans, first, last, floor=previous_last + 1)
        while True:
            start, end = _trimmed(text, spans[first][0], spans[last - 1][1])
            # Re-encoding a slice can differ from the page's tokens at the edges (byte-level BPE):
            # the count that matters is the slice's own.
            if last - first == 1 or tokenizer.count_tokens(text[start:end]) <= max_tokens:
                break
            last = _cuttable_before(spans, first, last - 1)
        if cuts and end <= cuts[-1][1] and first < previous_last:
            # Shrunk to fit, the window ends inside the chunk before (tokens that re-encode longer,
            # e.g. characters of several byte-level tokens): start after that chunk, without overlap.
            first = previous_last
            continue
        if start < end:
            cuts.append((start, end))
        if last >= count or spans[last][0] >= content_end:  # nothing but white space is left
            break
        first, previous_last = _next_first(text, spans, first, last, overlap), last
    return cuts


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _gap(text: str, position: int) -> tuple[int, int]:
    """The run of white space around ``position``."""
    start = end = position
    while start > 0 and text[start - 1].isspace():
        start -= 1
    while end < len(text) and text[end].isspace():
        end += 1
    return start, end


def _boundary_rank(text: str, position: int) -> int:
    """How good a cut before ``position`` is: 4 paragraph, 3 sentence, 2 line, 1 word, 0 mid-word."""
    start, end = _gap(text, position)
    if start == end:
        return 0
    gap = text[start:end]
    if "\n\n" in gap:
        return 4
    before = start - 1
    while before > 0 and text[before] in _CLOSERS:
        before -= 1
    if before >= 0 and text[before] in _SENTENCE_ENDS:
        return 3
    return 2 if "\n" in gap else 1


def _best_end(text: str, spans: list[tuple[int, int]], first: int, limit: int, *, floor: int) -> int:
    """Where to end a chunk starting at token ``first`` that may run up to token ``limit`` (exclusive):
    the best boundary in the second half of the window and not before ``floor``, the latest among
    equals."""
    lowest = min(limit, max(first + max(1, (limit - first) // 2), floor))
    best, best_rank = limit, -1
    for end in range(limit, lowest - 1, -1):
        if not _cuttable(spans, end):
            continue
        rank = _boundary_rank(text, spans[end][0])
        if rank > best_rank:
            best, best_rank = end, rank
            if rank == 4:
                break
    return best if best_rank >= 0 else _cuttable_before(spans, lowest - 1, limit)


def _cuttable(spans: list[tuple[int, int]], token: int) -> bool:
    """Whether a cut may fall before ``token``: not when it shares a character with the token before
    (byte-level BPE can split one character into several tokens)."""
    return token == 0 or spans[token][0] >= spans[token - 1][1]


def _cuttable_before(spans: list[tuple[int, int]], first: int, end: int) -> int:
    """The latest cut position in ``(first, end]``, or ``end`` itself if none is clean."""
    for position in range(end, first, -1):
        if _cuttable(spans, position):
            return position
    return end


def _next_first(text: str, spans: list[tuple[int, int]], first: int, last: int, overlap: int) -> int:
    """The first token of the next chunk: at most ``overlap`` tokens back from ``last`` and always
    past ``first``; the earliest start of a paragraph, else of a sentence, line or word in that
    range, so a chunk reads from a natural beginning."""
    candidate = max(last - overlap, first + 1)
    best, best_rank = last, -1
    for token in range(candidate, last):
        if not _cuttable(spans, token):
            continue
        rank = _boundary_rank(text, spans[token][0])
        if rank > best_rank:
            best, best_rank = token, rank
    return best
