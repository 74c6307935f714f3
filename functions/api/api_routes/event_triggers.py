"""Event triggers of a workflow: start it when a matching AgentFlow event happens."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from agentflow.models import EventTrigger, EventTriggerCreate, EventTriggerList

from .common import json_response, tenant_of

if TYPE_CHECKING:
    from agentflow.services.event_triggers import EventTriggerService

router = APIGatewayRouter()
WorkflowId = Annotated[str, Path(min_length=1, max_length=100)]
TriggerId = Annotated[str, Path(min_length=1, max_length=100)]


@cache
def service() -> EventTriggerService:
    from agentflow.services.event_triggers import EventTriggerService

    return EventTriggerService()


@router.post(
    "/workflows/<workflow_id>/event-triggers",
    summary="Start a workflow on matching AgentFlow events",
    tags=["Triggers"],
    responses={201: {"description": "Created"}},
)
def create_event_trigger(workflow_id: WorkflowId, request: EventTriggerCreate) -> Response[EventTrigger]:
    return json_response(service().create(tenant_of(router), workflow_id, request), 201)


@router.get(
    "/workflows/<workflow_id>/event-triggers", summary="A workflow's event triggers", tags=["Triggers"]
)
def list_event_triggers(workflow_id: WorkflowId) -> EventTriggerList:
    return EventTriggerList(event_triggers=service().list(tenant_of(router), workflow_id))


@router.delete(
    "/workflows/<workflow_id>/event-triggers/<trigger_id>",
    summary="Delete an event trigger",
    tags=["Triggers"],
    responses={204: {"description": "Deleted"}},
)
def delete_event_trigger(workflow_id: WorkflowId, trigger_id: TriggerId) -> Response[Any]:
    service().delete(tenant_of(router), workflow_id, trigger_id)
    return Response(status_code=204, body="")
