"""Budgets through the state machine: a node pauses before a model call that could pass the budget."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.helpers import GatewayApi, reference_workflow, start


def outbox(stack: Any) -> list[dict[str, Any]]:
    path = stack.data_dir / "sandbox" / "outbox" / "outlook.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def written_by_the_model(max_tokens: int) -> dict[str, Any]:
    definition = reference_workflow()
    definition["agents"][1]["config"] |= {"use_rag": False, "generation": "llm"}
    definition["budget"] = {"max_tokens": max_tokens}
    return definition


def budget_approval(api: GatewayApi, execution_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        listed = api.get("/api/v1/approvals")[1]["approvals"]
        mine = [item for item in listed if item["execution_id"] == execution_id]
        if mine:
            return mine[0]
        assert api.get(f"/api/v1/executions/{execution_id}")[1]["status"] in (
            "pending",
            "running",
            "waiting_approval",
        )
        time.sleep(0.1)
    raise AssertionError("no budget approval was requested")


def decide(api: GatewayApi, item: dict[str, Any], decision: str, **extra: Any) -> tuple[int, Any]:
    body = {"decision": decision, "payload_digest": item["payload_digest"], **extra}
    return api.post(f"/api/v1/executions/{item['execution_id']}/approvals/{item['node_id']}", body)


def test_a_run_pauses_on_its_budget_and_continues_where_it_stopped(api: GatewayApi, stack: Any) -> None:
    # Given a model-written outreach whose budget covers a few emails only
    before = len(outbox(stack))
    execution_id = start(api, written_by_the_model(max_tokens=4000))
    # When the email agent reaches a call that could pass the budget
    item = budget_approval(api, execution_id)
    paused = api.get(f"/api/v1/executions/{execution_id}")[1]
    sent_before_pause = len(outbox(stack)) - before
    # Then the run waits on a budget approval on that node, having spent no more than its budget
    assert item["reason"] == "budget" and item["node_id"] == "email_agent_1"
    assert paused["status"] == "waiting_approval"
    assert 0 < sent_before_pause < 20
    assert paused["metrics"]["total_tokens"] <= 4000
    assert item["payload"]["budget"] == {"max_tokens": 4000}
    # When it is approved with a raised budget
    status, decided = decide(api, item, "approve", raise_budget={"max_tokens": 1_000_000})
    assert status == 200 and decided["status"] == "approved"
    done = api.wait(execution_id)
    # Then it completes with 20 emails, no recipient emailed twice
    assert done["status"] == "completed", done["error"]
    sent = outbox(stack)[before:]
    assert len(sent) == 20 and len({(mail["to"]["address"], mail["subject"]) for mail in sent}) == 20
    assert done["budget"] == {"max_tokens": 1_000_000, "max_cost_usd": None}
    email_run = done["agent_executions"][1]
    assert email_run["approval"]["reason"] == "budget" and email_run["approval"]["status"] == "approved"
    assert done["metrics"]["total_tokens"] == sum(run["tokens"] for run in done["agent_executions"])


def test_a_rejected_budget_fails_the_run_with_budget_exceeded(api: GatewayApi, stack: Any) -> None:
    # Given a run paused on its budget
    before = len(outbox(stack))
    execution_id = start(api, written_by_the_model(max_tokens=2500))
    item = budget_approval(api, execution_id)
    sent = len(outbox(stack)) - before
    # When the raise is refused
    assert decide(api, item, "reject")[0] == 200
    failed = api.wait(execution_id)
    # Then the run fails with BudgetExceeded on that node and sends nothing more
    assert failed["status"] == "failed"
    assert failed["error"]["type"] == "BudgetExceeded" and failed["error"]["agent_id"] == "email_agent_1"
    assert len(outbox(stack)) - before == sent


def test_a_budget_is_validated(api: GatewayApi) -> None:
    definition = written_by_the_model(max_tokens=0)
    status, body = api.post("/api/v1/workflows", definition)
    assert status == 422 and "budget" in body["error"]["message"]


def test_budget_gates_in_parallel_branches_pause_and_continue_independently(
    api: GatewayApi, stack: Any
) -> None:
    # Given two model-written email agents in parallel branches under one small budget
    from tests.helpers import email, sales, workflow

    definition = workflow(
        "Two writers",
        [
            sales("deals"),
            email("left", generation="llm", max_emails=5),
            email("right", generation="llm", max_emails=5),
        ],
        [("deals", "left"), ("deals", "right")],
    )
    definition["budget"] = {"max_tokens": 1500}
    before = len(outbox(stack))
    execution_id = start(api, definition)
    # When both branches reach their gate
    deadline = time.monotonic() + 60
    items: list[dict[str, Any]] = []
    while len(items) < 2 and time.monotonic() < deadline:
        items = [i for i in api.get("/api/v1/approvals")[1]["approvals"] if i["execution_id"] == execution_id]
        time.sleep(0.1)
    # Then each is its own budget approval; approving both with more budget finishes both branches
    assert sorted(item["node_id"] for item in items) == ["left", "right"]
    for item in items:
        assert decide(api, item, "approve", raise_budget={"max_tokens": 1_000_000})[0] == 200
    done = api.wait(execution_id)
    assert done["status"] == "completed", done["error"]
    sent = outbox(stack)[before:]
    # each branch emails the same 5 owners once: 10 emails, every recipient exactly twice
    from collections import Counter

    assert len(sent) == 10 and set(Counter(mail["to"]["address"] for mail in sent).values()) == {2}
    runs = {run["agent_id"]: run for run in done["agent_executions"]}
    assert runs["left"]["output"]["emails_sent"] == runs["right"]["output"]["emails_sent"] == 5
