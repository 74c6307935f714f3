"""Event triggers: a workflow starts when another of the tenant's workflows completes."""

from __future__ import annotations

import time

from tests.helpers import REFERENCE_INPUT, GatewayApi, reference_workflow

COMPLETED = {"detail-type": ["AgentFlow Execution Status Change"], "detail": {"status": ["completed"]}}


def create_workflow(api: GatewayApi) -> str:
    return str(api.post("/api/v1/workflows", reference_workflow())[1]["id"])


def executions_of(api: GatewayApi, workflow_id: str) -> list[dict]:
    return list(api.get(f"/api/v1/executions?workflow_id={workflow_id}")[1]["executions"])


def wait_for_executions(api: GatewayApi, workflow_id: str, count: int, timeout: float = 30) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = executions_of(api, workflow_id)
        if len(found) >= count:
            return found
        time.sleep(0.2)
    return executions_of(api, workflow_id)


def test_a_completed_execution_starts_the_triggered_workflow(api: GatewayApi) -> None:
    # Given workflow B triggered by the completion of workflow A
    first, second = create_workflow(api), create_workflow(api)
    pattern = {**COMPLETED, "detail": {**COMPLETED["detail"], "workflow_id": [first]}}
    status, trigger = api.post(f"/api/v1/workflows/{second}/event-triggers", {"event_pattern": pattern})
    assert status == 201, trigger
    assert trigger["event_pattern"]["source"] == ["agentflow"]
    assert trigger["event_pattern"]["detail"]["tenant_id"] == ["tenant-a"]
    # When A runs to completion
    started = api.post("/api/v1/executions", {"workflow_id": first, "input": REFERENCE_INPUT})[1]
    assert api.wait(started["id"])["status"] == "completed"
    # Then B starts once, with the event as its input
    triggered = wait_for_executions(api, second, 1)
    assert len(triggered) == 1
    assert triggered[0]["trigger"]["type"] == "event"
    assert triggered[0]["trigger"]["event_trigger_id"] == trigger["id"]
    execution = api.wait(triggered[0]["id"])
    assert execution["input"]["detail"]["execution_id"] == started["id"]
    assert execution["status"] == "completed"


def test_another_tenants_events_never_trigger(api: GatewayApi, other_tenant: GatewayApi) -> None:
    # Given tenant B's workflow listening for any completion
    listener = create_workflow(other_tenant)
    workflow_id = create_workflow(api)
    # Any completion but its own (a trigger on its own completions would be a loop)
    anything = {**COMPLETED, "detail": {**COMPLETED["detail"], "workflow_id": [{"anything-but": listener}]}}
    assert (
        other_tenant.post(f"/api/v1/workflows/{listener}/event-triggers", {"event_pattern": anything})[0]
        == 201
    )
    # When tenant A's workflow completes
    started = api.post("/api/v1/executions", {"workflow_id": workflow_id, "input": REFERENCE_INPUT})[1]
    api.wait(started["id"])
    time.sleep(1)
    # Then nothing started for tenant B
    assert executions_of(other_tenant, listener) == []


def test_list_delete_and_invalid_patterns(api: GatewayApi) -> None:
    workflow_id, other = create_workflow(api), create_workflow(api)
    path = f"/api/v1/workflows/{workflow_id}/event-triggers"
    pattern = {**COMPLETED, "detail": {**COMPLETED["detail"], "workflow_id": [other]}}
    trigger = api.post(path, {"event_pattern": pattern})[1]
    assert [item["id"] for item in api.get(path)[1]["event_triggers"]] == [trigger["id"]]
    assert api.call("DELETE", f"{path}/{trigger['id']}")[0] == 204
    assert api.get(path)[1]["event_triggers"] == []
    status, error = api.post(path, {"event_pattern": {"detail": "everything"}})
    assert status == 422 and "detail" in error["error"]["message"]


def test_a_ready_document_starts_a_workflow_with_the_document_in_its_input(api: GatewayApi) -> None:
    import base64

    listener = create_workflow(api)
    pattern = {"detail-type": ["AgentFlow Document Status Change"], "detail": {"status": ["ready"]}}
    assert api.post(f"/api/v1/workflows/{listener}/event-triggers", {"event_pattern": pattern})[0] == 201
    text = b"Onyx Freight signed the renewal; the new term starts in January."
    body = {"filename": "onyx.txt", "content_base64": base64.b64encode(text).decode()}
    status, document = api.post("/api/v1/documents", body)
    assert status == 202, document
    triggered = wait_for_executions(api, listener, 1)
    assert len(triggered) == 1 and triggered[0]["trigger"]["type"] == "event"
    detail = api.wait(triggered[0]["id"])["input"]["detail"]
    assert (detail["document_id"], detail["filename"], detail["status"]) == (
        document["id"],
        "onyx.txt",
        "ready",
    )
    assert detail["chunks"] == 1 and detail["tenant_id"] == "tenant-a"
