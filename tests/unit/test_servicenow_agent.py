"""The servicenow agent on its sandbox, fed the zendesk agent's real sandbox output (no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from agentflow.agents.base import AgentContext
from agentflow.agents.servicenow import ServiceNowAgent, ServiceNowConfig, record_values
from agentflow.agents.zendesk import ZendeskAgent, ZendeskConfig
from agentflow.errors import AgentError
from tests.unit.agent_support import sandbox_context


@pytest.fixture
def ctx(tmp_path: Path) -> AgentContext:
    return sandbox_context(tmp_path, node_id="servicenow")


def lines(ctx: AgentContext, level: str) -> list[str]:
    return [message for lvl, message in ctx.log.lines if lvl == level]  # type: ignore[attr-defined]


def northwind_tickets(ctx: AgentContext) -> dict[str, Any]:
    """The zendesk agent's output for the support-escalation example's search."""
    config = ZendeskConfig(
        status=["<solved"], priority=["urgent", "high"], organization="Northwind Logistics"
    )
    return ZendeskAgent().run(config, None, ctx).model_dump(mode="json")


# --- create ------------------------------------------------------------------------------------


def test_one_incident_per_zendesk_ticket(ctx: AgentContext, tmp_path: Path) -> None:
    # Given the zendesk agent's four Northwind escalations
    tickets = northwind_tickets(ctx)["tickets"]
    # When the servicenow agent runs on that output
    output = ServiceNowAgent().run(ServiceNowConfig(), {"tickets": tickets}, ctx)
    # Then four incidents are numbered on from INC0010001, one per ticket, linked back to it
    assert (output.mode, output.table, output.created, output.count) == ("create", "incident", 4, 4)
    assert [r.number for r in output.records] == ["INC0010001", "INC0010002", "INC0010003", "INC0010004"]
    for record, ticket in zip(output.records, tickets, strict=True):
        assert record.short_description == ticket["subject"]
        assert record.company == "Northwind Logistics" and record.caller_id == ticket["requester"]
        assert record.source_id == str(ticket["id"])
        assert record.correlation_id == ctx.write_key(f"record:{ticket['id']}")  # the write's key
        assert record.source_url == ticket["url"] and ticket["url"] in (record.description or "")
        assert record.url.endswith(f"/nav_to.do?uri=incident.do?sys_id={record.sys_id}")
    # And the incidents are lines of the sandbox's incident file
    written = (tmp_path / "servicenow" / "incident.jsonl").read_text().splitlines()
    assert [json.loads(line)["record"]["sys_id"] for line in written] == [r.sys_id for r in output.records]
    assert lines(ctx, "INFO")[-1] == "Created 4 incident records in ServiceNow (0 items skipped)"
    assert ctx.usage.tokens == 0


def test_zendesk_priorities_become_servicenow_priorities(ctx: AgentContext) -> None:
    tickets = northwind_tickets(ctx)
    output = ServiceNowAgent().run(ServiceNowConfig(), tickets, ctx)
    expected = {"urgent": "1 - Critical", "high": "2 - High"}
    assert [r.priority for r in output.records] == [expected[t["priority"]] for t in tickets["tickets"]]


@pytest.mark.parametrize(
    ("priority", "urgency", "impact"),
    [("urgent", "1", "1"), ("high", "1", "2"), ("normal", "2", "2"), ("low", "3", "2"), (None, "3", "2")],
)
def test_urgency_and_impact_per_priority(priority: str | None, urgency: str, impact: str) -> None:
    # Items without a priority take default_priority (low here)
    values = record_values({"subject": "x", "priority": priority}, ServiceNowConfig(default_priority="low"))
    assert values is not None and (values["urgency"], values["impact"]) == (urgency, impact)


def test_field_map_adds_and_overrides_fields_from_templates(ctx: AgentContext) -> None:
    config = ServiceNowConfig(
        field_map={
            "short_description": "[Zendesk #{id}] {subject}",
            "u_zendesk_url": "{url}",
        },
        assignment_group="Service Desk",
        category="software",
    )
    ticket = northwind_tickets(ctx)["tickets"][0]
    record = ServiceNowAgent().run(config, {"tickets": [ticket]}, ctx).records[0]
    assert record.short_description == f"[Zendesk #{ticket['id']}] {ticket['subject']}"
    assert (record.assignment_group, record.category) == ("Service Desk", "software")
    # Fields outside the standard set come back only when asked for
    asked = ServiceNowConfig(field_map={"u_zendesk_url": "{url}"}, fields=["u_zendesk_url"])
    ctx.progress.clear()  # another run, not a retry of the first (which would reuse its records)
    assert ServiceNowAgent().run(asked, {"tickets": [ticket]}, ctx).records[0].fields == {
        "u_zendesk_url": ticket["url"]
    }


@pytest.mark.parametrize(
    "field_map",
    [
        {"sys_id": "{id}"},
        {"Bad-Name": "{id}"},
        {"work_notes": "{ticket.__dict__}"},
        {"work_notes": "{id:>9}"},
    ],
)
def test_unsafe_field_maps_are_refused_at_registration(field_map: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        ServiceNowConfig(field_map=field_map)


def test_a_table_name_must_be_one() -> None:
    with pytest.raises(ValidationError):
        ServiceNowConfig(table="incident/../sys_user")


def test_items_without_a_subject_are_skipped_with_a_warning(ctx: AgentContext) -> None:
    output = ServiceNowAgent().run(ServiceNowConfig(), {"items": [{"id": "42", "amount": 1}]}, ctx)
    assert output.created == 0 and output.skipped == ["42"]
    assert lines(ctx, "WARN") == ["Skipped 42: nothing for a short description (subject, title or name)"]


def test_the_limit_caps_creates_and_says_how_many_were_left(ctx: AgentContext) -> None:
    output = ServiceNowAgent().run(ServiceNowConfig(limit=1), northwind_tickets(ctx), ctx)
    assert output.created == 1
    assert "4 upstream tickets; limit=1 leaves 3" in lines(ctx, "WARN")


def test_only_incidents_get_a_caller(ctx: AgentContext) -> None:
    output = ServiceNowAgent().run(ServiceNowConfig(table="problem"), northwind_tickets(ctx), ctx)
    assert output.records[0].number == "PRB0010001"
    assert output.records[0].caller_id is None and output.records[0].company == "Northwind Logistics"


def test_create_without_upstream_records_fails_clearly(ctx: AgentContext) -> None:
    with pytest.raises(AgentError, match="needs upstream records"):
        ServiceNowAgent().run(ServiceNowConfig(), {"query": "Escalate"}, ctx)


# --- query -------------------------------------------------------------------------------------


def test_query_returns_the_companys_active_incidents_newest_first(ctx: AgentContext) -> None:
    # Given Northwind's tickets escalated into incidents a moment ago
    created = ServiceNowAgent().run(ServiceNowConfig(), northwind_tickets(ctx), ctx)
    # When the agent queries Northwind's active incidents
    output = ServiceNowAgent().run(ServiceNowConfig(mode="query", company="Northwind Logistics"), None, ctx)
    # Then they include the new ones and the bundled open one, and no resolved ones
    assert output.query == "active=true^company.name=Northwind Logistics^ORDERBYDESCopened_at"
    numbers = [record.number for record in output.records]
    assert set(numbers) >= {record.number for record in created.records}
    assert any(number and number < "INC0010001" for number in numbers)
    assert all(record.state not in ("Resolved", "Closed") for record in output.records)
    opened = [record.opened_at or "" for record in output.records]
    assert opened == sorted(opened, reverse=True)
    assert output.created == 0 and output.count == len(output.records)


def test_query_combines_an_encoded_query_with_the_filters(ctx: AgentContext) -> None:
    config = ServiceNowConfig(
        mode="query", query="priority<=3", active_only=False, order_by="number", limit=500
    )
    output = ServiceNowAgent().run(config, None, ctx)
    assert output.query == "priority<=3^ORDERBYnumber"
    assert output.count > 0
    assert {record.priority for record in output.records} <= {"1 - Critical", "2 - High", "3 - Moderate"}
