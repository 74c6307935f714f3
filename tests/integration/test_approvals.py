"""Approvals through the state machine: waiting, the digest, parallel branches, timeouts, stop."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from tests.helpers import ROOT, GatewayApi, sales, start, workflow


def with_approval() -> dict[str, Any]:
    return json.loads((ROOT / "examples" / "outreach_with_approval.json").read_text())


def approval(node_id: str, **config: Any) -> dict[str, Any]:
    return {"id": node_id, "type": "approval", "config": {"message": f"Go ahead with {node_id}?", **config}}


def pending(api: GatewayApi, execution_id: str, count: int = 1, timeout: float = 30) -> list[dict[str, Any]]:
    """The execution's pending approvals, once ``count`` of them are pending."""
    deadline = time.monotonic() + timeout
    while True:
        status, listed = api.get("/api/v1/approvals?status=pending&limit=100")
        assert status == 200, listed
        mine = [item for item in listed["approvals"] if item["execution_id"] == execution_id]
        if len(mine) >= count or time.monotonic() > deadline:
            return mine
        time.sleep(0.1)


def decide(api: GatewayApi, item: dict[str, Any], decision: str, **extra: Any) -> tuple[int, Any]:
    body = {"decision": decision, "payload_digest": item["payload_digest"], **extra}
    return api.post(f"/api/v1/executions/{item['execution_id']}/approvals/{item['node_id']}", body)


def expire_all(stack: Any) -> list[dict[str, str]]:
    """The periodic sweep, run as if a week had passed."""
    from agentflow.services.approvals import ApprovalService
    from agentflow.settings import function_environment

    with function_environment(stack.lambdas.environment(stack.template.functions()["StatusFunction"])):
        return ApprovalService().expire(now="2100-01-01T00:00:00.000Z")


