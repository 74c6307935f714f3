"""Every workflow in examples/ runs on the local stack and produces outputs that make sense."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from tests.helpers import REFERENCE_INPUT, ROOT, GatewayApi

EXAMPLES = sorted((ROOT / "examples").glob("*.json"))


def outputs(execution: dict) -> dict[str, dict]:
    return {run["agent_id"]: run["output"] for run in execution["agent_executions"]}


def sales_outreach(execution: dict) -> None:
    out = outputs(execution)
    assert len(out["sales_agent_1"]["deals"]) == 20
    assert out["email_agent_1"]["emails_sent"] == 20


def support_escalation(execution: dict) -> None:
    out = outputs(execution)
    tickets = out["open_tickets"]["tickets"]
    assert tickets and all(ticket["organization_name"] == "Northwind Logistics" for ticket in tickets)
    assert all(ticket["priority"] in ("urgent", "high") for ticket in tickets)
    assert all(ticket["status"] not in ("solved", "closed") for ticket in tickets)
    records = out["incidents"]["records"]
    assert [record["source_id"] for record in records] == [str(ticket["id"]) for ticket in tickets]
    assert all(record["number"].startswith("INC") for record in records)
    message = out["notify_support"]["messages"][0]["text"]
    assert records[0]["number"] in message or str(len(records)) in message


def new_hire_onboarding(execution: dict) -> None:
    out = outputs(execution)
    workers = out["new_hires"]["workers"]
    issues = out["onboarding_issues"]["issues"]
    assert workers and len(issues) == len(workers)
    assert all(issue["key"].startswith("ONB-") for issue in issues)
    assert all(worker["name"] in issue["summary"] for worker, issue in zip(workers, issues, strict=True))
    assert out["notify_people_ops"]["posted"] >= 1
    assert issues[0]["key"] in out["notify_people_ops"]["messages"][0]["text"]


def deal_desk(execution: dict) -> None:
    out = outputs(execution)
    deals = out["q4_deals"]["deals"]
    assert deals and all(deal["stage"] == "Negotiation" and deal["amount"] >= 50_000 for deal in deals)
    with_orders = out["open_orders"]["deals"]
    assert with_orders and all(deal["sap_order_count"] > 0 for deal in with_orders)
    assert {deal["id"] for deal in with_orders} <= {deal["id"] for deal in deals}
    emails = out["owner_emails"]["emails"]
    assert len(emails) == min(10, len(with_orders))
    for email, deal in zip(emails, with_orders, strict=False):
        assert email["recipient"] == deal["owner_email"] and deal["account_name"] in email["body"]
    # The model wrote the bodies: its tokens are counted on the agent and in the totals
    metrics = execution["metrics"]
    assert metrics["per_agent"]["owner_emails"]["tokens"] > 0
    assert metrics["total_tokens"] == sum(agent["tokens"] for agent in metrics["per_agent"].values())


def outreach_with_approval(execution: dict) -> None:
    sales_outreach(execution)
    out = outputs(execution)
    assert out["review_deals"] == out["sales_agent_1"]


CHECKS: dict[str, Callable[[dict], None]] = {
    "deal_desk": deal_desk,
    "outreach_with_approval": outreach_with_approval,
    "sales_outreach": sales_outreach,
    "support_escalation": support_escalation,
    "new_hire_onboarding": new_hire_onboarding,
}


def test_every_example_has_a_check() -> None:
    assert {path.stem for path in EXAMPLES} == set(CHECKS)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda path: path.stem)
def test_example_completes_with_sensible_outputs(api: GatewayApi, path) -> None:
    status, workflow = api.post("/api/v1/workflows", json.loads(path.read_text()))
    assert status == 201, workflow
    body = {"workflow_id": workflow["id"], "input": REFERENCE_INPUT}
    status, started = api.post("/api/v1/executions", body)
    assert status == 202, started
    execution = api.wait(started["id"])
    while execution["status"] == "waiting_approval":
        # A person approves what the run shows them (by its digest), as `agentflow approvals approve` does
        for item in api.get("/api/v1/approvals")[1]["approvals"]:
            if item["execution_id"] == started["id"]:
                decision = {"decision": "approve", "payload_digest": item["payload_digest"]}
                api.post(f"/api/v1/executions/{started['id']}/approvals/{item['node_id']}", decision)
        execution = api.wait(started["id"])
    assert execution["status"] == "completed", execution["error"]
    CHECKS[path.stem](execution)
