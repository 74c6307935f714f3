"""The workflow builder in a real browser: nodes from the catalog, edges drawn between handles, config
forms from the schemas, the API's messages on their nodes, keyboard-only editing, and saving."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Locator, Page, expect

from agentflow.client import AgentFlowClient
from tests.browser.conftest import Console
from tests.helpers import REFERENCE_INPUT, reference_workflow

pytestmark = pytest.mark.browser


def node(page: Page, node_id: str) -> Locator:
    return page.locator(f'#builder-canvas .dag-node[data-node="{node_id}"]')


def drag_edge(page: Page, source: str, target: str) -> None:
    """Press on the source's output handle, move to the target's input handle, release."""
    start = node(page, source).locator(".handle-out").bounding_box()
    end = node(page, target).locator(".handle-in").bounding_box()
    assert start and end
    page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
    page.mouse.down()
    page.mouse.move(start["x"] + 60, start["y"] + 20, steps=4)
    page.mouse.move(end["x"] + end["width"] / 2, end["y"] + end["height"] / 2, steps=6)
    page.mouse.up()


def definition(page: Page) -> dict:
    return json.loads(page.get_by_label("Workflow definition (JSON)").input_value())


def open_builder(console: Console) -> Page:
    console.sign_in()
    console.page.get_by_role("link", name="New workflow").click()
    expect(console.page.get_by_role("heading", name="New workflow", level=1)).to_be_visible()
    return console.page


def test_the_reference_workflow_is_built_by_clicks_and_sends_20_emails(console: Console) -> None:
    page = open_builder(console)
    # Given two nodes added from the catalog
    page.get_by_label("Workflow name").fill("Sales Outreach Workflow")
    page.get_by_role("button", name="Add Sales Intelligence").click()
    page.get_by_role("button", name="Add Email Outreach").click()
    expect(page.locator("#builder-canvas .dag-node")).to_have_count(2)
    # When the sales node's output handle is dragged to the email node's input handle
    drag_edge(page, "sales_intelligence_1", "email_outreach_1")
    # Then they are connected, on the graph and in the JSON
    expect(page.locator("#builder-canvas .dag-edge")).to_have_count(1)
    expect(page.locator("#graph-notice")).to_contain_text("Connected sales_intelligence_1 → email_outreach_1")
    assert definition(page)["edges"] == [{"source": "sales_intelligence_1", "target": "email_outreach_1"}]
    # And the layout is layered left to right
    assert node(page, "email_outreach_1").get_attribute("data-level") == "1"
    # When the sales node is configured through its generated form (fields, defaults offered)
    node(page, "sales_intelligence_1").click()
    expect(page.locator("#inspector-title")).to_contain_text("sales_intelligence_1")
    expect(page.get_by_label("Limit")).to_have_attribute("placeholder", "default 200")
    page.get_by_label("Stage").fill("Negotiation")
    page.get_by_label("Stage").press("Tab")
    page.get_by_label("Min Amount").fill("100000")
    page.get_by_label("Min Amount").press("Tab")
    page.get_by_label("Close Quarter").select_option(label="Q4")
    config = definition(page)["agents"][0]["config"]
    assert config == {"stage": "Negotiation", "min_amount": 100000, "close_quarter": "Q4"}
    console.screenshot("builder-reference-built")
    # And saved
    page.get_by_role("button", name="Create workflow").click()
    expect(page.get_by_role("heading", name="Sales Outreach Workflow", level=1)).to_be_visible()
    expect(page.locator("#versions-table tbody tr")).to_have_count(1)
    # Then it runs to 20 emails
    page.get_by_label("Run input").fill(REFERENCE_INPUT)
    page.get_by_role("button", name="Run workflow").click()
    expect(page.locator("#execution-status")).to_contain_text("completed", timeout=30_000)
    output = json.loads(page.locator("#execution-output").text_content() or "null")
    assert output["emails_sent"] == 20 and len(output["emails"]) == 20
    graph = page.locator("#execution-graph")
    expect(graph.locator('.dag-node[data-status="completed"]')).to_have_count(2)
    console.screenshot("builder-reference-ran")
    assert console.unexpected_errors() == []


def test_a_cycle_is_refused_on_the_graph(console: Console) -> None:
    page = open_builder(console)
    page.get_by_role("button", name="Add Sales Intelligence").click()
    page.get_by_role("button", name="Add Email Outreach").click()
    drag_edge(page, "sales_intelligence_1", "email_outreach_1")
    expect(page.locator("#builder-canvas .dag-edge")).to_have_count(1)
    # When an edge back from the email node to the sales node is drawn
    drag_edge(page, "email_outreach_1", "sales_intelligence_1")
    # Then it is refused: the notice names the cycle, the graph marks it, the definition is unchanged
    notice = page.locator("#graph-notice")
    expect(notice).to_contain_text("Refused")
    expect(notice).to_contain_text("cycle")
    expect(page.locator("#builder-canvas .dag-edge.refused")).to_have_count(1)
    expect(page.locator("#builder-canvas .dag-node.in-cycle")).to_have_count(2)
    assert len(definition(page)["edges"]) == 1
    console.screenshot("builder-cycle-refused")
    # And a cycle typed into the JSON editor is drawn as one
    cyclic = definition(page)
    cyclic["edges"].append({"source": "email_outreach_1", "target": "sales_intelligence_1"})
    page.get_by_label("Workflow definition (JSON)").fill(json.dumps(cyclic))
    expect(notice).to_contain_text("The graph has a cycle")
    expect(notice).not_to_contain_text("Refused")
    expect(page.locator("#builder-canvas .dag-edge.in-cycle")).to_have_count(2)
    # And the builder still reads on a phone: the graph scrolls in its frame, the page does not
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    console.screenshot("builder-narrow")
    assert console.unexpected_errors() == []


def test_a_config_error_from_the_api_is_shown_on_its_node(console: Console) -> None:
    page = open_builder(console)
    page.get_by_label("Workflow name").fill("Needs a channel")
    page.get_by_role("button", name="Add Sales Intelligence").click()
    page.get_by_role("button", name="Add Slack Notification").click()
    drag_edge(page, "sales_intelligence_1", "slack_1")
    # When it is saved without the Slack channel its schema requires
    page.get_by_role("button", name="Create workflow").click()
    # Then the 422 is marked on the Slack node and beside the channel field of its form
    expect(page.locator("#editor-errors")).to_contain_text("422")
    expect(node(page, "slack_1")).to_have_class("dag-node editable selected has-error")
    expect(node(page, "sales_intelligence_1")).not_to_have_class("has-error")
    field = page.locator('#inspector [data-config-field="channel"]')
    expect(field.locator(".field-error")).to_contain_text("'channel' is required, e.g. '#sales-alerts'")
    expect(page.get_by_label("Channel (required)")).to_have_attribute("aria-invalid", "true")
    console.screenshot("builder-config-error")
    # And once the channel is given, the workflow saves
    page.get_by_label("Channel (required)").fill("#sales-alerts")
    page.get_by_label("Channel (required)").press("Tab")
    page.get_by_role("button", name="Create workflow").click()
    expect(page.get_by_role("heading", name="Needs a channel", level=1)).to_be_visible()
    assert console.unexpected_errors(422) == []


def tab_to(page: Page, selector: str, limit: int = 120) -> None:
    """Press Tab until the focused element matches ``selector`` (keyboard only, as a person would)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_a_workflow_is_built_and_saved_with_the_keyboard_alone(
    console: Console, client: AgentFlowClient
) -> None:
    page = open_builder(console)
    keyboard = page.keyboard
    tab_to(page, "#workflow-name")
    keyboard.press("Control+A")
    keyboard.type("Keyboard built")
    tab_to(page, 'button[data-type="sales_intelligence"]')
    keyboard.press("Enter")
    tab_to(page, 'button[data-type="email_outreach"]')
    keyboard.press("Enter")
    # The new node's panel has focus: its parent is chosen from the list
    expect(page.locator("#inspector-title")).to_be_focused()
    tab_to(page, "#parent-sales_intelligence_1")
    keyboard.press("Space")
    expect(page.locator("#builder-canvas .dag-edge")).to_have_count(1)
    tab_to(page, "#config-email_outreach_1-max_emails")
    keyboard.type("5")
    keyboard.press("Tab")
    # A node on the graph is reached with Tab, opened with Enter and moved with the arrow keys
    tab_to(page, '#builder-canvas .dag-node[data-node="sales_intelligence_1"]')
    keyboard.press("Enter")
    expect(page.locator("#inspector-title")).to_contain_text("sales_intelligence_1")
    tab_to(page, '#builder-canvas .dag-node[data-node="sales_intelligence_1"]')
    before = node(page, "sales_intelligence_1").get_attribute("transform")
    keyboard.press("ArrowDown")
    keyboard.press("Shift+ArrowDown")
    expect(node(page, "sales_intelligence_1")).not_to_have_attribute("transform", before or "")
    console.screenshot("builder-keyboard")
    tab_to(page, "#save-workflow")
    keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Keyboard built", level=1)).to_be_visible()
    # Then the stored workflow has what was typed, and the moved position under ui
    saved = next(w for w in client.workflows(limit=None)[0] if w["name"] == "Keyboard built")
    assert saved["edges"] == [{"source": "sales_intelligence_1", "target": "email_outreach_1"}]
    assert saved["agents"][1]["config"] == {"max_emails": 5}
    assert saved["ui"]["positions"]["sales_intelligence_1"]["y"] > 0
    assert console.unexpected_errors() == []


