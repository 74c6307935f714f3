"""Approvals: list them, decide them, expire them, cancel them with their execution.

A pending approval is stored on its node's run with the Step Functions task token its
``.waitForTaskToken`` task waits on and the digest of the payload the approver is shown. A
decision names that digest, so approving what one saw can never release something else; the
decision is a conditional write (one decision wins), then the token is answered.
"""

from __future__ import annotations

import builtins
import hashlib
import json
from typing import Any

from agentflow.errors import ConflictError, NotFoundError
from agentflow.execution_log import ExecutionLog
from agentflow.models import (
    AgentRun,
    AgentRunStatus,
    Approval,
    ApprovalDecision,
    ApprovalStatus,
    Budget,
    ExecutionError,
    PendingApproval,
    isoformat,
    utcnow,
)
from agentflow.sfn import StateMachines
from agentflow.store.executions import ExecutionRepository
from agentflow.store.runs import AgentRunRepository

APPROVAL_TYPE = "approval"
# How long a budget decision may take before the run fails with BudgetExceeded.
BUDGET_APPROVAL_SECONDS = 86400
# The error names a refused or expired decision ends the node (and the execution) with.
REJECTED_ERRORS = {"approval_node": "ApprovalRejected", "budget": "BudgetExceeded"}
EXPIRED_ERROR = "ApprovalExpired"


def payload_digest(payload: Any) -> str:
    """``sha256:<hex>`` of the canonical JSON of ``payload`` (keys sorted, no spaces, UTF-8 as is)."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def approval_of(run: AgentRun) -> Approval:
    """The run's approval; a run without one has no approval to act on (404)."""
    if run.approval is None:
        raise NotFoundError(f"Agent '{run.agent_id}' has no approval.")
    return run.approval


def _answered(run: AgentRun, approval: Approval, update: dict[str, Any]) -> AgentRun:
    """The run with its approval settled and its task token spent (nothing waits on it any more)."""
    # The token is Step Functions' handle on the waiting task, not a credential.
    return run.model_copy(update={**update, "approval": approval, "task_token": None})  # nosec B105


def to_pending(execution_id: str, run: AgentRun) -> PendingApproval:
    approval = approval_of(run)
    return PendingApproval(
        execution_id=execution_id,
        workflow_id=approval.workflow_id or "",
        node_id=run.agent_id,
        reason=approval.reason,
        message=approval.message,
        payload=run.approval_payload,
        payload_digest=approval.payload_digest,
        requested_at=approval.requested_at,
        expires_at=approval.expires_at,
        status=approval.status,
    )


