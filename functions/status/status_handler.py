"""Terminal status of executions: the state machine's final step, and Step Functions'
status-change events (aborts and time-outs, which no step of the machine sees). Every minute
(``{"repair": true}``) it also starts or fails executions stranded in ``pending`` and settles
approvals whose time is up."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from agentflow.errors import NotFoundError
from agentflow.models import ExecutionStatus
from agentflow.observability import logger
from agentflow.services.approvals import ApprovalService
from agentflow.services.executions import ExecutionService, execution_id_of
from agentflow.services.finalize import SFN_STATUS, Finalizer, error_from_state
from agentflow.tracing import capture_lambda_handler


@cache
def finalizer() -> Finalizer:
    return Finalizer()


def _from_state_machine(event: dict[str, Any]) -> tuple[str, str, ExecutionStatus, Any, str | None]:
    status = ExecutionStatus(event["status"])
    return event["tenant_id"], event["execution_id"], status, event.get("error"), None


def _from_status_change(event: dict[str, Any]) -> tuple[str, str, ExecutionStatus, Any, str | None] | None:
    detail = event["detail"]
    status = SFN_STATUS.get(detail.get("status", ""))
    if status is None:
        return None
    started_with = json.loads(detail.get("input") or "{}")
    error = {"Error": detail.get("error"), "Cause": detail.get("cause")} if detail.get("error") else None
    execution_id = started_with.get("execution_id") or execution_id_of(detail["name"])
    return started_with.get("tenant_id", ""), execution_id, status, error, detail.get("executionArn")


def repair() -> dict[str, Any]:
    """Start or fail stranded pending executions; settle approvals past their deadline."""
    started = ExecutionService().repair_stranded()
    expired = ApprovalService().expire()
    if started or expired:
        logger.info("Repaired", extra={"stranded": started, "expired_approvals": expired})
    return {"stranded": started, "expired_approvals": expired}


@logger.inject_lambda_context(clear_state=True)
@capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("repair"):
        return repair()
    parsed = _from_status_change(event) if "detail" in event else _from_state_machine(event)
    if parsed is None:
        return {"changed": False}
    tenant_id, execution_id, status, error, execution_arn = parsed
    logger.append_keys(execution_id=execution_id)
    service = finalizer()
    try:
        record = service.executions.get(tenant_id, execution_id)
    except NotFoundError:
        logger.warning("Status change for an execution AgentFlow does not know; ignored")
        return {"changed": False}
    if execution_arn and record.execution_arn and execution_arn != record.execution_arn:
        logger.info("Status change of an earlier attempt; the current attempt decides the status")
        return {"changed": False}
    changed = service.finalize(record, status, error_from_state(error))
    return {"execution_id": execution_id, "status": status.value, "changed": changed}
