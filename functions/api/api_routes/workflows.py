"""Workflows: register, list, read, replace (optimistic locking), delete, and read their versions."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from agentflow.models import (
    Workflow,
    WorkflowDefinition,
    WorkflowList,
    WorkflowUpdate,
    WorkflowVersionList,
)

from .common import json_response, tenant_of

if TYPE_CHECKING:
    from agentflow.services.workflows import WorkflowService

router = APIGatewayRouter()
WorkflowId = Annotated[str, Path(min_length=1, max_length=100)]


@cache
def service() -> WorkflowService:
    from agentflow.services.workflows import WorkflowService

    return WorkflowService()


@router.post(
    "/workflows",
    summary="Register a workflow",
    tags=["Workflows"],
    responses={201: {"description": "Created"}},
)
def create_workflow(definition: WorkflowDefinition) -> Response[Workflow]:
    return json_response(service().create(tenant_of(router), definition), 201)


@router.get("/workflows", summary="List workflows", tags=["Workflows"])
def list_workflows(
    limit: Annotated[int, Query(ge=1, le=100)] = 50, next_token: Annotated[str | None, Query()] = None
) -> WorkflowList:
    workflows, token = service().list(tenant_of(router), limit, next_token)
    return WorkflowList(workflows=workflows, next_token=token)


@router.get("/workflows/<workflow_id>", summary="Read a workflow", tags=["Workflows"])
def get_workflow(workflow_id: WorkflowId) -> Workflow:
    return service().get(tenant_of(router), workflow_id)


@router.get(
    "/workflows/<workflow_id>/versions",
    summary="List a workflow's versions, newest first",
    tags=["Workflows"],
)
def list_workflow_versions(workflow_id: WorkflowId) -> WorkflowVersionList:
    return WorkflowVersionList(versions=service().versions(tenant_of(router), workflow_id))


@router.get(
    "/workflows/<workflow_id>/versions/<version>",
    summary="Read a workflow as it was at one version",
    tags=["Workflows"],
)
def get_workflow_version(
    workflow_id: WorkflowId, version: Annotated[int, Path(ge=1, le=1_000_000_000)]
) -> Workflow:
    return service().version(tenant_of(router), workflow_id, version)


@router.put(
    "/workflows/<workflow_id>", summary="Replace a workflow (send the version you read)", tags=["Workflows"]
)
def update_workflow(workflow_id: WorkflowId, update: WorkflowUpdate) -> Workflow:
    return service().update(tenant_of(router), workflow_id, update)


@router.delete(
    "/workflows/<workflow_id>",
    summary="Delete a workflow",
    tags=["Workflows"],
    responses={204: {"description": "Deleted"}},
)
def delete_workflow(workflow_id: WorkflowId) -> Response[Any]:
    service().delete(tenant_of(router), workflow_id)
    return Response(status_code=204, body="")
