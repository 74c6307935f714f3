"""Which connector an agent gets: live or sandbox by ``CONNECTOR_MODE``, credentials by secret name.

Live clients are ``agentflow.connectors.<vendor>``; the emulators are ``agentflow_sandbox.<vendor>``,
which ships in its own layer (attached only when ``ConnectorMode=sandbox``).

Clients are imported when first built, so an agent Lambda loads only the vendor it talks to.
Agents ask for a connector by the name in their config (``"salesforce"``, ``"outlook"``, ``"ses"``)
and get the interface, never the implementation. Live connectors read their credentials from the
Secrets Manager secret the config names; nothing else about credentials passes through configs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agentflow.connectors.base import CrmConnector, MailConnector
from agentflow.errors import ConnectorError
from agentflow.settings import Settings

CRM_CONNECTORS = ("salesforce", "hubspot")
SECRET_PREFIX = "agentflow/"  # a name prefix, not a secret  # noqa: S105  # nosec B105
MAIL_CONNECTORS = ("outlook", "ses")


@dataclass(frozen=True)
class ConnectorSpec:
    """How to build one vendor's connector: its sandbox, and its live client from a secret."""

    sandbox: Callable[[Settings, str], Any]  # (settings, tenant id) -> connector
    live: Callable[[dict[str, Any], str, Settings], Any]  # (secret, secret name, settings) -> connector


def sandbox_module(module: str) -> Any:
    """The vendor's emulator module, ``agentflow_sandbox.<module>``, from the sandbox layer.

    Deployed, that layer is attached only when ``ConnectorMode=sandbox``; a stack without it that
    asks for a sandbox gets a plain error instead of an ImportError.
    """
    try:
        return importlib.import_module(f"agentflow_sandbox.{module}")
    except ModuleNotFoundError as exc:
        if exc.name not in ("agentflow_sandbox", f"agentflow_sandbox.{module}"):
            raise
        raise ConnectorError(
            f"connector '{module}' in sandbox mode needs the sandbox layer "
            "(deploy with ConnectorMode=sandbox)"
        ) from exc


def _module_spec(module: str) -> ConnectorSpec:
    """A vendor's ``sandbox(settings, tenant_id)`` (agentflow_sandbox) and ``live(secret, ...)``.

    Imported on first use, so an agent Lambda loads only its own vendor's client (and httpx only
    when it talks to one).
    """
    return ConnectorSpec(
        sandbox=lambda settings, tenant_id: sandbox_module(module).sandbox(settings, tenant_id),
        live=lambda secret, secret_name, settings: importlib.import_module(
            f"agentflow.connectors.{module}"
        ).live(secret, secret_name, settings),
    )


# Vendor connectors that agents open by name with ConnectorFactory.open(); one entry per vendor.
VENDOR_CONNECTORS = ("slack", "jira", "servicenow", "zendesk", "hubspot", "workday", "sap")
CONNECTORS: dict[str, ConnectorSpec] = {name: _module_spec(name) for name in VENDOR_CONNECTORS}


def _read_secret(name: str, region: str) -> dict[str, Any]:
    from agentflow.connectors.secrets import read_secret

    return read_secret(name, region)


class ConnectorFactory:
    """Builds the connectors of one agent run, for one tenant, under one set of settings."""

    def __init__(self, settings: Settings, tenant_id: str, mode: str | None = None) -> None:
        self.settings = settings
        self.tenant_id = tenant_id
        self.mode = mode or settings.connector_mode

    @property
    def sandbox(self) -> bool:
        """Whether connectors are sandboxes (bundled data, local outbox) rather than vendor APIs."""
        return self.mode == "sandbox"

    def crm(self, name: str, credentials_secret: str | None = None) -> CrmConnector:
        """The CRM connector called ``name`` (one of :data:`CRM_CONNECTORS`)."""
        if name not in CRM_CONNECTORS:
            raise ConnectorError(f"unknown CRM connector '{name}'; known: {', '.join(CRM_CONNECTORS)}")
        if name == "hubspot":
            # HubSpot is also a vendor connector (the hubspot agent opens it): one way to build it.
            crm: CrmConnector = self.open(name, credentials_secret)
            return crm
        if self.sandbox:
            sandbox: CrmConnector = sandbox_module(name).SalesforceSandbox(
                latency_ms=self.settings.sandbox_latency_ms
            )
            return sandbox
        secret_name = self._secret_name(name, credentials_secret)
        from agentflow.connectors.salesforce import SalesforceClient

        return SalesforceClient.from_secret(
            _read_secret(secret_name, self.settings.region),
            secret_name=secret_name,
            allow_loopback=self.settings.connector_allow_loopback,
        )

    def mail(self, name: str, credentials_secret: str | None = None) -> MailConnector:
        """The mail connector called ``name`` (one of :data:`MAIL_CONNECTORS`).

        ``ses`` is always the boto3 client: locally it reaches moto, which needs no sandbox.
        """
        if name not in MAIL_CONNECTORS:
            raise ConnectorError(f"unknown mail connector '{name}'; known: {', '.join(MAIL_CONNECTORS)}")
        if name == "ses":
            from agentflow.connectors.ses import SesMailClient

            return SesMailClient(region=self.settings.region)
        if self.sandbox:
            outbox: MailConnector = sandbox_module(name).OutlookSandbox(
                sandbox_dir=self.settings.sandbox_dir,
                latency_ms=self.settings.sandbox_latency_ms,
                tenant_id=self.tenant_id,
            )
            return outbox
        secret_name = self._secret_name(name, credentials_secret)
        from agentflow.connectors.outlook import GraphMailClient

        return GraphMailClient.from_secret(
            _read_secret(secret_name, self.settings.region),
            secret_name=secret_name,
            allow_loopback=self.settings.connector_allow_loopback,
        )

    def open(self, name: str, credentials_secret: str | None = None) -> Any:
        """The connector registered as ``name`` in :data:`CONNECTORS`: sandbox or live by mode."""
        spec = CONNECTORS.get(name)
        if spec is None:
            raise ConnectorError(f"unknown connector '{name}'; known: {', '.join(sorted(CONNECTORS))}")
        if self.sandbox:
            return spec.sandbox(self.settings, self.tenant_id)
        secret_name = self._secret_name(name, credentials_secret)
        return spec.live(_read_secret(secret_name, self.settings.region), secret_name, self.settings)

    def _secret_name(self, name: str, credentials_secret: str | None) -> str:
        """The config's secret, which must be the tenant's own: ``agentflow/<tenant id>/...``.

        Every agent function may read ``agentflow/*``; the prefix keeps one tenant's workflow from
        naming another tenant's credentials.
        """
        if not credentials_secret:
            raise ConnectorError(
                f"connector '{name}' needs credentials_secret (a Secrets Manager secret name)"
            )
        prefix = f"{SECRET_PREFIX}{self.tenant_id}/"
        if not credentials_secret.startswith(prefix) or ".." in credentials_secret:
            raise ConnectorError(
                f"connector '{name}': credentials_secret '{credentials_secret}' must be one of this "
                f"tenant's secrets, named '{prefix}...'"
            )
        return credentials_secret
