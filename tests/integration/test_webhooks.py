"""Signed webhooks: issue a secret, start a workflow with a signed call, refuse everything else."""

from __future__ import annotations

import json
import time

import pytest

from agentflow.services.webhooks import sign
from tests.helpers import GatewayApi, reference_workflow


@pytest.fixture
def hooked(api: GatewayApi) -> tuple[str, str, str]:
    """(workflow id, trigger url, secret) of a workflow with a webhook."""
    workflow_id = api.post("/api/v1/workflows", reference_workflow())[1]["id"]
    status, hook = api.post(f"/api/v1/workflows/{workflow_id}/webhook")
    assert status == 201, hook
    return workflow_id, hook["url"], hook["secret"]


def call(
    gateway, workflow_id: str, body: bytes, secret: str | None, timestamp: int | None = None, **headers: str
):
    """An unauthenticated call to the trigger route, signed with ``secret`` unless it is None."""
    moment = str(timestamp if timestamp is not None else int(time.time()))
    all_headers = {"Content-Type": "application/json", **headers}
    if secret is not None:
        all_headers |= {"X-AgentFlow-Timestamp": moment, "X-AgentFlow-Signature": sign(secret, moment, body)}
    response = gateway.handle("POST", f"/api/v1/workflows/{workflow_id}/trigger", all_headers, body)
    return response["statusCode"], json.loads(response["body"])


def test_issue_returns_the_trigger_url_and_a_secret(hooked: tuple[str, str, str]) -> None:
    workflow_id, url, secret = hooked
    assert url.endswith(f"/api/v1/workflows/{workflow_id}/trigger") and len(secret) >= 32


def test_the_secret_is_kept_in_secrets_manager_not_dynamodb(hooked, stack) -> None:
    workflow_id, _, secret = hooked
    stored = stack.client("secretsmanager").get_secret_value(SecretId=f"agentflow-webhooks/{workflow_id}")
    assert stored["SecretString"] == secret
    table = stack.template.physical_name("WorkflowsTable")
    items = stack.client("dynamodb").scan(TableName=table)["Items"]
    assert secret not in json.dumps(items)


def test_a_signed_call_starts_the_workflow_with_its_body(api: GatewayApi, gateway, hooked) -> None:
    workflow_id, _, secret = hooked
    body = json.dumps({"request": "Find Q4 deals over $100K"}).encode()
    status, execution = call(gateway, workflow_id, body, secret)
    assert status == 202, execution
    assert execution["trigger"]["type"] == "webhook" and execution["input"] == {
        "request": "Find Q4 deals over $100K"
    }
    assert api.wait(execution["id"])["status"] == "completed"


@pytest.mark.parametrize("problem", ["no signature", "wrong secret", "stale", "future", "tampered"])
def test_bad_signatures_are_401(gateway, hooked, problem: str) -> None:
    workflow_id, _, secret = hooked
    body = b'{"x": 1}'
    now = int(time.time())
    if problem == "no signature":
        result = call(gateway, workflow_id, body, None)
    elif problem == "wrong secret":
        result = call(gateway, workflow_id, body, "not-the-secret")
    elif problem == "stale":
        result = call(gateway, workflow_id, body, secret, timestamp=now - 301)
    elif problem == "future":
        result = call(gateway, workflow_id, body, secret, timestamp=now + 301)
    else:
        moment = str(now)
        headers = {"X-AgentFlow-Timestamp": moment, "X-AgentFlow-Signature": sign(secret, moment, body)}
        response = gateway.handle("POST", f"/api/v1/workflows/{workflow_id}/trigger", headers, b'{"x": 2}')
        result = (response["statusCode"], json.loads(response["body"]))
    assert result[0] == 401 and result[1]["error"]["code"] == "unauthorized"


def test_the_same_signature_twice_is_409(gateway, hooked) -> None:
    workflow_id, _, secret = hooked
    moment = str(int(time.time()))
    body = b'{"once": true}'
    headers = {"X-AgentFlow-Timestamp": moment, "X-AgentFlow-Signature": sign(secret, moment, body)}
    first = gateway.handle("POST", f"/api/v1/workflows/{workflow_id}/trigger", headers, body)
    again = gateway.handle("POST", f"/api/v1/workflows/{workflow_id}/trigger", headers, body)
    assert (first["statusCode"], again["statusCode"]) == (202, 409)


def test_a_signed_body_that_is_not_json_is_422(gateway, hooked) -> None:
    workflow_id, _, secret = hooked
    status, error = call(gateway, workflow_id, b"not json", secret)
    assert status == 422 and "JSON" in error["error"]["message"]


def test_rotating_invalidates_the_old_secret(api: GatewayApi, gateway, hooked) -> None:
    workflow_id, _, old = hooked
    new = api.post(f"/api/v1/workflows/{workflow_id}/webhook")[1]["secret"]
    assert call(gateway, workflow_id, b"{}", old)[0] == 401
    assert call(gateway, workflow_id, b"{}", new)[0] == 202


def test_unknown_workflow_or_no_webhook_is_401(api: GatewayApi, gateway) -> None:
    assert call(gateway, "wf_doesnotexist", b"{}", "whatever")[0] == 401
    bare = api.post("/api/v1/workflows", reference_workflow())[1]["id"]
    assert call(gateway, bare, b"{}", "whatever")[0] == 401


def test_another_tenant_cannot_issue_a_webhook(other_tenant: GatewayApi, hooked) -> None:
    workflow_id, _, _ = hooked
    assert other_tenant.post(f"/api/v1/workflows/{workflow_id}/webhook")[0] == 404


def test_deleting_the_workflow_deletes_its_webhook(api: GatewayApi, gateway, hooked, stack) -> None:
    workflow_id, _, secret = hooked
    assert api.call("DELETE", f"/api/v1/workflows/{workflow_id}")[0] == 204
    assert call(gateway, workflow_id, b"{}", secret)[0] == 401
    names = [item["Name"] for item in stack.client("secretsmanager").list_secrets()["SecretList"]]
    assert f"agentflow-webhooks/{workflow_id}" not in names


def test_a_webhook_whose_secret_was_deleted_refuses_calls_as_unauthorized(gateway, hooked, stack) -> None:
    # Given a webhook whose secret was removed from Secrets Manager behind AgentFlow's back
    workflow_id, _, secret = hooked
    stack.client("secretsmanager").delete_secret(
        SecretId=f"agentflow-webhooks/{workflow_id}", ForceDeleteWithoutRecovery=True
    )
    # When a call signed with the old secret arrives, then it is refused as any bad signature is
    status, body = call(gateway, workflow_id, b"{}", secret)
    assert status == 401 and body["error"]["code"] == "unauthorized"
