"""A workflow's versions in a real browser: the list and the diff between any two."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from agentflow.client import AgentFlowClient
from tests.browser.conftest import Console
from tests.helpers import reference_workflow

pytestmark = pytest.mark.browser


def test_the_diff_between_two_versions(console: Console, client: AgentFlowClient) -> None:
    # Given three versions: v2 caps the emails, adds a Slack summary after them and drops a config field
    created = client.create_workflow(reference_workflow())
    second = reference_workflow()
    second["agents"][1]["config"]["max_emails"] = 5
    del second["agents"][1]["config"]["use_rag"]
    second["agents"].append({"id": "notify", "type": "slack", "config": {"channel": "#sales"}})
    second["edges"].append({"source": "email_agent_1", "target": "notify"})
    client.update_workflow(created["id"], second, version=1)
    client.update_workflow(created["id"], {**second, "name": "Renamed"}, version=2)
    page = console.page
    console.sign_in()
    page.goto(f"{console.url}/#/workflows/{created['id']}")
    # Then the versions are listed newest first
    rows = page.locator("#versions-table tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.first).to_contain_text("Renamed")
    expect(rows.first).to_contain_text("current")
    # When version 1 is compared with version 2
    page.get_by_label("From version").select_option("1")
    page.get_by_label("To version").select_option("2")
    page.get_by_role("button", name="Compare").click()
    result = page.locator("#diff-result")
    # Then each kind of change is listed
    expect(result.locator('[data-diff="nodes-added"]')).to_contain_text("notify (slack)")
    config = result.locator('[data-diff="config-changed"]')
    expect(config).to_contain_text("email_agent_1.max_emails: 25 → 5")
    expect(config).to_contain_text("email_agent_1.use_rag removed (was true)")
    expect(result.locator('[data-diff="edges-added"]')).to_contain_text("email_agent_1 → notify")
    expect(result.locator('[data-diff="nodes-removed"]')).to_have_count(0)
    # And the graph of version 2 marks what was added and changed
    expect(result.locator(".dag-node.diff-added")).to_have_attribute("data-node", "notify")
    expect(result.locator(".dag-node.diff-changed")).to_have_attribute("data-node", "email_agent_1")
    console.screenshot("versions-diff")
    # When the other way round, the same changes read as removals
    page.get_by_label("From version").select_option("2")
    page.get_by_label("To version").select_option("1")
    page.get_by_role("button", name="Compare").click()
    expect(result.locator('[data-diff="nodes-removed"]')).to_contain_text("notify (slack)")
    expect(result.locator('[data-diff="edges-removed"]')).to_contain_text("email_agent_1 → notify")
    # And versions 2 and 3 differ only in name: no node, config or edge changes
    page.get_by_label("From version").select_option("2")
    page.get_by_label("To version").select_option("3")
    page.get_by_role("button", name="Compare").click()
    expect(page.locator("#diff-result")).to_contain_text("No changes to nodes, config or edges")
    assert console.unexpected_errors() == []
