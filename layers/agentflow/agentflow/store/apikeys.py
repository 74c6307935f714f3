"""API keys, stored as SHA-256 hashes: the plain key is shown once, at creation, and never stored.

Keys are 256-bit random tokens, so a fast hash is enough: there is nothing to brute-force.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from agentflow.aws import client
from agentflow.clock import isoformat, utcnow
from agentflow.settings import get_settings
from agentflow.store.dynamo import from_item, to_item

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

KEY_PREFIX = "af_"


def hash_key(api_key: str) -> str:
    return hashlib.sha256(api_key.encode()).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


class ApiKeyRepository:
    def __init__(self, table: str | None = None, db: DynamoDBClient | None = None) -> None:
        self._table = table
        self._db = db

    @property
    def table(self) -> str:
        # Read per use, like the client: the function's settings, not those of whoever built this.
        return self._table or get_settings().api_keys_table

    @property
    def db(self) -> DynamoDBClient:
        return self._db or client("dynamodb")

    def put(self, tenant_id: str, api_key: str, name: str = "") -> None:
        """Store ``api_key`` (hashed) for ``tenant_id``."""
        item = {
            "key_hash": hash_key(api_key),
            "tenant_id": tenant_id,
            "name": name,
            "created_at": isoformat(utcnow()),
        }
        self.db.put_item(TableName=self.table, Item=to_item(item))

    def create(self, tenant_id: str, name: str = "") -> str:
        """A new random key for ``tenant_id``; the return value is the only copy of it."""
        api_key = new_key()
        self.put(tenant_id, api_key, name)
        return api_key

    def tenant_of(self, api_key: str) -> str | None:
        item = self.db.get_item(TableName=self.table, Key=to_item({"key_hash": hash_key(api_key)})).get(
            "Item"
        )
        return from_item(item)["tenant_id"] if item else None
