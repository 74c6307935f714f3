"""The execution page's graph in a real browser: live node statuses, metrics, and a node's own output,
error and logs."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import expect

from agentflow.client import AgentFlowClient
from tests.browser.conftest import Console
from tests.helpers import REFERENCE_INPUT, email, reference_workflow, sales, workflow

pytestmark = pytest.mark.browser

# Every status each node of the execution graph showed, in order, from the page's first drawing on.
RECORD_STATUSES = """
window.seenStatuses = {};
document.addEventListener("DOMContentLoaded", () => {
    new MutationObserver(() => {
        for (const node of document.querySelectorAll("#execution-graph .dag-node")) {
            const seen = (window.seenStatuses[node.dataset.node] ??= []);
            if (seen[seen.length - 1] !== node.dataset.status) seen.push(node.dataset.status);
        }
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
});
"""


def test_the_graph_follows_a_run_until_it_ends(console: Console, client: AgentFlowClient) -> None:
    # Given the reference workflow's execution page, opened as the run starts
    created = client.create_workflow(reference_workflow())
    page = console.page
    console.sign_in()
    expect(page.get_by_role("heading", name="Workflows", level=1)).to_be_visible()
    page.add_init_script(RECORD_STATUSES)
    execution = client.start_execution(created["id"], REFERENCE_INPUT)
    page.goto(f"{console.url}/#/executions/{execution['id']}")
    page.reload()  # a fresh document, so the recorder runs from its first drawing
    # When the run ends
    expect(page.locator("#execution-status")).to_contain_text("completed", timeout=30_000)
    graph = page.locator("#execution-graph")
    expect(graph.locator('.dag-node[data-status="completed"]')).to_have_count(2)
    # Then the nodes went from unfinished statuses to completed on the same page, without a reload
    seen = page.evaluate("window.seenStatuses")
    assert seen["sales_agent_1"][-1] == "completed" and seen["email_agent_1"][-1] == "completed", seen
    assert set(seen["email_agent_1"][:-1]) & {"pending", "running"}, seen
    assert set(seen["sales_agent_1"] + seen["email_agent_1"]) <= {"pending", "running", "completed"}, seen
    # And every node shows its duration, tokens and cost
    email_node = graph.locator('.dag-node[data-node="email_agent_1"]')
    expect(email_node.locator(".dag-figures")).to_contain_text("tok")
    expect(email_node.locator(".dag-figures")).to_contain_text("$")
    console.screenshot("execution-graph-completed")
    # When a node is clicked, its output and its own logs are shown
    email_node.click()
    detail = page.locator("#node-detail")
    expect(detail).to_contain_text("email_agent_1")
    output = json.loads(page.locator("#node-output").text_content() or "null")
    assert output["emails_sent"] == 20
    expect(page.locator("#node-logs tbody tr").first).to_be_visible()
    lines = client.logs(execution["id"], agent_id="email_agent_1")
    expect(page.locator("#node-logs tbody tr")).to_have_count(len(lines))
    assert console.unexpected_errors() == []


def test_a_failed_node_shows_its_error_and_the_nodes_after_it_are_skipped(
    console: Console, client: AgentFlowClient
) -> None:
    # Given a run whose email agent fails (SES has not verified the sender), with a node after it
    failing = workflow(
        "Fails midway",
        [
            sales("find"),
            email("send", connector="ses", from_address="nobody@unverified.example"),
            {"id": "notify", "type": "slack", "config": {"channel": "#sales"}},
        ],
        [("find", "send"), ("send", "notify")],
    )
    created = client.create_workflow(failing)
    execution = client.wait(client.start_execution(created["id"], REFERENCE_INPUT)["id"])
    assert execution["status"] == "failed"
    page = console.page
    console.sign_in()
    page.goto(f"{console.url}/#/executions/{execution['id']}")
    graph = page.locator("#execution-graph")
    # Then the graph says what happened to each node
    expect(graph.locator('.dag-node[data-node="find"]')).to_have_attribute("data-status", "completed")
    expect(graph.locator('.dag-node[data-node="send"]')).to_have_attribute("data-status", "failed")
    expect(graph.locator('.dag-node[data-node="notify"]')).to_have_attribute("data-status", "skipped")
    # When the failed node is opened with the keyboard
    graph.locator('.dag-node[data-node="send"]').focus()
    page.keyboard.press("Enter")
    # Then its error and only its log lines are shown
    expect(page.locator("#node-error")).to_be_visible()
    expect(page.locator("#node-detail-title")).to_be_focused()
    send_lines = client.logs(execution["id"], agent_id="send")
    expect(page.locator("#node-logs tbody tr")).to_have_count(len(send_lines))
    console.screenshot("execution-graph-failed")
    assert console.unexpected_errors() == []


def test_resume_and_approval_statuses_are_drawn(console: Console) -> None:
    # Given an execution object as a resumed run waiting for an approval reports it
    console.sign_in()
    page = console.page
    expect(page.get_by_role("heading", name="Workflows", level=1)).to_be_visible()
    statuses = page.evaluate(
        """async () => {
            const { executionGraph } = await import("/js/pages/executions.js");
            const workflow = {
                agents: [{ id: "find", type: "sales_intelligence" },
                         { id: "approve", type: "email_outreach" }, { id: "later", type: "slack" }],
                edges: [{ source: "find", target: "approve" }, { source: "approve", target: "later" }],
            };
            const execution = { status: "waiting_approval", agent_executions: [
                { agent_id: "find", agent_type: "sales_intelligence", status: "completed", reused: true,
                  connector_mode: "sandbox", duration_ms: 12, tokens: 0, cost_usd: 0 },
                { agent_id: "approve", agent_type: "email_outreach", status: "waiting_approval",
                  connector_mode: "live" },
            ] };
            const svg = executionGraph(workflow, execution, null);
            document.querySelector("main").prepend(svg);
            return [...svg.querySelectorAll(".dag-node")].map((node) => [
                node.dataset.node, node.dataset.status, node.querySelector(".dag-status").textContent,
                node.querySelector(".dag-mode").textContent.trim()]);
        }"""
    )
    # Then the reused node says so, the waiting one too, and the one after it is still pending; each
    # says which connectors it ran with
    assert statuses == [
        ["find", "reused", "● reused on resume", "sandbox connectors"],
        ["approve", "waiting_approval", "● waiting for approval", "live connectors"],
        ["later", "pending", "● pending", ""],
    ]
    assert console.unexpected_errors() == []
