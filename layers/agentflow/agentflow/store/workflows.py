"""Workflows: the current item per workflow plus one immutable item per version.

Keys: ``tenant_id`` (partition) and ``sk``: ``WF#<id>`` for the current version, ``WFV#<id>#<version:08d>``
for each version. Listing a tenant's workflows is one Query on the ``WF#`` prefix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel

from agentflow.errors import ConflictError, NotFoundError
from agentflow.models import Workflow
from agentflow.store.dynamo import (
    TableRepository,
    batch_write,
    decode_token,
    encode_token,
    from_item,
    to_item,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.type_defs import PutTypeDef


class StoredWorkflow(BaseModel):
    """A workflow version with where it runs."""

    workflow: Workflow
    state_machine_arn: str
    state_machine_version_arn: str | None = None


def _current_key(tenant_id: str, workflow_id: str) -> dict[str, Any]:
    return to_item({"tenant_id": tenant_id, "sk": f"WF#{workflow_id}"})


def _version_key(tenant_id: str, workflow_id: str, version: int) -> dict[str, Any]:
    return to_item({"tenant_id": tenant_id, "sk": f"WFV#{workflow_id}#{version:08d}"})


def _attributes(stored: StoredWorkflow) -> dict[str, Any]:
    return {
        "workflow_id": stored.workflow.id,
        "version": stored.workflow.version,
        "document": stored.workflow.model_dump_json(),
        "state_machine_arn": stored.state_machine_arn,
        "state_machine_version_arn": stored.state_machine_version_arn,
    }


def _stored(item: dict[str, Any]) -> StoredWorkflow:
    values = from_item(item)
    return StoredWorkflow(
        workflow=Workflow.model_validate_json(values["document"]),
        state_machine_arn=values["state_machine_arn"],
        state_machine_version_arn=values.get("state_machine_version_arn"),
    )


class WorkflowRepository(TableRepository):
    table_setting = "workflows_table"

    def _put_both(
        self, tenant_id: str, stored: StoredWorkflow, condition: str, values: dict[str, Any] | None = None
    ) -> None:
        attributes = _attributes(stored)
        workflow_id, version = stored.workflow.id, stored.workflow.version
        current = {"tenant_id": tenant_id, "sk": f"WF#{workflow_id}", **attributes}
        history = {"tenant_id": tenant_id, "sk": f"WFV#{workflow_id}#{version:08d}", **attributes}
        guarded: PutTypeDef = {
            "TableName": self.table,
            "Item": to_item(current),
            "ConditionExpression": condition,
        }
        if values:
            guarded["ExpressionAttributeValues"] = values
        self.db.transact_write_items(
            TransactItems=[
                {"Put": guarded},
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item(history),
                        "ConditionExpression": "attribute_not_exists(sk)",
                    }
                },
            ]
        )

    def create(self, tenant_id: str, stored: StoredWorkflow) -> None:
        try:
            self._put_both(tenant_id, stored, "attribute_not_exists(sk)")
        except self.db.exceptions.TransactionCanceledException as error:
            raise ConflictError(f"Workflow '{stored.workflow.id}' already exists.") from error

    def update(self, tenant_id: str, stored: StoredWorkflow, expected_version: int) -> None:
        """Store a new version if the current one is still ``expected_version`` (else 409)."""
        try:
            self._put_both(
                tenant_id,
                stored,
                "attribute_exists(sk) AND version = :expected",
                to_item({":expected": expected_version}),
            )
        except self.db.exceptions.TransactionCanceledException as error:
            raise ConflictError(
                f"Workflow '{stored.workflow.id}' changed since version {expected_version}; "
                "read it again and retry with its current version."
            ) from error

    def get(self, tenant_id: str, workflow_id: str) -> StoredWorkflow:
        item = self.db.get_item(
            TableName=self.table, Key=_current_key(tenant_id, workflow_id), ConsistentRead=True
        ).get("Item")
        if item is None:
            raise NotFoundError(f"Workflow '{workflow_id}' was not found.")
        return _stored(item)

    def get_version(self, tenant_id: str, workflow_id: str, version: int) -> StoredWorkflow:
        item = self.db.get_item(
            TableName=self.table, Key=_version_key(tenant_id, workflow_id, version), ConsistentRead=True
        ).get("Item")
        if item is None:
            raise NotFoundError(f"Workflow '{workflow_id}' has no version {version}.")
        return _stored(item)

    def versions(self, tenant_id: str, workflow_id: str) -> list[Workflow]:
        """Every stored version of the workflow, newest first (404 when it does not exist)."""
        self.get(tenant_id, workflow_id)
        paginator = self.db.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="tenant_id = :tenant AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item({":tenant": tenant_id, ":prefix": f"WFV#{workflow_id}#"}),
            ScanIndexForward=False,
        )
        return [_stored(item).workflow for page in pages for item in page.get("Items", [])]

    def list(self, tenant_id: str, limit: int, next_token: str | None) -> tuple[list[Workflow], str | None]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "tenant_id = :tenant AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": to_item({":tenant": tenant_id, ":prefix": "WF#"}),
            "Limit": limit,
        }
        start = decode_token(next_token, partition_attr="tenant_id", partition_value=tenant_id)
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = self.db.query(**kwargs)
        workflows = [_stored(item).workflow for item in page.get("Items", [])]
        return workflows, encode_token(page.get("LastEvaluatedKey"))

    def delete(self, tenant_id: str, workflow_id: str) -> None:
        """Delete the workflow and its version history."""
        try:
            self.db.delete_item(
                TableName=self.table,
                Key=_current_key(tenant_id, workflow_id),
                ConditionExpression="attribute_exists(sk)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise NotFoundError(f"Workflow '{workflow_id}' was not found.") from error
            raise
        paginator = self.db.get_paginator("query")
        pages = paginator.paginate(
            TableName=self.table,
            KeyConditionExpression="tenant_id = :tenant AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=to_item({":tenant": tenant_id, ":prefix": f"WFV#{workflow_id}#"}),
            ProjectionExpression="tenant_id, sk",
        )
        keys = [item for page in pages for item in page.get("Items", [])]
        batch_write(self.db, self.table, [{"DeleteRequest": {"Key": key}} for key in keys])
