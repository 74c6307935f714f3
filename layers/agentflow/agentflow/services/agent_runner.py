"""Run one agent of one execution: the body of every agent Lambda.

Inputs come from the results store, not the Step Functions payload (data passes by reference);
the output goes back there and the state machine only sees a small reference.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from agentflow.agents.base import AgentContext, Usage
from agentflow.connectors.factory import ConnectorFactory
from agentflow.dag import parents_of
from agentflow.errors import (
    AgentError,
    AgentFlowError,
    BudgetPauseError,
    ExecutionStoppedError,
    TransientAgentError,
)
from agentflow.execution_log import ExecutionLog
from agentflow.models import (
    AgentRun,
    AgentRunStatus,
    Approval,
    ExecutionError,
    WorkflowDefinition,
    isoformat,
    utcnow,
)
from agentflow.observability import emit_agent_metrics, logger
from agentflow.registry import REGISTRY, AgentRegistry
from agentflow.services import gates, retrieval
from agentflow.services.approvals import APPROVAL_TYPE, BUDGET_APPROVAL_SECONDS, payload_digest
from agentflow.settings import get_settings
from agentflow.sfn import StateMachines
from agentflow.store.executions import ExecutionRepository
from agentflow.store.payloads import PayloadStore
from agentflow.store.runs import AgentRunRepository
from agentflow.store.workflows import WorkflowRepository

# Retry-After hints up to this long are honoured inside the Lambda before its error goes back.
MAX_RETRY_AFTER_WAIT_SECONDS = 20.0
# Workflow versions a warm agent container keeps (a version is immutable once stored).
DEFINITION_CACHE_SIZE = 32


class AgentTask(gates.NodeEvent):
    """What the state machine sends an agent Lambda."""

    # The children waiting at a start gate that this node may open once it completed.
    release: list[str] = Field(default_factory=list)
    # The Step Functions execution name of the attempt that sent the task.
    attempt: str | None = None
    # Set for ``.waitForTaskToken`` tasks: approval nodes and budget gates.
    task_token: str | None = None
    budget_gate: bool = False


class AgentRunner:
    def __init__(
        self,
        workflows: WorkflowRepository | None = None,
        executions: ExecutionRepository | None = None,
        runs: AgentRunRepository | None = None,
        payloads: PayloadStore | None = None,
        registry: AgentRegistry = REGISTRY,
        machines: StateMachines | None = None,
    ) -> None:
        self.workflows = workflows or WorkflowRepository()
        self.executions = executions or ExecutionRepository()
        self.runs = runs or AgentRunRepository()
        self.payloads = payloads or PayloadStore()
        self.registry = registry
        self.machines = machines or StateMachines()
        self._definitions: dict[tuple[str, str, int], WorkflowDefinition] = {}

    def _definition(self, task: AgentTask) -> WorkflowDefinition:
        """The workflow version the execution runs; versions never change, so a warm container reads
        each once (the next nodes of the execution skip a GetItem)."""
        key = (task.tenant_id, task.workflow_id, task.workflow_version)
        definition = self._definitions.get(key)
        if definition is None:
            definition = self.workflows.get_version(*key).workflow
            if len(self._definitions) >= DEFINITION_CACHE_SIZE:
                self._definitions.pop(next(iter(self._definitions)))
            self._definitions[key] = definition
        return definition

    def _stored_runs(
        self, task: AgentTask, parents: list[str]
    ) -> tuple[AgentRun | None, dict[str, AgentRun] | None]:
        """The node's own run (an earlier attempt's) and its parents' runs, in one BatchGetItem."""
        runs = self.runs.get_many(task.tenant_id, task.execution_id, [task.node_id, *parents])
        return runs.pop(task.node_id, None), runs

    def _input_for(self, task: AgentTask, parents: list[str], runs: dict[str, AgentRun] | None = None) -> Any:
        """Root: the execution input; one parent: its output; several: {parent id: output}.

        ``runs``: the parents' runs when the caller already read them.
        """
        if not parents:
            record = self.executions.get(task.tenant_id, task.execution_id)
            return self.payloads.get(record.input_inline, record.input_ref)
        if runs is None:
            # One BatchGetItem for every parent, not a GetItem each.
            runs = self.runs.get_many(task.tenant_id, task.execution_id, parents)
        outputs = {}
        for parent in parents:
            run = runs.get(parent)
            if run is None or run.status != AgentRunStatus.COMPLETED:
                raise AgentError(f"Parent agent '{parent}' has no completed result for this execution.")
            outputs[parent] = run.output
        return outputs[parents[0]] if len(parents) == 1 else outputs

    @staticmethod
    def _release(task: AgentTask, definition: WorkflowDefinition) -> None:
        """Open the start gates of the children that were waiting for this node (and are ready)."""
        parents = parents_of(definition)
        gates.release(task.tenant_id, task.execution_id, {child: parents[child] for child in task.release})

    @staticmethod
    def _respect_retry_after(error: Exception, log: ExecutionLog) -> None:
        """Wait out a vendor's short Retry-After here: the state machine's Retry interval is fixed.

        Longer hints are left to the Retry's backoff rather than holding the Lambda idle.
        """
        retry_after = getattr(error, "retry_after", None)
        if retry_after and 0 < retry_after <= MAX_RETRY_AFTER_WAIT_SECONDS:
            log.info(f"Waiting {retry_after:g} s as the vendor asked (Retry-After) before the retry")
            time.sleep(retry_after)

    def run(self, task: AgentTask) -> dict[str, Any]:
        """Run the node once; a node that already completed returns its reference without running.

        An approval node stores its request and leaves the task waiting for the decision route; a
        budget gate (``task.budget_gate``) asks for a budget decision on a node that paused.
        """
        if task.budget_gate:
            return self._request_budget_decision(task)
        definition = self._definition(task)
        parents = parents_of(definition).get(task.node_id, [])
        existing, parent_runs = self._stored_runs(task, parents)
        if existing is not None and existing.status == AgentRunStatus.COMPLETED:
            logger.info("Result already stored; not running again", extra={"node_id": task.node_id})
            if task.task_token:
                # An approval decided in an earlier attempt: its task need not wait again.
                self.machines.send_task_success(task.task_token, {"node_id": task.node_id, "reused": True})
            if task.release:
                self._release(task, definition)
            return {"node_id": task.node_id, "status": "completed", "reused": True}

        node = next((n for n in definition.agents if n.id == task.node_id), None)
        if node is None:
            raise AgentError(f"Workflow version {task.workflow_version} has no agent '{task.node_id}'.")
        settings = get_settings()
        if settings.agent_type and node.type != settings.agent_type:
            raise AgentError(f"This function runs '{settings.agent_type}' agents, not '{node.type}'.")

        log = ExecutionLog(
            task.tenant_id, task.execution_id, task.workflow_id, component=node.type, agent_id=node.id
        )
        clock = time.perf_counter()
        # A retry keeps the first attempt's start, so the timeline shows the whole time spent.
        run = AgentRun(
            agent_id=node.id,
            agent_type=node.type,
            status=AgentRunStatus.RUNNING,
            started_at=existing.started_at if existing else isoformat(utcnow()),
            attempts=(existing.attempts if existing else 0) + 1,
            progress=existing.progress if existing else {},
            # A budget decision stays visible on the node it let continue.
            approval=existing.approval if existing and node.type != APPROVAL_TYPE else None,
            approval_payload=existing.approval_payload if existing and node.type != APPROVAL_TYPE else None,
        )
        self.runs.save(task.tenant_id, task.execution_id, run)
        log.info(f"Agent {node.id} ({node.type}) started")
        # Tokens an earlier attempt paid stay counted: a run's total is every token paid once.
        usage = Usage(
            input_tokens=existing.input_tokens if existing else 0,
            output_tokens=existing.output_tokens if existing else 0,
            cost_usd=existing.cost_usd if existing else 0.0,
        )
        progress = dict(run.progress)

        def elapsed_ms() -> int:
            return int((time.perf_counter() - clock) * 1000)

        try:
            agent_class = self.registry.get(node.type)
            try:
                config = agent_class.config_model.model_validate(node.config)
            except ValidationError as error:
                raise AgentError(
                    f"Invalid config for agent '{node.id}': {error.errors()[0]['msg']}"
                ) from None
            data = self._input_for(task, parents, parent_runs)
            connectors = ConnectorFactory(settings, task.tenant_id, mode=config.connector_mode)
            run.connector_mode = "sandbox" if connectors.sandbox else "live"
            ctx = AgentContext(
                tenant_id=task.tenant_id,
                execution_id=task.execution_id,
                workflow_id=task.workflow_id,
                node_id=node.id,
                settings=settings,
                log=log,
                connectors=connectors,
                usage=usage,
                progress=progress,
                attempt=run.attempts,
                progress_saver=partial(self._save_progress, task, run),
                document_search=partial(retrieval.search, task.tenant_id),
                budget_guard=self._budget_guard(task, definition),
                stop_check=partial(self._stop_check, task),
            )
            result = agent_class().run(config, data, ctx)
        except Exception as error:
            self._record_interruption(task, run, error, usage, progress, elapsed_ms(), log)
            raise

        if node.type == APPROVAL_TYPE:
            return self._request_approval(task, run, result, config, progress, log)

        duration = elapsed_ms()
        completed = run.model_copy(
            update={
                "status": AgentRunStatus.COMPLETED,
                "completed_at": isoformat(utcnow()),
                "duration_ms": duration,
                "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens,
                "tokens": usage.tokens,
                "cost_usd": usage.cost_usd,
                "output": result.model_dump(mode="json"),
            }
        )
        self.runs.save(task.tenant_id, task.execution_id, completed)
        self._release(task, definition)
        log.info(f"Agent {node.id} completed in {duration} ms ({usage.tokens} tokens, ${usage.cost_usd:.4f})")
        log.flush()
        emit_agent_metrics(node.type, duration, usage.tokens, usage.cost_usd)
        return {"node_id": node.id, "status": "completed", "duration_ms": duration}

    def _save_progress(self, task: AgentTask, run: AgentRun, progress: dict[str, Any]) -> None:
        self.runs.save(task.tenant_id, task.execution_id, run.model_copy(update={"progress": progress}))

    def _record_interruption(
        self,
        task: AgentTask,
        run: AgentRun,
        error: Exception,
        usage: Usage,
        progress: dict[str, Any],
        duration_ms: int,
        log: ExecutionLog,
    ) -> None:
        """Store what the attempt did before ``error`` (progress and paid tokens) and say why it ended.

        A transient error or a budget pause leaves the run open (the state machine retries it or
        routes it to its budget gate); a stop cancels it; anything else fails it.
        """
        message = error.message if isinstance(error, AgentFlowError) else f"{type(error).__name__}: {error}"
        status = AgentRunStatus.FAILED
        if isinstance(error, TransientAgentError | BudgetPauseError):
            status = AgentRunStatus.RUNNING
        elif isinstance(error, ExecutionStoppedError):
            status = AgentRunStatus.CANCELLED
        interrupted = run.model_copy(
            update={
                "status": status,
                "error": ExecutionError(agent_id=run.agent_id, type=type(error).__name__, message=message),
                "completed_at": isoformat(utcnow()),
                "duration_ms": duration_ms,
                "progress": progress,
                "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens,
                "tokens": usage.tokens,
                "cost_usd": usage.cost_usd,
            }
        )
        self.runs.save(task.tenant_id, task.execution_id, interrupted)
        if isinstance(error, TransientAgentError):
            log.warning(f"Agent {run.agent_id} hit a transient error and will be retried: {message}")
            self._respect_retry_after(error, log)
        elif isinstance(error, BudgetPauseError):
            log.warning(f"Agent {run.agent_id} paused before a model call: {message}")
        elif isinstance(error, ExecutionStoppedError):
            log.warning(f"Agent {run.agent_id} stopped: {message}")
        else:
            log.error(f"Agent {run.agent_id} failed: {message}")
        log.flush()

    def _stop_check(self, task: AgentTask) -> None:
        """Raise :class:`ExecutionStoppedError` once the execution ended (was stopped) under the agent,
        or a resume made another attempt the current one (two attempts never write side by side)."""
        status, execution_arn = self.executions.status(task.tenant_id, task.execution_id)
        superseded = bool(task.attempt and execution_arn and not execution_arn.endswith(f":{task.attempt}"))
        if status.terminal or superseded:
            run = self.runs.get(task.tenant_id, task.execution_id, task.node_id)
            writes = sum(len(items) for items in (run.progress if run else {}).values())
            why = f"is {status.value}" if status.terminal else "continues in a newer attempt"
            raise ExecutionStoppedError(
                f"The execution {why}; the agent stopped after {writes} recorded writes."
            )

    def _budget_guard(
        self, task: AgentTask, definition: WorkflowDefinition
    ) -> Callable[[int, Usage], None] | None:
        """A check that raises :class:`BudgetPauseError` before a call that could pass the run's budget.

        The budget is the execution's (the workflow's, as approvals raised it); what other nodes
        spent is read once, when this node starts.
        """
        if definition.budget is None:
            return None
        record = self.executions.get(task.tenant_id, task.execution_id)
        budget = record.budget or definition.budget
        others = [
            run
            for run in self.runs.list(task.tenant_id, task.execution_id, with_output=False)
            if run.agent_id != task.node_id
        ]
        spent_tokens = sum(run.tokens for run in others)
        spent_cost = sum(run.cost_usd for run in others)
        settings = get_settings()

        def guard(call_tokens: int, usage: Usage) -> None:
            from agentflow.llm import OFFLINE_MODEL_ID, price_for

            tokens = spent_tokens + usage.tokens
            if budget.max_tokens is not None and tokens + call_tokens > budget.max_tokens:
                raise BudgetPauseError(
                    f"The run has used {tokens} of its {budget.max_tokens} tokens and the next model "
                    f"call may use up to {call_tokens}."
                )
            if budget.max_cost_usd is not None:
                offline = settings.llm_provider == "offline"
                price = price_for(OFFLINE_MODEL_ID if offline else settings.llm_model_id, settings.llm_prices)
                worst = call_tokens * max(price.input_per_million, price.output_per_million) / 1e6
                cost = spent_cost + usage.cost_usd
                if cost + worst > budget.max_cost_usd:
                    raise BudgetPauseError(
                        f"The run has spent ${cost:.4f} of its ${budget.max_cost_usd:.4f} and the next "
                        f"model call may cost up to ${worst:.4f}."
                    )

        return guard

    def _wait_for_decision(
        self, task: AgentTask, run: AgentRun, approval: Approval, payload: Any, log: ExecutionLog
    ) -> dict[str, Any]:
        """Store the pending approval with the task token to answer, and mark the execution waiting."""
        waiting = run.model_copy(
            update={
                "status": AgentRunStatus.WAITING_APPROVAL,
                "approval": approval,
                "task_token": task.task_token,
                "approval_payload": payload,
                "error": None,
            }
        )
        self.runs.save(task.tenant_id, task.execution_id, waiting)
        self.executions.set_waiting(task.tenant_id, task.execution_id, True)
        log.info(
            f"Approval ({approval.reason}) requested on {run.agent_id}: {approval.message} "
            f"(digest {approval.payload_digest}, decide by {approval.expires_at})"
        )
        log.flush()
        return {"node_id": run.agent_id, "status": AgentRunStatus.WAITING_APPROVAL.value}

    def _request_approval(
        self,
        task: AgentTask,
        run: AgentRun,
        result: BaseModel,
        config: Any,
        progress: dict[str, Any],
        log: ExecutionLog,
    ) -> dict[str, Any]:
        """An approval node: ask for a decision on its input (``result.payload``)."""
        request = result.model_dump(mode="json")
        now = utcnow()
        approval = Approval(
            reason="approval_node",
            message=request["message"],
            payload_digest=payload_digest(request["payload"]),
            requested_at=isoformat(now),
            expires_at=isoformat(now + timedelta(seconds=config.timeout_seconds)),
            on_timeout=config.on_timeout,
            workflow_id=task.workflow_id,
        )
        run = run.model_copy(update={"progress": progress})
        return self._wait_for_decision(task, run, approval, request["payload"], log)

    def _request_budget_decision(self, task: AgentTask) -> dict[str, Any]:
        """A node paused on its budget: ask whether the run may spend more."""
        run = self.runs.get(task.tenant_id, task.execution_id, task.node_id)
        if run is None:
            raise AgentError(f"Agent '{task.node_id}' has no run to continue in this execution.")
        record = self.executions.get(task.tenant_id, task.execution_id)
        runs = self.runs.list(task.tenant_id, task.execution_id, with_output=False)
        budget = record.budget.model_dump(exclude_none=True) if record.budget else {}
        payload = {
            "node_id": task.node_id,
            "budget": budget,
            "spent": {
                "tokens": sum(item.tokens for item in runs),
                "cost_usd": round(sum(item.cost_usd for item in runs), 6),
            },
            "paused_because": run.error.message if run.error else "",
        }
        now = utcnow()
        approval = Approval(
            reason="budget",
            message=f"Agent {task.node_id} paused: its next model call could take the run past its budget.",
            payload_digest=payload_digest(payload),
            requested_at=isoformat(now),
            expires_at=isoformat(now + timedelta(seconds=BUDGET_APPROVAL_SECONDS)),
            workflow_id=task.workflow_id,
        )
        log = ExecutionLog(
            task.tenant_id, task.execution_id, task.workflow_id, component="budget", agent_id=task.node_id
        )
        return self._wait_for_decision(task, run, approval, payload, log)
