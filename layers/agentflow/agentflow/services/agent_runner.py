"""Run one agent of one execution: the body of every agent Lambda.

Inputs come from the results store, not the Step Functions payload (data passes by reference);
the output goes back there and the state machine only sees a small reference.
"""

from __future__ import annotations

import time
from functools import partial
from typing import Any

from pydantic import Field, ValidationError

from agentflow.agents.base import AgentContext, Usage
from agentflow.connectors.factory import ConnectorFactory
from agentflow.dag import parents_of
from agentflow.errors import AgentError, AgentFlowError, TransientAgentError
from agentflow.execution_log import ExecutionLog
from agentflow.models import AgentRun, AgentRunStatus, ExecutionError, WorkflowDefinition, isoformat, utcnow
from agentflow.observability import emit_agent_metrics, logger
from agentflow.registry import REGISTRY, AgentRegistry
from agentflow.services import gates, retrieval
from agentflow.settings import get_settings
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


class AgentRunner:
    def __init__(
        self,
        workflows: WorkflowRepository | None = None,
        executions: ExecutionRepository | None = None,
        runs: AgentRunRepository | None = None,
        payloads: PayloadStore | None = None,
        registry: AgentRegistry = REGISTRY,
    ) -> None:
        self.workflows = workflows or WorkflowRepository()
        self.executions = executions or ExecutionRepository()
        self.runs = runs or AgentRunRepository()
        self.payloads = payloads or PayloadStore()
        self.registry = registry
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

    def _input_for(self, task: AgentTask, parents: list[str]) -> Any:
        """Root: the execution input; one parent: its output; several: {parent id: output}."""
        if not parents:
            record = self.executions.get(task.tenant_id, task.execution_id)
            return self.payloads.get(record.input_inline, record.input_ref)
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
        """Run the node once; a node that already completed returns its reference without running."""
        existing = self.runs.get(task.tenant_id, task.execution_id, task.node_id)
        if existing is not None and existing.status == AgentRunStatus.COMPLETED:
            logger.info("Result already stored; not running again", extra={"node_id": task.node_id})
            if task.release:
                self._release(task, self._definition(task))
            return {"node_id": task.node_id, "status": "completed", "reused": True}

        definition = self._definition(task)
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
        )
        self.runs.save(task.tenant_id, task.execution_id, run)
        log.info(f"Agent {node.id} ({node.type}) started")
        usage = Usage()
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
            data = self._input_for(task, parents_of(definition)[node.id])
            ctx = AgentContext(
                tenant_id=task.tenant_id,
                execution_id=task.execution_id,
                workflow_id=task.workflow_id,
                node_id=node.id,
                settings=settings,
                log=log,
                connectors=ConnectorFactory(settings, task.tenant_id, mode=config.connector_mode),
                usage=usage,
                progress=progress,
                attempt=run.attempts,
                progress_saver=lambda progress: self.runs.save(
                    task.tenant_id, task.execution_id, run.model_copy(update={"progress": progress})
                ),
                document_search=partial(retrieval.search, task.tenant_id),
            )
            result = agent_class().run(config, data, ctx)
        except Exception as error:
            transient = isinstance(error, TransientAgentError)
            message = (
                error.message if isinstance(error, AgentFlowError) else f"{type(error).__name__}: {error}"
            )
            failed = run.model_copy(
                update={
                    # A transient error leaves the run open for the state machine's retry.
                    "status": AgentRunStatus.RUNNING if transient else AgentRunStatus.FAILED,
                    "error": ExecutionError(agent_id=node.id, type=type(error).__name__, message=message),
                    "completed_at": isoformat(utcnow()),
                    "duration_ms": elapsed_ms(),
                    "progress": progress,
                }
            )
            self.runs.save(task.tenant_id, task.execution_id, failed)
            if transient:
                log.warning(f"Agent {node.id} hit a transient error and will be retried: {message}")
                self._respect_retry_after(error, log)
            else:
                log.error(f"Agent {node.id} failed: {message}")
            log.flush()
            raise

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
