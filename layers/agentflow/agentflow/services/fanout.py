"""Fan-out of one node over its input records (``for_each``): plan, batches, merge.

The compiler runs a ``for_each`` node as three steps, all on the node's own agent function:

- **plan** reads the node's input, splits its records (the first list of records, where the agent
  reads them) into batches, stores them by reference (:mod:`agentflow.store.batches`) and returns
  only the indexes of the batches still to run: a retried or resumed node re-runs only the batches
  without a completed result;
- each **batch** is one ordinary agent run (:meth:`AgentRunner.run`) on the node's input with only
  that batch's records, with its own run item (``b00012`` in the node's batch scope) and so its own
  progress: a retried batch repeats none of its writes;
- **merge** writes the node's result: lists concatenated in record order, counts summed, usage
  summed, and opens the gates of children waiting for the node.

A failed batch fails the node (its run gets the batch's error) and the Map, hence the execution.
"""

from __future__ import annotations

import math
import time
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from agentflow.agents.items import records_location, with_records
from agentflow.dag import parents_of
from agentflow.errors import AgentError, AgentFlowError, TransientAgentError
from agentflow.execution_log import ExecutionLog
from agentflow.models import (
    AgentNode,
    AgentRun,
    AgentRunStatus,
    ApprovalStatus,
    BatchCounts,
    ExecutionError,
    ForEach,
    isoformat,
    utcnow,
)
from agentflow.observability import emit_agent_metrics
from agentflow.services.agent_runner import AgentRunner, AgentTask
from agentflow.store.batches import BatchInputRepository
from agentflow.store.payloads import dumps
from agentflow.store.runs import BATCH_RUN_PREFIX, AgentRunRepository, batch_run_id, batch_scope

# An Inline Map adds about six events per iteration to the execution's history (25,000 at most):
# beyond this many batches a node needs a larger batch_size or the Distributed Map.
MAX_INLINE_BATCHES = 2_000


class FanOutStep(BaseModel):
    phase: Literal["plan", "batch", "merge"]
    batch: int | None = Field(None, ge=0)
    # How the compiler ran the batches: an inline Map reads the indexes from the plan's result,
    # a Distributed Map from a manifest in S3.
    map: Literal["inline", "distributed"] = "inline"


class FanOutTask(AgentTask):
    """What a step of a ``for_each`` node sends its agent function."""

    fan_out: FanOutStep


def handle(runner: AgentRunner, task: FanOutTask) -> dict[str, Any]:
    """Run one step of a ``for_each`` node."""
    fan_out = FanOut(runner)
    if task.fan_out.phase == "plan":
        return fan_out.plan(task)
    if task.fan_out.phase == "batch":
        if task.fan_out.batch is None:
            raise AgentError("A batch step needs its batch index.")
        return fan_out.batch(task, task.fan_out.batch)
    return fan_out.merge(task)


