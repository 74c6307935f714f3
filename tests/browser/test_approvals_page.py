"""The console's approvals page and Resume button in a real browser."""

from __future__ import annotations

import json
import time

import pytest
from playwright.sync_api import expect

from agentflow.client import AgentFlowClient
from tests.browser.conftest import Console
from tests.helpers import REFERENCE_INPUT, ROOT

pytestmark = pytest.mark.browser


def test_a_pending_approval_is_shown_and_approved_then_a_rejected_run_resumes(
    console: Console, client: AgentFlowClient
) -> None:
    # Given two runs of the outreach example waiting on their review
    definition = json.loads((ROOT / "examples" / "outreach_with_approval.json").read_text())
    workflow_id = client.create_workflow(definition)["id"]
    first = client.start_execution(workflow_id, REFERENCE_INPUT)["id"]
    second = client.start_execution(workflow_id, REFERENCE_INPUT)["id"]
    deadline = time.monotonic() + 30
    while len(client.approvals()[0]) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    page = console.page
    console.sign_in()
    # When the approvals page is opened
    page.goto(f"{console.url}/#/approvals")
    card = page.locator("li.approval", has_text=first)
    # Then each shows its payload and digest; Approve lets the first run finish
    expect(card).to_contain_text("sha256:")
    expect(card.locator("pre")).to_contain_text("deals")
    card.get_by_role("button", name="Approve").click()
    expect(card).to_have_count(0)
    assert client.wait(first)["status"] == "completed"
    # And Reject fails the second, whose page then offers Resume, which asks again
    page.locator("li.approval", has_text=second).get_by_role("button", name="Reject").click()
    assert client.wait(second)["status"] == "failed"
    page.goto(f"{console.url}/#/executions/{second}")
    page.get_by_role("button", name="Resume").click()
    expect(page.locator("#execution-status .badge")).to_have_text("waiting_approval", timeout=30_000)
    assert console.unexpected_errors() == []
    client.stop_execution(second)  # nothing left waiting when the stack stops
