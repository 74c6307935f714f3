"""Terminal status and metrics of an execution: from the final step, the status-change rule,
a stop request, or a read that finds Step Functions already done."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from agentflow.errors import AwsServiceError
from agentflow.execution_log import ExecutionLog
from agentflow.models import (
    AgentMetrics,
    AgentRun,
    AgentRunStatus,
    ExecutionError,
    ExecutionMetrics,
    ExecutionStatus,
    isoformat,
    utcnow,
)
from agentflow.observability import emit_execution_metric, logger
from agentflow.services.approvals import ApprovalService
from agentflow.services.event_triggers import publish_execution_status
from agentflow.store.executions import ExecutionRecord, ExecutionRepository
from agentflow.store.runs import AgentRunRepository

# Step Functions execution status → ours.
SFN_STATUS = {
    "SUCCEEDED": ExecutionStatus.COMPLETED,
    "FAILED": ExecutionStatus.FAILED,
    "TIMED_OUT": ExecutionStatus.TIMED_OUT,
    "ABORTED": ExecutionStatus.CANCELLED,
}


def aggregate(runs: list[AgentRun], started_at: str | None, completed_at: str) -> ExecutionMetrics:
    """Totals and per-agent figures; the duration is the execution's wall-clock time."""
    duration = None
    if started_at:
        duration = int(
            (datetime.fromisoformat(completed_at) - datetime.fromisoformat(started_at)).total_seconds() * 1000
        )
    reused = [run for run in runs if run.reused]
    return ExecutionMetrics(
        total_tokens=sum(run.tokens for run in runs),
        total_cost_usd=round(sum(run.cost_usd for run in runs), 6),
        reused_tokens=sum(run.tokens for run in reused),
        reused_cost_usd=round(sum(run.cost_usd for run in reused), 6),
        duration_ms=duration,
        per_agent={
            run.agent_id: AgentMetrics(tokens=run.tokens, cost_usd=run.cost_usd, duration_ms=run.duration_ms)
            for run in runs
        },
    )


def error_from_state(error: Any) -> ExecutionError | None:
    """The error Step Functions caught (``{"Error", "Cause"}``, Cause holding Lambda's envelope)."""
    if not isinstance(error, dict):
        return None
    message = str(error.get("Cause") or error.get("Error") or "The workflow failed.")
    try:
        envelope = json.loads(message)
        if isinstance(envelope, dict) and "errorMessage" in envelope:
            message = str(envelope["errorMessage"])
    except ValueError:
        pass
    return ExecutionError(type=str(error.get("Error") or "WorkflowFailed"), message=message)


class Finalizer:
    def __init__(
        self, executions: ExecutionRepository | None = None, runs: AgentRunRepository | None = None
    ) -> None:
        self.executions = executions or ExecutionRepository()
        self.runs = runs or AgentRunRepository()

    def finalize(
        self,
        record: ExecutionRecord,
        status: ExecutionStatus,
        state_error: ExecutionError | None = None,
    ) -> bool:
        """Record ``status`` unless the execution is already terminal. Returns whether it changed."""
        error = None
        if status is not ExecutionStatus.COMPLETED:
            # Nothing waits on a stopped or failed execution's approvals any more.
            ApprovalService(self.executions, self.runs).cancel_pending(record.tenant_id, record.id)
        runs = self.runs.list(record.tenant_id, record.id, with_output=False)
        if status is not ExecutionStatus.COMPLETED:
            failed = [run for run in runs if run.error is not None and run.status != AgentRunStatus.COMPLETED]
            self.runs.mark_unfinished(
                record.tenant_id, record.id, [run.agent_id for run in failed], AgentRunStatus.FAILED
            )
            still_running = [
                run.agent_id for run in runs if run.status == AgentRunStatus.RUNNING and run.error is None
            ]
            self.runs.mark_unfinished(record.tenant_id, record.id, still_running, AgentRunStatus.CANCELLED)
            error = self._error(status, failed, state_error)
            runs = self.runs.list(record.tenant_id, record.id, with_output=False)

        completed_at = isoformat(utcnow())
        summary = aggregate(runs, record.started_at or record.created_at, completed_at)
        attempts = [attempt.model_copy() for attempt in record.attempts]
        if attempts:
            attempts[-1].status, attempts[-1].completed_at = status, completed_at
        changed = self.executions.finish(
            record.tenant_id, record.id, status, completed_at, error, summary, attempts
        )
        if changed:
            log = ExecutionLog(record.tenant_id, record.id, record.workflow_id, component="workflow")
            if status is ExecutionStatus.COMPLETED:
                log.info(
                    f"Workflow completed in {summary.duration_ms} ms: {len(runs)} agents, "
                    f"{summary.total_tokens} tokens, ${summary.total_cost_usd:.4f}"
                )
            elif error:
                log.error(f"Workflow {status.value}: {error.message}")
            log.flush()
            emit_execution_metric(
                status.value, summary.duration_ms, summary.total_tokens, summary.total_cost_usd
            )
            self._announce(record, status)
        return changed

    @staticmethod
    def _announce(record: ExecutionRecord, status: ExecutionStatus) -> None:
        """Tell event triggers the execution ended. A lost announcement must not undo the ending."""
        try:
            publish_execution_status(record.tenant_id, record.id, record.workflow_id, status.value)
        except AwsServiceError:
            logger.exception(
                "Could not publish the execution's status change", extra={"execution_id": record.id}
            )

    @staticmethod
    def _error(
        status: ExecutionStatus, failed: list[AgentRun], state_error: ExecutionError | None
    ) -> ExecutionError | None:
        if failed and failed[0].error:
            first = failed[0].error
            return ExecutionError(agent_id=failed[0].agent_id, type=first.type, message=first.message)
        if status is ExecutionStatus.CANCELLED:
            return ExecutionError(type="Cancelled", message="The execution was stopped.")
        if status is ExecutionStatus.TIMED_OUT:
            return ExecutionError(type="TimedOut", message="The execution exceeded its time limit.")
        return state_error or ExecutionError(type="WorkflowFailed", message="The workflow failed.")
