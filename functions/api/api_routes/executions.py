"""Executions: start (idempotent with Idempotency-Key), read, list, logs, timeline, stop."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayRouter

from agentflow.models import (
    Approval,
    ApprovalDecision,
    Execution,
    ExecutionList,
    ExecutionStatus,
    LogLevel,
    LogList,
    ResumeRequest,
    StartExecutionRequest,
    Timeline,
)

from .common import json_response, tenant_of

if TYPE_CHECKING:
    from agentflow.services.approvals import ApprovalService
    from agentflow.services.executions import ExecutionService

router = APIGatewayRouter()
ExecutionId = Annotated[str, Path(min_length=1, max_length=100)]
NodeId = Annotated[str, Path(min_length=1, max_length=64)]


@cache
def service() -> ExecutionService:
    from agentflow.services.executions import ExecutionService

    return ExecutionService()


@cache
def approvals() -> ApprovalService:
    from agentflow.services.approvals import ApprovalService

    return ApprovalService()


@router.post(
    "/executions",
    summary="Start an execution",
    tags=["Executions"],
    responses={202: {"description": "Started"}},
)
def start_execution(
    request: StartExecutionRequest,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=255)] = None,
) -> Response[Execution]:
    execution, created = service().start(tenant_of(router), request, idempotency_key)
    return json_response(execution, 202 if created else 200)


@router.get("/executions", summary="List executions, newest first", tags=["Executions"])
def list_executions(
    workflow_id: Annotated[str | None, Query()] = None,
    status: Annotated[ExecutionStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    next_token: Annotated[str | None, Query()] = None,
    schedule_id: Annotated[str | None, Query()] = None,
) -> ExecutionList:
    executions, token = service().list(
        tenant_of(router),
        workflow_id=workflow_id,
        status=status,
        limit=limit,
        next_token=next_token,
        schedule_id=schedule_id,
    )
    return ExecutionList(executions=executions, next_token=token)


@router.get("/executions/<execution_id>", summary="Read an execution", tags=["Executions"])
def get_execution(execution_id: ExecutionId) -> Execution:
    return service().get(tenant_of(router), execution_id)


@router.get("/executions/<execution_id>/logs", summary="An execution's logs", tags=["Executions"])
def execution_logs(
    execution_id: ExecutionId,
    level: Annotated[LogLevel | None, Query()] = None,
    agent_id: Annotated[str | None, Query()] = None,
) -> LogList:
    return LogList(logs=service().logs(tenant_of(router), execution_id, level, agent_id))


@router.get("/executions/<execution_id>/timeline", summary="An execution's timeline", tags=["Executions"])
def execution_timeline(execution_id: ExecutionId) -> Timeline:
    return Timeline(timeline=service().timeline(tenant_of(router), execution_id))


@router.post("/executions/<execution_id>/stop", summary="Stop an execution", tags=["Executions"])
def stop_execution(execution_id: ExecutionId) -> Execution:
    return service().stop(tenant_of(router), execution_id)


@router.post(
    "/executions/<execution_id>/resume",
    summary="Resume a failed, timed-out or cancelled execution",
    tags=["Executions"],
    responses={202: {"description": "Resumed: a new attempt runs what did not complete"}},
)
def resume_execution(execution_id: ExecutionId, request: ResumeRequest) -> Response[Execution]:
    return json_response(service().resume(tenant_of(router), execution_id, request), 202)


@router.post(
    "/executions/<execution_id>/approvals/<node_id>",
    summary="Approve or reject a pending approval",
    tags=["Approvals"],
)
def decide_approval(execution_id: ExecutionId, node_id: NodeId, decision: ApprovalDecision) -> Approval:
    return approvals().decide(tenant_of(router), execution_id, node_id, decision)
