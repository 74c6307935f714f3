"""Chunks and their vectors in Chroma: one collection per tenant and embedding model.

A tenant's documents live in a collection whose name is derived from the tenant id and the model id
(plus a hash of both, so odd ids never collide), so one tenant's search can never reach another's
chunks, and vectors of different models (different dimensions) never share an index. Embeddings are
always computed by :mod:`agentflow.rag.embeddings` and passed in: Chroma's default embedding function
downloads a model and is never used.

Two shapes: :meth:`VectorStore.embedded` (Chroma on local disk: the local stack and tests) and
:meth:`VectorStore.http` (a Chroma server: deployed). For the server, an unreachable server,
timeouts, 429 and 5xx answers become :class:`TransientAgentError`; other errors pass through.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from agentflow.errors import TransientAgentError
from agentflow.rag.chunking import Chunk

# Connect quickly or give up (the state machine retries); a query on a big collection may take longer.
CONNECT_TIMEOUT_SECONDS = 5.0
REQUEST_TIMEOUT_SECONDS = 30.0
_NAME_PART = re.compile(r"[^a-zA-Z0-9]+")
_NAME_PART_MAX = 64


# Cosine space, with a wider search and more links per node than Chroma's defaults (ef_search 100,
# max_neighbors 16). Measured on 10,000 chunks (make bench, the fillers inserted after the
# documents): the defaults' top 5 held the labelled page for 0.74 of the questions against 0.87 for
# an exact search; these settings matched the exact search for about 3 ms more per query.
HNSW = {"space": "cosine", "ef_search": 500, "max_neighbors": 32}


@dataclass(frozen=True)
class Hit:
    """One search result: where the chunk comes from, its text, and how relevant it is (0 to 1)."""

    document_id: str
    filename: str
    page: int
    excerpt: str
    score: float
    chunk_index: int


def collection_name(tenant_id: str, model_id: str) -> str:
    """The collection of a tenant's chunks embedded by a model: readable, valid in Chroma, unique.

    ``t-<tenant>-<model>-<16 hex of sha256(tenant, model)>``, the readable parts reduced to
    ``[a-zA-Z0-9-]`` and cut at 64 characters; the hash keeps ids that read alike apart.
    """

    def part(value: str) -> str:
        return _NAME_PART.sub("-", value).strip("-")[:_NAME_PART_MAX].strip("-") or "x"

    digest = hashlib.sha256(f"{tenant_id}\x00{model_id}".encode()).hexdigest()[:16]
    return f"t-{part(tenant_id)}-{part(model_id)}-{digest}"


def chunk_id(document_id: str, index: int) -> str:
    """The id of a document's chunk in the store."""
    return f"{document_id}:{index}"


