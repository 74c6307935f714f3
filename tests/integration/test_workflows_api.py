"""Workflows through the gateway (authorizer + API handler) on moto."""

from __future__ import annotations

import pytest

from tests.helpers import GatewayApi, email, reference_workflow, sales, workflow


def create(api: GatewayApi, definition: dict | None = None) -> dict:
    status, body = api.post("/api/v1/workflows/", definition or reference_workflow())
    assert status == 201, body
    return body


def test_create_returns_the_stored_workflow(api: GatewayApi) -> None:
    body = create(api)
    assert body["id"].startswith("wf_") and len(body["id"]) >= 11
    assert body["version"] == 1
    assert body["execution_order"] == ["sales_agent_1", "email_agent_1"]
    assert body["created_at"].endswith("Z") and body["agents"][0]["config"]["stage"] == "Negotiation"


def test_create_deploys_a_state_machine(api: GatewayApi, stack) -> None:
    body = create(api)
    machines = stack.client("stepfunctions").list_state_machines()["stateMachines"]
    assert any(machine["name"].endswith(body["id"]) for machine in machines)


def test_get_with_and_without_trailing_slash(api: GatewayApi) -> None:
    body = create(api)
    assert api.get(f"/api/v1/workflows/{body['id']}") == (200, body)
    assert api.get(f"/api/v1/workflows/{body['id']}/") == (200, body)


def test_list_pages_with_next_token(api: GatewayApi) -> None:
    ids = {create(api)["id"] for _ in range(3)}
    seen: set[str] = set()
    token = None
    while True:
        path = "/api/v1/workflows?limit=2" + (f"&next_token={token}" if token else "")
        status, page = api.get(path)
        assert status == 200 and len(page["workflows"]) <= 2
        seen |= {item["id"] for item in page["workflows"]}
        token = page["next_token"]
        if not token:
            break
    assert ids <= seen


def test_put_bumps_the_version(api: GatewayApi) -> None:
    body = create(api)
    changed = {**reference_workflow(), "name": "Renamed", "version": 1}
    status, updated = api.call("PUT", f"/api/v1/workflows/{body['id']}", changed)
    assert status == 200 and updated["version"] == 2 and updated["name"] == "Renamed"
    assert api.get(f"/api/v1/workflows/{body['id']}")[1]["version"] == 2


def test_put_with_a_stale_version_is_409_and_changes_nothing(api: GatewayApi) -> None:
    body = create(api)
    api.call("PUT", f"/api/v1/workflows/{body['id']}", {**reference_workflow(), "version": 1})
    status, error = api.call(
        "PUT", f"/api/v1/workflows/{body['id']}", {**reference_workflow(), "name": "Late", "version": 1}
    )
    assert status == 409 and error["error"]["code"] == "conflict"
    assert api.get(f"/api/v1/workflows/{body['id']}")[1]["name"] == reference_workflow()["name"]


def test_put_with_an_invalid_dag_is_422_and_keeps_the_old_version(api: GatewayApi) -> None:
    body = create(api)
    cyclic = {
        **reference_workflow(),
        "edges": [
            {"source": "sales_agent_1", "target": "email_agent_1"},
            {"source": "email_agent_1", "target": "sales_agent_1"},
        ],
        "version": 1,
    }
    status, error = api.call("PUT", f"/api/v1/workflows/{body['id']}", cyclic)
    assert status == 422 and "cycle" in error["error"]["message"]
    assert api.get(f"/api/v1/workflows/{body['id']}")[1]["version"] == 1


def test_delete_then_404(api: GatewayApi) -> None:
    body = create(api)
    assert api.call("DELETE", f"/api/v1/workflows/{body['id']}")[0] == 204
    assert api.get(f"/api/v1/workflows/{body['id']}")[0] == 404
    assert api.call("DELETE", f"/api/v1/workflows/{body['id']}")[0] == 404


@pytest.mark.parametrize(
    ("definition", "named"),
    [
        (workflow("Cycle", [sales("a"), sales("b")], [("a", "b"), ("b", "a")]), "a → b → a"),
        (workflow("Type", [{"id": "x", "type": "fax_machine", "config": {}}], []), "fax_machine"),
        (workflow("Config", [email("mailer", email_template="haiku")], []), "config field 'email_template'"),
        (workflow("Edge", [sales("a")], [("a", "nowhere")]), "nowhere"),
        (workflow("Empty", [], []), "agents"),
    ],
)
def test_invalid_workflows_are_422_naming_the_problem(api: GatewayApi, definition: dict, named: str) -> None:
    status, body = api.post("/api/v1/workflows", definition)
    assert status == 422 and body["error"]["code"] == "validation_error"
    assert named in body["error"]["message"]


def test_another_tenants_workflow_is_404(api: GatewayApi, other_tenant: GatewayApi) -> None:
    body = create(api)
    assert other_tenant.get(f"/api/v1/workflows/{body['id']}")[0] == 404
    assert other_tenant.call("DELETE", f"/api/v1/workflows/{body['id']}")[0] == 404
    listed = other_tenant.get("/api/v1/workflows")[1]["workflows"]
    assert body["id"] not in {item["id"] for item in listed}


def test_another_tenants_next_token_is_rejected(api: GatewayApi, other_tenant: GatewayApi) -> None:
    create(api)
    create(api)
    token = api.get("/api/v1/workflows?limit=1")[1]["next_token"]
    status, body = other_tenant.get(f"/api/v1/workflows?next_token={token}")
    assert status == 422 and "next_token" in body["error"]["message"]


def test_missing_or_unknown_key_is_401(gateway) -> None:
    for key in (None, "not-a-key"):
        status, body = GatewayApi(gateway, key).get("/api/v1/workflows")
        assert status == 401 and body["error"]["code"] == "unauthorized"


def test_health_needs_no_key(gateway) -> None:
    assert GatewayApi(gateway, None).get("/api/v1/health")[0] == 200
