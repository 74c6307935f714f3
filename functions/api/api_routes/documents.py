"""Documents for retrieval: upload (direct or presigned), list, read, delete and cited search."""

from __future__ import annotations

import base64
import binascii
import json
from email.message import Message
from email.parser import BytesParser
from email.policy import HTTP
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import ValidationError

from agentflow.errors import InvalidInputError
from agentflow.models import (
    Document,
    DocumentList,
    DocumentUpload,
    SearchRequest,
    SearchResults,
    UploadRequest,
    UploadTicket,
)

from .common import json_response, tenant_of

if TYPE_CHECKING:
    from agentflow.services.documents import DocumentService

router = APIGatewayRouter()
DocumentId = Annotated[str, Path(min_length=1, max_length=100)]


@cache
def service() -> DocumentService:
    from agentflow.services.documents import DocumentService

    return DocumentService()


def _raw_body() -> bytes:
    event = router.current_event
    body = event.body or ""
    if event.is_base64_encoded:
        try:
            return base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError) as error:
            raise InvalidInputError("The request body is not valid base64.") from error
    return body.encode()


def _field(part: Message) -> str:
    payload = part.get_payload(decode=True)
    return payload.decode("utf-8", "replace").strip() if isinstance(payload, bytes) else ""


def _multipart(content_type: str, body: bytes) -> tuple[str, bytes, str | None]:
    """(filename, bytes, workflow_id) of a multipart/form-data upload with a ``file`` part."""
    if "boundary=" not in content_type:
        raise InvalidInputError("multipart/form-data needs a boundary parameter in its Content-Type header.")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        raise InvalidInputError("The multipart/form-data body could not be read; check its boundary.")
    filename, data, workflow_id = None, None, None
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name == "file":
            filename = part.get_filename() or "upload"
            payload = part.get_payload(decode=True)
            data = payload if isinstance(payload, bytes) else b""
        elif name == "workflow_id":
            workflow_id = _field(part) or None
    if data is None or filename is None:
        raise InvalidInputError("The multipart/form-data body has no 'file' part.")
    checked = UploadRequest.model_validate(
        {"filename": filename, "size_bytes": max(len(data), 1), "workflow_id": workflow_id}
    )
    return checked.filename, data, checked.workflow_id


def _json_upload(body: bytes) -> tuple[str, bytes, str | None]:
    try:
        upload = DocumentUpload.model_validate(json.loads(body or b"null"))
    except ValueError as error:
        problems = error.errors() if isinstance(error, ValidationError) else []
        if not problems:
            raise InvalidInputError("The request body is not valid JSON.") from error
        details = [f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in problems]
        raise InvalidInputError(details[0] + ".", details) from error
    try:
        data = base64.b64decode(upload.content_base64, validate=True)
    except (binascii.Error, ValueError) as error:
        raise InvalidInputError("content_base64 is not valid base64.") from error
    return upload.filename, data, upload.workflow_id


@router.post(
    "/documents",
    summary="Upload a document (multipart/form-data with a 'file' part, or JSON with content_base64)",
    description=(
        "Up to 4 MiB of file content; larger files go through POST /api/v1/documents/uploads. The type is "
        "judged from the content: PDF, DOCX, TXT or Markdown."
    ),
    tags=["Documents"],
    responses={202: {"description": "Accepted: ingestion runs in the background"}},
)
def upload_document() -> Response[Document]:
    content_type = router.current_event.headers.get("content-type") or router.current_event.headers.get(
        "Content-Type", ""
    )
    body = _raw_body()
    if content_type.lower().startswith("multipart/form-data"):
        filename, data, workflow_id = _multipart(content_type, body)
    else:
        filename, data, workflow_id = _json_upload(body)
    return json_response(service().upload(tenant_of(router), filename, data, workflow_id), 202)


@router.post(
    "/documents/uploads",
    summary="Start a large upload: a presigned S3 PUT (up to 100 MiB)",
    tags=["Documents"],
    responses={201: {"description": "Created"}},
)
def create_upload(request: UploadRequest) -> Response[UploadTicket]:
    return json_response(service().create_upload(tenant_of(router), request), 201)


@router.post(
    "/documents/search", summary="Search documents; results cite document and page", tags=["Documents"]
)
def search_documents(request: SearchRequest) -> SearchResults:
    return service().search(tenant_of(router), request)


@router.get("/documents", summary="List documents, newest first", tags=["Documents"])
def list_documents(
    workflow_id: Annotated[str | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    next_token: Annotated[str | None, Query()] = None,
) -> DocumentList:
    documents, token = service().list(tenant_of(router), workflow_id, limit, next_token)
    return DocumentList(documents=documents, next_token=token)


@router.get("/documents/<document_id>", summary="Read a document's status", tags=["Documents"])
def get_document(document_id: DocumentId) -> Document:
    return service().get(tenant_of(router), document_id)


@router.delete(
    "/documents/<document_id>",
    summary="Delete a document and its chunks",
    tags=["Documents"],
    responses={204: {"description": "Deleted"}},
)
def delete_document(document_id: DocumentId) -> Response[Any]:
    service().delete(tenant_of(router), document_id)
    return Response(status_code=204, body="")
