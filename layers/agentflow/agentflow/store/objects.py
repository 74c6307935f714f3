"""S3 objects: documents, parked chunk batches and large payloads, through one typed adapter."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from agentflow.aws import client
from agentflow.errors import AgentFlowError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

DELETE_BATCH = 1000  # DeleteObjects takes up to 1,000 keys


class ObjectTooLargeError(AgentFlowError):
    """A stored object is larger than the reader accepts (its body was not read)."""

    def __init__(self, key: str, size: int) -> None:
        super().__init__(f"s3 object '{key}' is {size:,} bytes")
        self.size = size


class ObjectStore:
    """The objects of one bucket, named by key."""

    def __init__(self, bucket: str) -> None:
        self.bucket = bucket

    @property
    def s3(self) -> S3Client:
        return client("s3")

    def put(self, key: str, body: bytes, content_type: str | None = None) -> None:
        """Write ``body`` at ``key`` (replacing what was there)."""
        if content_type:
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type)
        else:
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)

    def get(self, key: str, max_bytes: int | None = None) -> bytes:
        """The object's bytes; over ``max_bytes`` raises :class:`ObjectTooLargeError` unread."""
        stored = self.s3.get_object(Bucket=self.bucket, Key=key)
        size = int(stored["ContentLength"])
        if max_bytes is not None and size > max_bytes:  # judged before the body is read
            stored["Body"].close()
            raise ObjectTooLargeError(key, size)
        return stored["Body"].read()

    def delete(self, key: str) -> None:
        """Remove the object at ``key`` (none is fine)."""
        self.s3.delete_object(Bucket=self.bucket, Key=key)

    def delete_many(self, keys: Sequence[str]) -> None:
        """Remove the objects named by ``keys`` (missing ones are fine), in batches S3 accepts."""
        for start in range(0, len(keys), DELETE_BATCH):
            self.s3.delete_objects(
                Bucket=self.bucket,
                Delete={
                    "Objects": [{"Key": key} for key in keys[start : start + DELETE_BATCH]],
                    "Quiet": True,
                },
            )

    def upload_url(self, key: str, content_type: str, expires_in: int) -> str:
        """A presigned PUT URL for ``key`` that accepts only ``content_type``."""
        return self.s3.generate_presigned_url(
            "put_object",
            Params={"Bucket": self.bucket, "Key": key, "ContentType": content_type},
            ExpiresIn=expires_in,
        )
