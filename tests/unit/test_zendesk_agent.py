"""The zendesk agent on its sandbox: search, create from real upstream output, comment (no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from agentflow.agents.base import AgentContext
from agentflow.agents.sales_intelligence import SalesIntelligenceAgent, SalesIntelligenceConfig
from agentflow.agents.servicenow import ServiceNowAgent, ServiceNowConfig
from agentflow.agents.zendesk import (
    ZendeskAgent,
    ZendeskConfig,
    normalize_priority,
    render_item_template,
)
from agentflow.errors import AgentError
from tests.unit.agent_support import sandbox_context

NORTHWIND_ESCALATIONS = {
    "status": "<solved",
    "priority": ["urgent", "high"],
    "organization": "Northwind Logistics",
}


@pytest.fixture
def ctx(tmp_path: Path) -> AgentContext:
    return sandbox_context(tmp_path, node_id="zendesk")


def lines(ctx: AgentContext, level: str) -> list[str]:
    return [message for lvl, message in ctx.log.lines if lvl == level]  # type: ignore[attr-defined]


def northwind_tickets(ctx: AgentContext) -> dict[str, Any]:
    config = ZendeskConfig.model_validate(NORTHWIND_ESCALATIONS)
    return ZendeskAgent().run(config, {"query": "Escalate Northwind"}, ctx).model_dump(mode="json")


def escalated_incidents(ctx: AgentContext) -> dict[str, Any]:
    return ServiceNowAgent().run(ServiceNowConfig(), northwind_tickets(ctx), ctx).model_dump(mode="json")


# --- search ------------------------------------------------------------------------------------


def test_search_finds_the_organisations_open_urgent_and_high_tickets(ctx: AgentContext) -> None:
    # When the agent searches with the support-escalation filters
    output = northwind_tickets(ctx)
    # Then it returns Northwind's four unresolved urgent/high tickets with names resolved
    assert output["mode"] == "search" and output["count"] == len(output["tickets"]) == 4
    assert output["query"] == (
        'type:ticket status<solved priority:urgent priority:high organization:"Northwind Logistics"'
    )
    for ticket in output["tickets"]:
        assert ticket["organization_name"] == "Northwind Logistics"
        assert ticket["requester"] and ticket["url"].endswith(f"/agent/tickets/{ticket['id']}")
    # And it says what it did in one INFO line, one DEBUG line per ticket
    assert lines(ctx, "INFO") == [f"Found 4 Zendesk tickets for '{output['query']}'"]
    assert len(lines(ctx, "DEBUG")) == 4
    assert ctx.usage.tokens == 0 and ctx.usage.cost_usd == 0


def test_created_after_narrows_the_search_to_recent_tickets(ctx: AgentContext) -> None:
    recent = ZendeskAgent().run(ZendeskConfig(created_after=7, limit=1000), None, ctx)
    everything = ZendeskAgent().run(ZendeskConfig(limit=1000), None, ctx)
    assert 0 < recent.count < everything.count
    assert recent.query and "created>" in recent.query


def test_tags_and_free_text_are_part_of_the_search(ctx: AgentContext) -> None:
    output = ZendeskAgent().run(ZendeskConfig(tags=["sso"], query="certificate"), None, ctx)
    assert output.count >= 1
    assert all("sso" in ticket.tags for ticket in output.tickets)


# --- config ------------------------------------------------------------------------------------


def test_single_values_are_accepted_where_lists_are_expected() -> None:
    config = ZendeskConfig.model_validate({"status": "<SOLVED", "priority": "high", "tags": "VIP"})
    assert (config.status, config.priority, config.tags) == (["<solved"], ["high"], ["vip"])


@pytest.mark.parametrize(
    "config",
    [
        {"status": ["done"]},
        {"organization": 'Acme "West"'},
        {"subject_template": "{item.__class__}"},
        {"body_template": "{subject!r}"},
        {"mode": "comment"},
        {"limit": 0},
        {"unknown": 1},
    ],
)
def test_unusable_configs_are_refused_at_registration(config: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        ZendeskConfig.model_validate(config)


# --- create ------------------------------------------------------------------------------------


def test_create_opens_one_ticket_per_upstream_deal_up_to_the_limit(ctx: AgentContext, tmp_path: Path) -> None:
    # Given the sales agent's 20 reference deals
    deals = SalesIntelligenceAgent().run(
        SalesIntelligenceConfig(stage="Negotiation", min_amount=100000, close_quarter="Q4"), None, ctx
    )
    # When the zendesk agent creates tickets for at most 5 of them
    config = ZendeskConfig(mode="create", limit=5, ticket_priority="high", ticket_type="task")
    output = ZendeskAgent().run(config, deals.model_dump(mode="json"), ctx)
    # Then five tickets exist, one per deal, in the deal's organisation and for its contact
    assert output.count == 5
    for ticket, deal in zip(output.tickets, deals.deals, strict=False):
        assert ticket.subject == deal.name and ticket.source_id == deal.id
        assert ticket.organization_name == deal.account_name
        assert ticket.requester_email == deal.contact_email
        assert (ticket.priority, ticket.type, ticket.status, ticket.tags) == (
            "high",
            "task",
            "new",
            ["agentflow"],
        )
    written = (tmp_path / "zendesk" / "tickets.jsonl").read_text().splitlines()
    assert [json.loads(line)["ticket"]["id"] for line in written] == [t.id for t in output.tickets]
    # And the fifteen left over are reported
    assert any("limit=5 leaves 15" in line for line in lines(ctx, "WARN"))


def test_create_uses_templates_and_translates_the_items_priority(ctx: AgentContext) -> None:
    records = {
        "records": [{"number": "INC0010001", "short_description": "API down", "priority": "1 - Critical"}]
    }
    config = ZendeskConfig(
        mode="create", subject_template="[{number}] {short_description}", body_template="See {number}."
    )
    ticket = ZendeskAgent().run(config, records, ctx).tickets[0]
    assert (ticket.subject, ticket.description, ticket.priority) == (
        "[INC0010001] API down",
        "See INC0010001.",
        "urgent",
    )


def test_create_skips_items_without_a_subject_and_says_so(ctx: AgentContext) -> None:
    output = ZendeskAgent().run(ZendeskConfig(mode="create"), {"items": [{"id": "x-1", "amount": 5}]}, ctx)
    assert output.count == 0 and output.skipped == ["x-1"]
    assert lines(ctx, "WARN") == ["Skipped x-1: no subject (set subject_template or give items a subject)"]


def test_create_without_upstream_records_fails_clearly(ctx: AgentContext) -> None:
    with pytest.raises(AgentError, match="needs upstream records"):
        ZendeskAgent().run(ZendeskConfig(mode="create"), "Open a ticket", ctx)


# --- comment -----------------------------------------------------------------------------------


def test_comment_notes_each_servicenow_incident_on_its_zendesk_ticket(
    ctx: AgentContext, tmp_path: Path
) -> None:
    # Given Northwind's tickets escalated to ServiceNow incidents (the real chain, in sandboxes)
    incidents = escalated_incidents(ctx)
    # When the zendesk agent comments back with each incident's number and link
    config = ZendeskConfig(mode="comment", comment_template="Escalated to ServiceNow as {number}: {url}")
    output = ZendeskAgent().run(config, incidents, ctx)
    # Then every ticket has an internal note naming its own incident
    expected = {
        int(r["source_id"]): f"Escalated to ServiceNow as {r['number']}: {r['url']}"
        for r in incidents["records"]
    }
    assert {c.ticket_id: c.body for c in output.comments} == expected
    assert not any(c.public for c in output.comments)
    written = [
        json.loads(line) for line in (tmp_path / "zendesk" / "comments.jsonl").read_text().splitlines()
    ]
    assert {line["ticket_id"] for line in written} == set(expected)


def test_comment_skips_items_that_name_no_ticket(ctx: AgentContext) -> None:
    config = ZendeskConfig(mode="comment", comment_template="Deal {name} closed")
    output = ZendeskAgent().run(config, {"deals": [{"id": "006ABC", "name": "Big deal"}]}, ctx)
    assert output.comments == [] and output.skipped == ["006ABC"]
    assert lines(ctx, "WARN") == ["Skipped 006ABC: no Zendesk ticket id"]


def test_comment_reads_the_ticket_id_from_the_field_the_config_names(ctx: AgentContext) -> None:
    ticket_id = northwind_tickets(ctx)["tickets"][0]["id"]
    config = ZendeskConfig(
        mode="comment", comment_template="Call booked", ticket_id_field="zd", public_comment=True
    )
    output = ZendeskAgent().run(config, {"items": [{"zd": str(ticket_id)}]}, ctx)
    assert [(c.ticket_id, c.public) for c in output.comments] == [(ticket_id, True)]


# --- helpers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "priority"),
    [
        ("urgent", "urgent"),
        ("1 - Critical", "urgent"),
        (2, "high"),
        ("Highest", "urgent"),
        ("HIGH", "high"),
        ("Medium", "normal"),
        ("3 - Moderate", "normal"),
        ("P4", "low"),
        ("5 - Planning", "low"),
        ("whenever", None),
        (None, None),
    ],
)
def test_priorities_from_other_systems_land_on_zendesks_scale(value: object, priority: str | None) -> None:
    assert normalize_priority(value) == priority


def test_templates_fill_missing_fields_with_nothing_and_join_lists() -> None:
    item = {"subject": "API down", "tags": ["api", "outage"], "count": 3}
    assert render_item_template("{subject} [{tags}] x{count} {missing}", item) == "API down [api, outage] x3"
