"""The stack's embedding model and vector store, and cited search over a tenant's documents.

Both are built from settings once per process (a Lambda container; the local stack shares them
across its in-process functions). Heavy imports (onnxruntime, chromadb) happen on first use only,
so functions that never search pay nothing for them.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from agentflow.errors import AgentFlowError
from agentflow.models import SearchResult
from agentflow.settings import Settings, get_settings

if TYPE_CHECKING:
    from agentflow.rag.embeddings import EmbeddingProvider
    from agentflow.rag.vectorstore import VectorStore

_lock = threading.Lock()
_providers: dict[tuple[str, str], EmbeddingProvider] = {}
_stores: dict[tuple[str, str, str], VectorStore] = {}


NOT_CONFIGURED = "Documents are not configured on this stack: deploy it with the ChromaUrl parameter set."


class RetrievalUnavailableError(AgentFlowError):
    """The stack has no vector store configured (a deployment setting, not the caller's fault)."""

    code = "retrieval_unavailable"
    status = 503


def require_configured(settings: Settings | None = None) -> None:
    """Refuse document work up front on a stack with no vector store (rather than fail later)."""
    settings = settings or get_settings()
    if not (settings.chroma_url or settings.chroma_path):
        raise RetrievalUnavailableError(NOT_CONFIGURED)


def embedding_provider(settings: Settings | None = None) -> EmbeddingProvider:
    settings = settings or get_settings()
    key = (settings.embedding_provider, settings.embedding_model_id)
    with _lock:
        provider = _providers.get(key)
        if provider is None:
            from agentflow.rag.embeddings import embedding_provider as build
            from agentflow.rag.embeddings import openai_from_secret

            options: dict[str, Any] = {}
            if settings.embedding_provider == "bedrock":
                options["region"] = settings.region
                if settings.embedding_model_id:
                    options["model_id"] = settings.embedding_model_id
            if settings.embedding_provider == "openai":
                if settings.embedding_model_id:
                    options["model"] = settings.embedding_model_id
                provider = openai_from_secret(settings.openai_api_key_secret, settings.region, **options)
                _providers[key] = provider
                return provider
            provider = _providers[key] = build(settings.embedding_provider, **options)
        return provider


def vector_store(settings: Settings | None = None) -> VectorStore:
    settings = settings or get_settings()
    key = (settings.chroma_url, settings.chroma_token_secret, settings.chroma_path)
    with _lock:
        store = _stores.get(key)
        if store is None:
            from agentflow.rag.vectorstore import VectorStore

            if settings.chroma_url:
                token = None
                if settings.chroma_token_secret:
                    # Imported here: Powertools Parameters is for the deployed vector store only.
                    from agentflow.connectors.secrets import read_secret

                    token = str(read_secret(settings.chroma_token_secret, settings.region)["token"])
                store = VectorStore.http(settings.chroma_url, token=token)
            elif settings.chroma_path:
                store = VectorStore.embedded(settings.chroma_path)
            else:
                raise RetrievalUnavailableError(NOT_CONFIGURED)
            _stores[key] = store
        return store


def search(tenant_id: str, query: str, top_k: int, workflow_id: str | None = None) -> list[SearchResult]:
    """The ``top_k`` chunks of the tenant's documents closest to ``query``, best first."""
    provider = embedding_provider()
    hits = vector_store().query(
        tenant_id, provider.model_id, provider.embed_query(query), top_k, workflow_id=workflow_id
    )
    return [
        SearchResult(
            document_id=hit.document_id,
            filename=hit.filename,
            page=hit.page,
            excerpt=hit.excerpt,
            score=round(hit.score, 4),
        )
        for hit in hits
    ]