def test_editing_keeps_moved_positions_and_a_stale_save_offers_reload(
    console: Console, client: AgentFlowClient
) -> None:
    # Given a stored workflow opened in the builder, its sales node moved by dragging
    created = client.create_workflow(reference_workflow())
    page = console.page
    console.sign_in()
    page.goto(f"{console.url}/#/workflows/{created['id']}/edit")
    box = node(page, "sales_agent_1").locator(".dag-box").bounding_box()
    assert box
    page.mouse.move(box["x"] + 60, box["y"] + 20)
    page.mouse.down()
    page.mouse.move(box["x"] + 60, box["y"] + 140, steps=8)
    page.mouse.up()
    expect(page.locator("#graph-notice")).to_contain_text("Moved sales_agent_1")
    assert definition(page)["ui"]["positions"]["sales_agent_1"]["y"] > 60
    # When someone else saves a version first
    client.update_workflow(created["id"], {**reference_workflow(), "name": "Changed elsewhere"}, version=1)
    page.get_by_role("button", name="Save changes").click()
    # Then the 409 offers to reload, and reloading shows their version
    expect(page.locator("#editor-conflict")).to_contain_text("version 2, not 1")
    page.get_by_role("button", name="Reload the current version").click()
    expect(page.get_by_label("Workflow name")).to_have_value("Changed elsewhere")
    assert definition(page)["version"] == 2
    # And a save now stores version 3 with the positions moved after the reload
    node(page, "email_agent_1").focus()
    page.keyboard.press("Shift+ArrowUp")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", name="Changed elsewhere", level=1)).to_be_visible()
    stored = client.workflow(created["id"])
    assert stored["version"] == 3 and "email_agent_1" in stored["ui"]["positions"]
    assert console.unexpected_errors(409) == []


