"""Schedules of workflows, kept beside their workflow in the workflows table.

Keys: ``tenant_id`` and ``sk`` = ``SCH#<workflow id>#<schedule id>``, so a workflow's schedules are
one Query and deleting a workflow finds them all. EventBridge Scheduler holds the live schedule;
this item is what the API lists and what the local stack fires.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError
from pydantic import BaseModel

from agentflow.errors import NotFoundError
from agentflow.store.dynamo import TableRepository, from_item, to_item


class ScheduleRecord(BaseModel):
    tenant_id: str
    id: str
    workflow_id: str
    expression: str
    timezone: str = "UTC"
    input: Any = None
    enabled: bool = True
    created_at: str
    updated_at: str
    # When the schedule was created or last enabled: rate() periods count from here.
    anchor: str
    scheduler_name: str


def _key(tenant_id: str, workflow_id: str, schedule_id: str) -> dict[str, Any]:
    return to_item({"tenant_id": tenant_id, "sk": f"SCH#{workflow_id}#{schedule_id}"})


def _record(item: dict[str, Any]) -> ScheduleRecord:
    values = from_item(item)
    values["input"] = json.loads(values.pop("input_json", "null"))
    return ScheduleRecord.model_validate({k: v for k, v in values.items() if k != "sk"})


class ScheduleRepository(TableRepository):
    table_setting = "workflows_table"

    def put(self, record: ScheduleRecord) -> None:
        values = record.model_dump(mode="json", exclude={"input"})
        values["sk"] = f"SCH#{record.workflow_id}#{record.id}"
        values["input_json"] = json.dumps(record.input)
        self.db.put_item(TableName=self.table, Item=to_item(values))

    def get(self, tenant_id: str, workflow_id: str, schedule_id: str) -> ScheduleRecord:
        item = self.db.get_item(
            TableName=self.table, Key=_key(tenant_id, workflow_id, schedule_id), ConsistentRead=True
        ).get("Item")
        if item is None:
            raise NotFoundError(f"Schedule '{schedule_id}' was not found on workflow '{workflow_id}'.")
        return _record(item)

    def list(self, tenant_id: str, workflow_id: str) -> list[ScheduleRecord]:
        pages = self.db.get_paginator("query").paginate(
            TableName=self.table,
            KeyConditionExpression="tenant_id = :tenant AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item({":tenant": tenant_id, ":prefix": f"SCH#{workflow_id}#"}),
            ConsistentRead=True,
        )
        return [_record(item) for page in pages for item in page.get("Items", [])]

    def delete(self, tenant_id: str, workflow_id: str, schedule_id: str) -> None:
        try:
            self.db.delete_item(
                TableName=self.table,
                Key=_key(tenant_id, workflow_id, schedule_id),
                ConditionExpression="attribute_exists(sk)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                message = f"Schedule '{schedule_id}' was not found on workflow '{workflow_id}'."
                raise NotFoundError(message) from error
            raise
