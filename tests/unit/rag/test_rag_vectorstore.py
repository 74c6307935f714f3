"""The vector store on an embedded Chroma: tenants never see each other, filters and deletes hold.

Vectors here are small hand-made unit vectors, so each test states exactly which chunk is nearest.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from agentflow.rag.chunking import Chunk
from agentflow.rag.vectorstore import Hit, VectorStore, collection_name

MODEL = "test-model-3d"


def unit(*values: float) -> list[float]:
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values]


def put(
    store: VectorStore,
    document_id: str,
    vectors: dict[str, list[float]],
    *,
    tenant: str = "acme",
    model: str = MODEL,
    workflow_id: str | None = None,
    filename: str = "f.txt",
    page: int = 1,
) -> None:
    """Store a document whose chunks are the keys of ``vectors``, in order, with those vectors."""
    chunks = [
        Chunk(index=i, page=page, text=text, token_count=len(text.split())) for i, text in enumerate(vectors)
    ]
    store.upsert(
        tenant, model, document_id, chunks, list(vectors.values()), filename=filename, workflow_id=workflow_id
    )


@pytest.fixture
def store(tmp_path: Path) -> VectorStore:
    return VectorStore.embedded(tmp_path / "chroma")


def test_a_query_returns_the_nearest_chunks_best_first_with_their_source(store: VectorStore) -> None:
    # Given one document of three chunks pointing in different directions
    put(
        store,
        "doc_1",
        {
            "Refunds take 14 days.": unit(1, 0, 0),
            "Shipping is free.": unit(0, 1, 0),
            "Support 9-5.": unit(1, 1, 0),
        },
        filename="policy.pdf",
        page=3,
    )
    # When the tenant searches near the first direction
    hits = store.query("acme", MODEL, unit(1, 0.1, 0), top_k=2)
    # Then the nearest chunks come first, with document, page, excerpt and a score in [0, 1]
    assert [(hit.document_id, hit.chunk_index, hit.page, hit.filename) for hit in hits] == [
        ("doc_1", 0, 3, "policy.pdf"),
        ("doc_1", 2, 3, "policy.pdf"),
    ]
    assert hits[0].excerpt == "Refunds take 14 days."
    assert 1.0 >= hits[0].score > hits[1].score >= 0.0
    assert hits[0].score == pytest.approx(0.995, abs=0.001)


def test_tenants_only_ever_find_their_own_chunks(store: VectorStore) -> None:
    # Given the same text with the same vector stored by two tenants
    for tenant in ("acme", "globex"):
        put(store, f"doc_{tenant}", {"Same words.": unit(1, 0, 0)}, tenant=tenant)
    # Then each tenant's search finds only its own document
    assert [hit.document_id for hit in store.query("acme", MODEL, unit(1, 0, 0), top_k=10)] == ["doc_acme"]
    assert [hit.document_id for hit in store.query("globex", MODEL, unit(1, 0, 0), top_k=10)] == [
        "doc_globex"
    ]
    assert store.query("initech", MODEL, unit(1, 0, 0), top_k=10) == []


def test_a_workflow_filter_searches_only_documents_uploaded_with_it(store: VectorStore) -> None:
    for document_id, workflow_id in (("doc_a", "wf_1"), ("doc_b", "wf_2"), ("doc_c", None)):
        put(store, document_id, {"Text.": unit(1, 0, 0)}, workflow_id=workflow_id)
    assert [h.document_id for h in store.query("acme", MODEL, unit(1, 0, 0), 10, workflow_id="wf_1")] == [
        "doc_a"
    ]
    assert {h.document_id for h in store.query("acme", MODEL, unit(1, 0, 0), 10)} == {
        "doc_a",
        "doc_b",
        "doc_c",
    }


def test_deleting_a_document_removes_all_its_chunks_and_is_idempotent(store: VectorStore) -> None:
    put(store, "doc_1", {"x": unit(1, 0, 0), "y": unit(0, 1, 0)})
    put(store, "doc_2", {"z": unit(0, 0, 1)})
    store.delete_document("acme", MODEL, "doc_1")
    store.delete_document("acme", MODEL, "doc_1")
    assert (store.count("acme", MODEL, "doc_1"), store.count("acme", MODEL)) == (0, 1)
    assert [hit.document_id for hit in store.query("acme", MODEL, unit(1, 0, 0), 10)] == ["doc_2"]


def test_deleting_where_nothing_was_stored_is_not_an_error(store: VectorStore) -> None:
    store.delete_document("nobody", MODEL, "doc_1")
    assert store.count("nobody", MODEL) == 0


def test_upserting_the_same_chunks_again_changes_nothing(store: VectorStore) -> None:
    # Given a document stored, then stored again (a retried ingestion step)
    for _ in range(2):
        put(store, "doc_1", {"a": unit(1, 0, 0), "b": unit(0, 1, 0)})
    # Then it is stored once
    assert store.count("acme", MODEL, "doc_1") == 2
    assert len(store.query("acme", MODEL, unit(1, 0, 0), 10)) == 2


def test_upserts_larger_than_chromas_batch_limit_are_split(store: VectorStore, monkeypatch) -> None:
    monkeypatch.setattr(type(store.client), "get_max_batch_size", lambda self: 2)
    put(store, "doc_1", {text: unit(1, i, 0) for i, text in enumerate("abcde")})
    assert store.count("acme", MODEL, "doc_1") == 5


def test_models_keep_separate_collections(store: VectorStore) -> None:
    put(store, "doc_1", {"a": unit(1, 0, 0)}, model="model-a")
    put(store, "doc_1", {"a": unit(1, 0, 0, 0)}, model="model-b")
    assert (store.count("acme", "model-a"), store.count("acme", "model-b")) == (1, 1)


def test_scores_are_clamped_to_zero_for_opposite_vectors(store: VectorStore) -> None:
    put(store, "doc_1", {"a": unit(1, 0, 0)})
    assert store.query("acme", MODEL, unit(-1, 0, 0), 1) == [
        Hit(document_id="doc_1", filename="f.txt", page=1, excerpt="a", score=0.0, chunk_index=0)
    ]


def test_mismatched_chunks_and_embeddings_are_refused(store: VectorStore) -> None:
    chunks = [
        Chunk(index=0, page=1, text="a", token_count=1),
        Chunk(index=1, page=1, text="b", token_count=1),
    ]
    with pytest.raises(ValueError, match="2 chunks but 1 embeddings"):
        store.upsert("acme", MODEL, "doc_1", chunks, [unit(1, 0, 0)], filename="f", workflow_id=None)


@pytest.mark.parametrize(
    ("tenant", "model"),
    [
        ("acme", "minilm-l6-v2-int8"),
        ("ACME Corp/ünïcode", "amazon.titan-embed-text-v2:0"),
        ("", "x"),
        ("a" * 600, "m" * 600),
    ],
)
def test_collection_names_are_valid_for_chroma(tenant: str, model: str) -> None:
    name = collection_name(tenant, model)
    assert 3 <= len(name) <= 512
    assert all(c.isascii() and (c.isalnum() or c in "._-") for c in name)
    assert name[0].isalnum() and name[-1].isalnum()


def test_tenant_ids_that_read_alike_get_different_collections() -> None:
    assert collection_name("acme/eu", MODEL) != collection_name("acme-eu", MODEL)
    assert collection_name("acme", MODEL) == collection_name("acme", MODEL)
