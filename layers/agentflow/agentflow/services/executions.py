"""Start, read, list, stop executions; their logs and timeline."""

from __future__ import annotations

import builtins
import contextlib
from datetime import timedelta
from typing import Any

from agentflow.dag import children_of, parents_of
from agentflow.errors import ConflictError, NotFoundError
from agentflow.execution_log import ExecutionLog
from agentflow.ids import new_execution_id
from agentflow.models import (
    AgentRun,
    AgentRunStatus,
    Attempt,
    Execution,
    ExecutionMetrics,
    ExecutionStatus,
    LogEntry,
    LogLevel,
    ResumeRequest,
    StartExecutionRequest,
    TimelineEntry,
    Trigger,
    Workflow,
    isoformat,
    utcnow,
)
from agentflow.services.finalize import SFN_STATUS, Finalizer, aggregate, error_from_state
from agentflow.sfn import Deployment, StateMachines
from agentflow.store.executions import ExecutionRecord, ExecutionRepository, request_fingerprint
from agentflow.store.logs import LogRepository
from agentflow.store.payloads import PayloadStore
from agentflow.store.runs import AgentRunRepository
from agentflow.store.workflows import StoredWorkflow, WorkflowRepository

RESUMABLE = (ExecutionStatus.FAILED, ExecutionStatus.TIMED_OUT, ExecutionStatus.CANCELLED)
# A starter that has not marked its execution running after this long is taken to have crashed.
START_LEASE_SECONDS = 5
# The periodic repair starts (or fails) what has been pending for longer than this.
STRANDED_AFTER_SECONDS = 60


def attempt_name(execution_id: str, number: int) -> str:
    """The Step Functions execution name of an attempt: the id itself first, then ``<id>-a<n>``."""
    return execution_id if number == 1 else f"{execution_id}-a{number}"


def execution_id_of(name: str) -> str:
    """The AgentFlow execution id behind a Step Functions execution name."""
    head, _, tail = name.rpartition("-a")
    return head if head and tail.isdigit() else name


