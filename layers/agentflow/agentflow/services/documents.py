"""Documents for retrieval: upload, list, delete, search, and the ingestion steps.

Upload paths: the API takes files up to 4 MiB directly (type judged from the content, 422 when it
is not PDF, DOCX, TXT or Markdown); larger ones, up to 100 MiB, go straight to S3 through a
presigned PUT. Either way the object landing in the documents bucket starts the ingestion state
machine (statemachine/document_ingestion.asl.json): extract → embed in batches → complete, and on
any failure, fail, which removes whatever was indexed so a document is searchable whole or not at all.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from datetime import timedelta
from typing import Any

from agentflow.errors import AgentFlowError, InvalidInputError, NotFoundError, PayloadTooLargeError
from agentflow.ids import new_document_id
from agentflow.models import (
    Document,
    DocumentStatus,
    SearchRequest,
    SearchResults,
    UploadRequest,
    UploadTicket,
    isoformat,
    utcnow,
)
from agentflow.observability import logger
from agentflow.services import retrieval
from agentflow.settings import get_settings
from agentflow.sfn import StateMachines
from agentflow.store.documents import DocumentRecord, DocumentRepository, parse_object_key
from agentflow.store.objects import ObjectStore
from agentflow.store.workflows import WorkflowRepository

MAX_DIRECT_BYTES = 4 * 1024 * 1024
MAX_UPLOAD_BYTES = 100 * 1024 * 1024
UPLOAD_URL_SECONDS = 900
UPLOAD_CONTENT_TYPE = "application/octet-stream"
CHUNKS_PREFIX = "chunks/"
ACCEPTED = "PDF, DOCX, TXT or Markdown"


class DocumentRejectedError(AgentFlowError):
    """The file cannot be indexed safely; the message says why, in words for its owner."""

    code = "document_rejected"
    status = 422


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MiB"


class DocumentService:
    def __init__(
        self, repository: DocumentRepository | None = None, workflows: WorkflowRepository | None = None
    ) -> None:
        self.repository = repository or DocumentRepository()
        self.workflows = workflows or WorkflowRepository(self.repository.table)

    @property
    def objects(self) -> ObjectStore:
        return documents_bucket()

    def _check_workflow(self, tenant_id: str, workflow_id: str | None) -> None:
        retrieval.require_configured()
        if workflow_id:
            self.workflows.get(tenant_id, workflow_id)  # NotFoundError → 404

    def _new_record(
        self, tenant_id: str, filename: str, size: int, workflow_id: str | None, **extra: Any
    ) -> DocumentRecord:
        now = isoformat(utcnow())
        return DocumentRecord(
            tenant_id=tenant_id,
            id=new_document_id(),
            filename=filename,
            size_bytes=size,
            workflow_id=workflow_id,
            created_at=now,
            updated_at=now,
            **extra,
        )

    def upload(self, tenant_id: str, filename: str, data: bytes, workflow_id: str | None) -> Document:
        """Store a file sent through the API; its arrival in S3 starts ingestion."""
        from agentflow.rag.extract import sniff_content_type

        if len(data) > MAX_DIRECT_BYTES:
            raise PayloadTooLargeError(
                f"The file is {len(data):,} bytes; the API takes up to {MAX_DIRECT_BYTES:,} bytes directly. "
                "Upload larger files (up to 100 MiB) through POST /api/v1/documents/uploads."
            )
        if not data:
            raise InvalidInputError("The file is empty.")
        self._check_workflow(tenant_id, workflow_id)
        content_type = sniff_content_type(data, filename)
        if content_type is None:
            raise InvalidInputError(
                f"'{filename}' is not a {ACCEPTED} file (judged from its content, not its name)."
            )
        record = self._new_record(
            tenant_id,
            filename,
            len(data),
            workflow_id,
            status=DocumentStatus.PROCESSING,
            content_type=content_type,
            sha256=hashlib.sha256(data).hexdigest(),
        )
        self.repository.create(record)
        try:
            self.objects.put(record.object_key, data, content_type)
        except Exception:
            self.repository.delete(tenant_id, record.id)  # nothing half-written
            raise
        return self.repository.get(tenant_id, record.id).public()

    def create_upload(self, tenant_id: str, request: UploadRequest) -> UploadTicket:
        """A document awaiting its file, and a presigned PUT for it."""
        if request.size_bytes > MAX_UPLOAD_BYTES:
            raise PayloadTooLargeError(
                f"The file is {request.size_bytes:,} bytes; "
                f"documents may be up to {MAX_UPLOAD_BYTES:,} bytes "
                f"({_mib(MAX_UPLOAD_BYTES)})."
            )
        self._check_workflow(tenant_id, request.workflow_id)
        record = self._new_record(
            tenant_id,
            request.filename,
            request.size_bytes,
            request.workflow_id,
            status=DocumentStatus.AWAITING_UPLOAD,
        )
        self.repository.create(record)
        url = self.objects.upload_url(record.object_key, UPLOAD_CONTENT_TYPE, UPLOAD_URL_SECONDS)
        return UploadTicket(
            document_id=record.id,
            upload_url=url,
            upload_headers={"Content-Type": UPLOAD_CONTENT_TYPE},
            expires_at=isoformat(utcnow() + timedelta(seconds=UPLOAD_URL_SECONDS)),
        )

    def get(self, tenant_id: str, document_id: str) -> Document:
        return self.repository.get(tenant_id, document_id).public()

    def list(
        self, tenant_id: str, workflow_id: str | None, limit: int, next_token: str | None
    ) -> tuple[list[Document], str | None]:
        records, token = self.repository.page(
            tenant_id, workflow_id=workflow_id, limit=limit, next_token=next_token
        )
        return [record.public() for record in records], token

    def delete(self, tenant_id: str, document_id: str) -> None:
        """Remove the document's vectors, its file and then its record (a retry finishes the job)."""
        record = self.repository.get(tenant_id, document_id)
        remove_indexed(record)
        self.objects.delete(record.object_key)
        remove_parked_chunks(record)
        self.repository.delete(tenant_id, document_id)

    def delete_for_workflow(self, tenant_id: str, workflow_id: str) -> int:
        records = self.repository.all(tenant_id, workflow_id=workflow_id)
        for record in records:
            with contextlib.suppress(NotFoundError):
                self.delete(tenant_id, record.id)
        return len(records)

    def search(self, tenant_id: str, request: SearchRequest) -> SearchResults:
        self._check_workflow(tenant_id, request.workflow_id)
        results = retrieval.search(tenant_id, request.query, request.top_k, request.workflow_id)
        return SearchResults(results=results)

    def object_created(self, key: str, size: int) -> bool:
        """A file landed in the documents bucket: start its ingestion (once, whatever S3 repeats)."""
        parsed = parse_object_key(key)
        if parsed is None:
            logger.warning(f"Object outside the documents layout; ignored: {key!r}")
            return False
        tenant_id, document_id = parsed
        try:
            record = self.repository.get(tenant_id, document_id)
        except NotFoundError:
            logger.warning("Object for an unknown document; ignored", extra={"document_id": document_id})
            return False
        if record.status not in (DocumentStatus.AWAITING_UPLOAD, DocumentStatus.PROCESSING):
            return False
        if record.status == DocumentStatus.AWAITING_UPLOAD and size != record.size_bytes:
            self.repository.update(
                tenant_id,
                document_id,
                status=DocumentStatus.FAILED.value,
                error=f"The uploaded file is {size:,} bytes, not the {record.size_bytes:,} bytes declared.",
                updated_at=isoformat(utcnow()),
            )
            self.objects.delete(record.object_key)
            return False
        started = self.repository.update(
            tenant_id,
            document_id,
            expect={DocumentStatus.AWAITING_UPLOAD, DocumentStatus.PROCESSING},
            status=DocumentStatus.PROCESSING.value,
            size_bytes=size,
            updated_at=isoformat(utcnow()),
        )
        if not started:
            return False
        return StateMachines().start_once(
            get_settings().ingestion_state_machine_arn,
            document_id,
            {"tenant_id": tenant_id, "document_id": document_id},
        )


