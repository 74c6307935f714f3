"""Per-agent results of an execution: one item per (execution, node).

Keys: ``run_key`` = ``<tenant>#<execution id>`` (partition) and ``node_id``. One item per node means
parallel agents never write the same item, so no update is lost. A run that asked for an approval
also carries ``approval_tenant`` and ``approval_order`` (``<requested at>#<execution>#<node>``), the
keys of the sparse GSI ``approvals`` that lists a tenant's approvals oldest first.
"""

from __future__ import annotations

import builtins
import contextlib
import json
from collections.abc import Iterable, Iterator
from typing import Any

from agentflow.models import AgentRun, AgentRunStatus, Approval, ApprovalStatus, BatchCounts
from agentflow.store.dynamo import TableRepository, batch_get, decode_token, encode_token, from_item, to_item
from agentflow.store.payloads import PayloadStore

PENDING_PARTITION = "pending"


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
            connector_mode=values.get("connector_mode"),
            approval=self._approval(values),
            reused=values.get("reused", False),
            batches=values.get("batches"),
            progress=self._progress(values) if with_output else {},
            task_token=values.get("task_token"),
            approval_payload=(
                self.payloads.get(values.get("approval_payload_inline"), values.get("approval_payload_ref"))
                if with_output and values.get("approval")
                else None
            ),
        )

    @staticmethod
    def _approval(values: dict[str, Any]) -> Approval | None:
        if not values.get("approval"):
            return None
        approval = json.loads(values["approval"])
        return Approval.model_validate(
            {
                **approval,
                "on_timeout": values.get("approval_on_timeout", "reject"),
                "workflow_id": values.get("workflow_id"),
            }
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
        runs = [self._run(item) for item in batch_get(self.db, self.table, keys)]
        return {run.agent_id: run for run in runs}

    def list(self, tenant_id: str, execution_id: str, with_output: bool = True) -> builtins.list[AgentRun]:
        """Every run of the execution, ordered by start (not started last).

        A ``for_each`` node still running reports how its batches stand now.
        """
        runs = builtins.list(self.iter_runs(tenant_id, execution_id, with_output=with_output))
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

    def save(
        self,
        tenant_id: str,
        execution_id: str,
        run: AgentRun,
        expect_approval: ApprovalStatus | None = None,
    ) -> bool:
        """Write the run's whole item in one put, so a reader never sees half an update.

        A completed run's output goes inline, or to S3 when it outgrows a DynamoDB item. With
        ``expect_approval`` the put happens only while the stored approval has that status (one
        decision wins); returns whether it was written.
        """
        values = run.model_dump(
            mode="json",
            exclude={"agent_id", "output", "error", "tokens", "progress", "approval", "task_token"},
        )
        values |= {"run_key": run_key(tenant_id, execution_id), "node_id": run.agent_id}
        if run.error is not None:
            values["error"] = run.error.model_dump_json()
        if run.approval is not None:
            values |= self._approval_values(tenant_id, execution_id, run, run.approval)
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
        condition: dict[str, Any] = {}
        if expect_approval is not None:
            condition = {
                "ConditionExpression": "approval_status = :expected",
                "ExpressionAttributeValues": {":expected": {"S": expect_approval.value}},
            }
        try:
            self.db.put_item(TableName=self.table, Item=to_item(values), **condition)
        except self.db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def _approval_values(
        self, tenant_id: str, execution_id: str, run: AgentRun, approval: Approval
    ) -> dict[str, Any]:
        values: dict[str, Any] = {
            "approval": approval.model_dump_json(),
            "approval_status": approval.status.value,
            "approval_on_timeout": approval.on_timeout,
            "workflow_id": approval.workflow_id,
            "approval_tenant": tenant_id,
            "approval_order": f"{approval.requested_at}#{execution_id}#{run.agent_id}",
            "task_token": run.task_token,
        }
        if approval.status is ApprovalStatus.PENDING and approval.expires_at:
            values |= {"approval_pending": PENDING_PARTITION, "approval_expires_at": approval.expires_at}
        values["approval_payload_inline"], values["approval_payload_ref"] = self.payloads.put(
            f"approvals/{tenant_id}/{execution_id}/{run.agent_id}.json", run.approval_payload
        )
        return values

    def approvals(
        self,
        tenant_id: str,
        *,
        status: ApprovalStatus | None,
        workflow_id: str | None,
        limit: int,
        next_token: str | None,
    ) -> tuple[builtins.list[tuple[str, AgentRun]], str | None]:
        """The tenant's approvals oldest first, as (execution id, run). Filters may return short pages."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": "approvals",
            "KeyConditionExpression": "approval_tenant = :tenant",
            "ExpressionAttributeValues": {":tenant": {"S": tenant_id}},
            "Limit": limit,
        }
        filters = []
        if status is not None:
            filters.append("approval_status = :status")
            kwargs["ExpressionAttributeValues"][":status"] = {"S": status.value}
        if workflow_id:
            filters.append("workflow_id = :workflow")
            kwargs["ExpressionAttributeValues"][":workflow"] = {"S": workflow_id}
        if filters:
            kwargs["FilterExpression"] = " AND ".join(filters)
        start = decode_token(next_token, partition_attr="approval_tenant", partition_value=tenant_id)
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = self.db.query(**kwargs)
        found = [
            (from_item(item)["run_key"].split("#", 1)[1], self._run(item)) for item in page.get("Items", [])
        ]
        return found, encode_token(page.get("LastEvaluatedKey"))

    def expired_approvals(self, now: str, limit: int = 100) -> builtins.list[tuple[str, str, AgentRun]]:
        """Pending approvals of every tenant whose deadline passed, as (tenant, execution id, run)."""
        page = self.db.query(
            TableName=self.table,
            IndexName="pending_approvals",
            KeyConditionExpression="approval_pending = :p AND approval_expires_at <= :now",
            ExpressionAttributeValues=to_item({":p": PENDING_PARTITION, ":now": now}),
            Limit=limit,
        )
        expired = []
        for item in page.get("Items", []):
            tenant_id, execution_id = from_item(item)["run_key"].split("#", 1)
            expired.append((tenant_id, execution_id, self._run(item)))
        return expired

    def mark_reused(
        self, tenant_id: str, execution_id: str, node_ids: Iterable[str], reused: set[str]
    ) -> None:
        """Flag which runs a new attempt reuses (completed ones) and which it runs again."""
        for node_id in node_ids:
            self.db.update_item(
                TableName=self.table,
                Key=self._key(tenant_id, execution_id, node_id),
                UpdateExpression="SET reused = :reused",
                ExpressionAttributeValues={":reused": {"BOOL": node_id in reused}},
            )

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
                ConditionExpression="#status IN (:running, :waiting)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=to_item(
                    {
                        ":status": status.value,
                        ":running": AgentRunStatus.RUNNING.value,
                        ":waiting": AgentRunStatus.WAITING_APPROVAL.value,
                    }
                ),
            )