def test_an_approved_run_sends_what_was_approved(api: GatewayApi, other_tenant: GatewayApi) -> None:
    # Given the outreach workflow with an approval before the emails
    execution_id = start(api, with_approval())
    # When the approval is pending
    [item] = pending(api, execution_id)
    status, waiting = api.get(f"/api/v1/executions/{execution_id}")
    # Then the execution waits, and the approval shows the deals with the digest of exactly them
    assert waiting["status"] == "waiting_approval"
    assert item["reason"] == "approval_node" and len(item["payload"]["deals"]) == 20
    canonical = json.dumps(item["payload"], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert item["payload_digest"] == "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
    node = next(run for run in waiting["agent_executions"] if run["agent_id"] == "review_deals")
    assert node["status"] == "waiting_approval" and node["approval"]["status"] == "pending"
    assert other_tenant.get("/api/v1/approvals")[1]["approvals"] == []
    # And a decision on another digest, or another tenant's, is refused
    wrong = decide(api, {**item, "payload_digest": "sha256:" + "0" * 64}, "approve")
    assert wrong[0] == 409 and "payload_digest" in wrong[1]["error"]["message"]
    assert decide(other_tenant, item, "approve")[0] == 404
    assert (
        api.post(
            f"/api/v1/executions/{execution_id}/approvals/sales_agent_1",
            {"decision": "approve", "payload_digest": item["payload_digest"]},
        )[0]
        == 404
    )
    # When it is approved
    status, decided = decide(api, item, "approve", comment="looks right")
    assert status == 200 and decided["status"] == "approved" and decided["comment"] == "looks right"
    done = api.wait(execution_id)
    # Then the run completes with the 20 emails, the approval passing its input through unchanged
    assert done["status"] == "completed", done["error"]
    assert done["output"]["emails_sent"] == 20
    runs = {run["agent_id"]: run for run in done["agent_executions"]}
    assert runs["review_deals"]["output"] == runs["sales_agent_1"]["output"]
    assert runs["review_deals"]["approval"]["decided_by"] == "api"
    # And a second decision is a conflict
    assert decide(api, item, "approve")[0] == 409


def test_an_approval_outside_series_parallel_structure_opens_its_childs_start_gate(api: GatewayApi) -> None:
    # Given a graph that is not series-parallel, where the approval is one of two parents of a
    # node that starts behind a start gate (b → c ← ok ← a, ok → d)
    definition = workflow(
        "Gated review",
        [sales("a"), sales("b"), approval("ok"), sales("c"), sales("d")],
        [("a", "ok"), ("b", "c"), ("ok", "c"), ("ok", "d")],
    )
    execution_id = start(api, definition)
    # When the approval is pending, its other parent has finished, yet the gated child waits
    [item] = pending(api, execution_id)
    runs = {
        run["agent_id"]: run for run in api.get(f"/api/v1/executions/{execution_id}")[1]["agent_executions"]
    }
    assert runs["c"]["status"] == "pending" and runs["d"]["status"] == "pending"
    # And when it is approved
    assert decide(api, item, "approve")[0] == 200
    # Then the child behind the gate runs after the decision, and the run completes
    done = api.wait(execution_id)
    assert done["status"] == "completed", done["error"]
    runs = {run["agent_id"]: run for run in done["agent_executions"]}
    assert runs["c"]["started_at"] >= runs["ok"]["completed_at"] >= runs["b"]["completed_at"]


def test_two_approvals_in_parallel_branches_are_decided_independently(api: GatewayApi) -> None:
    # Given two branches, each behind its own approval
    definition = workflow(
        "Two reviews",
        [sales("deals"), approval("left"), approval("right"), sales("after_left"), sales("after_right")],
        [("deals", "left"), ("deals", "right"), ("left", "after_left"), ("right", "after_right")],
    )
    execution_id = start(api, definition)
    # When both are pending at once
    items = {item["node_id"]: item for item in pending(api, execution_id, count=2)}
    assert set(items) == {"left", "right"}
    # Then approving the left one runs its branch while the right one still waits
    assert decide(api, items["left"], "approve")[0] == 200
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        runs = {
            run["agent_id"]: run
            for run in api.get(f"/api/v1/executions/{execution_id}")[1]["agent_executions"]
        }
        if runs["after_left"]["status"] == "completed":
            break
        time.sleep(0.1)
    execution = api.get(f"/api/v1/executions/{execution_id}")[1]
    runs = {run["agent_id"]: run for run in execution["agent_executions"]}
    assert runs["after_left"]["status"] == "completed" and runs["right"]["status"] == "waiting_approval"
    assert execution["status"] == "waiting_approval"
    # And rejecting the right one fails the run with ApprovalRejected on that node
    assert decide(api, items["right"], "reject", comment="not this quarter")[0] == 200
    failed = api.wait(execution_id)
    assert failed["status"] == "failed"
    assert failed["error"]["type"] == "ApprovalRejected" and failed["error"]["agent_id"] == "right"
    # And the failed run resumes: the right approval is asked again, the left one is reused
    assert api.post(f"/api/v1/executions/{execution_id}/resume", {})[0] == 202
    [again] = pending(api, execution_id)
    assert again["node_id"] == "right"
    assert decide(api, again, "approve")[0] == 200
    done = api.wait(execution_id)
    assert done["status"] == "completed", done["error"]
    assert {run["agent_id"] for run in done["agent_executions"] if run["reused"]} == {
        "deals",
        "left",
        "after_left",
    }


def test_an_approval_that_times_out_rejects_or_approves_as_configured(api: GatewayApi, stack: Any) -> None:
    # Given one run whose approval rejects on timeout and one whose approval approves
    rejecting = start(
        api, workflow("Times out", [sales("s"), approval("gate", timeout_seconds=60)], [("s", "gate")])
    )
    approving = start(
        api,
        workflow(
            "Times out kindly",
            [sales("s"), approval("gate", timeout_seconds=60, on_timeout="approve")],
            [("s", "gate")],
        ),
    )
    pending(api, rejecting)
    pending(api, approving)
    # When their time is up and the sweep runs
    settled = {item["execution_id"] for item in expire_all(stack)}
    assert {rejecting, approving} <= settled
    # Then one failed as expired, the other went on with its input unchanged
    failed, completed = api.wait(rejecting), api.wait(approving)
    assert failed["status"] == "failed" and failed["error"]["type"] == "ApprovalExpired"
    assert completed["status"] == "completed", completed["error"]
    gate = next(run for run in completed["agent_executions"] if run["agent_id"] == "gate")
    assert gate["approval"]["status"] == "expired" and gate["approval"]["decided_by"] == "timeout"
    assert (
        completed["output"]
        == next(run for run in completed["agent_executions"] if run["agent_id"] == "s")["output"]
    )


def test_stopping_a_waiting_execution_cancels_its_approvals(api: GatewayApi) -> None:
    # Given a run waiting for an approval
    execution_id = start(api, with_approval())
    [item] = pending(api, execution_id)
    # When it is stopped
    status, stopped = api.post(f"/api/v1/executions/{execution_id}/stop")
    # Then it is cancelled, its approval too, and a late decision is refused
    assert status == 200 and stopped["status"] == "cancelled"
    node = next(run for run in stopped["agent_executions"] if run["agent_id"] == "review_deals")
    assert node["approval"]["status"] == "cancelled"
    assert pending(api, execution_id, timeout=0) == []
    assert decide(api, item, "approve")[0] == 409


def test_an_approval_can_say_where_to_decide_through_slack_and_email(api: GatewayApi, stack: Any) -> None:
    # Given an approval that notifies a Slack channel and a reviewer's mailbox
    notify = {"slack_channel": "#deal-desk", "email": "reviewer@example.com"}
    execution_id = start(
        api, workflow("Notified", [sales("s"), approval("gate", notify=notify)], [("s", "gate")])
    )
    # When it is pending
    [item] = pending(api, execution_id)
    # Then the Slack message and the email name the route that decides it
    route = f"/api/v1/executions/{execution_id}/approvals/gate"
    slack = (stack.data_dir / "sandbox" / "slack" / "messages.jsonl").read_text().splitlines()
    assert any(route in json.loads(line)["text"] for line in slack)
    mails = (stack.data_dir / "sandbox" / "outbox" / "outlook.jsonl").read_text().splitlines()
    mail = next(json.loads(line) for line in mails if route in json.loads(line)["body"])
    assert mail["to"]["address"] == "reviewer@example.com"
    assert decide(api, item, "approve")[0] == 200
    assert api.wait(execution_id)["status"] == "completed"


def test_an_approval_config_is_validated(api: GatewayApi) -> None:
    for config in ({"timeout_seconds": 30}, {"on_timeout": "ignore"}, {"notify": {}}):
        definition = workflow("Bad", [sales("s"), approval("gate", **config)], [("s", "gate")])
        status, body = api.post("/api/v1/workflows", definition)
        assert status == 422 and "gate" in body["error"]["message"], config


def test_the_approvals_list_pages_oldest_first(api: GatewayApi) -> None:
    # Given two runs waiting, one started after the other
    first = start(api, workflow("First", [sales("s"), approval("gate")], [("s", "gate")]))
    pending(api, first)
    second = start(api, workflow("Second", [sales("s"), approval("gate")], [("s", "gate")]))
    pending(api, second)
    # When the pending approvals are read one per page
    seen: list[dict[str, Any]] = []
    token = None
    for _ in range(100):
        query = "/api/v1/approvals?status=pending&limit=1" + (f"&next_token={token}" if token else "")
        status, page = api.get(query)
        assert status == 200 and len(page["approvals"]) <= 1
        seen += page["approvals"]
        token = page["next_token"]
        if token is None:
            break
    # Then every one comes once, oldest first
    mine = [item["execution_id"] for item in seen if item["execution_id"] in (first, second)]
    assert mine == [first, second]
    requested = [item["requested_at"] for item in seen]
    assert requested == sorted(requested)
    for execution_id in (first, second):
        api.post(f"/api/v1/executions/{execution_id}/stop")
