"""Webhooks of workflows: which Secrets Manager secret signs a workflow's trigger, and used signatures.

A webhook item sits beside its workflow (``tenant_id``, ``sk`` = ``HOOK#<workflow id>``) and carries
``hook_workflow_id``, the key of the sparse ``by_webhook`` index: an unauthenticated trigger call
names only the workflow, and the index finds its tenant. The HMAC secret itself lives in Secrets
Manager; items hold its name only. Used signatures are kept (with a TTL) in the executions table.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel

from agentflow.aws import client
from agentflow.settings import get_settings
from agentflow.store.dynamo import from_item, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

SIGNATURE_TTL_SECONDS = 3600


class WebhookRecord(BaseModel):
    tenant_id: str
    workflow_id: str
    secret_name: str
    rotated_at: str


class WebhookRepository:
    @property
    def db(self) -> DynamoDBClient:
        return client("dynamodb")

    def put(self, record: WebhookRecord) -> None:
        item = {
            "tenant_id": record.tenant_id,
            "sk": f"HOOK#{record.workflow_id}",
            "hook_workflow_id": record.workflow_id,
            "secret_name": record.secret_name,
            "rotated_at": record.rotated_at,
        }
        self.db.put_item(TableName=get_settings().workflows_table, Item=to_item(item))

    def find(self, workflow_id: str) -> WebhookRecord | None:
        """The webhook of ``workflow_id`` (whatever its tenant), if it has one."""
        page = self.db.query(
            TableName=get_settings().workflows_table,
            IndexName="by_webhook",
            KeyConditionExpression="hook_workflow_id = :workflow",
            ExpressionAttributeValues=to_item({":workflow": workflow_id}),
        )
        items = page.get("Items", [])
        if not items:
            return None
        values = from_item(items[0])
        return WebhookRecord(
            tenant_id=values["tenant_id"],
            workflow_id=values["hook_workflow_id"],
            secret_name=values["secret_name"],
            rotated_at=values["rotated_at"],
        )

    def delete(self, tenant_id: str, workflow_id: str) -> None:
        self.db.delete_item(
            TableName=get_settings().workflows_table,
            Key=to_item({"tenant_id": tenant_id, "sk": f"HOOK#{workflow_id}"}),
        )

    def claim_signature(self, tenant_id: str, signature: str, now_epoch: int) -> bool:
        """Record a signature as used; False when it was used before (a replay)."""
        item = {
            "tenant_id": tenant_id,
            "sk": f"WEBHOOK_SIGNATURE#{signature}",
            "expires_at": now_epoch + SIGNATURE_TTL_SECONDS,
        }
        try:
            self.db.put_item(
                TableName=get_settings().executions_table,
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(sk)",
            )
        except self.db.exceptions.ConditionalCheckFailedException:
            return False
        return True
