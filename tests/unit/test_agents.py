"""The two agents on their sandbox connectors (bundled CRM data, file outbox): no network, no AWS."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from agentflow.agents.base import AgentContext
from agentflow.agents.email_outreach import EmailOutreachAgent, EmailOutreachConfig, deals_from
from agentflow.agents.sales_intelligence import (
    SalesIntelligenceAgent,
    SalesIntelligenceConfig,
    quarter_bounds,
)
from agentflow.connectors.factory import ConnectorFactory
from agentflow.errors import AgentError
from agentflow.settings import Settings
from tests.unit.agent_support import RecordingLog, reference_deals, sandbox_context


@pytest.fixture
def ctx(tmp_path: Path) -> AgentContext:
    return sandbox_context(tmp_path)


@pytest.mark.parametrize(
    ("quarter", "first", "last"),
    [("Q1", date(2026, 1, 1), date(2026, 3, 31)), ("Q4", date(2026, 10, 1), date(2026, 12, 31))],
)
def test_quarter_bounds(quarter: str, first: date, last: date) -> None:
    assert quarter_bounds(quarter, 2026) == (first, last)  # type: ignore[arg-type]


def test_sales_agent_finds_the_twenty_reference_deals(ctx: AgentContext) -> None:
    output = reference_deals(ctx)
    assert output["count"] == len(output["deals"]) == 20
    assert output["total_amount"] == sum(deal["amount"] for deal in output["deals"])
    assert output["filters"]["stage"] == "Negotiation"


def test_sales_agent_respects_the_year(ctx: AgentContext) -> None:
    config = SalesIntelligenceConfig(
        stage="Negotiation", min_amount=100000, close_quarter="Q4", close_year=1999 + 100
    )
    assert SalesIntelligenceAgent().run(config, None, ctx).count == 0


REFERENCE_INPUT = "Find Q4 deals over $100K and send check-in emails"


@pytest.mark.parametrize("connector", ["salesforce", "hubspot"])
def test_reference_config_and_input_find_the_twenty_deals_in_either_crm(
    ctx: AgentContext, connector: str
) -> None:
    # Given the reference workflow's config and execution input
    config = SalesIntelligenceConfig(
        connector=connector,  # type: ignore[arg-type]
        stage="Negotiation",
        min_amount=100000,
        close_quarter="Q4",
    )
    # When the agent runs on either CRM sandbox
    output = SalesIntelligenceAgent().run(config, REFERENCE_INPUT, ctx)
    # Then the 20 reference deals come back, every filter from config
    assert output.count == 20
    assert output.filters["sources"] == {
        "limit": "default",
        "stage": "config",
        "min_amount": "config",
        "close_period": "config",
        "close_year": "default",
    }
    assert output.query_text == REFERENCE_INPUT


def test_both_crms_hold_the_same_reference_deals(ctx: AgentContext) -> None:
    def names(connector: str) -> list[str]:
        config = SalesIntelligenceConfig(
            connector=connector,  # type: ignore[arg-type]
            stage="Negotiation",
            min_amount=100000,
            close_quarter="Q4",
        )
        return sorted(deal.name for deal in SalesIntelligenceAgent().run(config, None, ctx).deals)

    assert names("hubspot") == names("salesforce")


@pytest.mark.parametrize("connector", ["salesforce", "hubspot"])
def test_a_plain_request_alone_finds_the_reference_deals(ctx: AgentContext, connector: str) -> None:
    # Given no filter fields, only the request as the execution input
    config = SalesIntelligenceConfig(connector=connector)  # type: ignore[arg-type]
    output = SalesIntelligenceAgent().run(config, {"query": "Find Q4 deals over $100K in Negotiation"}, ctx)
    # Then the request's filters give the same 20 deals, and say they came from the query
    assert output.count == 20
    assert output.filters["stage"] == "Negotiation" and output.filters["min_amount"] == 100000
    assert output.filters["close_period"] == f"Q4 {date.today().year}"
    assert {output.filters["sources"][key] for key in ("stage", "min_amount", "close_period")} == {"query"}


def test_the_query_field_is_read_before_the_execution_input(ctx: AgentContext) -> None:
    config = SalesIntelligenceConfig(query="Q4 deals over $100K in negotiation")
    output = SalesIntelligenceAgent().run(config, "closed won deals", ctx)
    assert output.count == 20 and output.query_text == "Q4 deals over $100K in negotiation"


def test_explicit_fields_win_over_the_request(ctx: AgentContext) -> None:
    # Given a request for Proposal deals over $1M, with stage and amount fixed in config
    config = SalesIntelligenceConfig(stage="Negotiation", min_amount=100000)
    output = SalesIntelligenceAgent().run(config, "Q4 deals over $1M in Proposal", ctx)
    # Then config's stage and amount apply, and the request's quarter fills the gap
    assert output.count == 20
    assert output.filters["sources"]["stage"] == "config"
    assert output.filters["sources"]["close_period"] == "query"


def test_parts_of_a_request_that_cannot_apply_are_warned_about(ctx: AgentContext) -> None:
    config = SalesIntelligenceConfig(limit=5)
    SalesIntelligenceAgent().run(config, "Q4 deals under $50K", ctx)
    warnings = [line for level, line in ctx.log.lines if level == "WARN"]  # type: ignore[attr-defined]
    assert warnings == ["Request text: ignored 'under $50K': deals can be filtered by a minimum amount only"]


def test_the_hubspot_stage_vocabulary_comes_from_its_pipelines(ctx: AgentContext) -> None:
    # "Contract Sent" is a HubSpot stage label, not a Salesforce stage
    config = SalesIntelligenceConfig(connector="hubspot", limit=2000)
    output = SalesIntelligenceAgent().run(config, "deals in contract sent", ctx)
    assert output.filters["stage"] == "Contract Sent"
    assert output.count > 0 and {deal.stage for deal in output.deals} == {"Contract Sent"}


def test_email_agent_writes_one_email_per_deal_up_to_max(ctx: AgentContext, tmp_path: Path) -> None:
    deals = reference_deals(ctx)
    output = EmailOutreachAgent().run(EmailOutreachConfig(max_emails=5), deals, ctx)
    assert output.emails_sent == 5 and len(output.skipped_deals) == 15
    assert all("max_emails" in skipped.reason for skipped in output.skipped_deals)
    outbox = (tmp_path / "outbox" / "outlook.jsonl").read_text().splitlines()
    assert len(outbox) == 5
    assert {json.loads(line)["subject"] for line in outbox} == {email.subject for email in output.emails}


@pytest.mark.parametrize("template", ["check_in", "follow_up", "proposal"])
def test_each_template_names_recipient_account_value_and_date(ctx: AgentContext, template: str) -> None:
    deal = reference_deals(ctx)["deals"][0]
    config = EmailOutreachConfig(email_template=template, max_emails=1)
    email = EmailOutreachAgent().run(config, {"deals": [deal]}, ctx).emails[0]
    first_name = deal["owner_name"].split()[0]
    assert email.body.startswith(f"Hi {first_name},")
    assert deal["account_name"] in email.body and f"${deal['amount']:,.0f}" in email.body
    closes = date.fromisoformat(deal["close_date"])
    assert f"{closes:%B} {closes.day}, {closes.year}" in email.body


def test_greeting_can_be_left_out(ctx: AgentContext) -> None:
    deals = reference_deals(ctx)
    email = (
        EmailOutreachAgent()
        .run(EmailOutreachConfig(include_greeting=False, max_emails=1), deals, ctx)
        .emails[0]
    )
    assert not email.body.startswith("Hi ")


def test_deals_are_found_among_several_parents(ctx: AgentContext) -> None:
    deals = reference_deals(ctx)
    assert len(deals_from({"other_parent": {"note": "x"}, "sales": deals})) == 20


def test_email_agent_without_deals_fails_clearly(ctx: AgentContext) -> None:
    with pytest.raises(AgentError, match="deals"):
        EmailOutreachAgent().run(EmailOutreachConfig(), "just a string", ctx)


def test_agents_that_call_no_model_report_zero_usage(ctx: AgentContext) -> None:
    EmailOutreachAgent().run(EmailOutreachConfig(max_emails=3), reference_deals(ctx), ctx)
    assert (ctx.usage.tokens, ctx.usage.cost_usd) == (0, 0.0)


def test_recipient_allowlist_skips_other_domains(ctx: AgentContext) -> None:
    deals = reference_deals(ctx)
    deals["deals"][0]["owner_email"] = "someone@elsewhere.example"
    config = EmailOutreachConfig(recipient_domains=["sales.example.com"], max_emails=25)
    output = EmailOutreachAgent().run(config, deals, ctx)
    assert output.emails_sent == 19
    assert [(s.deal_id, "elsewhere.example" in s.reason) for s in output.skipped_deals] == [
        (deals["deals"][0]["id"], True)
    ]


def test_dry_run_writes_but_sends_nothing(ctx: AgentContext, tmp_path: Path) -> None:
    output = EmailOutreachAgent().run(
        EmailOutreachConfig(dry_run=True, max_emails=3), reference_deals(ctx), ctx
    )
    assert output.dry_run and output.emails_sent == 0 and len(output.emails) == 3
    assert all(email.status == "dry_run" and email.message_id is None for email in output.emails)
    assert not (tmp_path / "outbox").exists()


def test_llm_generation_writes_from_the_deal_and_counts_real_tokens(tmp_path: Path) -> None:
    # Given the offline model (deterministic, tokens measured with a real tokenizer)
    settings = Settings.model_validate(
        {"CONNECTOR_MODE": "sandbox", "SANDBOX_DIR": str(tmp_path), "LLM_PROVIDER": "offline"}
    )
    ctx = AgentContext(
        "t", "exec_1", "wf_1", "node", settings, RecordingLog(), ConnectorFactory(settings, "t")
    )
    deals = reference_deals(ctx)
    # When the email agent writes three bodies with it
    config = EmailOutreachConfig(generation="llm", max_emails=3)
    output = EmailOutreachAgent().run(config, deals, ctx)
    # Then each body carries its own deal's facts and the usage is the sum of three real calls
    for email, deal in zip(output.emails, deals["deals"], strict=False):
        assert deal["account_name"] in email.body and f"${deal['amount']:,.0f}" in email.body
    assert len({email.body for email in output.emails}) == 3
    assert ctx.usage.input_tokens > 3 * 20 and ctx.usage.output_tokens > 3 * 20
    assert ctx.usage.cost_usd == 0.0  # the offline model is priced at zero
