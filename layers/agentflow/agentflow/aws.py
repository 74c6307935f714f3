"""boto3 clients, created once per container and shared (boto3 clients are thread-safe)."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import boto3
from botocore.config import Config

from agentflow.settings import get_settings

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)


@lru_cache(maxsize=32)
def _client(service: str, region: str) -> Any:
    session: Any = boto3.session.Session()
    return session.client(service, region_name=region, config=_CONFIG)


def client(service: str) -> Any:
    """The shared client for ``service`` in the settings' region (AWS_ENDPOINT_URL is honoured)."""
    return _client(service, get_settings().region)
