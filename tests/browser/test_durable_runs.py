"""Durable runs in a real browser, on real runs of the local stack: an approval the graph waits on live
and a person decides on the Approvals page, and a failed run the Resume button finishes, reusing what
completed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from playwright.sync_api import Request, Response, expect

from agentflow.client import AgentFlowClient
from agentflow.local.stack import LocalStack
from tests.browser.conftest import Console
from tests.browser.test_execution_graph import RECORD_STATUSES
from tests.helpers import REFERENCE_INPUT, ROOT, fail_the_nth_email, reference_workflow

pytestmark = pytest.mark.browser


def sent_mail(stack: LocalStack) -> list[dict[str, Any]]:
    """Every email the outlook sandbox delivered on this stack."""
    path = stack.data_dir / "sandbox" / "outbox" / "outlook.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.fixture
def mail_fails_once_at_the_eighth(monkeypatch: pytest.MonkeyPatch) -> None:
    """The outlook sandbox refuses the 8th email it is asked to send (a permanent error), once."""
    fail_the_nth_email(monkeypatch, 8)


def is_decision(request: Request) -> bool:
    return request.method == "POST" and "/approvals/" in request.url


def is_approvals_poll(response: Response) -> bool:
    return response.request.method == "GET" and "/api/v1/approvals?" in response.url


def node(console: Console, node_id: str) -> Any:
    return console.page.locator(f'#execution-graph .dag-node[data-node="{node_id}"]')


def test_an_approval_waits_live_on_the_graph_and_is_decided_on_the_approvals_page(
    console: Console, client: AgentFlowClient, stack: LocalStack
) -> None:
    # Given the outreach example with an approval, run from its workflow page
    definition = json.loads((ROOT / "examples" / "outreach_with_approval.json").read_text())
    workflow_id = client.create_workflow(definition)["id"]
    page = console.page
    page.add_init_script(RECORD_STATUSES)
    console.sign_in()
    expect(page.get_by_role("heading", name="Workflows", level=1)).to_be_visible()
    page.goto(f"{console.url}/#/workflows/{workflow_id}")
    page.get_by_label("Run input").fill(REFERENCE_INPUT)
    before = len(sent_mail(stack))
    page.get_by_role("button", name="Run workflow").click()
    # Then the execution page shows the run waiting on the approval node, live
    expect(page.locator("#execution-status .badge")).to_have_text("waiting_approval", timeout=30_000)
    review = node(console, "review_deals")
    expect(review).to_have_attribute("data-status", "waiting_approval")
    expect(review.locator(".dag-status")).to_have_text("● waiting for approval")
    expect(node(console, "sales_agent_1")).to_have_attribute("data-status", "completed")
    expect(node(console, "sales_agent_1").locator(".dag-mode")).to_have_text("sandbox connectors")
    expect(node(console, "email_agent_1")).to_have_attribute("data-status", "pending")
    execution_id = page.url.rsplit("/", 1)[-1]
    # And the page points at where the decision is taken
    expect(page.locator("#execution-waiting")).to_contain_text("review_deals")
    console.screenshot("durable-approval-waiting")
    assert sent_mail(stack)[before:] == []
    # When the approval is opened from the execution page, with its payload and digest
    page.locator("#execution-waiting").get_by_role("link", name="Approvals").click()
    expect(page.get_by_role("heading", name="Approvals", level=1)).to_be_visible()
    card = page.locator("li.approval", has_text=execution_id)
    [pending] = [item for item in client.approvals()[0] if item["execution_id"] == execution_id]
    expect(card.locator("code", has_text="sha256:")).to_have_text(pending["payload_digest"])
    shown = json.loads(card.locator("pre").text_content() or "null")
    assert shown == pending["payload"] and len(shown["deals"]) == 20
    console.screenshot("durable-approval-card")
    # And approved: the decision carries the digest on screen
    with page.expect_request(is_decision) as sent:
        card.get_by_role("button", name="Approve").click()
    decision = json.loads(sent.value.post_data or "{}")
    assert decision == {"decision": "approve", "payload_digest": pending["payload_digest"]}
    expect(card).to_have_count(0)
    # Then back on the execution page, the graph follows the run to completed with 20 emails
    page.go_back()
    expect(page.locator("#execution-status .badge")).to_have_text("completed", timeout=30_000)
    expect(page.locator('#execution-graph .dag-node[data-status="completed"]')).to_have_count(3)
    expect(page.locator("#execution-waiting")).to_be_empty()
    output = json.loads(page.locator("#execution-output").text_content() or "null")
    assert output["emails_sent"] == 20
    assert len(sent_mail(stack)[before:]) == 20
    review.click()
    expect(page.locator("#node-detail")).to_contain_text("approved")
    console.screenshot("durable-approval-completed")
    # And the approval node went from waiting to completed on the page, never through a failure
    seen = page.evaluate("window.seenStatuses")
    assert "waiting_approval" in seen["review_deals"] and seen["review_deals"][-1] == "completed", seen
    assert not any("failed" in statuses for statuses in seen.values()), seen
    assert console.unexpected_errors() == []


def test_resume_finishes_a_failed_run_and_the_graph_shows_what_was_reused(
    console: Console, client: AgentFlowClient, stack: LocalStack, mail_fails_once_at_the_eighth: None
) -> None:
    # Given the reference workflow, with a budget it stays within, whose email agent fails at its 8th email
    definition = reference_workflow()
    definition["agents"][1]["config"] |= {"use_rag": False, "max_emails": 25}
    definition["budget"] = {"max_tokens": 1_000_000, "max_cost_usd": 5}
    workflow_id = client.create_workflow(definition)["id"]
    before = len(sent_mail(stack))
    execution_id = client.start_execution(workflow_id, REFERENCE_INPUT)["id"]
    failed = client.wait(execution_id)
    assert failed["status"] == "failed" and failed["error"]["agent_id"] == "email_agent_1"
    assert len(sent_mail(stack)) - before == 7
    page = console.page
    page.add_init_script(RECORD_STATUSES)
    console.sign_in()
    expect(page.get_by_role("heading", name="Workflows", level=1)).to_be_visible()
    page.goto(f"{console.url}/#/executions/{execution_id}")
    # Then its page says which node failed, and what the run may spend
    expect(node(console, "email_agent_1")).to_have_attribute("data-status", "failed")
    expect(node(console, "sales_agent_1")).to_have_attribute("data-status", "completed")
    expect(page.locator("#execution-error")).to_contain_text("email_agent_1")
    expect(page.locator("#execution-details")).to_contain_text("1,000,000 tokens")
    console.screenshot("durable-resume-failed")
    # When Resume is pressed
    page.get_by_role("button", name="Resume").click()
    # Then the graph follows the new attempt to completed, the sales node reused, not run again
    expect(page.locator("#execution-status .badge")).to_have_text("completed", timeout=30_000)
    sales_node = node(console, "sales_agent_1")
    expect(sales_node).to_have_attribute("data-status", "reused")
    expect(sales_node.locator(".dag-status")).to_have_text("● reused on resume")
    expect(sales_node.locator(".dag-mode")).to_have_text("sandbox connectors")
    expect(node(console, "email_agent_1")).to_have_attribute("data-status", "completed")
    expect(page.locator("#execution-error")).to_have_count(0)
    # And the page shows the two attempts and the tokens the reuse did not pay again
    done = client.execution(execution_id)
    attempts = page.locator("#attempts-table tbody tr")
    expect(attempts).to_have_count(2)
    expect(attempts.nth(0)).to_contain_text("failed")
    expect(attempts.nth(1)).to_contain_text("completed")
    expect(attempts.nth(1)).to_contain_text("email_agent_1")
    expect(page.locator("#execution-details")).to_contain_text("2 (resumed once)")
    reused_tokens = done["metrics"]["reused_tokens"]
    assert reused_tokens == done["agent_executions"][0]["tokens"]  # the sales agent reads, it asks no model
    expect(page.locator('[data-metric="reused-tokens"]')).to_have_text(
        f"sales_agent_1: {reused_tokens:,} tokens, $0.0000 not paid again"
    )
    expect(page.locator('#metrics-table [data-metric="total-tokens"]')).to_have_text(
        f"{done['metrics']['total_tokens']:,}"
    )
    # And each agent's connectors are in the metrics table
    expect(page.locator("#metrics-table tbody tr").nth(0)).to_contain_text("sandbox")
    console.screenshot("durable-resume-completed")
    # And 20 emails were sent in all, each once, and the output says 20
    sent = sent_mail(stack)[before:]
    assert len(sent) == 20 and len({(mail["to"]["address"], mail["subject"]) for mail in sent}) == 20
    output = json.loads(page.locator("#execution-output").text_content() or "null")
    assert output["emails_sent"] == 20
    # And the sales node was never shown running again after the resume
    seen = page.evaluate("window.seenStatuses")
    assert seen["sales_agent_1"] == ["completed", "reused"], seen
    assert seen["email_agent_1"][0] == "failed" and seen["email_agent_1"][-1] == "completed", seen
    assert console.unexpected_errors() == []


def test_a_budget_approval_is_approved_with_a_raised_budget_from_the_console(
    console: Console, client: AgentFlowClient, stack: LocalStack
) -> None:
    # Given a model-written outreach whose budget covers a few emails only, paused on its budget
    definition = reference_workflow()
    definition["agents"][1]["config"] |= {"use_rag": False, "generation": "llm"}
    definition["budget"] = {"max_tokens": 4000}
    workflow_id = client.create_workflow(definition)["id"]
    before = len(sent_mail(stack))
    execution_id = client.start_execution(workflow_id, REFERENCE_INPUT)["id"]
    page = console.page
    console.sign_in()
    expect(page.get_by_role("heading", name="Workflows", level=1)).to_be_visible()
    page.goto(f"{console.url}/#/executions/{execution_id}")
    expect(page.locator("#execution-status .badge")).to_have_text("waiting_approval", timeout=30_000)
    expect(page.locator("#execution-waiting")).to_contain_text("email_agent_1 (budget)")
    expect(page.locator('[data-metric="budget"]')).to_contain_text("at most 4,000 tokens")
    # When its card on the Approvals page is approved without a higher budget
    page.locator("#execution-waiting").get_by_role("link", name="Approvals").click()
    card = page.locator("li.approval", has_text=execution_id)
    expect(card).to_contain_text("Budget 4,000 tokens")
    card.get_by_role("button", name="Approve").click()
    # Then nothing is decided: the card says a raise is needed
    expect(card.get_by_role("alert")).to_contain_text("above the current one")
    assert [item["execution_id"] for item in client.approvals()[0]].count(execution_id) == 1
    # When a higher token budget is typed (and survives the page's polling) and approved
    card.get_by_label("New token budget").fill("1000000")
    with page.expect_response(is_approvals_poll):  # one poll of the page passes over the typed value
        pass
    expect(card.get_by_label("New token budget")).to_have_value("1000000")
    console.screenshot("durable-budget-card")
    with page.expect_request(is_decision) as sent:
        card.get_by_role("button", name="Approve").click()
    assert json.loads(sent.value.post_data or "{}")["raise_budget"] == {"max_tokens": 1_000_000}
    expect(card).to_have_count(0)
    # Then the run continues where it stopped and completes, its page showing the new budget
    page.go_back()
    expect(page.locator("#execution-status .badge")).to_have_text("completed", timeout=60_000)
    expect(page.locator('[data-metric="budget"]')).to_contain_text("at most 1,000,000 tokens")
    sent_now = sent_mail(stack)[before:]
    assert len(sent_now) == 20 and len({(mail["to"]["address"], mail["subject"]) for mail in sent_now}) == 20
    console.screenshot("durable-budget-completed")
    assert console.unexpected_errors() == []
