"""Schedules of a workflow: EventBridge Scheduler expressions with a timezone and an input."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from agentflow.models import Schedule, ScheduleCreate, ScheduleList, SchedulePatch

from .common import json_response, tenant_of

if TYPE_CHECKING:
    from agentflow.services.schedules import ScheduleService

router = APIGatewayRouter()
WorkflowId = Annotated[str, Path(min_length=1, max_length=100)]
ScheduleId = Annotated[str, Path(min_length=1, max_length=100)]


@cache
def service() -> ScheduleService:
    from agentflow.services.schedules import ScheduleService

    return ScheduleService()


@router.post(
    "/workflows/<workflow_id>/schedules",
    summary="Schedule a workflow",
    tags=["Schedules"],
    responses={201: {"description": "Created"}},
)
def create_schedule(workflow_id: WorkflowId, request: ScheduleCreate) -> Response[Schedule]:
    return json_response(service().create(tenant_of(router), workflow_id, request), 201)


@router.get("/workflows/<workflow_id>/schedules", summary="A workflow's schedules", tags=["Schedules"])
def list_schedules(workflow_id: WorkflowId) -> ScheduleList:
    return ScheduleList(schedules=service().list(tenant_of(router), workflow_id))


@router.get("/workflows/<workflow_id>/schedules/<schedule_id>", summary="Read a schedule", tags=["Schedules"])
def get_schedule(workflow_id: WorkflowId, schedule_id: ScheduleId) -> Schedule:
    return service().get(tenant_of(router), workflow_id, schedule_id)


@router.patch(
    "/workflows/<workflow_id>/schedules/<schedule_id>",
    summary="Pause, resume or change a schedule",
    tags=["Schedules"],
)
def update_schedule(workflow_id: WorkflowId, schedule_id: ScheduleId, patch: SchedulePatch) -> Schedule:
    return service().update(tenant_of(router), workflow_id, schedule_id, patch)


@router.delete(
    "/workflows/<workflow_id>/schedules/<schedule_id>",
    summary="Delete a schedule",
    tags=["Schedules"],
    responses={204: {"description": "Deleted"}},
)
def delete_schedule(workflow_id: WorkflowId, schedule_id: ScheduleId) -> Response[Any]:
    service().delete(tenant_of(router), workflow_id, schedule_id)
    return Response(status_code=204, body="")
