"""Per-agent results of an execution: one item per (execution, node).

Keys: ``run_key`` = ``<tenant>#<execution id>`` (partition) and ``node_id``. One item per node means
parallel agents never write the same item, so no update is lost.
"""

from __future__ import annotations

import json
from typing import Any

from agentflow.aws import client
from agentflow.models import AgentRun, AgentRunStatus, ExecutionError
from agentflow.settings import get_settings
from agentflow.store.dynamo import from_item, to_item
from agentflow.store.payloads import PayloadStore


def _run_key(tenant_id: str, execution_id: str) -> str:
    return f"{tenant_id}#{execution_id}"


class AgentRunRepository:
    def __init__(self, table: str | None = None, payloads: PayloadStore | None = None) -> None:
        self.table = table or get_settings().agent_runs_table
        self.db = client("dynamodb")
        self.payloads = payloads or PayloadStore()

    def _key(self, tenant_id: str, execution_id: str, node_id: str) -> dict[str, Any]:
        return to_item({"run_key": _run_key(tenant_id, execution_id), "node_id": node_id})

    def _run(self, item: dict[str, Any], with_output: bool = True) -> AgentRun:
        values = from_item(item)
        output = None
        if with_output and values.get("status") == AgentRunStatus.COMPLETED:
            output = self.payloads.get(values.get("output_inline"), values.get("output_ref"))
        return AgentRun(
            agent_id=values["node_id"],
            agent_type=values["agent_type"],
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
        )

    def get(self, tenant_id: str, execution_id: str, node_id: str) -> AgentRun | None:
        item = self.db.get_item(
            TableName=self.table, Key=self._key(tenant_id, execution_id, node_id), ConsistentRead=True
        ).get("Item")
        return self._run(item) if item else None

    def list(self, tenant_id: str, execution_id: str, with_output: bool = True) -> list[AgentRun]:
        """Every run of the execution, ordered by start (not started last)."""
        paginator = self.db.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="run_key = :key",
            ExpressionAttributeValues=to_item({":key": _run_key(tenant_id, execution_id)}),
            ConsistentRead=True,
        )
        runs = [self._run(item, with_output) for page in pages for item in page.get("Items", [])]
        return sorted(runs, key=lambda run: (run.started_at is None, run.started_at or "", run.agent_id))

    def start(self, tenant_id: str, execution_id: str, node_id: str, agent_type: str, started_at: str) -> None:
        """Mark a run as running; the first attempt's start time is kept across retries."""
        self.db.update_item(
            TableName=self.table,
            Key=self._key(tenant_id, execution_id, node_id),
            UpdateExpression=(
                "SET #status = :running, agent_type = :type, started_at = if_not_exists(started_at, :now) "
                "REMOVE #error ADD attempts :one"
            ),
            ExpressionAttributeNames={"#status": "status", "#error": "error"},
            ExpressionAttributeValues=to_item(
                {":running": AgentRunStatus.RUNNING.value, ":type": agent_type, ":now": started_at, ":one": 1}
            ),
        )

    def complete(
        self,
        tenant_id: str,
        execution_id: str,
        node_id: str,
        *,
        output: Any,
        completed_at: str,
        duration_ms: int,
        input_tokens: int,
        output_tokens: int,
        cost_usd: float,
    ) -> None:
        inline, ref = self.payloads.put(f"results/{tenant_id}/{execution_id}/{node_id}.json", output)
        values = {
            ":completed": AgentRunStatus.COMPLETED.value,
            ":at": completed_at,
            ":ms": duration_ms,
            ":in": input_tokens,
            ":out": output_tokens,
            ":cost": cost_usd,
        }
        update = (
            "SET #status = :completed, completed_at = :at, duration_ms = :ms, input_tokens = :in, "
            "output_tokens = :out, cost_usd = :cost"
        )
        if inline is not None:
            update += ", output_inline = :inline"
            values[":inline"] = inline
        else:
            update += ", output_ref = :ref"
            values[":ref"] = ref
        self.db.update_item(
            TableName=self.table,
            Key=self._key(tenant_id, execution_id, node_id),
            UpdateExpression=update,
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=to_item(values),
        )

    def fail(
        self,
        tenant_id: str,
        execution_id: str,
        node_id: str,
        *,
        error: ExecutionError,
        completed_at: str,
        duration_ms: int,
        final: bool,
    ) -> None:
        """Record an attempt's error; ``final`` marks the run failed (else it stays running for a retry)."""
        status = AgentRunStatus.FAILED if final else AgentRunStatus.RUNNING
        self.db.update_item(
            TableName=self.table,
            Key=self._key(tenant_id, execution_id, node_id),
            UpdateExpression="SET #status = :status, #error = :error, completed_at = :at, duration_ms = :ms",
            ExpressionAttributeNames={"#status": "status", "#error": "error"},
            ExpressionAttributeValues=to_item(
                {
                    ":status": status.value,
                    ":error": error.model_dump_json(),
                    ":at": completed_at,
                    ":ms": duration_ms,
                }
            ),
        )

    def mark_unfinished(self, tenant_id: str, execution_id: str, node_ids: list[str], status: AgentRunStatus) -> None:
        """Close runs that never finished (their execution stopped) with ``status``."""
        for node_id in node_ids:
            self._close(tenant_id, execution_id, node_id, status)

    def _close(self, tenant_id: str, execution_id: str, node_id: str, status: AgentRunStatus) -> None:
        try:
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
        except self.db.exceptions.ConditionalCheckFailedException:
            pass  # finished meanwhile: its own status stands