def test_the_config_form_follows_the_schema_conditions(console: Console) -> None:
    # Given a schema whose "jql" field applies only in search mode, with defaults and examples
    page = open_builder(console)
    schema = {
        "type": "object",
        "properties": {
            "mode": {"enum": ["create", "search"], "default": "create", "title": "Mode"},
            "credentials_secret": {"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Secret"},
            "labels": {"type": "array", "items": {"type": "string"}, "title": "Labels"},
        },
        "allOf": [
            {
                "if": {"properties": {"mode": {"const": "search"}}},
                "then": {
                    "properties": {"jql": {"type": "string", "title": "JQL", "examples": ["project = SUP"]}},
                    "required": ["jql"],
                },
            }
        ],
    }
    page.evaluate(
        """async (schema) => {
            const { configForm } = await import("/js/schemaform.js");
            const host = document.createElement("div");
            host.id = "form-host";
            document.querySelector("main").prepend(host);
            let config = {};
            const draw = () => host.replaceChildren(configForm(schema, config, (next) => {
                config = next; window.formConfig = next; draw();
            }, { idPrefix: "t" }));
            draw();
        }""",
        schema,
    )
    host = page.locator("#form-host")
    # Then the conditional field is hidden in the default mode
    expect(host.get_by_label("Mode")).to_have_value("")
    expect(host.locator("option").first).to_have_text("Default (create)")
    expect(host.locator('[data-config-field="jql"]')).to_have_count(0)
    # When search mode is chosen, it appears, required, with its example offered
    host.get_by_label("Mode").select_option(label="search")
    jql = host.get_by_label("JQL (required)")
    expect(jql).to_have_attribute("placeholder", "e.g. project = SUP")
    expect(host.locator("#t-jql-examples option")).to_have_attribute("value", "project = SUP")
    # And a secret field takes a Secrets Manager name, never a pasted credential
    secret = host.get_by_label("Secret")
    secret.fill("xoxb-1234 not a name")
    secret.press("Tab")
    assert "credentials_secret" not in page.evaluate("window.formConfig")
    secret.fill("agentflow/acme/slack")
    secret.press("Tab")
    expected = {"mode": "search", "credentials_secret": "agentflow/acme/slack"}
    assert page.evaluate("window.formConfig") == expected
    assert console.unexpected_errors() == []
