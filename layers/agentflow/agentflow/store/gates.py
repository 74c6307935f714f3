"""Start gates of the nodes that wait on several branches: one item per (execution, node).

A gate holds the Step Functions task token of the ``.waitForTaskToken`` state in front of its
node. It lives in the agent runs table under its own partition, ``<tenant>#<execution id>#gates``,
so listing an execution's runs never sees it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass

from agentflow.models import AgentRunStatus
from agentflow.store.dynamo import TableRepository, batch_get, from_item, to_item
from agentflow.store.runs import run_key


def _gate_key(tenant_id: str, execution_id: str) -> str:
    return f"{run_key(tenant_id, execution_id)}#gates"


@dataclass(frozen=True)
class GateState:
    """What a releaser needs in one read: are the parents done, and is the token stored yet."""

    parents_completed: bool
    task_token: str | None


class GateRepository(TableRepository):
    table_setting = "agent_runs_table"

    def _key(self, tenant_id: str, execution_id: str, node_id: str) -> dict[str, dict[str, str]]:
        return to_item({"run_key": _gate_key(tenant_id, execution_id), "node_id": node_id})

    def store_token(self, tenant_id: str, execution_id: str, node_id: str, task_token: str) -> None:
        """Keep the gate's task token (a retried gate state brings a new one: the last one wins)."""
        self.db.update_item(
            TableName=self.table,
            Key=self._key(tenant_id, execution_id, node_id),
            UpdateExpression="SET task_token = :token REMOVE released",
            ExpressionAttributeValues=to_item({":token": task_token}),
        )

    def state(self, tenant_id: str, execution_id: str, node_id: str, parents: Iterable[str]) -> GateState:
        """The parents' completion and the gate's token, read consistently in one BatchGetItem."""
        run_partition = run_key(tenant_id, execution_id)
        parent_ids = list(dict.fromkeys(parents))
        keys = [to_item({"run_key": run_partition, "node_id": parent}) for parent in parent_ids]
        keys.append(self._key(tenant_id, execution_id, node_id))
        items = [
            from_item(item)
            for item in batch_get(
                self.db,
                self.table,
                keys,
                ProjectionExpression="run_key, node_id, #status, task_token",
                ExpressionAttributeNames={"#status": "status"},
            )
        ]
        completed = {
            item["node_id"]
            for item in items
            if item["run_key"] == run_partition and item.get("status") == AgentRunStatus.COMPLETED
        }
        token = next((str(item["task_token"]) for item in items if item.get("task_token")), None)
        return GateState(parents_completed=completed >= set(parent_ids), task_token=token)

    def claim(self, tenant_id: str, execution_id: str, node_id: str, task_token: str) -> bool:
        """True for the one caller that may open the gate holding ``task_token``; False for the others."""
        with contextlib.suppress(self.db.exceptions.ConditionalCheckFailedException):
            self.db.update_item(
                TableName=self.table,
                Key=self._key(tenant_id, execution_id, node_id),
                UpdateExpression="SET released = :yes",
                ConditionExpression="task_token = :token AND attribute_not_exists(released)",
                ExpressionAttributeValues=to_item({":yes": True, ":token": task_token}),
            )
            return True
        return False
