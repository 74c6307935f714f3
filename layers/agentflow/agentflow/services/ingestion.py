"""The steps of the document ingestion state machine (statemachine/document_ingestion.asl.json).

extract: read the file, judge its type from the content, pull out its pages' text, cut token
chunks sized for the embedding model, and park them in S3 for the next step. embed: embed one batch
and upsert it into the tenant's collection (the machine runs batches in parallel and retries
transient failures). complete: check every chunk is in the store, then mark the document ready.
fail: remove whatever was indexed and mark the document failed with a reason its owner can act on.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

from agentflow.errors import NotFoundError
from agentflow.models import DocumentStatus, isoformat, utcnow
from agentflow.observability import logger
from agentflow.services import retrieval
from agentflow.services.documents import (
    ACCEPTED,
    MAX_UPLOAD_BYTES,
    DocumentRejectedError,
    chunks_key,
    documents_bucket,
    remove_indexed,
    remove_parked_chunks,
)
from agentflow.services.event_triggers import DOCUMENT_STATUS_CHANGE, publish
from agentflow.services.finalize import error_from_state
from agentflow.settings import get_settings
from agentflow.store.documents import DocumentRecord, DocumentRepository
from agentflow.store.objects import ObjectStore, ObjectTooLargeError

GENERIC_FAILURE = "The document could not be indexed because of an internal error; upload it again."
UNAVAILABLE_FAILURE = (
    "The embedding model or the vector store stayed unavailable while indexing; upload the document again."
)


class IngestionService:
    def __init__(self, repository: DocumentRepository | None = None) -> None:
        self.repository = repository or DocumentRepository()

    @property
    def objects(self) -> ObjectStore:
        return documents_bucket()

    def _record(self, tenant_id: str, document_id: str) -> DocumentRecord | None:
        try:
            return self.repository.get(tenant_id, document_id)
        except NotFoundError:
            return None  # deleted while it was being ingested

    def extract(self, tenant_id: str, document_id: str) -> dict[str, Any]:
        from agentflow.rag.chunking import chunk_pages
        from agentflow.rag.embeddings import chunk_token_limit
        from agentflow.rag.extract import DocumentError, extract_pages, sniff_content_type

        record = self._record(tenant_id, document_id)
        if record is None:
            return {"batches": [], "chunks": 0}
        settings = get_settings()
        try:
            data = self.objects.get(record.object_key, max_bytes=MAX_UPLOAD_BYTES)
        except ObjectTooLargeError as error:
            raise DocumentRejectedError(
                f"The file is {error.size:,} bytes; documents may be up to {MAX_UPLOAD_BYTES:,} bytes."
            ) from None
        content_type = sniff_content_type(data, record.filename)
        if content_type is None:
            raise DocumentRejectedError(
                f"'{record.filename}' is not a {ACCEPTED} file (judged from its content, not its name)."
            )
        try:
            pages = extract_pages(data, content_type)
        except DocumentError as error:
            raise DocumentRejectedError(error.reason) from error
        provider = retrieval.embedding_provider()
        max_tokens = chunk_token_limit(provider, settings.chunk_tokens)
        chunks = chunk_pages(
            pages, provider.tokenizer, max_tokens, min(settings.chunk_overlap, max_tokens // 4)
        )
        if not chunks:
            raise DocumentRejectedError("The document contains no extractable text.")
        remove_indexed(record)  # a previous attempt's vectors
        size = settings.embed_batch_chunks
        batches = math.ceil(len(chunks) / size)
        for batch in range(batches):  # one object a batch: each embed step reads only its own
            body = [
                {"index": c.index, "page": c.page, "text": c.text, "token_count": c.token_count}
                for c in chunks[batch * size : (batch + 1) * size]
            ]
            self.objects.put(chunks_key(record, batch), json.dumps(body).encode())
        self.repository.update(
            tenant_id,
            document_id,
            content_type=content_type,
            pages=len(pages),
            chunks=len(chunks),
            embedding_model=provider.model_id,
            sha256=record.sha256 or hashlib.sha256(data).hexdigest(),
            updated_at=isoformat(utcnow()),
        )
        logger.info(
            "Document extracted",
            extra={
                "document_id": document_id,
                "pages": len(pages),
                "chunks": len(chunks),
                "batches": batches,
            },
        )
        return {"batches": list(range(batches)), "chunks": len(chunks)}

    def embed(self, tenant_id: str, document_id: str, batch: int) -> dict[str, Any]:
        from agentflow.rag.chunking import Chunk

        record = self._record(tenant_id, document_id)
        if record is None:
            return {"batch": batch, "chunks": 0}
        chunks = [Chunk(**item) for item in json.loads(self.objects.get(chunks_key(record, batch)))]
        provider = retrieval.embedding_provider()
        vectors = provider.embed([chunk.text for chunk in chunks])
        retrieval.vector_store().upsert(
            tenant_id,
            provider.model_id,
            document_id,
            chunks,
            vectors,
            filename=record.filename,
            workflow_id=record.workflow_id,
        )
        return {"batch": batch, "chunks": len(chunks)}

    def complete(self, tenant_id: str, document_id: str) -> dict[str, Any]:
        record = self._record(tenant_id, document_id)
        if record is None:
            # Deleted mid-ingestion: batches that ran after the delete left vectors behind.
            model_id = retrieval.embedding_provider().model_id
            retrieval.vector_store().delete_document(tenant_id, model_id, document_id)
            return {"status": "deleted"}
        indexed = retrieval.vector_store().count(tenant_id, str(record.embedding_model), document_id)
        if indexed != record.chunks:
            raise DocumentRejectedError(
                f"Indexing stopped short ({indexed} of {record.chunks} chunks stored); "
                "upload the document again."
            )
        self.repository.update(
            tenant_id,
            document_id,
            expect={DocumentStatus.PROCESSING},
            status=DocumentStatus.READY.value,
            error=None,
            updated_at=isoformat(utcnow()),
        )
        remove_parked_chunks(record)
        logger.info("Document ready", extra={"document_id": document_id, "chunks": indexed})
        announce(record, DocumentStatus.READY, pages=record.pages, chunks=indexed)
        return {"status": DocumentStatus.READY.value, "chunks": indexed}

    def fail(self, tenant_id: str, document_id: str, error: Any) -> dict[str, Any]:
        reason = failure_reason(error)
        record = self._record(tenant_id, document_id)
        if record is None:
            return {"status": "deleted"}
        try:
            remove_indexed(record)
        except Exception:
            logger.exception(
                "Could not remove a failed document's vectors", extra={"document_id": document_id}
            )
            raise  # the state machine retries this step; never leave a failed document searchable
        remove_parked_chunks(record)
        self.repository.update(
            tenant_id,
            document_id,
            status=DocumentStatus.FAILED.value,
            error=reason,
            pages=None,
            chunks=None,
            updated_at=isoformat(utcnow()),
        )
        logger.warning("Document failed", extra={"document_id": document_id, "reason": reason})
        announce(record, DocumentStatus.FAILED, error=reason)
        return {"status": DocumentStatus.FAILED.value, "error": reason}


def announce(record: DocumentRecord, status: DocumentStatus, **facts: Any) -> None:
    """Publish the document's new status for event triggers (best effort: the status is stored)."""
    detail = {
        "tenant_id": record.tenant_id,
        "document_id": record.id,
        "filename": record.filename,
        "workflow_id": record.workflow_id,
        "status": status.value,
        **facts,
    }
    try:
        publish(DOCUMENT_STATUS_CHANGE, detail)
    except Exception:
        logger.exception("Could not publish the document's status change", extra={"document_id": record.id})


def failure_reason(error: Any) -> str:
    """The sentence a failed document carries: the rejection's own words, never internals."""
    caught = error_from_state(error)
    if caught is None:
        return GENERIC_FAILURE
    if caught.type == DocumentRejectedError.__name__:
        return caught.message
    if caught.type == "TransientAgentError":
        return UNAVAILABLE_FAILURE
    if caught.type in ("ConnectorError", "RetrievalUnavailableError"):
        # Deployment problems (credentials, model access, no vector store): their messages name the
        # setting to fix and hold no secret.
        return f"The document could not be indexed: {caught.message}"
    logger.error("Ingestion failed", extra={"error_type": caught.type, "error": caught.message})
    return GENERIC_FAILURE
