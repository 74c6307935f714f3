"""Connector credentials from AWS Secrets Manager, through Powertools Parameters.

Connector configs carry only a secret's name; the JSON it holds is read here, at run time, and kept
in memory for a few minutes (Powertools' ``max_age``) so a warm Lambda container does not call
Secrets Manager once per agent run, while a rotated secret is still picked up soon. Values are never
logged nor put in messages.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from aws_lambda_powertools.utilities.parameters import SecretsProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError
from botocore.exceptions import BotoCoreError, ClientError

from agentflow.aws import client
from agentflow.errors import ConnectorError, TransientAgentError

CACHE_TTL_SECONDS = 300

_TRANSIENT_CODES = frozenset(
    {"InternalServiceError", "InternalFailure", "ServiceUnavailable", "ThrottlingException", "Throttling"}
)
_providers: dict[str, SecretsProvider] = {}
_lock = threading.Lock()


def _provider(region: str) -> SecretsProvider:
    """The Region's provider, on the container's shared client.

    A provider is rebuilt (its cache with it) when the shared client was, so values cached from one
    endpoint are never served after the endpoint changed (the local stack restarting, tests).
    """
    shared = client("secretsmanager", region)
    with _lock:
        provider = _providers.get(region)
        if provider is None or provider.client is not shared:
            provider = _providers[region] = SecretsProvider(boto3_client=shared)
        return provider


def read_secret(name: str, region: str) -> dict[str, Any]:
    """The JSON object stored as the SecretString of secret ``name``, cached for a few minutes.

    A missing, unreadable or non-JSON secret raises :class:`ConnectorError` naming the secret;
    Secrets Manager throttling or outages raise :class:`TransientAgentError`.
    """
    try:
        text = _provider(region).get(name, max_age=CACHE_TTL_SECONDS)
    except GetParameterError as error:
        # Powertools wraps the SDK's error; the original is the context it was raised in.
        raise _mapped(name, region, error.__context__) from error
    if not isinstance(text, str):
        raise ConnectorError(f"secret '{name}' holds binary data; connectors need a JSON SecretString")
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        # from None: the decode error's message would quote part of the secret.
        raise ConnectorError(f"secret '{name}' is not valid JSON") from None
    if not isinstance(value, dict):
        raise ConnectorError(f"secret '{name}' must hold a JSON object")
    return dict(value)


def clear_secret_cache() -> None:
    """Forget every cached secret (after a rotation, and between tests)."""
    with _lock:
        _providers.clear()


def _mapped(name: str, region: str, error: BaseException | None) -> ConnectorError | TransientAgentError:
    if isinstance(error, ClientError):
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in _TRANSIENT_CODES or status >= 500:
            return TransientAgentError(f"Secrets Manager could not read secret '{name}' now ({code})")
        if code == "ResourceNotFoundException":
            return ConnectorError(f"secret '{name}' does not exist in Secrets Manager ({region})")
        if code == "AccessDeniedException":
            return ConnectorError(f"this function is not allowed to read secret '{name}'")
        return ConnectorError(f"secret '{name}' could not be read ({code})")
    if isinstance(error, BotoCoreError):
        return TransientAgentError(
            f"Secrets Manager could not be reached to read secret '{name}' ({type(error).__name__})"
        )
    return ConnectorError(f"secret '{name}' could not be read ({type(error).__name__})")
