"""Vendors reached at a host their secret names: the host must be a host name, else base_url."""

from __future__ import annotations

import pytest

from agentflow.connectors.sap import SapClient
from agentflow.connectors.workday import WorkdayClient
from agentflow.errors import ConnectorError

WORKDAY = {"tenant": "acme", "client_id": "c", "client_secret": "s", "refresh_token": "r"}
SAP = {"username": "u", "password": "p"}


@pytest.mark.parametrize(("client", "secret"), [(WorkdayClient, WORKDAY), (SapClient, SAP)])
def test_a_host_becomes_an_https_base_url(client: type, secret: dict) -> None:
    built = client.from_secret(
        {**secret, "host": "Tenant-1.Example.com"}, secret_name="agentflow/t/x", allow_loopback=False
    )
    assert built.base_url == "https://tenant-1.example.com"
    built.close()


@pytest.mark.parametrize(("client", "secret"), [(WorkdayClient, WORKDAY), (SapClient, SAP)])
@pytest.mark.parametrize("host", ["evil.example.com/path", "user@evil.example.com", "-bad.example.com"])
def test_a_host_that_is_not_a_host_name_is_refused(client: type, secret: dict, host: str) -> None:
    with pytest.raises(ConnectorError, match="agentflow/t/x"):
        client.from_secret({**secret, "host": host}, secret_name="agentflow/t/x", allow_loopback=False)


@pytest.mark.parametrize(("client", "secret"), [(WorkdayClient, WORKDAY), (SapClient, SAP)])
def test_a_secret_without_host_or_base_url_is_refused(client: type, secret: dict) -> None:
    with pytest.raises(ConnectorError, match="lacks host \\(or base_url\\)"):
        client.from_secret(secret, secret_name="agentflow/t/x", allow_loopback=False)
