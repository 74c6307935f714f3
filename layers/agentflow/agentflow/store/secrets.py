"""Secrets Manager secrets that AgentFlow itself writes (webhook signing keys), read uncached.

Connector credentials, which only agents read and which may be cached, are read through
``agentflow.connectors.secrets``.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from agentflow.aws import client

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient


class SecretStore:
    """Plain-text secrets by name."""

    @property
    def secrets(self) -> SecretsManagerClient:
        return client("secretsmanager")

    def put(self, name: str, value: str, *, description: str, tags: dict[str, str]) -> None:
        """Set secret ``name`` to ``value``, creating it (with the description and tags) if new."""
        try:
            self.secrets.put_secret_value(SecretId=name, SecretString=value)
        except self.secrets.exceptions.ResourceNotFoundException:
            self.secrets.create_secret(
                Name=name,
                SecretString=value,
                Description=description,
                Tags=[{"Key": key, "Value": tag} for key, tag in tags.items()],
            )

    def get(self, name: str) -> str | None:
        """The current value of secret ``name``; None when there is no such secret."""
        try:
            return self.secrets.get_secret_value(SecretId=name).get("SecretString")
        except self.secrets.exceptions.ResourceNotFoundException:
            return None

    def delete(self, name: str) -> None:
        """Delete secret ``name`` at once, without the recovery window (one already gone is fine)."""
        with contextlib.suppress(self.secrets.exceptions.ResourceNotFoundException):
            self.secrets.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)