def documents_bucket() -> ObjectStore:
    """The documents bucket (uploads, and the chunk batches ingestion parks between its steps)."""
    return ObjectStore(get_settings().documents_bucket)


def chunks_key(record: DocumentRecord, batch: int) -> str:
    """Where ingestion parks one embedding batch's chunks between its steps."""
    return f"{chunks_prefix(record)}{batch:06d}.json"


def chunks_prefix(record: DocumentRecord) -> str:
    return CHUNKS_PREFIX + record.object_key.removeprefix("documents/") + "/"


def remove_parked_chunks(record: DocumentRecord) -> None:
    """Delete the batches ingestion parked for ``record``, by name (none is fine).

    Named rather than listed: the count follows from the chunks and the batch size. What a failure
    before the count was stored leaves behind, the bucket's lifecycle rule expires.
    """
    size = get_settings().embed_batch_chunks
    documents_bucket().delete_many(
        [chunks_key(record, batch) for batch in range(math.ceil((record.chunks or 0) / size))]
    )


def remove_indexed(record: DocumentRecord) -> None:
    """Delete whatever of ``record`` is in the vector store (nothing to do if it never was)."""
    if not record.embedding_model:
        return
    retrieval.vector_store().delete_document(record.tenant_id, record.embedding_model, record.id)
