"""The offline MiniLM: right shape, unit vectors, and similarity that means something."""

from __future__ import annotations

import math

import pytest

from agentflow.rag.embeddings import LocalMiniLM, chunk_token_limit, embedding_provider


@pytest.fixture(scope="module")
def model() -> LocalMiniLM:
    return LocalMiniLM()


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_vectors_have_384_dimensions_and_unit_length(model: LocalMiniLM) -> None:
    vectors = model.embed(["Invoices are due in 30 days.", "Refunds take two weeks.", "Hi"])
    assert [len(vector) for vector in vectors] == [384, 384, 384]
    assert all(math.isclose(math.sqrt(cosine(v, v)), 1.0, abs_tol=1e-5) for v in vectors)


def test_similar_sentences_score_higher_than_unrelated_ones(model: LocalMiniLM) -> None:
    # Given a question, a paraphrase of its answer and an unrelated sentence
    query = model.embed_query("When do I have to pay an invoice?")
    related, unrelated = model.embed(
        ["Invoices must be paid within thirty days of receipt.", "The cafeteria serves pasta on Fridays."]
    )
    # Then the paraphrase is clearly nearer
    assert cosine(query, related) > cosine(query, unrelated) + 0.2


def test_order_is_kept_across_batches_of_mixed_lengths() -> None:
    # Given texts of very different lengths, embedded in batches of 2 (sorted by length inside)
    texts = ["short", "a much longer sentence about quarterly revenue " * 5, "mid length text", "x y"]
    batched = LocalMiniLM(batch_size=2).embed(texts)
    # Then each vector is the one the text gets on its own
    singles = [LocalMiniLM().embed_query(text) for text in texts]
    for got, expected in zip(batched, singles, strict=True):
        assert cosine(got, expected) > 0.9999


def test_input_beyond_256_word_pieces_is_truncated_not_an_error(model: LocalMiniLM) -> None:
    # Given a text of about 2,000 word pieces whose first 254 match a shorter text
    head = "The warranty covers parts and labour for two years. " * 25
    long_text = head + "Completely different closing words about gardening. " * 150
    # Then it embeds like its head: the model only reads the first 256 pieces
    assert cosine(model.embed_query(long_text), model.embed_query(head)) > 0.99


def test_chunks_for_minilm_leave_room_for_its_two_special_tokens(model: LocalMiniLM) -> None:
    assert model.max_tokens == 256
    assert chunk_token_limit(model) == 254
    assert chunk_token_limit(model, preferred=200) == 200


def test_empty_text_is_a_caller_error(model: LocalMiniLM) -> None:
    with pytest.raises(ValueError, match="empty"):
        model.embed(["fine", "  "])
    assert model.embed([]) == []


def test_the_factory_builds_the_local_model() -> None:
    provider = embedding_provider("local")
    assert (provider.model_id, provider.dimensions) == ("minilm-l6-v2-int8", 384)
    with pytest.raises(ValueError, match="unknown embedding provider"):
        embedding_provider("word2vec")
