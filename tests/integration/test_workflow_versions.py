"""A workflow's versions through the gateway on moto: the list, one version, and the editor's ``ui``."""

from __future__ import annotations

from tests.helpers import GatewayApi, reference_workflow


def create(api: GatewayApi, definition: dict | None = None) -> dict:
    status, body = api.post("/api/v1/workflows/", definition or reference_workflow())
    assert status == 201, body
    return body


def put(api: GatewayApi, workflow_id: str, definition: dict, version: int) -> dict:
    status, body = api.call("PUT", f"/api/v1/workflows/{workflow_id}", {**definition, "version": version})
    assert status == 200, body
    return body


def test_versions_are_listed_newest_first_with_their_names(api: GatewayApi) -> None:
    # Given a workflow saved three times under changing names
    created = create(api)
    put(api, created["id"], {**reference_workflow(), "name": "Second"}, 1)
    third = put(api, created["id"], {**reference_workflow(), "name": "Third"}, 2)
    # When its versions are listed
    status, body = api.get(f"/api/v1/workflows/{created['id']}/versions")
    # Then each version is there, newest first, with the name and time it was saved under
    assert status == 200
    assert [(v["version"], v["name"]) for v in body["versions"]] == [
        (3, "Third"),
        (2, "Second"),
        (1, "Sales Outreach Workflow"),
    ]
    assert body["versions"][0]["created_at"] == third["updated_at"]
    assert body["versions"][-1]["created_at"] == created["created_at"]


def test_one_version_reads_as_it_was(api: GatewayApi) -> None:
    created = create(api)
    changed = reference_workflow()
    changed["agents"][1]["config"]["max_emails"] = 3
    put(api, created["id"], changed, 1)
    status, first = api.get(f"/api/v1/workflows/{created['id']}/versions/1")
    assert status == 200 and first == created
    status, second = api.get(f"/api/v1/workflows/{created['id']}/versions/2")
    assert status == 200 and second["version"] == 2 and second["agents"][1]["config"]["max_emails"] == 3


def test_an_unknown_version_or_workflow_is_404(api: GatewayApi) -> None:
    created = create(api)
    status, body = api.get(f"/api/v1/workflows/{created['id']}/versions/2")
    assert status == 404 and body["error"]["code"] == "not_found" and "version 2" in body["error"]["message"]
    assert api.get("/api/v1/workflows/wf_missing0000/versions")[0] == 404
    assert api.get("/api/v1/workflows/wf_missing0000/versions/1")[0] == 404


def test_a_version_that_is_not_a_positive_number_is_422(api: GatewayApi) -> None:
    created = create(api)
    for bad in ("0", "two", "-1"):
        status, body = api.get(f"/api/v1/workflows/{created['id']}/versions/{bad}")
        assert status == 422 and body["error"]["code"] == "validation_error", (bad, body)


def test_another_tenants_versions_are_404(api: GatewayApi, other_tenant: GatewayApi) -> None:
    created = create(api)
    assert other_tenant.get(f"/api/v1/workflows/{created['id']}/versions")[0] == 404
    assert other_tenant.get(f"/api/v1/workflows/{created['id']}/versions/1")[0] == 404


def test_the_ui_field_is_stored_and_returned_but_changes_nothing_it_runs(api: GatewayApi, stack) -> None:
    # Given the same workflow with and without the editor's node positions
    plain = create(api)
    ui = {"positions": {"sales_agent_1": {"x": 40, "y": 80}, "email_agent_1": {"x": 320, "y": 60}}}
    placed = create(api, {**reference_workflow(), "ui": ui})
    # Then the positions come back as sent, in the workflow and its version
    assert placed["ui"] == ui
    assert api.get(f"/api/v1/workflows/{placed['id']}/versions/1")[1]["ui"] == ui
    # And both compile to the same state machine
    sfn = stack.client("stepfunctions")
    machines = {m["name"]: m["stateMachineArn"] for m in sfn.list_state_machines()["stateMachines"]}

    def definition(workflow_id: str) -> str:
        arn = next(arn for name, arn in machines.items() if name.endswith(workflow_id))
        return sfn.describe_state_machine(stateMachineArn=arn)["definition"].replace(workflow_id, "WF")

    assert definition(plain["id"]) == definition(placed["id"])


def test_the_versions_routes_are_in_the_openapi_document(api: GatewayApi) -> None:
    status, document = api.get("/api/v1/openapi.json")
    assert status == 200
    listing = document["paths"]["/api/v1/workflows/{workflow_id}/versions"]["get"]
    one = document["paths"]["/api/v1/workflows/{workflow_id}/versions/{version}"]["get"]
    schema = listing["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["$ref"].endswith("/WorkflowVersionList")
    version = document["components"]["schemas"]["WorkflowVersion"]
    assert set(version["required"]) == {"version", "created_at", "name"}
    assert {parameter["name"] for parameter in one["parameters"]} == {"workflow_id", "version"}