class FanOut:
    def __init__(self, runner: AgentRunner, inputs: BatchInputRepository | None = None) -> None:
        self.runner = runner
        self.runs = runner.runs
        self.inputs = inputs or BatchInputRepository(payloads=runner.payloads)

    def _node(self, task: AgentTask) -> tuple[AgentNode, ForEach]:
        definition = self.runner._definition(task)
        node = next((n for n in definition.agents if n.id == task.node_id), None)
        if node is None or node.for_each is None:
            raise AgentError(
                f"Workflow version {task.workflow_version} has no for_each agent '{task.node_id}'."
            )
        return node, node.for_each

    def _log(self, task: AgentTask, node: AgentNode) -> ExecutionLog:
        return ExecutionLog(
            task.tenant_id, task.execution_id, task.workflow_id, component=node.type, agent_id=node.id
        )

    def plan(self, task: FanOutTask) -> dict[str, Any]:
        """Split the node's records into stored batches; return the indexes of those still to run."""
        existing = self.runs.get(task.tenant_id, task.execution_id, task.node_id)
        if existing is not None and existing.status == AgentRunStatus.COMPLETED:
            return self._planned(task, [], existing.batches.total if existing.batches else 0)
        node, for_each = self._node(task)
        agent = self.runner.registry.get(node.type)
        config = agent.config_model.model_validate(node.config)
        data = self.runner._input_for(task, parents_of(self.runner._definition(task))[node.id])
        path, records = records_location(data, agent.per_record_keys(config) or ())
        size = for_each.batch_size
        # No records: one batch on the whole input, so the agent itself says what that means.
        batches = [records[start : start + size] for start in range(0, len(records), size)] or [records]
        if task.fan_out.map == "inline" and len(batches) > MAX_INLINE_BATCHES:
            raise AgentError(
                f"Agent '{node.id}': {len(records)} records make {len(batches)} batches of {size}; an inline "
                f"Map runs at most {MAX_INLINE_BATCHES}. Raise for_each.batch_size to at least "
                f"{math.ceil(len(records) / MAX_INLINE_BATCHES)}."
            )
        base = with_records(data, path, [])
        self.inputs.save(task.tenant_id, task.execution_id, node.id, base, path, batches)
        statuses = self.runs.batch_statuses(task.tenant_id, task.execution_id, node.id)
        pending = [index for index in range(len(batches)) if statuses.get(index) != AgentRunStatus.COMPLETED]
        run = AgentRun(
            agent_id=node.id,
            agent_type=node.type,
            status=AgentRunStatus.RUNNING,
            started_at=existing.started_at if existing else isoformat(utcnow()),
            attempts=(existing.attempts if existing else 0) + 1,
            batches=BatchCounts(total=len(batches), completed=len(batches) - len(pending)),
        )
        self.runs.save(task.tenant_id, task.execution_id, run)
        log = self._log(task, node)
        where = ".".join(path) or "its input"
        log.info(
            f"Agent {node.id} ({node.type}) started: {len(records)} records of {where} in "
            f"{len(batches)} batches of up to {size}, {for_each.max_concurrency} at a time"
            + (f"; {len(batches) - len(pending)} already completed" if len(pending) < len(batches) else "")
        )
        log.flush()
        return self._planned(task, pending, len(batches))

    def _planned(self, task: FanOutTask, pending: list[int], total: int) -> dict[str, Any]:
        if task.fan_out.map == "inline":
            return {"batches": pending, "total": total}
        # A Distributed Map reads its items from S3: the state payload stays small at any count.
        key = f"batches/{task.tenant_id}/{task.execution_id}/{task.node_id}/manifest.json"
        self.runner.payloads.put_object(key, dumps(pending))
        return {"bucket": self.runner.payloads.bucket, "key": key, "total": total}

    def batch(self, task: FanOutTask, index: int) -> dict[str, Any]:
        """Run batch ``index`` as an agent run of its own; a failure also fails the node."""
        scoped = _BatchRunner(self.runner, self.inputs, task.node_id, index)
        try:
            scoped.run(task)
        except Exception as error:
            if not isinstance(error, TransientAgentError):
                self._fail(task, index, error)
            raise
        return {"node_id": task.node_id, "batch": index, "status": "completed"}

    def _fail(self, task: FanOutTask, index: int, error: Exception) -> None:
        node_run = self.runs.get(task.tenant_id, task.execution_id, task.node_id)
        if node_run is None or node_run.status == AgentRunStatus.COMPLETED:
            return
        total = node_run.batches.total if node_run.batches else 0
        message = error.message if isinstance(error, AgentFlowError) else f"{type(error).__name__}: {error}"
        failed = node_run.model_copy(
            update={
                "status": AgentRunStatus.FAILED,
                "error": ExecutionError(
                    agent_id=task.node_id,
                    type=type(error).__name__,
                    message=f"Batch {index + 1} of {total} failed: {message}",
                ),
                "completed_at": isoformat(utcnow()),
                "duration_ms": _since(node_run.started_at),
                "batches": self.runs.batch_counts(task.tenant_id, task.execution_id, task.node_id, total),
            }
        )
        self.runs.save(task.tenant_id, task.execution_id, failed)

    def merge(self, task: FanOutTask) -> dict[str, Any]:
        """Write the node's output from its batches' outputs, in record order; open children's gates."""
        definition = self.runner._definition(task)
        node_run = self.runs.get(task.tenant_id, task.execution_id, task.node_id)
        if node_run is None or node_run.batches is None:
            raise AgentError(f"Agent '{task.node_id}' has no planned batches for this execution.")
        if node_run.status == AgentRunStatus.COMPLETED:
            self.runner._release(task, definition)
            return {"node_id": task.node_id, "status": "completed", "reused": True}
        node, _ = self._node(task)
        clock = time.perf_counter()
        merged: Any = None
        seen = input_tokens = output_tokens = 0
        cost = 0.0
        scope = batch_scope(task.execution_id, node.id)
        # One page of batch results in memory at a time; the merged output is the only whole.
        for batch_run in self.runs.iter_runs(task.tenant_id, scope, prefix=BATCH_RUN_PREFIX):
            if batch_run.status != AgentRunStatus.COMPLETED:
                raise AgentError(f"Agent '{node.id}': batch {batch_run.agent_id} has no completed result.")
            merged = merge_outputs(merged, batch_run.output)
            seen += 1
            input_tokens += batch_run.input_tokens
            output_tokens += batch_run.output_tokens
            cost += batch_run.cost_usd
        total = node_run.batches.total
        if seen != total:
            raise AgentError(f"Agent '{node.id}': {seen} of {total} batches have a result.")
        duration = _since(node_run.started_at) or 0
        completed = node_run.model_copy(
            update={
                "status": AgentRunStatus.COMPLETED,
                "error": None,
                "completed_at": isoformat(utcnow()),
                "duration_ms": duration,
                "input_tokens": input_tokens,
                "output_tokens": output_tokens,
                "tokens": input_tokens + output_tokens,
                "cost_usd": cost,
                "output": merged,
                "batches": BatchCounts(total=total, completed=total),
            }
        )
        self.runs.save(task.tenant_id, task.execution_id, completed)
        self.runner._release(task, definition)
        log = self._log(task, node)
        log.info(
            f"Agent {node.id} completed in {duration} ms: {total} batches merged in "
            f"{int((time.perf_counter() - clock) * 1000)} ms ({completed.tokens} tokens, ${cost:.4f})"
        )
        log.flush()
        emit_agent_metrics(node.type, duration, completed.tokens, cost)
        return {"node_id": node.id, "status": "completed", "duration_ms": duration}


