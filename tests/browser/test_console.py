"""The web console in a real browser: sign-in, running workflows, logs, validation and schedules."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from agentflow.client import AgentFlowClient
from tests.browser.conftest import Console
from tests.helpers import REFERENCE_INPUT, email, reference_workflow, sales, workflow

pytestmark = pytest.mark.browser


def test_signing_in_shows_the_workflows(console: Console) -> None:
    # Given the console at /, when a valid key is typed and Enter pressed
    console.sign_in()
    # Then the workflows page opens with the main navigation
    expect(console.page.get_by_role("heading", name="Workflows", level=1)).to_be_visible()
    expect(console.page.get_by_role("navigation", name="Main")).to_be_visible()
    assert console.page.evaluate("sessionStorage.getItem('agentflow.apiKey')") == "browser-key"
    assert console.unexpected_errors() == []


def test_a_bad_key_stays_on_sign_in_with_the_message(console: Console) -> None:
    console.sign_in("not-a-key")
    expect(console.page.locator("#signin-error")).to_contain_text("not accepted")
    expect(console.page.get_by_role("navigation", name="Main")).to_be_hidden()
    console.screenshot("sign-in-refused")
    assert console.unexpected_errors(401) == []


def test_a_refused_key_returns_to_sign_in(console: Console) -> None:
    # Given a signed-in tab whose key then stops being accepted
    console.sign_in()
    expect(console.page.get_by_role("heading", name="Workflows", level=1)).to_be_visible()
    console.page.evaluate("sessionStorage.setItem('agentflow.apiKey', 'revoked-key')")
    # When a page calls the API
    console.page.get_by_role("link", name="Agents").click()
    # Then the tab is back at sign-in, saying why
    expect(console.page.locator("#signin-error")).to_contain_text("refused the key")
    expect(console.page.get_by_label("API key")).to_be_focused()
    assert console.unexpected_errors(401) == []


def test_the_reference_workflow_runs_to_completion(console: Console) -> None:
    page = console.page
    console.sign_in()
    # Given the reference workflow created from the JSON editor
    page.get_by_role("link", name="New workflow").click()
    page.get_by_label("Workflow definition (JSON)").fill(json.dumps(reference_workflow(), indent=2))
    page.get_by_role("button", name="Create workflow").click()
    expect(page.get_by_role("heading", name="Sales Outreach Workflow", level=1)).to_be_visible()
    # Its graph: two nodes on two levels, one edge
    expect(page.locator("svg.dag .dag-node")).to_have_count(2)
    expect(page.locator("svg.dag .dag-edge")).to_have_count(1)
    assert page.locator('.dag-node[data-node="email_agent_1"]').get_attribute("data-level") == "1"
    console.screenshot("workflow")
    # When it runs with the reference input
    page.get_by_label("Run input").fill(REFERENCE_INPUT)
    page.get_by_role("button", name="Run workflow").click()
    # Then the execution page follows it to completion
    expect(page.locator("#execution-status")).to_contain_text("completed", timeout=30_000)
    expect(page.locator(".gantt-bar")).to_have_count(2)
    expect(page.locator(".gantt-bar.status-completed")).to_have_count(2)
    output = json.loads(page.locator("#execution-output").text_content() or "null")
    assert output["emails_sent"] == 20 and len(output["emails"]) == 20
    sales_summary = page.locator('.agent-output[data-agent="sales_agent_1"] summary')
    expect(sales_summary).to_contain_text("deals: 20 items")
    expect(page.locator("#metrics-table tbody tr")).to_have_count(2)
    expect(page.locator('#metrics-table [data-metric="total-tokens"]')).not_to_have_text("—")
    expect(page.locator("#logs-table tbody tr").first).to_be_visible()
    console.screenshot("execution-completed")
    # And the page still reads on a narrow window: nothing wider than the screen
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    console.screenshot("execution-completed-narrow")
    assert console.unexpected_errors() == []


def test_logs_filter_to_errors_of_a_failing_run(console: Console, client: AgentFlowClient) -> None:
    # Given a run that fails at its email agent (SES has not verified the sender)
    failing = workflow(
        "Unverified sender",
        [sales("find"), email("send", connector="ses", from_address="nobody@unverified.example")],
        [("find", "send")],
    )
    execution = client.start_execution(client.create_workflow(failing)["id"], REFERENCE_INPUT)
    client.wait(execution["id"])
    page = console.page
    console.sign_in()
    page.goto(f"{console.url}/#/executions/{execution['id']}")
    expect(page.locator("#execution-status")).to_contain_text("failed")
    expect(page.locator("#execution-error")).to_contain_text("send")
    # When the logs are filtered to ERROR
    page.get_by_label("Level").select_option("ERROR")
    # Then only error lines remain, among them the failed agent's
    expect(page.locator("#logs-count")).to_contain_text("at ERROR and above")
    levels = page.locator("#logs-table tbody .level").all_text_contents()
    assert levels and set(levels) == {"ERROR"}
    expect(page.locator("#logs-table tbody")).to_contain_text("send")
    # And the agent filter narrows them to that agent
    page.get_by_label("Agent").select_option("send")
    expect(page.locator("#logs-count")).to_contain_text("from send")
    agents = page.locator("#logs-table tbody td:nth-child(4)").all_text_contents()
    assert agents and set(agents) == {"send"}
    console.screenshot("execution-failed-error-logs")
    assert console.unexpected_errors() == []


def test_a_cycle_is_refused_next_to_the_editor(console: Console) -> None:
    page = console.page
    console.sign_in()
    page.get_by_role("link", name="New workflow").click()
    cyclic = workflow("Loop", [sales("alpha"), email("beta")], [("alpha", "beta"), ("beta", "alpha")])
    page.get_by_label("Workflow definition (JSON)").fill(json.dumps(cyclic, indent=2))
    page.get_by_role("button", name="Create workflow").click()
    errors = page.locator("#editor-errors")
    expect(errors).to_contain_text("422")
    expect(errors).to_contain_text("cycle")
    expect(errors).to_contain_text("alpha")
    expect(errors).to_contain_text("beta")
    expect(page.get_by_role("heading", name="New workflow", level=1)).to_be_visible()
    console.screenshot("editor-cycle-refused")
    assert console.unexpected_errors(422) == []


def test_schedules_are_created_disabled_and_deleted(console: Console, client: AgentFlowClient) -> None:
    created = client.create_workflow(reference_workflow())
    page = console.page
    console.sign_in()
    page.goto(f"{console.url}/#/workflows/{created['id']}")
    page.get_by_label("Expression").fill("rate(1 hour)")
    page.get_by_role("button", name="Add schedule").click()
    rows = page.locator("#schedules-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Enabled")
    page.get_by_role("button", name="Disable schedule rate(1 hour)").click()
    expect(rows.first).to_contain_text("Disabled")
    assert client.schedules(created["id"])[0]["enabled"] is False
    page.get_by_role("button", name="Delete schedule rate(1 hour)").click()
    expect(page.locator("#schedules-list")).to_contain_text("No schedules")
    # A bad expression is refused with the API's message beside the form
    page.get_by_label("Expression").fill("every tuesday")
    page.get_by_role("button", name="Add schedule").click()
    expect(page.locator("#schedule-error")).to_contain_text("every tuesday")
    assert console.unexpected_errors(422) == []


def test_the_catalog_lists_every_agent_type_with_its_schema(
    console: Console, client: AgentFlowClient
) -> None:
    console.sign_in()
    console.page.get_by_role("link", name="Agents").click()
    cards = console.page.locator(".agent-type")
    expect(cards).to_have_count(len(client.agent_types()))
    expect(console.page.locator("#agent-sales_intelligence .schema-table")).to_contain_text("min_amount")
    # Fields a mode needs are marked with the mode, as the schema's if/then states them
    expect(console.page.locator("#agent-jira .schema-table")).to_contain_text("project_key (mode create)")
    expect(console.page.locator("#agent-slack .schema-table")).to_contain_text("channel (required)")
    console.screenshot("agents")
    assert console.unexpected_errors() == []


def test_the_executions_list_follows_a_run_to_its_end(console: Console, client: AgentFlowClient) -> None:
    # Given a run just started
    created = client.create_workflow(reference_workflow())
    execution = client.start_execution(created["id"], REFERENCE_INPUT)
    page = console.page
    console.sign_in()
    # When its workflow's executions are listed
    page.goto(f"{console.url}/#/executions?workflow_id={created['id']}")
    row = page.locator("#executions-table tbody tr", has_text=execution["id"])
    # Then polling brings the row to its final status without a reload
    expect(row.locator(".badge")).to_have_text("completed", timeout=30_000)
    expect(row).to_contain_text("Sales Outreach Workflow")
    assert console.unexpected_errors() == []