class VectorStore:
    """Tenant-scoped chunk storage and similarity search over a Chroma client."""

    def __init__(self, connect: Callable[[], Any], *, remote: bool, location: str) -> None:
        """``connect`` builds the chromadb client on first use; ``remote`` turns on the mapping of
        server failures to TransientAgentError; ``location`` names the store in messages."""
        self._connect = connect
        self._remote = remote
        self.location = location
        self._client: Any = None
        self._lock = threading.Lock()

    @classmethod
    def embedded(cls, path: str | Path) -> VectorStore:
        """Chroma embedded in this process, persisted under ``path`` (telemetry off)."""

        def connect() -> Any:
            import chromadb
            from chromadb.config import Settings

            return chromadb.PersistentClient(path=str(path), settings=Settings(anonymized_telemetry=False))

        return cls(connect, remote=False, location=str(path))

    @classmethod
    def http(cls, url: str, token: str | None = None) -> VectorStore:
        """A Chroma server at ``url`` (``http://`` or ``https://``, optionally with a path prefix);
        ``token`` is sent as ``Authorization: Bearer``. Nothing connects until first use."""
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"Chroma URL must be http(s)://host[:port][/path], got '{parts.scheme}://…'")
        base = url.strip().rstrip("/")
        shown = f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{parts.path}".rstrip("/")

        def connect() -> Any:
            return _http_client(base, token, shown, ssl=parts.scheme == "https")

        return cls(connect, remote=True, location=shown)

    @property
    def client(self) -> Any:
        """The chromadb client (connected on first use)."""
        with self._lock:
            if self._client is None:
                self._client = self._connect()
            return self._client

    # --- writes -------------------------------------------------------------------------------

    def upsert(
        self,
        tenant_id: str,
        model_id: str,
        document_id: str,
        chunks: Sequence[Chunk],
        embeddings: Sequence[Sequence[float]],
        *,
        filename: str,
        workflow_id: str | None,
    ) -> None:
        """Store a document's chunks with their vectors (same ids overwrite: re-running is harmless).

        To replace a document whose new version has fewer chunks, delete it first.
        """
        if len(chunks) != len(embeddings):
            raise ValueError(f"{len(chunks)} chunks but {len(embeddings)} embeddings")
        if not chunks:
            return
        with self._errors("storing chunks"):
            collection = self._collection(tenant_id, model_id, create=True)
            step = max(1, int(self.client.get_max_batch_size()))
            for first in range(0, len(chunks), step):
                batch = chunks[first : first + step]
                collection.upsert(
                    ids=[chunk_id(document_id, chunk.index) for chunk in batch],
                    embeddings=[list(vector) for vector in embeddings[first : first + step]],
                    documents=[chunk.text for chunk in batch],
                    metadatas=[
                        {
                            "document_id": document_id,
                            "filename": filename,
                            "page": chunk.page,
                            "chunk_index": chunk.index,
                            # Chroma metadata cannot hold None.
                            "workflow_id": workflow_id or "",
                            "tenant_id": tenant_id,
                        }
                        for chunk in batch
                    ],
                )

    def delete_document(self, tenant_id: str, model_id: str, document_id: str) -> None:
        """Remove every chunk of a document; nothing happens when there is none."""
        with self._errors("deleting chunks"):
            collection = self._collection(tenant_id, model_id, create=False)
            if collection is not None:
                collection.delete(where={"document_id": document_id})

    # --- reads --------------------------------------------------------------------------------

    def query(
        self,
        tenant_id: str,
        model_id: str,
        embedding: Sequence[float],
        top_k: int,
        workflow_id: str | None = None,
    ) -> list[Hit]:
        """The tenant's ``top_k`` chunks nearest to ``embedding``, best first, only those uploaded
        with ``workflow_id`` when it is given. ``score`` is 1 - cosine distance, clamped to [0, 1]."""
        if top_k < 1:
            raise ValueError(f"top_k must be at least 1, got {top_k}")
        with self._errors("searching"):
            collection = self._collection(tenant_id, model_id, create=False)
            if collection is None:
                return []
            result = collection.query(
                query_embeddings=[list(embedding)],
                n_results=top_k,
                where={"workflow_id": workflow_id} if workflow_id else None,
                include=["documents", "metadatas", "distances"],
            )
        hits = [
            Hit(
                document_id=str(metadata["document_id"]),
                filename=str(metadata["filename"]),
                page=int(metadata["page"]),
                excerpt=text or "",
                score=min(1.0, max(0.0, 1.0 - float(distance))),
                chunk_index=int(metadata["chunk_index"]),
            )
            for text, metadata, distance in zip(
                result["documents"][0], result["metadatas"][0], result["distances"][0], strict=True
            )
        ]
        return sorted(hits, key=lambda hit: hit.score, reverse=True)

    def count(self, tenant_id: str, model_id: str, document_id: str | None = None) -> int:
        """How many chunks the tenant has for the model (of one document, when given)."""
        with self._errors("counting chunks"):
            collection = self._collection(tenant_id, model_id, create=False)
            if collection is None:
                return 0
            if document_id is None:
                return int(collection.count())
            return len(collection.get(where={"document_id": document_id}, include=[])["ids"])

    # --- plumbing -----------------------------------------------------------------------------

    def _collection(self, tenant_id: str, model_id: str, *, create: bool) -> Any:
        client = self.client
        from chromadb.errors import NotFoundError

        name = collection_name(tenant_id, model_id)
        if create:
            return client.get_or_create_collection(
                name=name,
                configuration={"hnsw": HNSW},
                metadata={"tenant_id": tenant_id, "model_id": model_id},
                embedding_function=None,
            )
        try:
            return client.get_collection(name=name, embedding_function=None)
        except NotFoundError:
            return None

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        if not self._remote:
            yield
            return
        import httpx

        try:
            yield
        except httpx.TransportError as error:
            raise TransientAgentError(
                f"Chroma at {self.location} failed while {action} ({type(error).__name__}); retry later"
            ) from error


def _raise_unavailable(response: Any) -> None:
    """httpx response hook: 429 and 5xx from the server (or a proxy before it) mean "retry later".

    chromadb turns non-JSON error bodies into a bare Exception; catching the status here keeps
    the distinction between a passing outage and a bad request.
    """
    status = response.status_code
    if status == 429 or status >= 500:
        from agentflow.connectors.http import parse_retry_after

        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        raise TransientAgentError(
            f"Chroma answered HTTP {status} for {response.request.method} {response.request.url.path}; "
            "retry later",
            retry_after=retry_after,
        )


def _http_client(base: str, token: str | None, shown: str, *, ssl: bool) -> Any:
    """A chromadb HttpClient for ``base`` after a heartbeat with a timeout (chromadb's own requests
    have none, and its constructor already talks to the server)."""
    import httpx

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    path = urlsplit(base).path.rstrip("/")
    heartbeat = f"{base}{'' if path.endswith('/api/v2') else '/api/v2'}/heartbeat"
    try:
        response = httpx.get(
            heartbeat,
            headers=headers,
            timeout=httpx.Timeout(REQUEST_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS),
        )
    except httpx.TransportError as error:
        raise TransientAgentError(
            f"Chroma at {shown} could not be reached ({type(error).__name__}); retry later"
        ) from error
    _raise_unavailable(response)

    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    try:
        client = chromadb.HttpClient(host=base, ssl=ssl, headers=headers, settings=settings)
    except ValueError as error:
        # chromadb reports a failed connection check while constructing as ValueError.
        raise TransientAgentError(f"Chroma at {shown} could not be reached ({error}); retry later") from error
    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = httpx.Timeout(REQUEST_TIMEOUT_SECONDS, connect=CONNECT_TIMEOUT_SECONDS)
        hooks = session.event_hooks["response"]
        if _raise_unavailable not in hooks:
            hooks.append(_raise_unavailable)
    return client
