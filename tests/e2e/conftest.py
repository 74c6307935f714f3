"""End-to-end: the local stack over real HTTP (moto server + gateway on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentflow.client import AgentFlowClient
from agentflow.local.gateway import GatewayServer
from agentflow.local.stack import LocalStack
from tests.helpers import serving

# Sandbox calls take this long, so parallel branches visibly overlap.
LATENCY_MS = 150


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    data_dir = tmp_path_factory.mktemp("e2e")
    keys = {"e2e-key-a": "acme", "e2e-key-b": "globex"}
    with LocalStack(
        data_dir=data_dir,
        api_keys=keys,
        sandbox_latency_ms=LATENCY_MS,
        function_log=data_dir / "functions.log",
        # Lets live connectors reach the tests' loopback vendor servers; no deployed stack has it.
        extra_environment={"AGENTFLOW_CONNECTOR_ALLOW_LOOPBACK": "true"},
    ) as local_stack:
        yield local_stack


@pytest.fixture(scope="package")
def server(stack: LocalStack) -> Iterator[GatewayServer]:
    with serving(stack) as gateway_server:
        yield gateway_server


@pytest.fixture
def client(server: GatewayServer) -> Iterator[AgentFlowClient]:
    api = AgentFlowClient(server.url, "e2e-key-a")
    yield api
    api.close()


@pytest.fixture
def other_client(server: GatewayServer) -> Iterator[AgentFlowClient]:
    api = AgentFlowClient(server.url, "e2e-key-b")
    yield api
    api.close()
