"""Every agent type can be configured from its served config_schema alone, in every mode.

A client reads GET /agents/types, fills each required field (conditional ones included) with the
field's first example and leaves the rest to their defaults; the API accepts the config and the
agent runs on the sandbox.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from agentflow.registry import REGISTRY
from tests.helpers import REFERENCE_INPUT, GatewayApi

UPSTREAM = {"id": "deals", "type": "sales_intelligence", "config": {}}


def agent_types(api: GatewayApi) -> dict[str, dict[str, Any]]:
    status, body = api.get("/api/v1/agents/types")
    assert status == 200
    return {item["type"]: item["config_schema"] for item in body["agent_types"]}


def modes(schema: dict[str, Any]) -> list[str | None]:
    mode = schema["properties"].get("mode")
    return list(mode["enum"]) if mode else [None]


def required_fields(schema: dict[str, Any], config: dict[str, Any]) -> list[str]:
    """The fields the schema requires of ``config``: always, or by an ``if``/``then`` that applies."""
    required = list(schema.get("required", []))
    for rule in schema.get("allOf", []):
        if not Draft202012Validator(rule["if"]).is_valid(config):
            continue
        for part in rule["then"]["allOf"]:
            required += part.get("required", [])
            if part.get("anyOf"):
                required += part["anyOf"][0]["required"]  # any one will do: take the first
    return required


def filled_from_schema(schema: dict[str, Any], mode: str | None) -> dict[str, Any]:
    config: dict[str, Any] = {} if mode is None else {"mode": mode}
    for name in required_fields(schema, config):
        examples = schema["properties"][name].get("examples")
        assert examples, f"required field '{name}' has no example in the schema"
        config[name] = examples[0]
    return config


def approve_all(api: GatewayApi, execution_id: str, count: int) -> dict[str, Any]:
    """Approve the execution's ``count`` pending approvals by their digests; the finished execution."""
    deadline = time.monotonic() + 60
    approvals: list[dict[str, Any]] = []
    while len(approvals) < count and time.monotonic() < deadline:
        listed = api.get("/api/v1/approvals?status=pending&limit=100")[1]["approvals"]
        approvals = [item for item in listed if item["execution_id"] == execution_id]
        time.sleep(0.1)
    for item in approvals:
        body = {"decision": "approve", "payload_digest": item["payload_digest"]}
        status, decided = api.post(f"/api/v1/executions/{execution_id}/approvals/{item['node_id']}", body)
        assert status == 200, decided
    return api.wait(execution_id, timeout=120)


@pytest.mark.parametrize("agent_type", REGISTRY.types())
def test_a_config_filled_from_the_schema_alone_is_accepted_and_runs(api: GatewayApi, agent_type: str) -> None:
    # Given the served schema of one agent type, and a config per mode filled from it alone
    schema = agent_types(api)[agent_type]
    nodes = []
    for mode in modes(schema):
        config = filled_from_schema(schema, mode)
        Draft202012Validator(schema).validate(config)  # what a client-side form would check
        nodes.append({"id": f"{agent_type}_{mode or 'default'}", "type": agent_type, "config": config})
    upstream = [] if agent_type == "sales_intelligence" else [UPSTREAM]
    definition = {
        "name": f"{agent_type} from its schema",
        "agents": upstream + nodes,
        "edges": [{"source": "deals", "target": node["id"]} for node in nodes if upstream],
    }
    # When the workflow is registered and run on the sandbox
    status, workflow = api.post("/api/v1/workflows", definition)
    assert status == 201, workflow
    status, execution = api.post(
        "/api/v1/executions", {"workflow_id": workflow["id"], "input": REFERENCE_INPUT}
    )
    assert status == 202, execution
    finished = api.wait(execution["id"], timeout=120)
    if agent_type == "approval":
        # (an approval waits for its decision: approve what it holds, as an approver would)
        finished = approve_all(api, execution["id"], len(nodes))
    # Then every mode's agent completed
    runs = {run["agent_id"]: run for run in finished["agent_executions"]}
    assert finished["status"] == "completed", (finished["error"], [r.get("error") for r in runs.values()])
    assert all(runs[node["id"]]["status"] == "completed" for node in nodes)


@pytest.mark.parametrize("agent_type", REGISTRY.types())
def test_every_required_field_has_an_example_and_every_mode_rule_is_stated(
    api: GatewayApi, agent_type: str
) -> None:
    schema = agent_types(api)[agent_type]
    for mode in modes(schema):
        filled_from_schema(schema, mode)  # asserts an example for each required field
    # A config the model refuses for a missing mode field is refused by the schema too
    model = REGISTRY.get(agent_type).config_model
    for mode, fields in {**model.required_in_mode, **model.one_of_in_mode}.items():
        assert not Draft202012Validator(schema).is_valid({"mode": mode}), (mode, fields)
