"""The connector interfaces and the records they exchange.

Every connector has a live implementation (the vendor's real API) and a sandbox implementation
(bundled data, no network) with the same interface; agents only see the interface.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from agentflow.errors import ConnectorError
from agentflow.models import Citation, EmailAddress


class Opportunity(BaseModel):
    """A CRM opportunity (deal), as agents exchange it."""

    model_config = ConfigDict(extra="ignore")

    id: str
    name: str
    account_id: str | None = None
    account_name: str
    amount: float
    currency: str = "USD"
    stage: str
    close_date: date
    probability: int | None = None
    owner_name: str
    owner_email: str
    contact_name: str | None = None
    contact_email: str | None = None
    # Passages about the account from the tenant's documents (sales_intelligence with use_rag).
    notes: list[Citation] | None = None

    @model_serializer(mode="wrap")
    def _without_absent_notes(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("notes") is None:
            data.pop("notes", None)  # deals read without use_rag look as they always did
        return data


class OpportunityQuery(BaseModel):
    """Filters for :meth:`CrmConnector.find_opportunities`.

    ``stage`` matches a stage name or its prefix ("Negotiation" matches "Negotiation/Review");
    ``min_amount`` is inclusive; close dates fall within [close_from, close_to].
    """

    stage: str | None = None
    min_amount: float | None = None
    close_from: date | None = None
    close_to: date | None = None
    limit: int = Field(200, ge=1, le=2000)


class CrmConnector(Protocol):
    name: str

    def find_opportunities(self, query: OpportunityQuery) -> list[Opportunity]:
        """Opportunities matching ``query``, by close date then id."""
        ...


class OutgoingEmail(BaseModel):
    to_name: str
    to_address: EmailAddress
    from_address: EmailAddress
    subject: str
    body: str


class SentEmail(BaseModel):
    message_id: str
    status: str  # "sent" | "queued"


class MailConnector(Protocol):
    name: str

    def send(self, email: OutgoingEmail) -> SentEmail:
        """Send one message and return the vendor's id for it."""
        ...


WRITE_KEY_PREFIX = "agentflow-"


def write_key(tenant_id: str, execution_id: str, node_id: str, record: str) -> str:
    """The idempotency key of one vendor write: the same for every retry and resume of the node.

    ``agentflow-`` and 32 hex digits of a SHA-256 over (tenant, execution, node, record): short
    enough for every vendor's field (Zendesk's header, ServiceNow's correlation_id, a Jira label,
    Slack metadata), and it reveals nothing of the record.
    """
    digest = hashlib.sha256("\x1f".join((tenant_id, execution_id, node_id, record)).encode()).hexdigest()
    return f"{WRITE_KEY_PREFIX}{digest[:32]}"


def sandbox_pause(latency_ms: int) -> None:
    """Emulate a vendor's round trip in sandbox connectors (``--sandbox-latency-ms``)."""
    if latency_ms > 0:
        time.sleep(latency_ms / 1000)


def basic_or_bearer(
    vendor: str,
    credentials_secret: str | None,
    basic: tuple[str | None, str | None],
    access_token: str | None,
    *,
    needs: str,
) -> tuple[tuple[str, str] | None, dict[str, str]]:
    """(Basic auth pair, headers) for a vendor that takes HTTP Basic or an OAuth bearer token.

    ``needs`` names the Basic fields for the error when neither is given ("email and api_token").
    """
    user, password = basic
    if access_token:
        return None, {"Authorization": f"Bearer {access_token}"}
    if not (user and password):
        where = f"secret '{credentials_secret}'" if credentials_secret else f"{vendor} credentials"
        raise ConnectorError(f"{where} needs {needs} (or an OAuth access_token)")
    return (user, password), {}


def optional_secret_field(secret: Mapping[str, Any], key: str, secret_name: str) -> str | None:
    """A string field of a connector's secret, None when absent or empty (names the secret, never values)."""
    value = secret.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConnectorError(f"secret '{secret_name}' has a non-string {key}")
    return value


# A host name with an optional port, as a secret's ``host`` field gives it ("my-tenant.example.com").
HOST_NAME = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::\d{1,5})?")


def secret_base_url(
    secret: Mapping[str, Any],
    secret_name: str,
    *,
    field: str,
    pattern: re.Pattern[str],
    host: str,
    vendor: str,
) -> str:
    """The vendor's base URL from a secret: ``base_url``, or an account name in ``field`` put into ``host``.

    ``host`` is a template such as ``"https://{}.zendesk.com"``; the name must match ``pattern``.
    """
    base_url = optional_secret_field(secret, "base_url", secret_name)
    if base_url is not None:
        return base_url
    name = optional_secret_field(secret, field, secret_name)
    if name is None:
        raise ConnectorError(f"secret '{secret_name}' lacks {field} (or base_url) for {vendor}")
    if not pattern.fullmatch(name.lower()):
        raise ConnectorError(f"secret '{secret_name}' has a {field} that is not a {vendor} {field} name")
    return host.format(name.lower())
