"""Start, read, list, stop executions; their logs and timeline."""

from __future__ import annotations

import builtins
import contextlib
from typing import Any

from agentflow.dag import children_of
from agentflow.errors import ConflictError, NotFoundError
from agentflow.execution_log import ExecutionLog
from agentflow.ids import new_execution_id
from agentflow.models import (
    AgentRun,
    AgentRunStatus,
    Execution,
    ExecutionMetrics,
    ExecutionStatus,
    LogEntry,
    LogLevel,
    StartExecutionRequest,
    TimelineEntry,
    Trigger,
    isoformat,
    utcnow,
)
from agentflow.services.finalize import SFN_STATUS, Finalizer, aggregate, error_from_state
from agentflow.sfn import Deployment, StateMachines
from agentflow.store.executions import ExecutionRecord, ExecutionRepository, request_fingerprint
from agentflow.store.logs import LogRepository
from agentflow.store.payloads import PayloadStore
from agentflow.store.runs import AgentRunRepository
from agentflow.store.workflows import WorkflowRepository


class ExecutionService:
    def __init__(
        self,
        workflows: WorkflowRepository | None = None,
        executions: ExecutionRepository | None = None,
        runs: AgentRunRepository | None = None,
        logs: LogRepository | None = None,
        machines: StateMachines | None = None,
        payloads: PayloadStore | None = None,
    ) -> None:
        self.workflows = workflows or WorkflowRepository()
        self.executions = executions or ExecutionRepository()
        self.runs = runs or AgentRunRepository()
        self.logs_repository = logs or LogRepository()
        self.machines = machines or StateMachines()
        self.payloads = payloads or PayloadStore()
        self.finalizer = Finalizer(self.executions, self.runs)

    def start(
        self,
        tenant_id: str,
        request: StartExecutionRequest,
        idempotency_key: str | None = None,
        trigger: Trigger | None = None,
        execution_id: str | None = None,
    ) -> tuple[Execution, bool]:
        """Start the workflow's current version. Returns (execution, whether it is new).

        ``execution_id`` fixes the id (and the Step Functions execution name) for starts that may be
        delivered twice; an existing id returns that execution.
        """
        stored = self.workflows.get(tenant_id, request.workflow_id)
        workflow = stored.workflow
        now = utcnow()
        if execution_id is not None:
            with contextlib.suppress(NotFoundError):
                return self.get(tenant_id, execution_id), False
        execution_id = execution_id or new_execution_id(int(now.timestamp() * 1000))
        input_inline, input_ref = self.payloads.put(f"inputs/{tenant_id}/{execution_id}.json", request.input)
        children = children_of(workflow)
        types = {node.id: node.type for node in workflow.agents}
        record = ExecutionRecord(
            tenant_id=tenant_id,
            id=execution_id,
            workflow_id=workflow.id,
            workflow_version=workflow.version,
            workflow_name=workflow.name,
            input_inline=input_inline,
            input_ref=input_ref,
            trigger=trigger or Trigger(type="api"),
            plan=[(node_id, types[node_id]) for node_id in workflow.execution_order],
            sinks=[node_id for node_id in workflow.execution_order if not children[node_id]],
            created_at=isoformat(now),
            state_machine_arn=stored.state_machine_arn,
        )
        saved = self.executions.create(
            record,
            idempotency_key,
            request_fingerprint(request.model_dump(mode="json")),
            int(now.timestamp()),
        )
        if saved.id != execution_id:
            return self.get(tenant_id, saved.id), False

        log = ExecutionLog(tenant_id, execution_id, workflow.id, component="workflow")
        log.info(
            f"Workflow '{workflow.name}' started (version {workflow.version}, trigger {record.trigger.type})"
        )
        log.info("Execution order determined: " + " → ".join(workflow.execution_order))
        try:
            execution_arn = self.machines.start(
                Deployment(stored.state_machine_arn, stored.state_machine_version_arn),
                execution_id,
                {
                    "tenant_id": tenant_id,
                    "execution_id": execution_id,
                    "workflow_id": workflow.id,
                    "workflow_version": workflow.version,
                },
            )
            self.executions.mark_running(tenant_id, execution_id, execution_arn, isoformat(utcnow()))
        except Exception as error:
            log.error(f"Step Functions did not start the execution: {error}")
            start_error = error_from_state({"Error": "StartFailed", "Cause": str(error)})
            self.finalizer.finalize(record, ExecutionStatus.FAILED, start_error)
            raise
        finally:
            log.flush()
        return self.get(tenant_id, execution_id), True

    def record(self, tenant_id: str, execution_id: str) -> ExecutionRecord:
        """The stored execution, reconciled with Step Functions while it still says active."""
        record = self.executions.get(tenant_id, execution_id)
        if not record.status.terminal and record.execution_arn:
            described = self.machines.describe(record.execution_arn)
            status = SFN_STATUS.get(described.status)
            if status is not None:
                state_error = None
                if described.error:
                    state_error = error_from_state({"Error": described.error, "Cause": described.cause})
                self.finalizer.finalize(record, status, state_error)
                record = self.executions.get(tenant_id, execution_id)
        return record

    def get(self, tenant_id: str, execution_id: str) -> Execution:
        record = self.record(tenant_id, execution_id)
        runs = {run.agent_id: run for run in self.runs.list(tenant_id, execution_id)}
        agent_runs = [
            runs.get(node_id)
            or AgentRun(agent_id=node_id, agent_type=agent_type, status=AgentRunStatus.PENDING)
            for node_id, agent_type in record.plan
        ]
        agent_runs.sort(key=lambda run: (run.started_at is None, run.started_at or ""))
        output: Any = None
        if record.status is ExecutionStatus.COMPLETED:
            outputs = {sink: runs[sink].output for sink in record.sinks if sink in runs}
            output = next(iter(outputs.values())) if len(outputs) == 1 else outputs
        metrics = record.metrics or aggregate(list(runs.values()), record.started_at, isoformat(utcnow()))
        return self._execution(record, agent_runs, output, metrics)

    def _execution(
        self, record: ExecutionRecord, runs: list[AgentRun], output: Any, metrics: ExecutionMetrics | None
    ) -> Execution:
        return Execution(
            id=record.id,
            workflow_id=record.workflow_id,
            workflow_version=record.workflow_version,
            status=record.status,
            input=self.payloads.get(record.input_inline, record.input_ref),
            output=output,
            error=record.error,
            trigger=record.trigger,
            created_at=record.created_at,
            started_at=record.started_at,
            completed_at=record.completed_at,
            agent_executions=runs,
            metrics=metrics or ExecutionMetrics(),
        )

    def list(
        self,
        tenant_id: str,
        *,
        workflow_id: str | None,
        status: ExecutionStatus | None,
        limit: int,
        next_token: str | None,
        schedule_id: str | None = None,
    ) -> tuple[list[Execution], str | None]:
        """Newest first, as summaries: per-agent detail is on the single-execution read."""
        if workflow_id:
            self.workflows.get(tenant_id, workflow_id)  # another tenant's workflow answers 404
        records, token = self.executions.list(
            tenant_id,
            workflow_id=workflow_id,
            status=status,
            limit=limit,
            next_token=next_token,
            schedule_id=schedule_id,
        )
        return [self._execution(record, [], None, record.metrics) for record in records], token

    def logs(
        self, tenant_id: str, execution_id: str, level: LogLevel | None, agent_id: str | None
    ) -> builtins.list[LogEntry]:
        self.executions.get(tenant_id, execution_id)
        return self.logs_repository.list(tenant_id, execution_id, level, agent_id)

    def timeline(self, tenant_id: str, execution_id: str) -> builtins.list[TimelineEntry]:
        self.record(tenant_id, execution_id)
        return [
            TimelineEntry(
                agent_id=run.agent_id,
                agent_type=run.agent_type,
                status=run.status,
                started_at=run.started_at,
                completed_at=run.completed_at,
                duration_ms=run.duration_ms,
            )
            for run in self.runs.list(tenant_id, execution_id, with_output=False)
        ]

    def stop(self, tenant_id: str, execution_id: str) -> Execution:
        """Stop a running execution (409 when it already ended)."""
        record = self.record(tenant_id, execution_id)
        if record.status.terminal:
            raise ConflictError(
                f"Execution '{execution_id}' already ended with status '{record.status.value}'."
            )
        if record.execution_arn:
            self.machines.stop(record.execution_arn)
        self.finalizer.finalize(record, ExecutionStatus.CANCELLED)
        return self.get(tenant_id, execution_id)
