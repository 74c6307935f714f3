"""Chunking: properties that hold for any text, with the real tokenizers of the models it serves."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from agentflow.rag.chunking import Chunk, TokenCounter, chunk_pages
from agentflow.rag.embeddings import LocalMiniLM, cl100k_tokenizer
from agentflow.rag.extract import Page

TOKENIZERS: dict[str, TokenCounter] = {
    "minilm-wordpiece": LocalMiniLM().tokenizer,
    "cl100k": cl100k_tokenizer(),
}

words = st.text(
    alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "S"), exclude_characters="\x00"),
    min_size=1,
    max_size=14,
)
separators = st.sampled_from([" ", " ", " ", "  ", "\n", "\n\n", ". ", "! ", ", ", "\t"])
page_texts = st.lists(st.tuples(words, separators), max_size=160).map(
    lambda pairs: "".join(word + separator for word, separator in pairs)
)


@st.composite
def budgets(draw: st.DrawFn) -> tuple[int, int]:
    max_tokens = draw(st.integers(16, 72))
    # Overlaps near max_tokens advance a token at a time (valid, tested below, but slow to check).
    return max_tokens, draw(st.integers(0, max_tokens // 2))


def page_tokens(page: Page, tokenizer: TokenCounter) -> list[tuple[int, int]]:
    """The page's tokens that hold more than white space, without their white space (byte-level BPE
    tokens carry the space before a word)."""
    tokens = []
    for start, end in tokenizer.token_spans(page.text):
        piece = page.text[start:end]
        if piece.strip():
            start += len(piece) - len(piece.lstrip())
            end -= len(piece) - len(piece.rstrip())
            tokens.append((start, end))
    return tokens


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    texts=st.lists(page_texts, min_size=1, max_size=3),
    budget=budgets(),
    name=st.sampled_from(sorted(TOKENIZERS)),
)
# A window that shrinks to fit (characters of several byte-level tokens) must still move forward.
@example(
    texts=[":0:0\u00c5\u00d2\u00d8\u00d8\u01120\u0132\u0132\u0132\U00010000  0:0:\u00b8\u0f85\U00010000 "],
    budget=(25, 11),
    name="cl100k",
)
def test_chunks_fit_cover_overlap_within_bounds_and_are_deterministic(
    texts: list[str], budget: tuple[int, int], name: str
) -> None:
    tokenizer = TOKENIZERS[name]
    max_tokens, overlap = budget
    pages = [Page(number, text) for number, text in enumerate(texts, start=1)]
    # When the pages are chunked
    chunks = chunk_pages(pages, tokenizer, max_tokens=max_tokens, overlap=overlap)

    # Then chunks are numbered in order and each is a slice of one page, counted by the same tokenizer
    assert [chunk.index for chunk in chunks] == list(range(len(chunks)))
    for chunk in chunks:
        page = pages[chunk.page - 1]
        assert chunk.text == page.text[chunk.char_start : chunk.char_end]
        assert chunk.text.strip() == chunk.text != ""
        assert chunk.token_count == tokenizer.count_tokens(chunk.text) <= max_tokens

    for page in pages:
        own = [chunk for chunk in chunks if chunk.page == page.number]
        tokens = page_tokens(page, tokenizer)
        # And every token of the page is inside some chunk of that page
        for start, end in tokens:
            assert any(c.char_start <= start and end <= c.char_end for c in own), (start, end)
        # And consecutive chunks move forward, sharing at most `overlap` tokens
        for before, after in pairwise(own):
            assert before.char_start < after.char_start and before.char_end < after.char_end
            shared = [t for t in tokens if after.char_start <= t[0] and t[1] <= before.char_end]
            assert len(shared) <= overlap

    # And the same input gives the same chunks
    assert chunk_pages(pages, tokenizer, max_tokens=max_tokens, overlap=overlap) == chunks


def sentences(count: int) -> str:
    return " ".join(f"Sentence number {i} talks about invoices and payment terms." for i in range(count))


def test_a_cut_ends_at_a_sentence_boundary_near_the_limit() -> None:
    tokenizer = TOKENIZERS["cl100k"]
    chunks = chunk_pages([Page(1, sentences(40))], tokenizer, max_tokens=100, overlap=0)
    assert len(chunks) > 3
    assert all(chunk.text.endswith(".") for chunk in chunks)
    assert all(chunk.token_count > 50 for chunk in chunks[:-1])


def test_overlapping_chunks_start_at_a_sentence_when_one_is_within_the_overlap() -> None:
    tokenizer = TOKENIZERS["cl100k"]
    chunks = chunk_pages([Page(1, sentences(40))], tokenizer, max_tokens=100, overlap=30)
    assert all(chunk.text.startswith("Sentence number") for chunk in chunks)
    # Each chunk repeats the last sentence of the one before
    for before, after in pairwise(chunks):
        assert after.char_start < before.char_end


def test_a_paragraph_break_is_preferred_to_a_sentence_end() -> None:
    tokenizer = TOKENIZERS["minilm-wordpiece"]
    # Given a paragraph of 60 tokens, then a long one
    text = sentences(6) + "\n\n" + sentences(30)
    # Then the first chunk ends with the paragraph, though 40 more tokens would fit
    first = chunk_pages([Page(1, text)], tokenizer, max_tokens=100, overlap=0)[0]
    assert first.text == sentences(6)


def test_chunks_never_cross_pages_and_empty_pages_give_none() -> None:
    pages = [Page(1, "Alpha page text."), Page(2, ""), Page(3, "Gamma page text.")]
    chunks = chunk_pages(pages, TOKENIZERS["cl100k"], max_tokens=500, overlap=50)
    assert chunks == [
        Chunk(0, 1, "Alpha page text.", 4, 0, 16),
        Chunk(1, 3, "Gamma page text.", 4, 0, 16),
    ]


def test_one_word_longer_than_the_budget_is_cut_inside_the_word() -> None:
    tokenizer = TOKENIZERS["cl100k"]
    chunks = chunk_pages([Page(1, "x" * 300 + "y" * 300)], tokenizer, max_tokens=16, overlap=0)
    assert len(chunks) > 1
    assert all(chunk.token_count <= 16 for chunk in chunks)


def test_an_overlap_just_below_the_budget_still_moves_forward() -> None:
    tokenizer = TOKENIZERS["minilm-wordpiece"]
    chunks = chunk_pages([Page(1, sentences(8))], tokenizer, max_tokens=20, overlap=19)
    starts = [chunk.char_start for chunk in chunks]
    assert starts == sorted(set(starts)) and chunks[-1].text.endswith("terms.")
    assert all(chunk.token_count <= 20 for chunk in chunks)


@pytest.mark.parametrize(("max_tokens", "overlap"), [(15, 0), (100, -1), (100, 100), (100, 150)])
def test_budgets_out_of_range_are_refused(max_tokens: int, overlap: int) -> None:
    with pytest.raises(ValueError):
        chunk_pages([Page(1, "text")], TOKENIZERS["cl100k"], max_tokens=max_tokens, overlap=overlap)
