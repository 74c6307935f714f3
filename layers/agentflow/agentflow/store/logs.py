"""Execution logs stored for the logs route: one item per line.

Keys: ``log_key`` = ``<tenant>#<execution id>`` and ``sk`` = ``<timestamp>#<sequence>`` so a Query
returns lines in time order. Lines expire through the table's TTL attribute ``expires_at``.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import datetime
from typing import Any

from agentflow.models import LogEntry, LogLevel
from agentflow.settings import get_settings
from agentflow.store.dynamo import TableRepository, batch_write, from_item, to_item

# Orders lines written by one process within the same microsecond.
_sequence = itertools.count()


class LogRepository(TableRepository):
    table_setting = "logs_table"

    @property
    def retention_seconds(self) -> int:
        return get_settings().log_retention_days * 86400

    def append(self, tenant_id: str, execution_id: str, entries: list[LogEntry]) -> None:
        requests = []
        for entry in entries:
            expires = int(datetime.fromisoformat(entry.timestamp).timestamp()) + self.retention_seconds
            item = {
                "log_key": f"{tenant_id}#{execution_id}",
                "sk": f"{entry.timestamp}#{next(_sequence):012d}{uuid.uuid4().hex[:6]}",
                "level": entry.level.value,
                "component": entry.component,
                "agent_id": entry.agent_id,
                "message": entry.message,
                "expires_at": expires,
            }
            requests.append({"PutRequest": {"Item": to_item(item)}})
        batch_write(self.db, self.table, requests)

    def list(
        self, tenant_id: str, execution_id: str, level: LogLevel | None = None, agent_id: str | None = None
    ) -> list[LogEntry]:
        """Lines in time order, at ``level`` or above, of ``agent_id`` when given."""
        paginator = self.db.get_paginator("query")
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "log_key = :key",
            "ExpressionAttributeValues": to_item({":key": f"{tenant_id}#{execution_id}"}),
        }
        if agent_id:
            kwargs["FilterExpression"] = "agent_id = :agent"
            kwargs["ExpressionAttributeValues"][":agent"] = {"S": agent_id}
        entries = []
        for page in paginator.paginate(**kwargs):
            for item in page.get("Items", []):
                values = from_item(item)
                entry = LogEntry(
                    timestamp=values["sk"].rsplit("#", 1)[0],
                    level=values["level"],
                    component=values["component"],
                    agent_id=values.get("agent_id"),
                    message=values["message"],
                )
                if level is None or entry.level.rank >= level.rank:
                    entries.append(entry)
        return entries
