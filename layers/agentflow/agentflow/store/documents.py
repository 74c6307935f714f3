"""Documents of a tenant, kept in the workflows table beside its workflows.

Keys: ``tenant_id`` and ``sk`` = ``DOC#<document id>``; document ids sort by creation time, so a
descending Query lists newest first. The file itself is in the documents bucket under
``documents/<tenant>/<document id>``; its chunks and vectors are in Chroma, never here.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, unquote

from botocore.exceptions import ClientError

from agentflow.errors import NotFoundError
from agentflow.models import Document, DocumentStatus
from agentflow.store.dynamo import TableRepository, decode_token, encode_token, from_item, to_item

PREFIX = "DOC#"
OBJECT_PREFIX = "documents/"


class DocumentRecord(Document):
    """A document as stored: what the API shows, plus what only AgentFlow needs."""

    tenant_id: str
    sha256: str | None = None
    # The embedding model the chunks were indexed with: deleting the document finds them by it.
    embedding_model: str | None = None

    def public(self) -> Document:
        return Document.model_validate(self.model_dump(include=set(Document.model_fields)))

    @property
    def object_key(self) -> str:
        return object_key(self.tenant_id, self.id)


def object_key(tenant_id: str, document_id: str) -> str:
    return f"{OBJECT_PREFIX}{quote(tenant_id, safe='')}/{document_id}"


def parse_object_key(key: str) -> tuple[str, str] | None:
    """(tenant, document id) of an object key in the documents bucket, or None if it is not one."""
    parts = key.removeprefix(OBJECT_PREFIX).split("/")
    if not key.startswith(OBJECT_PREFIX) or len(parts) != 2 or not parts[1].startswith("doc_"):
        return None
    return unquote(parts[0]), parts[1]


def _missing(document_id: str) -> NotFoundError:
    return NotFoundError(f"Document '{document_id}' was not found.")


def _record(item: dict[str, Any]) -> DocumentRecord:
    values = from_item(item)
    values.pop("sk", None)
    return DocumentRecord.model_validate(values)


class DocumentRepository(TableRepository):
    table_setting = "workflows_table"

    def _key(self, tenant_id: str, document_id: str) -> dict[str, Any]:
        return to_item({"tenant_id": tenant_id, "sk": PREFIX + document_id})

    def create(self, record: DocumentRecord) -> None:
        values = record.model_dump(mode="json") | {"sk": PREFIX + record.id}
        self.db.put_item(
            TableName=self.table, Item=to_item(values), ConditionExpression="attribute_not_exists(sk)"
        )

    def get(self, tenant_id: str, document_id: str) -> DocumentRecord:
        item = self.db.get_item(
            TableName=self.table, Key=self._key(tenant_id, document_id), ConsistentRead=True
        ).get("Item")
        if item is None:
            raise _missing(document_id)
        return _record(item)

    def update(
        self, tenant_id: str, document_id: str, *, expect: set[DocumentStatus] | None = None, **changes: Any
    ) -> bool:
        """Set ``changes`` (None removes an attribute); False when the document is gone or its status
        is not in ``expect``."""
        sets = {name: value for name, value in changes.items() if value is not None}
        removes = [name for name, value in changes.items() if value is None]
        names = {f"#{name}": name for name in changes}
        values: dict[str, Any] = {f":{name}": value for name, value in sets.items()}
        expression = "SET " + ", ".join(f"#{name} = :{name}" for name in sets)
        if removes:
            expression += " REMOVE " + ", ".join(f"#{name}" for name in removes)
        condition = "attribute_exists(sk)"
        if expect:
            names["#status"] = "status"
            placeholders = []
            for index, status in enumerate(sorted(expect)):
                values[f":expect{index}"] = status.value
                placeholders.append(f":expect{index}")
            condition += f" AND #status IN ({', '.join(placeholders)})"
        try:
            self.db.update_item(
                TableName=self.table,
                Key=self._key(tenant_id, document_id),
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item(values),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def page(
        self, tenant_id: str, *, workflow_id: str | None, limit: int, next_token: str | None
    ) -> tuple[list[DocumentRecord], str | None]:
        """Newest first. A workflow filter may return short pages; follow next_token."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "ScanIndexForward": False,
            "Limit": limit,
            "KeyConditionExpression": "tenant_id = :tenant AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": to_item({":tenant": tenant_id, ":prefix": PREFIX}),
        }
        if workflow_id:
            kwargs["FilterExpression"] = "workflow_id = :workflow"
            kwargs["ExpressionAttributeValues"][":workflow"] = {"S": workflow_id}
        start = decode_token(next_token, partition_attr="tenant_id", partition_value=tenant_id)
        if start:
            kwargs["ExclusiveStartKey"] = start
        page = self.db.query(**kwargs)
        return [_record(item) for item in page.get("Items", [])], encode_token(page.get("LastEvaluatedKey"))

    def all(self, tenant_id: str, *, workflow_id: str | None = None) -> list[DocumentRecord]:
        records: list[DocumentRecord] = []
        token = None
        while True:
            found, token = self.page(tenant_id, workflow_id=workflow_id, limit=100, next_token=token)
            records.extend(found)
            if not token:
                return records

    def delete(self, tenant_id: str, document_id: str) -> None:
        self.db.delete_item(TableName=self.table, Key=self._key(tenant_id, document_id))