def version_conflicts(runs: list[AgentRun], current: Workflow, target: Workflow) -> list[str]:
    """Completed nodes that ``target`` lacks or changed (type or parents): resuming onto it would lie."""
    before = {node.id: node.type for node in current.agents}
    after = {node.id: node.type for node in target.agents}
    parents_before, parents_after = parents_of(current), parents_of(target)
    return [
        run.agent_id
        for run in runs
        if run.status == AgentRunStatus.COMPLETED
        and (
            run.agent_id not in after
            or after[run.agent_id] != before.get(run.agent_id, run.agent_type)
            or sorted(parents_after[run.agent_id]) != sorted(parents_before.get(run.agent_id, []))
        )
    ]


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
            budget=workflow.budget,
            start_claimed_at=isoformat(now),
        )
        saved = self.executions.create(
            record,
            idempotency_key,
            request_fingerprint(request.model_dump(mode="json")),
            int(now.timestamp()),
        )
        if saved.id != execution_id:
            # A retry: the execution it names is started here if its first start never happened.
            if saved.status is ExecutionStatus.PENDING:
                self.start_recorded(saved)
            return self.get(tenant_id, saved.id), False
        self._start_machine(record, stored)
        return self.get(tenant_id, execution_id), True

    def start_recorded(self, record: ExecutionRecord, stale_after: int = START_LEASE_SECONDS) -> bool:
        """Start a recorded execution that is still pending, if its last starter's claim is stale.

        Returns whether this call started it (or failed it, when it cannot be started).
        """
        now = utcnow()
        stale_before = isoformat(now - timedelta(seconds=stale_after))
        if not self.executions.claim_start(record.tenant_id, record.id, isoformat(now), stale_before):
            return False
        try:
            stored = self.workflows.get_version(record.tenant_id, record.workflow_id, record.workflow_version)
        except NotFoundError:
            log = ExecutionLog(record.tenant_id, record.id, record.workflow_id, component="workflow")
            log.error("The execution could not be started: its workflow version no longer exists")
            log.flush()
            reason = error_from_state(
                {"Error": "StartFailed", "Cause": "The workflow was deleted before it started."}
            )
            self.finalizer.finalize(record, ExecutionStatus.FAILED, reason)
            return True
        with contextlib.suppress(Exception):  # the failure is recorded on the execution
            self._start_machine(record, stored)
        return True

    def _start_machine(self, record: ExecutionRecord, stored: StoredWorkflow) -> None:
        """The first attempt: start the state machine under the execution's id, mark it running."""
        workflow = stored.workflow
        log = ExecutionLog(record.tenant_id, record.id, workflow.id, component="workflow")
        log.info(
            f"Workflow '{workflow.name}' started (version {workflow.version}, trigger {record.trigger.type})"
        )
        log.info("Execution order determined: " + " → ".join(workflow.execution_order))
        try:
            execution_arn = self.machines.start(
                Deployment(stored.state_machine_arn, stored.state_machine_version_arn),
                record.id,
                self._machine_input(record.tenant_id, record.id, workflow, record.id),
            )
            started_at = isoformat(utcnow())
            attempt = Attempt(
                number=1,
                started_at=started_at,
                status=ExecutionStatus.RUNNING,
                rerun=workflow.execution_order,
            )
            self.executions.mark_running(record.tenant_id, record.id, execution_arn, started_at, [attempt])
        except Exception as error:
            log.error(f"Step Functions did not start the execution: {error}")
            start_error = error_from_state({"Error": "StartFailed", "Cause": str(error)})
            self.finalizer.finalize(record, ExecutionStatus.FAILED, start_error)
            raise
        finally:
            log.flush()

    @staticmethod
    def _machine_input(tenant_id: str, execution_id: str, workflow: Workflow, attempt: str) -> dict[str, Any]:
        return {
            "tenant_id": tenant_id,
            "execution_id": execution_id,
            "workflow_id": workflow.id,
            "workflow_version": workflow.version,
            "attempt": attempt,
        }

    def repair_stranded(self) -> builtins.list[str]:
        """Start (or fail, with the reason) every execution pending for over a minute; their ids."""
        cutoff = isoformat(utcnow() - timedelta(seconds=STRANDED_AFTER_SECONDS))
        repaired = []
        for record in self.executions.pending_since(cutoff):
            if self.start_recorded(record, stale_after=STRANDED_AFTER_SECONDS):
                repaired.append(record.id)
        return repaired

    def resume(self, tenant_id: str, execution_id: str, request: ResumeRequest) -> Execution:
        """Run an ended execution again as a new attempt: completed nodes keep (and reuse) their results."""
        record = self.record(tenant_id, execution_id)
        if record.status not in RESUMABLE:
            raise ConflictError(
                f"Execution '{execution_id}' is {record.status.value}; only failed, timed-out or "
                "cancelled executions can be resumed."
            )
        current = self.workflows.get_version(tenant_id, record.workflow_id, record.workflow_version)
        version = request.workflow_version or record.workflow_version
        target = current if version == record.workflow_version else None
        if target is None:
            target = self.workflows.get_version(tenant_id, record.workflow_id, version)
        runs = self.runs.list(tenant_id, execution_id, with_output=False)
        conflicts = version_conflicts(runs, current.workflow, target.workflow)
        if conflicts:
            raise ConflictError(
                f"Version {version} cannot continue this execution: completed node(s) "
                f"{', '.join(conflicts)} are missing there or have another type or other parents.",
                details=[{"node_id": node_id} for node_id in conflicts],
            )
        workflow = target.workflow
        completed = {run.agent_id for run in runs if run.status == AgentRunStatus.COMPLETED}
        self.runs.mark_reused(tenant_id, execution_id, [run.agent_id for run in runs], completed)
        attempts = self._attempts(record)
        number = len(attempts) + 1
        now = isoformat(utcnow())
        rerun = [node_id for node_id in workflow.execution_order if node_id not in completed]
        attempts.append(Attempt(number=number, started_at=now, status=ExecutionStatus.RUNNING, rerun=rerun))
        name = attempt_name(execution_id, number)
        children = children_of(workflow)
        types = {node.id: node.type for node in workflow.agents}
        if not self.executions.resume(
            record,
            execution_arn=StateMachines.execution_arn(target.state_machine_arn, name),
            attempts=attempts,
            workflow_version=workflow.version,
            plan=[(node_id, types[node_id]) for node_id in workflow.execution_order],
            sinks=[node_id for node_id in workflow.execution_order if not children[node_id]],
        ):
            raise ConflictError(f"Execution '{execution_id}' changed while resuming; read it and retry.")
        log = ExecutionLog(tenant_id, execution_id, workflow.id, component="workflow")
        log.info(
            f"Attempt {number} (resume on version {workflow.version}): reusing {len(completed)} completed "
            f"agent(s), running {', '.join(rerun) or 'none'}"
        )
        try:
            self.machines.start(
                Deployment(target.state_machine_arn, target.state_machine_version_arn),
                name,
                self._machine_input(tenant_id, execution_id, workflow, name),
            )
        except Exception as error:
            log.error(f"Step Functions did not start attempt {number}: {error}")
            resumed = self.executions.get(tenant_id, execution_id)
            start_error = error_from_state({"Error": "StartFailed", "Cause": str(error)})
            self.finalizer.finalize(resumed, ExecutionStatus.FAILED, start_error)
            raise
        finally:
            log.flush()
        return self.get(tenant_id, execution_id)

    @staticmethod
    def _attempts(record: ExecutionRecord) -> builtins.list[Attempt]:
        """The record's attempts; records from before attempts were kept count as one."""
        if record.attempts:
            return [attempt.model_copy() for attempt in record.attempts]
        return [
            Attempt(
                number=1,
                started_at=record.started_at,
                completed_at=record.completed_at,
                status=record.status,
                rerun=[node_id for node_id, _ in record.plan],
            )
        ]

    def record(self, tenant_id: str, execution_id: str) -> ExecutionRecord:
        """The stored execution, reconciled with Step Functions while it still says active."""
        record = self.executions.get(tenant_id, execution_id)
        if not record.status.terminal and record.execution_arn:
            # The current attempt's execution: an earlier attempt's ending says nothing about this one.
            described = self.machines.describe(record.execution_arn)
            if described is None:
                return record  # a resume between recording its attempt and starting it
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
            attempts=record.attempts,
            budget=record.budget,
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
        # Running agents see the cancelled status at their next record boundary and stop there.
        self.finalizer.finalize(record, ExecutionStatus.CANCELLED)
        return self.get(tenant_id, execution_id)
