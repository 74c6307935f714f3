"""The reads an agent node makes before it runs: its own earlier run and its parents' outputs, at once."""

from __future__ import annotations

import collections
import threading
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from botocore.client import BaseClient

from agentflow.services.agent_runner import AgentRunner
from agentflow.settings import get_settings
from tests.helpers import REFERENCE_INPUT, GatewayApi, email, sales, workflow

READS = {"GetItem", "BatchGetItem", "Query", "Scan"}


@pytest.fixture
def runs_table_reads() -> Iterator[collections.Counter[str]]:
    """DynamoDB reads of the agent-runs table made inside agent runs, by operation."""
    reads: collections.Counter[str] = collections.Counter()
    inside = threading.local()
    real_call, real_run = BaseClient._make_api_call, AgentRunner.run

    def make_api_call(client: Any, operation: str, params: Any) -> Any:
        if getattr(inside, "active", False) and operation in READS:
            tables = set(params.get("RequestItems", {})) | {params.get("TableName")}
            if any(table and table.endswith("agent-runs") for table in tables):
                reads[operation] += 1
        return real_call(client, operation, params)

    def run(self: AgentRunner, task: Any) -> Any:
        inside.active = True
        try:
            return real_run(self, task)
        finally:
            inside.active = False

    with (
        mock.patch.object(BaseClient, "_make_api_call", make_api_call),
        mock.patch.object(AgentRunner, "run", run),
    ):
        yield reads


def test_a_node_reads_its_own_run_and_its_parents_outputs_in_one_call(
    api: GatewayApi, runs_table_reads: collections.Counter[str]
) -> None:
    assert get_settings().agent_runs_table.endswith("agent-runs")
    # Given a root and two children: deals → pitch, deals → brief
    definition = workflow(
        "Reads", [sales("deals"), email("pitch"), email("brief")], [("deals", "pitch"), ("deals", "brief")]
    )
    status, created = api.post("/api/v1/workflows", definition)
    assert status == 201, created
    # When it runs through the state machine
    status, started = api.post("/api/v1/executions", {"workflow_id": created["id"], "input": REFERENCE_INPUT})
    assert status == 202, started
    execution = api.wait(started["id"])
    # Then every node completed with its output
    assert execution["status"] == "completed", execution
    runs = api.get(f"/api/v1/executions/{started['id']}")[1]["agent_executions"]
    statuses = {run["agent_id"]: run["status"] for run in runs}
    assert statuses == dict.fromkeys(["deals", "pitch", "brief"], "completed")
    # And each node read the runs table once: its own earlier run and its parent's output together
    assert runs_table_reads == {"BatchGetItem": 3}
