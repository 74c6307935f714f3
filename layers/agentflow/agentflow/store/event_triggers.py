"""Event triggers of workflows, beside their workflow: ``tenant_id`` and ``sk`` = ``EVT#<workflow>#<id>``."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from agentflow.errors import NotFoundError
from agentflow.store.dynamo import TableRepository, from_item, to_item


class EventTriggerRecord(BaseModel):
    tenant_id: str
    id: str
    workflow_id: str
    event_pattern: dict[str, Any]
    enabled: bool
    created_at: str
    rule_name: str


class EventTriggerRepository(TableRepository):
    table_setting = "workflows_table"

    @staticmethod
    def _key(tenant_id: str, workflow_id: str, trigger_id: str) -> dict[str, Any]:
        return to_item({"tenant_id": tenant_id, "sk": f"EVT#{workflow_id}#{trigger_id}"})

    @staticmethod
    def _record(item: dict[str, Any]) -> EventTriggerRecord:
        values = from_item(item)
        values["event_pattern"] = json.loads(values.pop("pattern_json"))
        values.pop("sk")
        return EventTriggerRecord.model_validate(values)

    def put(self, record: EventTriggerRecord) -> None:
        values = record.model_dump(mode="json", exclude={"event_pattern"})
        values |= {
            "sk": f"EVT#{record.workflow_id}#{record.id}",
            "pattern_json": json.dumps(record.event_pattern),
        }
        self.db.put_item(TableName=self.table, Item=to_item(values))

    def get(self, tenant_id: str, workflow_id: str, trigger_id: str) -> EventTriggerRecord:
        item = self.db.get_item(
            TableName=self.table, Key=self._key(tenant_id, workflow_id, trigger_id), ConsistentRead=True
        ).get("Item")
        if item is None:
            raise NotFoundError(f"Event trigger '{trigger_id}' was not found on workflow '{workflow_id}'.")
        return self._record(item)

    def list(self, tenant_id: str, workflow_id: str) -> list[EventTriggerRecord]:
        pages = self.db.get_paginator("query").paginate(
            TableName=self.table,
            KeyConditionExpression="tenant_id = :tenant AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item({":tenant": tenant_id, ":prefix": f"EVT#{workflow_id}#"}),
            ConsistentRead=True,
        )
        return [self._record(item) for page in pages for item in page.get("Items", [])]

    def delete(self, tenant_id: str, workflow_id: str, trigger_id: str) -> None:
        self.db.delete_item(TableName=self.table, Key=self._key(tenant_id, workflow_id, trigger_id))
