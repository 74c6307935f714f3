"""The inputs of a ``for_each`` node's batches, stored once by the node's plan step.

They live in the agent-runs table, in the node's batch scope (see :func:`agentflow.store.runs.batch_scope`),
beside the batches' run items (``b00012``): ``input`` holds the node's input with its records list
emptied and the path to that list, ``input#00012`` the records of batch 12. Values outgrowing an
item go to S3 like outputs. A batch reads the base and its records in one BatchGetItem.
"""

from __future__ import annotations

from typing import Any

from agentflow.agents.items import with_records
from agentflow.errors import AgentError
from agentflow.store.dynamo import TableRepository, batch_write, from_item, to_item
from agentflow.store.payloads import PayloadStore
from agentflow.store.runs import batch_scope, run_key

BASE = "input"


def _records_id(index: int) -> str:
    return f"{BASE}#{index:05d}"


class BatchInputRepository(TableRepository):
    table_setting = "agent_runs_table"

    def __init__(self, table: str | None = None, payloads: PayloadStore | None = None) -> None:
        super().__init__(table)
        self.payloads = payloads or PayloadStore()

    def save(
        self,
        tenant_id: str,
        execution_id: str,
        node_id: str,
        base: Any,
        path: tuple[str, ...],
        batches: list[list[Any]],
    ) -> None:
        """Store the node's input without its records (``base``) and each batch's records.

        Writing again (a retried or resumed plan) stores the same values: splitting is deterministic.
        """
        partition = run_key(tenant_id, batch_scope(execution_id, node_id))
        prefix = f"batches/{tenant_id}/{execution_id}/{node_id}"
        inline, ref = self.payloads.put(f"{prefix}/input.json", base)
        items = [
            {"run_key": partition, "node_id": BASE, "path": list(path), "total": len(batches)}
            | {"value_inline": inline, "value_ref": ref}
        ]
        for index, records in enumerate(batches):
            inline, ref = self.payloads.put(f"{prefix}/{index:05d}.json", records)
            items.append(
                {"run_key": partition, "node_id": _records_id(index)}
                | {"value_inline": inline, "value_ref": ref}
            )
        batch_write(self.db, self.table, [{"PutRequest": {"Item": to_item(item)}} for item in items])

    def get(self, tenant_id: str, execution_id: str, node_id: str, index: int) -> Any:
        """Batch ``index``'s input: the node's input with only that batch's records in its list."""
        partition = run_key(tenant_id, batch_scope(execution_id, node_id))
        keys = [to_item({"run_key": partition, "node_id": sort}) for sort in (BASE, _records_id(index))]
        response = self.db.batch_get_item(RequestItems={self.table: {"Keys": keys, "ConsistentRead": True}})
        found = {
            values["node_id"]: values for values in map(from_item, response["Responses"].get(self.table, []))
        }
        # Two small keys: DynamoDB leaves them unprocessed only under throttling; read them singly then.
        for sort in (BASE, _records_id(index)):
            if sort not in found:
                item = self.db.get_item(
                    TableName=self.table,
                    Key=to_item({"run_key": partition, "node_id": sort}),
                    ConsistentRead=True,
                ).get("Item")
                if item is None:
                    raise AgentError(f"Batch {index} of '{node_id}' has no stored input: no plan ran.")
                found[sort] = from_item(item)
        base, records = (
            self.payloads.get(found[sort].get("value_inline"), found[sort].get("value_ref"))
            for sort in (BASE, _records_id(index))
        )
        return with_records(base, tuple(found[BASE].get("path", [])), records)
