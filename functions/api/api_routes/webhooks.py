"""Signed webhooks: issue (and rotate) a workflow's secret; start it from a signed call."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel

from agentflow.models import Execution

from .common import json_response, tenant_of

if TYPE_CHECKING:
    from agentflow.services.webhooks import WebhookService

router = APIGatewayRouter()
WorkflowId = Annotated[str, Path(min_length=1, max_length=100)]


class Webhook(BaseModel):
    url: str
    secret: str


@cache
def service() -> WebhookService:
    from agentflow.services.webhooks import WebhookService

    return WebhookService()


def _public_url(path: str) -> str:
    """The absolute URL of ``path`` as the caller reached this API (stage included when deployed)."""
    event = router.current_event
    context = event.raw_event.get("requestContext") or {}
    domain = context.get("domainName")
    if domain:
        # The execute-api host carries the stage in its path; a custom domain maps it away.
        stage = context.get("stage")
        prefix = f"/{stage}" if stage and ".execute-api." in domain else ""
        return f"https://{domain}{prefix}{path}"
    host = event.headers.get("host") or event.headers.get("Host") or "127.0.0.1"
    return f"http://{host}{path}"


@router.post(
    "/workflows/<workflow_id>/webhook",
    summary="Issue or rotate a workflow's webhook secret (shown once)",
    tags=["Triggers"],
    responses={201: {"description": "Created"}},
)
def issue_webhook(workflow_id: WorkflowId) -> Response[Webhook]:
    secret = service().rotate(tenant_of(router), workflow_id)
    url = _public_url(f"/api/v1/workflows/{workflow_id}/trigger")
    return json_response(Webhook(url=url, secret=secret), 201)


@router.post(
    "/workflows/<workflow_id>/trigger",
    summary="Start a workflow from a signed webhook call (no API key)",
    tags=["Triggers"],
    responses={202: {"description": "Started"}},
)
def trigger_workflow(
    workflow_id: WorkflowId,
    timestamp: Annotated[str | None, Header(alias="X-AgentFlow-Timestamp")] = None,
    signature: Annotated[str | None, Header(alias="X-AgentFlow-Signature")] = None,
) -> Response[Execution]:
    event = router.current_event
    body = (event.decoded_body or "").encode() if event.body is not None else b""
    return json_response(service().trigger(workflow_id, timestamp, signature, body), 202)
