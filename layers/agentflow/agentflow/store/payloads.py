"""Large JSON values (agent outputs, execution inputs) kept in S3 when they outgrow a DynamoDB item."""

from __future__ import annotations

import json
from typing import Any

from agentflow.settings import get_settings
from agentflow.store.objects import ObjectStore

# DynamoDB items stop at 400 KB; leave room for the other attributes.
INLINE_LIMIT_BYTES = 300_000


def dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=str)


class PayloadStore:
    """Stores a JSON document inline (returned as text) or in S3 (returned as a key)."""

    def __init__(self, bucket: str | None = None) -> None:
        self._bucket = bucket

    @property
    def bucket(self) -> str:
        # Read per use, like the client: the function's settings, not those of whoever built this.
        return self._bucket or get_settings().payloads_bucket

    def put(self, key: str, value: Any) -> tuple[str | None, str | None]:
        """(inline JSON, None) for small values, (None, S3 key) for large ones."""
        text = dumps(value)
        if len(text.encode()) <= INLINE_LIMIT_BYTES:
            return text, None
        return None, self.put_object(key, text)

    def put_object(self, key: str, text: str) -> str:
        """Store JSON ``text`` in S3 whatever its size; returns the key."""
        ObjectStore(self.bucket).put(key, text.encode(), "application/json")
        return key

    def get(self, inline: str | None, key: str | None) -> Any:
        if key:
            return json.loads(ObjectStore(self.bucket).get(key))
        return json.loads(inline) if inline is not None else None
