"""Connector credentials from AWS Secrets Manager.

Connector configs carry only a secret's name; the JSON it holds is read here, at run time, and kept
in memory for a few minutes so a warm Lambda container does not call Secrets Manager once per agent
run, while a rotated secret is still picked up soon. Values are never logged nor put in messages.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from agentflow.errors import ConnectorError, TransientAgentError

CACHE_TTL_SECONDS = 300.0

_TRANSIENT_CODES = frozenset(
    {"InternalServiceError", "InternalFailure", "ServiceUnavailable", "ThrottlingException", "Throttling"}
)
_cache: dict[tuple[str, str], tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


def read_secret(name: str, region: str) -> dict[str, Any]:
    """The JSON object stored as the SecretString of secret ``name``, cached for a few minutes.

    A missing, unreadable or non-JSON secret raises :class:`ConnectorError` naming the secret;
    Secrets Manager throttling or outages raise :class:`TransientAgentError`.
    """
    key = (region, name)
    now = time.monotonic()
    with _lock:
        cached = _cache.get(key)
        if cached is not None and cached[0] > now:
            return dict(cached[1])
    value = _fetch(name, region)
    with _lock:
        _cache[key] = (now + CACHE_TTL_SECONDS, value)
    return dict(value)


def clear_secret_cache() -> None:
    """Forget every cached secret (after a rotation, and between tests)."""
    with _lock:
        _cache.clear()


def _fetch(name: str, region: str) -> dict[str, Any]:
    client = boto3.client(
        "secretsmanager", region_name=region, config=Config(retries={"mode": "standard", "max_attempts": 3})
    )
    try:
        response = client.get_secret_value(SecretId=name)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "")
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in _TRANSIENT_CODES or status >= 500:
            raise TransientAgentError(f"Secrets Manager could not read secret '{name}' now ({code})") from exc
        if code == "ResourceNotFoundException":
            raise ConnectorError(f"secret '{name}' does not exist in Secrets Manager ({region})") from exc
        if code == "AccessDeniedException":
            raise ConnectorError(f"this function is not allowed to read secret '{name}'") from exc
        raise ConnectorError(f"secret '{name}' could not be read ({code})") from exc
    except BotoCoreError as exc:
        raise TransientAgentError(
            f"Secrets Manager could not be reached to read secret '{name}' ({type(exc).__name__})"
        ) from exc

    text = response.get("SecretString")
    if text is None:
        raise ConnectorError(f"secret '{name}' holds binary data; connectors need a JSON SecretString")
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        # from None: the decode error's message would quote part of the secret.
        raise ConnectorError(f"secret '{name}' is not valid JSON") from None
    if not isinstance(value, dict):
        raise ConnectorError(f"secret '{name}' must hold a JSON object")
    return value
