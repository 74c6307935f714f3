"""The Workday agent on its sandbox connector, with realistic upstream input (CRM deals, workers)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from agentflow.agents.base import AgentContext
from agentflow.agents.workday import WorkdayAgent, WorkdayConfig, people_from, window
from agentflow.errors import AgentError
from agentflow.models import utcnow
from tests.unit.agent_support import RecordingLog, reference_deals, sandbox_context


@pytest.fixture
def ctx(tmp_path: Path) -> AgentContext:
    return sandbox_context(tmp_path)


def lines(ctx: AgentContext, level: str) -> list[str]:
    assert isinstance(ctx.log, RecordingLog)
    return [message for lvl, message in ctx.log.lines if lvl == level]


def run(ctx: AgentContext, data: Any = None, **config: Any) -> dict[str, Any]:
    return WorkdayAgent().run(WorkdayConfig(**config), data, ctx).model_dump(mode="json")


def test_new_hires_default_to_the_next_30_days(ctx: AgentContext) -> None:
    # Given the default config (onboarding: hires starting within 30 days)
    today = utcnow().date()
    # When the agent runs
    output = run(ctx)
    # Then the eight upcoming hires come with manager and start date, inside the window
    assert output["count"] == len(output["workers"]) == 8
    assert (output["from_date"], output["to_date"]) == (str(today), str(today + timedelta(days=30)))
    for worker in output["workers"]:
        assert str(today) <= worker["hire_date"] <= str(today + timedelta(days=30))
        assert worker["start_date"] == worker["hire_date"]
        assert worker["manager"] and worker["manager_email"] and worker["email"]
    assert lines(ctx, "INFO") == [f"Found 8 workers hired between {today} and {today + timedelta(days=30)}"]
    assert ctx.usage.tokens == 0 and ctx.usage.cost_usd == 0


def test_recent_hires_of_one_organization(ctx: AgentContext) -> None:
    output = run(ctx, mode="new_hires", from_days=-30, to_days=-1, organization="Sales")
    assert [(w["organization"], w["title"]) for w in output["workers"]] == [("Sales", "Solutions Engineer")]


def test_explicit_dates_override_day_offsets() -> None:
    config = WorkdayConfig(from_days=-5, to_days=5, from_date=date(2030, 1, 1), to_date=date(2030, 1, 31))
    assert window(config, date(2026, 6, 1)) == (date(2030, 1, 1), date(2030, 1, 31))


def test_an_explicit_start_after_the_relative_end_is_an_agent_error() -> None:
    config = WorkdayConfig(from_date=date(2099, 1, 1))
    with pytest.raises(AgentError, match="empty"):
        window(config, date(2026, 6, 1))


@pytest.mark.parametrize(
    "config",
    [
        {"from_days": 10, "to_days": 0},
        {"from_date": "2026-02-01", "to_date": "2026-01-01"},
        {"limit": 0},
        {"mode": "payroll"},
        {"organisation": "Sales"},
    ],
)
def test_invalid_configs_are_rejected(config: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        WorkdayConfig.model_validate(config)


def test_workers_mode_looks_up_the_owners_of_upstream_crm_deals(ctx: AgentContext) -> None:
    # Given the real sales_intelligence output upstream
    deals = reference_deals(ctx)
    owners = {deal["owner_email"] for deal in deals["deals"]}
    # When the agent looks the people up
    output = run(ctx, deals, mode="workers")
    # Then each distinct deal owner comes back once, as a Sales worker with a manager
    assert {worker["email"] for worker in output["workers"]} == owners
    assert output["count"] == len(owners)
    assert {worker["organization"] for worker in output["workers"]} == {"Sales"}
    assert all(worker["manager"] == "Catherine Moreau" for worker in output["workers"])
    assert output["unmatched_people"] == []


def test_workers_mode_searches_by_name(ctx: AgentContext) -> None:
    output = run(ctx, mode="workers", search="Okafor")
    assert [worker["name"] for worker in output["workers"]] == ["James Okafor"]


def test_workers_mode_without_input_lists_workers_up_to_the_limit(ctx: AgentContext) -> None:
    output = run(ctx, mode="workers", limit=5)
    assert output["count"] == 5


def test_an_unknown_upstream_person_is_warned_about_and_reported(ctx: AgentContext) -> None:
    data = {"deals": [{"owner_name": "Ghost Rep", "owner_email": "ghost@sales.example.com"}]}
    output = run(ctx, data, mode="workers")
    assert output["workers"] == [] and output["unmatched_people"] == ["ghost@sales.example.com"]
    assert lines(ctx, "WARN") == ["No Workday worker has the e-mail ghost@sales.example.com"]


def test_upstream_records_without_a_person_are_skipped_with_a_warning(ctx: AgentContext) -> None:
    data = {
        "deals": [
            {"name": "No owner"},
            {"owner_name": "Maria Chen", "owner_email": "maria.chen@sales.example.com"},
        ]
    }
    output = run(ctx, data, mode="workers")
    assert [worker["name"] for worker in output["workers"]] == ["Maria Chen"]
    assert "Skipped 1 upstream records that name no person with an e-mail" in lines(ctx, "WARN")


def test_time_off_of_the_deal_owners_in_the_next_two_weeks(ctx: AgentContext) -> None:
    # Given the reference deals upstream, and the next 14 days
    deals = reference_deals(ctx)
    today = utcnow().date()
    # When the agent reads their time off
    output = run(ctx, deals, mode="time_off", to_days=14)
    # Then Maria Chen's vacation is there, every entry is in the window and belongs to a deal owner
    owners = {deal["owner_email"] for deal in deals["deals"]}
    entries = output["time_off"]
    assert output["count"] == len(entries) > 0
    assert any(e["worker_name"] == "Maria Chen" and e["type"] == "Vacation" for e in entries)
    assert all(str(today) <= e["date"] <= str(today + timedelta(days=14)) for e in entries)
    assert {e["worker_email"] for e in entries} <= owners
    # And the workers listed are exactly those away
    assert {w["id"] for w in output["workers"]} == {e["worker_id"] for e in entries}


def test_time_off_chains_from_a_workday_workers_output(ctx: AgentContext) -> None:
    # Given a workers node's output (the whole Sales organization) upstream
    sales = run(ctx, mode="workers", organization="Sales", limit=1000)
    # When a time_off node reads the next 30 days for them
    output = run(ctx, {"sales_team": sales}, mode="time_off")
    # Then every entry belongs to a Sales worker
    assert output["time_off"]
    assert {w["organization"] for w in output["workers"]} == {"Sales"}


def test_time_off_with_nobody_to_look_up_is_an_agent_error(ctx: AgentContext) -> None:
    with pytest.raises(AgentError, match="needs people upstream"):
        run(ctx, "Who is out next week?", mode="time_off")


def test_an_unknown_organization_is_an_agent_error(ctx: AgentContext) -> None:
    with pytest.raises(AgentError, match="no supervisory organization 'Marketing'"):
        run(ctx, organization="Marketing")


def test_people_from_prefers_the_owner_over_the_contact_and_dedupes() -> None:
    data = {
        "deals": [
            {
                "owner_name": "Maria Chen",
                "owner_email": "maria.chen@sales.example.com",
                "contact_email": "x@y.example",
            },
            {"owner_name": "Maria Chen", "owner_email": "MARIA.CHEN@sales.example.com"},
        ]
    }
    assert people_from(data) == ([("Maria Chen", "maria.chen@sales.example.com")], 0)
