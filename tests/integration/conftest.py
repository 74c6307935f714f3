"""Integration tests: the handlers on moto in-process (tables built from template.yaml), no sockets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agentflow.local.gateway import Gateway
from agentflow.local.stack import LocalStack
from tests.helpers import GatewayApi

KEYS = {"key-tenant-a": "tenant-a", "key-tenant-b": "tenant-b"}


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    data_dir: Path = tmp_path_factory.mktemp("stack")
    with LocalStack(
        data_dir=data_dir, api_keys=KEYS, mode="inprocess", function_log=data_dir / "functions.log"
    ) as s:
        yield s


@pytest.fixture(scope="module")
def gateway(stack: LocalStack) -> Gateway:
    return Gateway(stack.template, stack.lambdas)


@pytest.fixture
def api(gateway: Gateway) -> GatewayApi:
    return GatewayApi(gateway, "key-tenant-a")


@pytest.fixture
def other_tenant(gateway: Gateway) -> GatewayApi:
    return GatewayApi(gateway, "key-tenant-b")