class ApprovalService:
    def __init__(
        self,
        executions: ExecutionRepository | None = None,
        runs: AgentRunRepository | None = None,
        machines: StateMachines | None = None,
    ) -> None:
        self.executions = executions or ExecutionRepository()
        self.runs = runs or AgentRunRepository()
        self.machines = machines or StateMachines()

    def list(
        self,
        tenant_id: str,
        *,
        status: ApprovalStatus | None,
        workflow_id: str | None,
        limit: int,
        next_token: str | None,
    ) -> tuple[list[PendingApproval], str | None]:
        """The tenant's approvals, oldest first."""
        found, token = self.runs.approvals(
            tenant_id, status=status, workflow_id=workflow_id, limit=limit, next_token=next_token
        )
        return [to_pending(execution_id, run) for execution_id, run in found], token

    def decide(self, tenant_id: str, execution_id: str, node_id: str, decision: ApprovalDecision) -> Approval:
        """Approve or reject the node's pending approval, if ``decision`` names the digest shown."""
        self.executions.get(tenant_id, execution_id)  # another tenant's execution answers 404
        run = self.runs.get(tenant_id, execution_id, node_id)
        if run is None or run.approval is None:
            raise NotFoundError(f"Execution '{execution_id}' has no approval on node '{node_id}'.")
        approval = run.approval
        if approval.status is not ApprovalStatus.PENDING:
            raise ConflictError(f"The approval on '{node_id}' was already decided: {approval.status.value}.")
        if decision.payload_digest != approval.payload_digest:
            raise ConflictError(
                f"payload_digest {decision.payload_digest} is not that of the pending payload on "
                f"'{node_id}' ({approval.payload_digest}); read the approval again before deciding."
            )
        approve = decision.decision == "approve"
        return self._settle(
            tenant_id,
            execution_id,
            run,
            approve=approve,
            status=ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED,
            decided_by="api",
            comment=decision.comment,
            raise_budget=decision.raise_budget,
        )

    def expire(self, now: str | None = None) -> builtins.list[dict[str, str]]:
        """Settle every pending approval past its deadline as its ``on_timeout`` says."""
        now = now or isoformat(utcnow())
        settled = []
        for tenant_id, execution_id, run in self.runs.expired_approvals(now):
            approval = approval_of(run)
            try:
                self._settle(
                    tenant_id,
                    execution_id,
                    run,
                    approve=approval.on_timeout == "approve",
                    status=ApprovalStatus.EXPIRED,
                    decided_by="timeout",
                    comment=f"No decision by {approval.expires_at}; on_timeout is {approval.on_timeout}.",
                )
            except ConflictError:
                continue  # decided meanwhile
            settled.append({"execution_id": execution_id, "node_id": run.agent_id})
        return settled

    def cancel_pending(self, tenant_id: str, execution_id: str) -> None:
        """Mark the execution's pending approvals cancelled (it was stopped; nothing waits on them)."""
        for run in self.runs.list(tenant_id, execution_id):
            if run.approval is not None and run.approval.status is ApprovalStatus.PENDING:
                approval = run.approval.model_copy(
                    update={"status": ApprovalStatus.CANCELLED, "decided_at": isoformat(utcnow())}
                )
                cancelled = _answered(run, approval, {"status": AgentRunStatus.CANCELLED})
                saved = self.runs.save(
                    tenant_id, execution_id, cancelled, expect_approval=ApprovalStatus.PENDING
                )
                if saved and run.task_token:
                    # AWS ends a stopped execution's waiting task itself; moto's task keeps waiting on
                    # its token until answered. Answering a stopped execution's token is refused: fine.
                    self.machines.send_task_failure(run.task_token, "Cancelled", "The execution was stopped.")

    def _settle(
        self,
        tenant_id: str,
        execution_id: str,
        run: AgentRun,
        *,
        approve: bool,
        status: ApprovalStatus,
        decided_by: str,
        comment: str | None,
        raise_budget: Budget | None = None,
    ) -> Approval:
        now = isoformat(utcnow())
        approval = approval_of(run).model_copy(
            update={"status": status, "decided_at": now, "decided_by": decided_by, "comment": comment}
        )
        budget_gate = approval.reason == "budget"
        failure: ExecutionError | None = None
        if approve and not budget_gate:
            # Approved: the node's output is its input unchanged, so children see what they would have.
            update: dict[str, Any] = {
                "status": AgentRunStatus.COMPLETED,
                "output": run.approval_payload,
                "completed_at": now,
                "error": None,
            }
        elif approve:
            update = {"status": AgentRunStatus.RUNNING, "error": None}
        else:
            error_type = (
                EXPIRED_ERROR if status is ApprovalStatus.EXPIRED else REJECTED_ERRORS[approval.reason]
            )
            message = f"The approval on '{run.agent_id}' was {status.value}" + (
                f": {comment}" if comment else "."
            )
            failure = ExecutionError(agent_id=run.agent_id, type=error_type, message=message)
            update = {"status": AgentRunStatus.FAILED, "completed_at": now, "error": failure}
        settled = _answered(run, approval, update)
        if not self.runs.save(tenant_id, execution_id, settled, expect_approval=ApprovalStatus.PENDING):
            raise ConflictError(f"The approval on '{run.agent_id}' was already decided.")
        if approve and budget_gate and raise_budget is not None:
            self.executions.set_budget(tenant_id, execution_id, raise_budget)
        self._resume_if_none_pending(tenant_id, execution_id)
        record = self.executions.get(tenant_id, execution_id)
        log = ExecutionLog(
            tenant_id, execution_id, record.workflow_id, component="approval", agent_id=run.agent_id
        )
        log.info(f"Approval ({approval.reason}) on {run.agent_id} {status.value} by {decided_by}")
        log.flush()
        token = run.task_token
        if token:
            if approve:
                self.machines.send_task_success(token, {"node_id": run.agent_id, "decision": status.value})
            elif failure is not None:
                self.machines.send_task_failure(token, failure.type, failure.message)
        return approval

    def _resume_if_none_pending(self, tenant_id: str, execution_id: str) -> None:
        pending = [
            run
            for run in self.runs.list(tenant_id, execution_id, with_output=False)
            if run.approval is not None and run.approval.status is ApprovalStatus.PENDING
        ]
        if not pending:
            self.executions.set_waiting(tenant_id, execution_id, False)
