"""Entry points of document ingestion: the S3 upload notification, and the state machine's steps."""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools.utilities.data_classes import S3Event, event_source
from aws_lambda_powertools.utilities.typing import LambdaContext

from agentflow.observability import logger
from agentflow.services.documents import DocumentService
from agentflow.services.ingestion import IngestionService
from agentflow.tracing import capture_lambda_handler


@cache
def documents() -> DocumentService:
    return DocumentService()


@cache
def ingestion() -> IngestionService:
    return IngestionService()


@logger.inject_lambda_context(clear_state=True)
@capture_lambda_handler
@event_source(data_class=S3Event)
def uploaded(event: S3Event, context: LambdaContext) -> dict[str, Any]:
    """ObjectCreated in the documents bucket → start that document's ingestion."""
    started = []
    for record in event.records:
        key = unquote_plus(record.s3.get_object.key)  # S3 events carry keys URL-encoded
        if documents().object_created(key, record.s3.get_object.size or 0):
            started.append(key)
    return {"started": started}


@logger.inject_lambda_context(clear_state=True)
@capture_lambda_handler
def step(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """One step of the ingestion state machine: extract, embed (one batch), complete or fail."""
    tenant_id, document_id = event["tenant_id"], event["document_id"]
    logger.append_keys(tenant_id=tenant_id, document_id=document_id)
    service = ingestion()
    match event["step"]:
        case "extract":
            return service.extract(tenant_id, document_id)
        case "embed":
            return service.embed(tenant_id, document_id, int(event["batch"]))
        case "complete":
            return service.complete(tenant_id, document_id)
        case "fail":
            return service.fail(tenant_id, document_id, event.get("error"))
    raise ValueError(f"Unknown ingestion step {event['step']!r}")
