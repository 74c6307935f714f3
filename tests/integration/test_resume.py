"""Resume: a failed execution continues as a new attempt, reusing what completed and repeating no write."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import REFERENCE_INPUT, GatewayApi, fail_the_nth_email, reference_workflow, sales, workflow


def outbox(stack: Any) -> list[dict[str, Any]]:
    path = stack.data_dir / "sandbox" / "outbox" / "outlook.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def outreach(max_emails: int = 25) -> dict[str, Any]:
    definition = reference_workflow()
    definition["agents"][1]["config"] |= {"use_rag": False, "max_emails": max_emails}
    return definition


def start(api: GatewayApi, workflow_id: str) -> str:
    status, started = api.post("/api/v1/executions/", {"workflow_id": workflow_id, "input": REFERENCE_INPUT})
    assert status == 202, started
    return str(started["id"])


@pytest.fixture
def mail_fails_once_at_the_eighth(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The outlook sandbox refuses the 8th email of the first attempt (a permanent error)."""
    return fail_the_nth_email(monkeypatch, 8)


def test_resume_after_a_failure_midway_sends_the_20_emails_once(
    api: GatewayApi, stack: Any, mail_fails_once_at_the_eighth: list[int]
) -> None:
    # Given the reference workflow whose email agent failed at its 8th email
    status, created = api.post("/api/v1/workflows", outreach())
    assert status == 201, created
    before = len(outbox(stack))
    execution_id = start(api, created["id"])
    failed = api.wait(execution_id)
    assert failed["status"] == "failed" and failed["error"]["agent_id"] == "email_agent_1"
    assert len(outbox(stack)) - before == 7
    sales_first = failed["agent_executions"][0]
    # When it is resumed
    status, resumed = api.post(f"/api/v1/executions/{execution_id}/resume", {})
    assert status == 202, resumed
    assert resumed["id"] == execution_id and resumed["status"] == "running"
    done = api.wait(execution_id)
    # Then it completes, 20 emails in all were sent, each once, and the sales agent did not run again
    assert done["status"] == "completed", done["error"]
    sent = outbox(stack)[before:]
    assert len(sent) == 20 and len({(mail["to"]["address"], mail["subject"]) for mail in sent}) == 20
    assert done["output"]["emails_sent"] == 20
    sales_run, email_run = done["agent_executions"]
    assert sales_run["reused"] is True and email_run["reused"] is False
    assert sales_run["started_at"] == sales_first["started_at"]
    assert sales_run["completed_at"] == sales_first["completed_at"] and sales_run["attempts"] == 1
    assert [a["number"] for a in done["attempts"]] == [1, 2]
    assert [a["status"] for a in done["attempts"]] == ["failed", "completed"]
    assert done["attempts"][1]["rerun"] == ["email_agent_1"]
    assert done["metrics"]["reused_tokens"] == sales_run["tokens"]
    assert done["metrics"]["total_tokens"] == sales_run["tokens"] + email_run["tokens"]


def test_only_ended_executions_resume(api: GatewayApi, other_tenant: GatewayApi) -> None:
    # Given a completed execution
    _, created = api.post("/api/v1/workflows", workflow("One", [sales("s")], []))
    execution_id = start(api, created["id"])
    assert api.wait(execution_id)["status"] == "completed"
    # When it is resumed, or another tenant resumes it, or an unknown one
    conflict = api.post(f"/api/v1/executions/{execution_id}/resume", {})
    foreign = other_tenant.post(f"/api/v1/executions/{execution_id}/resume", {})
    unknown = api.post("/api/v1/executions/exec_nope/resume", {})
    bad = api.post(f"/api/v1/executions/{execution_id}/resume", {"workflow_version": "two"})
    # Then: 409, 404, 404, 422
    assert conflict[0] == 409 and "completed" in conflict[1]["error"]["message"]
    assert foreign[0] == 404 and unknown[0] == 404
    assert bad[0] == 422 and bad[1]["error"]["code"] == "validation_error"


def test_resume_onto_a_compatible_and_an_incompatible_version(
    api: GatewayApi, stack: Any, mail_fails_once_at_the_eighth: list[int]
) -> None:
    # Given a failed run of version 1 whose sales agent completed
    status, created = api.post("/api/v1/workflows", outreach(max_emails=10))
    execution_id = start(api, created["id"])
    assert api.wait(execution_id)["status"] == "failed"
    # And version 2 changes only the email agent; version 3 gives the sales agent another type
    compatible = {**outreach(max_emails=10), "version": 1}
    compatible["agents"][1]["config"]["email_template"] = "follow_up"
    assert api.call("PUT", f"/api/v1/workflows/{created['id']}", compatible)[0] == 200
    incompatible = {**compatible, "version": 2}
    incompatible["agents"][0] = {"id": "sales_agent_1", "type": "hubspot", "config": {}}
    assert api.call("PUT", f"/api/v1/workflows/{created['id']}", incompatible)[0] == 200
    # When it is resumed onto version 3, it is refused naming the node
    status, refused = api.post(f"/api/v1/executions/{execution_id}/resume", {"workflow_version": 3})
    assert status == 409 and "sales_agent_1" in refused["error"]["message"]
    # When it is resumed onto version 2, it finishes on version 2's email template
    status, resumed = api.post(f"/api/v1/executions/{execution_id}/resume", {"workflow_version": 2})
    assert status == 202, resumed
    done = api.wait(execution_id)
    assert done["status"] == "completed", done["error"]
    assert done["workflow_version"] == 2
    emails = done["output"]["emails"]
    assert len(emails) == 10
    # the 7 sent before the failure keep their check-in subject; the rest follow up
    assert sum("follow" in mail["subject"].lower() for mail in emails) == 3


def test_a_stopped_execution_s_agent_stops_at_its_next_record(
    api: GatewayApi, stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an email agent held inside its 6th send
    import threading

    from agentflow_sandbox.outlook import OutlookSandbox

    real = OutlookSandbox.send
    calls: list[int] = []
    reached, release = threading.Event(), threading.Event()

    def held(self: OutlookSandbox, email: Any) -> Any:
        calls.append(1)
        if len(calls) == 6:
            reached.set()
            release.wait(30)
        return real(self, email)

    monkeypatch.setattr(OutlookSandbox, "send", held)
    status, created = api.post("/api/v1/workflows", outreach())
    before = len(outbox(stack))
    execution_id = start(api, created["id"])
    assert reached.wait(30)
    # When the execution is stopped, then the send in flight finishes
    status, stopped = api.post(f"/api/v1/executions/{execution_id}/stop")
    assert status == 200 and stopped["status"] == "cancelled"
    release.set()
    email_run: dict[str, Any] = {}
    for _ in range(300):
        runs = api.get(f"/api/v1/executions/{execution_id}")[1]["agent_executions"]
        email_run = next(run for run in runs if run["agent_id"] == "email_agent_1")
        if email_run["error"] and email_run["error"]["type"] == "ExecutionStoppedError":
            break
        threading.Event().wait(0.1)
    # Then the agent stopped after that email: 6 sent, not 20, and its run says so
    assert len(outbox(stack)) - before == 6 and len(calls) == 6
    assert email_run["status"] == "cancelled"
    assert "after 6 recorded writes" in email_run["error"]["message"]
    assert email_run["connector_mode"] == "sandbox"
    # And a resume sends the other 14 only
    assert api.post(f"/api/v1/executions/{execution_id}/resume", {})[0] == 202
    done = api.wait(execution_id)
    assert done["status"] == "completed", done["error"]
    assert len(outbox(stack)) - before == 20
