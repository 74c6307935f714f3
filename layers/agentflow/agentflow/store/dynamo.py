"""Item (de)serialisation and opaque, tenant-bound pagination tokens."""

from __future__ import annotations

import base64
import binascii
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from agentflow.aws import client
from agentflow.errors import InvalidInputError
from agentflow.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _prepare(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {key: _prepare(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_prepare(item) for item in value]
    return value


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def to_item(values: dict[str, Any]) -> dict[str, Any]:
    """A DynamoDB item from plain values; ``None`` attributes are left out."""
    return {key: _serializer.serialize(value) for key, value in _prepare(values).items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    """Plain values (ints, floats, str, lists, dicts) from a DynamoDB item."""
    return {key: _plain(_deserializer.deserialize(value)) for key, value in item.items()}


def encode_token(last_key: dict[str, Any] | None) -> str | None:
    if not last_key:
        return None
    raw = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str | None, *, partition_attr: str, partition_value: str) -> dict[str, Any] | None:
    """The ExclusiveStartKey in ``token``; one from another partition (tenant) is rejected."""
    if not token:
        return None
    try:
        padded = token + "=" * (-len(token) % 4)
        key = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error):
        key = None
    if not isinstance(key, dict) or key.get(partition_attr, {}).get("S") != partition_value:
        raise InvalidInputError(
            "next_token is not valid for this listing; pass back the token you were given."
        )
    return key


def batch_write(db: Any, table: str, requests: list[dict[str, Any]]) -> None:
    """BatchWriteItem in chunks of 25, resubmitting what DynamoDB leaves unprocessed."""
    for start in range(0, len(requests), 25):
        pending: dict[str, Any] = {table: requests[start : start + 25]}
        while pending:
            pending = db.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def batch_get(db: Any, table: str, keys: list[dict[str, Any]], **options: Any) -> list[dict[str, Any]]:
    """BatchGetItem in chunks of 100, consistently, re-asking for what DynamoDB leaves unprocessed.

    ``options`` go into the table's request (a ProjectionExpression and its names, say).
    """
    items: list[dict[str, Any]] = []
    for start in range(0, len(keys), 100):
        pending: dict[str, Any] = {
            table: {"Keys": keys[start : start + 100], "ConsistentRead": True, **options}
        }
        while pending:
            response = db.batch_get_item(RequestItems=pending)
            items += response["Responses"].get(table, [])
            pending = response.get("UnprocessedKeys") or {}
    return items


class TableRepository:
    """What every repository of one DynamoDB table shares: the table and the client, both looked up
    per use (the function's settings, not those of whoever built the repository; the shared client
    cache is the one place that knows the endpoint). ``table_setting`` names the Settings field."""

    table_setting: ClassVar[str]

    def __init__(self, table: str | None = None) -> None:
        self._table = table

    @property
    def table(self) -> str:
        return self._table or str(getattr(get_settings(), self.table_setting))

    @property
    def db(self) -> DynamoDBClient:
        return client("dynamodb")
