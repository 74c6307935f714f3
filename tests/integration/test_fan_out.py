"""for_each through the state machine on moto: a node's records run in batches, merged in order."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import REFERENCE_INPUT, GatewayApi


def outreach(batch_size: int = 3, max_concurrency: int = 4, **email_config: Any) -> dict[str, Any]:
    """Sales Outreach (20 matching deals) with the email node fanned out over the deals."""
    return {
        "name": "Fanned-out outreach",
        "agents": [
            {
                "id": "sales",
                "type": "sales_intelligence",
                "config": {"stage": "Negotiation", "min_amount": 100000, "close_quarter": "Q4"},
            },
            {
                "id": "mail",
                "type": "email_outreach",
                "config": {"connector": "outlook", **email_config},
                "for_each": {"batch_size": batch_size, "max_concurrency": max_concurrency},
            },
        ],
        "edges": [{"source": "sales", "target": "mail"}],
    }


def outbox(stack: Any) -> list[dict[str, Any]]:
    path = stack.data_dir / "sandbox" / "outbox" / "outlook.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def run(
    api: GatewayApi, definition: dict[str, Any], execution_input: Any = REFERENCE_INPUT
) -> dict[str, Any]:
    status, created = api.post("/api/v1/workflows", definition)
    assert status == 201, created
    status, started = api.post(
        "/api/v1/executions/", {"workflow_id": created["id"], "input": execution_input}
    )
    assert status == 202, started
    return api.wait(started["id"], timeout=120)


def test_a_for_each_email_node_sends_each_deal_one_email_and_merges_in_order(
    api: GatewayApi, stack: Any
) -> None:
    # Given the email node fanned out over the 20 deals in batches of 3
    before = len(outbox(stack))
    # When the workflow runs
    execution = run(api, outreach(batch_size=3))
    # Then it completes with one agent execution per node, the email node's batches all completed
    assert execution["status"] == "completed", execution["error"]
    sales, mail = execution["agent_executions"]
    assert [sales["agent_id"], mail["agent_id"]] == ["sales", "mail"]
    assert mail["batches"] == {"total": 7, "completed": 7, "failed": 0}
    # and 20 emails went out, once each, merged in the deals' order with counts summed
    deals = sales["output"]["deals"]
    assert len(deals) == 20
    assert mail["output"]["emails_sent"] == 20
    assert [email["deal_id"] for email in mail["output"]["emails"]] == [deal["id"] for deal in deals]
    assert mail["output"]["template"] == "check_in" and mail["output"]["skipped_deals"] == []
    sent = outbox(stack)[before:]
    assert len(sent) == 20
    assert sorted(message["message_id"] for message in sent) == sorted(
        email["message_id"] for email in mail["output"]["emails"]
    )
    assert execution["output"] == mail["output"]


def test_a_failing_batch_fails_the_node_and_keeps_the_parents_result(
    api: GatewayApi, stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a mail service that refuses the 8th deal's owner (in batch 3 of 7)
    from agentflow.errors import AgentError
    from agentflow_sandbox.outlook import OutlookSandbox

    real = OutlookSandbox.send
    status, deals_run = api.post("/api/v1/workflows", {"name": "probe", "agents": [outreach()["agents"][0]]})
    assert status == 201
    probe = api.post("/api/v1/executions/", {"workflow_id": deals_run["id"], "input": REFERENCE_INPUT})[1]
    deals = api.wait(probe["id"])["agent_executions"][0]["output"]["deals"]
    refused = deals[7]["name"]

    def refusing(self: OutlookSandbox, email: Any) -> Any:
        if refused in email.subject:
            raise AgentError(f"outlook: mailbox refused the message about {refused}")
        return real(self, email)

    monkeypatch.setattr(OutlookSandbox, "send", refusing)
    # When the fanned-out workflow runs
    execution = run(api, outreach(batch_size=3, max_concurrency=1))
    # Then the execution fails on the email node, naming the batch and the cause
    assert execution["status"] == "failed"
    assert execution["error"]["agent_id"] == "mail"
    assert "Batch 3 of 7 failed" in execution["error"]["message"]
    assert refused in execution["error"]["message"]
    sales, mail = execution["agent_executions"]
    assert mail["status"] == "failed" and mail["batches"]["failed"] == 1
    assert mail["batches"]["total"] == 7 and mail["batches"]["completed"] == 2
    # and the sales agent keeps its output (partial results)
    assert sales["status"] == "completed" and len(sales["output"]["deals"]) == 20
    # and planning the node again (a resume) leaves out the two batches that completed
    from agentflow.services.agent_runner import AgentRunner
    from agentflow.services.fanout import FanOut, FanOutTask
    from agentflow.settings import function_environment

    task = FanOutTask(
        tenant_id="tenant-a",
        execution_id=execution["id"],
        workflow_id=execution["workflow_id"],
        workflow_version=1,
        node_id="mail",
        fan_out={"phase": "plan"},
    )
    environment = stack.lambdas.environment(stack.template.functions()["EmailOutreachAgentFunction"])
    with function_environment(environment):
        assert FanOut(AgentRunner()).plan(task) == {"batches": [2, 3, 4, 5, 6], "total": 7}


def test_a_retried_batch_sends_nothing_twice_and_only_that_batch_runs_again(
    api: GatewayApi, stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a mail service that times out once, on the 5th email of the run
    from agentflow.errors import TransientAgentError
    from agentflow_sandbox.outlook import OutlookSandbox

    real = OutlookSandbox.send
    calls: list[str] = []

    def flaky(self: OutlookSandbox, email: Any) -> Any:
        calls.append(email.subject)
        if len(calls) == 5:
            raise TransientAgentError("outlook: 503 Service Unavailable")
        return real(self, email)

    monkeypatch.setattr(OutlookSandbox, "send", flaky)
    before = len(outbox(stack))
    # When the fanned-out workflow runs (batches of 4, one at a time) and Step Functions retries
    execution = run(api, outreach(batch_size=4, max_concurrency=1))
    # Then it completes with every deal emailed exactly once
    assert execution["status"] == "completed", execution["error"]
    mail = execution["agent_executions"][1]
    sent = outbox(stack)[before:]
    assert len(sent) == 20 and len({message["subject"] for message in sent}) == 20
    assert mail["output"]["emails_sent"] == 20
    # and only the batch that failed ran twice: 20 sends plus the one that timed out
    assert len(calls) == 21
    assert mail["batches"] == {"total": 5, "completed": 5, "failed": 0}


def test_a_root_for_each_node_over_many_records_merges_them_all_in_order(api: GatewayApi) -> None:
    # Given 600 deals as the execution input of a dry-run email node in batches of 50
    deals = [
        {
            "id": f"D-{n:04d}",
            "name": f"Deal {n}",
            "account_name": f"Account {n % 37}",
            "amount": 1000 + n,
            "stage": "Negotiation",
            "close_date": "2026-11-30",
            "owner_name": f"Owner {n}",
            "owner_email": f"owner{n}@example.com",
        }
        for n in range(600)
    ]
    definition = {
        "name": "Many deals",
        "agents": [
            {
                "id": "mail",
                "type": "email_outreach",
                "config": {"dry_run": True, "max_emails": 50},
                "for_each": {"batch_size": 50, "max_concurrency": 6},
            }
        ],
    }
    # When it runs
    execution = run(api, definition, {"deals": deals})
    # Then every deal has its email, in order, from 12 batches
    assert execution["status"] == "completed", execution["error"]
    mail = execution["agent_executions"][0]
    assert mail["batches"] == {"total": 12, "completed": 12, "failed": 0}
    assert [email["deal_id"] for email in mail["output"]["emails"]] == [deal["id"] for deal in deals]
    assert mail["output"]["dry_run"] is True and mail["output"]["emails_sent"] == 0


def test_for_each_on_an_agent_that_does_not_act_per_record_is_refused(api: GatewayApi) -> None:
    # Given a sales search (it reads the CRM once) with for_each
    definition = outreach()
    definition["agents"][0]["for_each"] = {"batch_size": 5}
    # When it is registered
    status, body = api.post("/api/v1/workflows", definition)
    # Then it is a 422 naming the node
    assert status == 422, body
    assert body["error"]["code"] == "validation_error"
    assert "'sales'" in body["error"]["message"] and "for_each" in body["error"]["message"]


@pytest.mark.parametrize(
    "for_each", [{"batch_size": 0}, {"batch_size": 1001}, {"max_concurrency": 0}, {"x": 1}]
)
def test_for_each_out_of_range_is_a_422(api: GatewayApi, for_each: dict[str, Any]) -> None:
    definition = outreach()
    definition["agents"][1]["for_each"] = for_each
    status, body = api.post("/api/v1/workflows", definition)
    assert status == 422 and body["error"]["code"] == "validation_error", body


def test_a_for_each_node_opens_the_start_gate_of_a_child_that_waits_for_it(api: GatewayApi) -> None:
    # Given an N shape (a → notify, mail → notify, mail → audit): notify starts behind a gate that
    # the fanned-out mail node opens when its merge is done
    definition = outreach(batch_size=7)
    sales_config = definition["agents"][0]["config"]
    definition["agents"] += [
        {"id": "a", "type": "sales_intelligence", "config": sales_config},
        {"id": "notify", "type": "slack", "config": {"channel": "#sales"}},
        {"id": "audit", "type": "slack", "config": {"channel": "#audit"}},
    ]
    definition["edges"] += [
        {"source": "a", "target": "notify"},
        {"source": "mail", "target": "notify"},
        {"source": "mail", "target": "audit"},
    ]
    # When it runs
    execution = run(api, definition)
    # Then it completes, the gated child starting only after the merged node completed
    assert execution["status"] == "completed", execution["error"]
    runs = {run["agent_id"]: run for run in execution["agent_executions"]}
    assert runs["mail"]["batches"] == {"total": 3, "completed": 3, "failed": 0}
    assert runs["notify"]["started_at"] >= runs["mail"]["completed_at"]
    assert runs["notify"]["started_at"] >= runs["a"]["completed_at"]
    assert runs["audit"]["started_at"] >= runs["mail"]["completed_at"]
