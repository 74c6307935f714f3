"""Per-agent results of an execution: one item per (execution, node).

Keys: ``run_key`` = ``<tenant>#<execution id>`` (partition) and ``node_id``. One item per node means
parallel agents never write the same item, so no update is lost.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

from agentflow.models import AgentRun, AgentRunStatus, BatchCounts
from agentflow.store.dynamo import TableRepository, from_item, to_item
from agentflow.store.payloads import PayloadStore

# BatchGetItem reads at most 100 keys per call.
BATCH_GET_LIMIT = 100


def run_key(tenant_id: str, execution_id: str) -> str:
    """The partition of one execution's runs."""
    return f"{tenant_id}#{execution_id}"


def batch_scope(execution_id: str, node_id: str) -> str:
    """Where a ``for_each`` node's batch runs live: a partition of their own, keyed like an execution.

    Outside the execution's partition, listing an execution's runs never reads its batches.
    """
    return f"{execution_id}#{node_id}"


def batch_run_id(index: int) -> str:
    """The run item of batch ``index`` (from 0) within its node's batch scope: ``b00012``."""
    return f"{BATCH_RUN_PREFIX}{index:05d}"


BATCH_RUN_PREFIX = "b"


class AgentRunRepository(TableRepository):
    table_setting = "agent_runs_table"

    def __init__(self, table: str | None = None, payloads: PayloadStore | None = None) -> None:
        super().__init__(table)
        self.payloads = payloads or PayloadStore()

    def _key(self, tenant_id: str, execution_id: str, node_id: str) -> dict[str, Any]:
        return to_item({"run_key": run_key(tenant_id, execution_id), "node_id": node_id})

    def _run(self, item: dict[str, Any], with_output: bool = True) -> AgentRun:
        values = from_item(item)
        output = None
        if with_output and values.get("status") == AgentRunStatus.COMPLETED:
            output = self.payloads.get(values.get("output_inline"), values.get("output_ref"))
        return AgentRun(
            agent_id=values["node_id"],
            agent_type=values.get("agent_type", ""),
            status=values["status"],
            started_at=values.get("started_at"),
            completed_at=values.get("completed_at"),
            duration_ms=values.get("duration_ms"),
            input_tokens=values.get("input_tokens", 0),
            output_tokens=values.get("output_tokens", 0),
            tokens=values.get("input_tokens", 0) + values.get("output_tokens", 0),
            cost_usd=values.get("cost_usd", 0.0),
            attempts=values.get("attempts", 0),
            output=output,
            error=json.loads(values["error"]) if values.get("error") else None,
            batches=values.get("batches"),
            progress=self._progress(values) if with_output else {},
        )

    def _progress(self, values: dict[str, Any]) -> dict[str, Any]:
        if values.get("progress_inline") or values.get("progress_ref"):
            return dict(self.payloads.get(values.get("progress_inline"), values.get("progress_ref")) or {})
        return {}

    def get(self, tenant_id: str, execution_id: str, node_id: str) -> AgentRun | None:
        item = self.db.get_item(
            TableName=self.table, Key=self._key(tenant_id, execution_id, node_id), ConsistentRead=True
        ).get("Item")
        return self._run(item) if item else None

    def get_many(self, tenant_id: str, execution_id: str, node_ids: Iterable[str]) -> dict[str, AgentRun]:
        """The stored runs among ``node_ids``, by node id, read consistently in BatchGetItem calls."""
        keys = [self._key(tenant_id, execution_id, node_id) for node_id in dict.fromkeys(node_ids)]
        runs: dict[str, AgentRun] = {}
        for start in range(0, len(keys), BATCH_GET_LIMIT):
            pending: dict[str, Any] = {
                self.table: {"Keys": keys[start : start + BATCH_GET_LIMIT], "ConsistentRead": True}
            }
            while pending:
                response = self.db.batch_get_item(RequestItems=pending)
                for item in response["Responses"].get(self.table, []):
                    run = self._run(item)
                    runs[run.agent_id] = run
                pending = response.get("UnprocessedKeys") or {}
        return runs

    def list(self, tenant_id: str, execution_id: str, with_output: bool = True) -> list[AgentRun]:
        """Every run of the execution, ordered by start (not started last).

        A ``for_each`` node still running reports how its batches stand now.
        """
        runs = list(self.iter_runs(tenant_id, execution_id, with_output=with_output))
        for position, run in enumerate(runs):
            if run.batches is not None and run.status == AgentRunStatus.RUNNING:
                counts = self.batch_counts(tenant_id, execution_id, run.agent_id, run.batches.total)
                runs[position] = run.model_copy(update={"batches": counts})
        return sorted(runs, key=lambda run: (run.started_at is None, run.started_at or "", run.agent_id))

    def iter_runs(
        self, tenant_id: str, execution_id: str, prefix: str = "", with_output: bool = True
    ) -> Iterator[AgentRun]:
        """The runs of a partition in key order, one page in memory at a time (``prefix``: of node ids)."""
        condition, values = "run_key = :key", {":key": run_key(tenant_id, execution_id)}
        if prefix:
            condition, values = condition + " AND begins_with(node_id, :prefix)", values | {":prefix": prefix}
        pages = self.db.get_paginator("query").paginate(
            TableName=self.table,
            KeyConditionExpression=condition,
            ExpressionAttributeValues=to_item(values),
            ConsistentRead=True,
        )
        for page in pages:
            for item in page.get("Items", []):
                yield self._run(item, with_output)

    def batch_statuses(self, tenant_id: str, execution_id: str, node_id: str) -> dict[int, AgentRunStatus]:
        """{batch index: status} of the batches of ``node_id`` that have a run item."""
        pages = self.db.get_paginator("query").paginate(
            TableName=self.table,
            KeyConditionExpression="run_key = :key AND begins_with(node_id, :prefix)",
            ExpressionAttributeValues=to_item(
                {":key": run_key(tenant_id, batch_scope(execution_id, node_id)), ":prefix": BATCH_RUN_PREFIX}
            ),
            ProjectionExpression="node_id, #status",
            ExpressionAttributeNames={"#status": "status"},
            ConsistentRead=True,
        )
        return {
            int(values["node_id"][len(BATCH_RUN_PREFIX) :]): AgentRunStatus(values["status"])
            for page in pages
            for values in map(from_item, page.get("Items", []))
        }

    def batch_counts(self, tenant_id: str, execution_id: str, node_id: str, total: int) -> BatchCounts:
        """How the ``total`` batches of ``node_id`` stand, from their run items."""
        statuses = self.batch_statuses(tenant_id, execution_id, node_id).values()
        return BatchCounts(
            total=total,
            completed=sum(status == AgentRunStatus.COMPLETED for status in statuses),
            failed=sum(status == AgentRunStatus.FAILED for status in statuses),
        )

    def save(self, tenant_id: str, execution_id: str, run: AgentRun) -> None:
        """Write the run's whole item in one put, so a reader never sees half an update.

        A completed run's output goes inline, or to S3 when it outgrows a DynamoDB item.
        """
        values = run.model_dump(mode="json", exclude={"agent_id", "output", "error", "tokens", "progress"})
        values |= {"run_key": run_key(tenant_id, execution_id), "node_id": run.agent_id}
        if run.error is not None:
            values["error"] = run.error.model_dump_json()
        if run.progress and run.status != AgentRunStatus.COMPLETED:
            # Progress grows with every write an agent records (a sent email each): like outputs,
            # it moves to S3 when it outgrows the item.
            values["progress_inline"], values["progress_ref"] = self.payloads.put(
                f"progress/{tenant_id}/{execution_id}/{run.agent_id}.json", run.progress
            )
        if run.status == AgentRunStatus.COMPLETED:
            inline, ref = self.payloads.put(
                f"results/{tenant_id}/{execution_id}/{run.agent_id}.json", run.output
            )
            values["output_inline"], values["output_ref"] = inline, ref
        self.db.put_item(TableName=self.table, Item=to_item(values))

    def mark_unfinished(
        self, tenant_id: str, execution_id: str, node_ids: Iterable[str], status: AgentRunStatus
    ) -> None:
        """Close runs that never finished (their execution stopped) with ``status``."""
        for node_id in node_ids:
            self._close(tenant_id, execution_id, node_id, status)

    def _close(self, tenant_id: str, execution_id: str, node_id: str, status: AgentRunStatus) -> None:
        # A run that finished meanwhile keeps its own status.
        with contextlib.suppress(self.db.exceptions.ConditionalCheckFailedException):
            self.db.update_item(
                TableName=self.table,
                Key=self._key(tenant_id, execution_id, node_id),
                UpdateExpression="SET #status = :status",
                ConditionExpression="#status = :running",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item(
                    {":status": status.value, ":running": AgentRunStatus.RUNNING.value}
                ),
            )
