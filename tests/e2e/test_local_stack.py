"""The product as a user meets it: HTTP requests to the local stack."""

from __future__ import annotations

import httpx
import pytest

from agentflow.client import AgentFlowClient, ApiError
from tests.helpers import (
    REFERENCE_INPUT,
    diamond,
    email,
    fan_out,
    overlaps,
    reference_workflow,
    sales,
    workflow,
)

pytestmark = pytest.mark.e2e


def run(client: AgentFlowClient, definition: dict, data: object = REFERENCE_INPUT) -> dict:
    created = client.create_workflow(definition)
    started = client.start_execution(created["id"], data)
    return client.wait(started["id"])


def by_agent(client: AgentFlowClient, execution_id: str) -> dict[str, dict]:
    return {entry["agent_id"]: entry for entry in client.timeline(execution_id)}


def test_reference_workflow_over_http(client: AgentFlowClient) -> None:
    execution = run(client, reference_workflow())
    assert execution["status"] == "completed", execution["error"]
    assert len(execution["agent_executions"][0]["output"]["deals"]) == 20
    assert execution["output"]["emails_sent"] == 20
    assert all(message["message_id"] for message in execution["output"]["emails"])
    timeline = client.timeline(execution["id"])
    assert [entry["agent_id"] for entry in timeline] == ["sales_agent_1", "email_agent_1"]


def test_diamond_runs_its_middle_in_parallel(client: AgentFlowClient) -> None:
    execution = run(client, diamond())
    assert execution["status"] == "completed", execution["error"]
    spans = by_agent(client, execution["id"])
    # b and c overlap; d starts only after both
    assert overlaps(spans["b"], spans["c"])
    assert spans["d"]["started_at"] >= max(spans["b"]["completed_at"], spans["c"]["completed_at"])
    assert spans["a"]["completed_at"] <= min(spans["b"]["started_at"], spans["c"]["started_at"])


def test_four_way_fan_out_runs_all_branches_together(client: AgentFlowClient) -> None:
    execution = run(client, fan_out(4))
    assert execution["status"] == "completed", execution["error"]
    spans = by_agent(client, execution["id"])
    branches = [spans[f"mail_{index}"] for index in range(4)]
    assert all(overlaps(first, second) for first in branches for second in branches if first is not second)
    # Several sinks: the output is keyed by sink id
    assert set(execution["output"]) == {f"mail_{index}" for index in range(4)}


def test_agent_failure_keeps_partial_results(client: AgentFlowClient) -> None:
    definition = workflow(
        "Bad sender",
        [sales("find"), email("send", connector="ses", from_address="ghost@unverified.example")],
        [("find", "send")],
    )
    execution = run(client, definition)
    assert execution["status"] == "failed" and execution["error"]["agent_id"] == "send"
    kept = next(run for run in execution["agent_executions"] if run["agent_id"] == "find")
    assert kept["status"] == "completed" and len(kept["output"]["deals"]) == 20
    assert client.logs(execution["id"], level="ERROR")


def test_cycle_is_422_naming_its_nodes(client: AgentFlowClient) -> None:
    definition = workflow("Loop", [sales("a"), sales("b"), sales("c")], [("a", "b"), ("b", "c"), ("c", "a")])
    with pytest.raises(ApiError) as caught:
        client.create_workflow(definition)
    assert caught.value.status == 422 and caught.value.code == "validation_error"
    assert all(node in caught.value.message for node in ("a", "b", "c"))


def test_another_tenants_ids_are_404(client: AgentFlowClient, other_client: AgentFlowClient) -> None:
    execution = run(client, reference_workflow())
    for path in (f"/api/v1/workflows/{execution['workflow_id']}", f"/api/v1/executions/{execution['id']}"):
        with pytest.raises(ApiError) as caught:
            other_client.request("GET", path)
        assert caught.value.status == 404


def test_idempotent_start_over_http(client: AgentFlowClient) -> None:
    created = client.create_workflow(reference_workflow())
    first = client.start_execution(created["id"], REFERENCE_INPUT, idempotency_key="retry-me")
    second = client.start_execution(created["id"], REFERENCE_INPUT, idempotency_key="retry-me")
    assert first["id"] == second["id"]
    client.wait(first["id"])


def test_stop_cancels_a_running_execution(client: AgentFlowClient) -> None:
    # 20 emails at the sandbox latency keep the run busy for seconds
    created = client.create_workflow(reference_workflow())
    started = client.start_execution(created["id"], REFERENCE_INPUT)
    stopped = client.request("POST", f"/api/v1/executions/{started['id']}/stop")
    assert stopped["status"] == "cancelled" and stopped["error"]["type"] == "Cancelled"
    with pytest.raises(ApiError) as caught:
        client.request("POST", f"/api/v1/executions/{started['id']}/stop")
    assert caught.value.status == 409


def test_contract_paths_and_errors(server) -> None:
    plain = httpx.get(f"{server.url}/api/v1/health")
    assert plain.status_code == 200 and plain.json()["status"] == "ok"
    unauthorised = httpx.get(f"{server.url}/api/v1/workflows/")
    assert unauthorised.status_code == 401 and unauthorised.json()["error"]["code"] == "unauthorized"
    docs = httpx.get(f"{server.url}/docs")
    assert docs.status_code == 200 and "text/html" in docs.headers["content-type"]