def merge_outputs(merged: Any, output: Any) -> Any:
    """Fold one batch's output into the outputs merged so far (``None`` before the first).

    Lists are concatenated (batches come in record order), numbers summed, objects merged key by
    key with the same rules; anything else (a mode, a channel, a flag) keeps the first batch's value.
    """
    if merged is None:
        return output
    if isinstance(merged, dict) and isinstance(output, dict):
        for key, value in output.items():
            merged[key] = merge_outputs(merged[key], value) if key in merged else value
        return merged
    if isinstance(merged, list) and isinstance(output, list):
        merged.extend(output)
        return merged
    if _number(merged) and _number(output):
        return merged + output
    return merged


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _since(started_at: str | None) -> int | None:
    if not started_at:
        return None
    return int((utcnow() - datetime.fromisoformat(started_at)).total_seconds() * 1000)


class _BatchRuns(AgentRunRepository):
    """The node's runs as one batch's agent run sees them: its own item in the node's batch scope."""

    def __init__(self, runs: AgentRunRepository, node_id: str, index: int) -> None:
        super().__init__(runs._table, runs.payloads)
        self.node_id = node_id
        self.run_id = batch_run_id(index)

    def get(self, tenant_id: str, execution_id: str, node_id: str) -> AgentRun | None:
        return super().get(tenant_id, batch_scope(execution_id, self.node_id), self.run_id)

    def save(
        self,
        tenant_id: str,
        execution_id: str,
        run: AgentRun,
        expect_approval: ApprovalStatus | None = None,
    ) -> bool:
        scope = batch_scope(execution_id, self.node_id)
        return super().save(
            tenant_id, scope, run.model_copy(update={"agent_id": self.run_id}), expect_approval
        )


class _BatchRunner(AgentRunner):
    """An agent runner for one batch: its run item and input are the batch's, it opens no gates."""

    def __init__(self, runner: AgentRunner, inputs: BatchInputRepository, node_id: str, index: int) -> None:
        batch_runs = _BatchRuns(runner.runs, node_id, index)
        super().__init__(runner.workflows, runner.executions, batch_runs, runner.payloads, runner.registry)
        self._definitions = runner._definitions  # the warm container's cache, shared
        self.inputs = inputs
        self.index = index

    def _stored_runs(self, task: AgentTask, parents: list[str]) -> tuple[AgentRun | None, None]:
        # The batch's own run item; its input is the batch's records, not the parents' outputs.
        return self.runs.get(task.tenant_id, task.execution_id, task.node_id), None

    def _input_for(self, task: AgentTask, parents: list[str], runs: dict[str, AgentRun] | None = None) -> Any:
        return self.inputs.get(task.tenant_id, task.execution_id, task.node_id, self.index)

    @staticmethod
    def _release(task: AgentTask, definition: Any) -> None:
        """Batches open no gates: the merge step does, once the node completed."""
