"""The SAP agent on its sandbox connector, fed the real sales_intelligence output (CRM deals)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from agentflow.agents.base import AgentContext
from agentflow.agents.email_outreach import EmailOutreachAgent, EmailOutreachConfig
from agentflow.agents.sales_intelligence import SalesIntelligenceAgent, SalesIntelligenceConfig
from agentflow.agents.sap import SapAgent, SapConfig, account_names_from
from agentflow.errors import AgentError
from agentflow_sandbox.outlook import OutlookSandbox
from tests.unit.agent_support import RecordingLog, sandbox_context


@pytest.fixture
def ctx(tmp_path: Path) -> AgentContext:
    return sandbox_context(tmp_path)


def lines(ctx: AgentContext, level: str) -> list[str]:
    assert isinstance(ctx.log, RecordingLog)
    return [message for lvl, message in ctx.log.lines if lvl == level]


@pytest.fixture
def deals(ctx: AgentContext) -> dict[str, Any]:
    """The real sales_intelligence output of the reference query (20 Q4 negotiation deals)."""
    config = SalesIntelligenceConfig(stage="Negotiation", min_amount=100000, close_quarter="Q4")
    return SalesIntelligenceAgent().run(config, "Find Q4 deals", ctx).model_dump(mode="json")


def run(ctx: AgentContext, data: Any = None, **config: Any) -> dict[str, Any]:
    return SapAgent().run(SapConfig(**config), data, ctx).model_dump(mode="json")


def test_open_orders_of_the_upstream_deals_accounts(ctx: AgentContext, deals: dict[str, Any]) -> None:
    # Given the 20 reference deals upstream
    accounts = {deal["account_name"] for deal in deals["deals"]}
    # When the agent looks up their open orders
    output = run(ctx, deals)
    # Then every account matched a business partner, and 17 of them have open orders
    orders = output["orders"]
    assert output["mode"] == "open_orders" and output["open_only"] is True
    assert output["count"] == len(orders) > 0
    assert {partner["account_name"] for partner in output["business_partners"]} == accounts
    assert output["unmatched_accounts"] == []
    assert len({order["account_name"] for order in orders}) == 17
    # And every order is open, belongs to one of those accounts and carries its items
    assert {order["OverallSDProcessStatus"] for order in orders} <= {"A", "B"}
    assert {order["account_name"] for order in orders} <= accounts
    assert all(order["items"] and order["TotalNetAmount"] > 0 for order in orders)
    # And the totals per currency add up
    for currency, total in output["total_by_currency"].items():
        amounts = [o["TotalNetAmount"] for o in orders if o["TransactionCurrency"] == currency]
        assert total == pytest.approx(sum(amounts))
    assert ctx.usage.tokens == 0


def test_the_info_line_says_what_was_found(ctx: AgentContext, deals: dict[str, Any]) -> None:
    output = run(ctx, deals)
    line = lines(ctx, "INFO")[-1]  # the ones before are the sales agent's
    assert line.startswith(f"Found {output['count']} open sales orders worth ")
    assert line.endswith("for 17 of 20 accounts (20 matched a business partner)")


def test_the_upstream_deals_are_passed_on_with_their_sap_orders(
    ctx: AgentContext, deals: dict[str, Any]
) -> None:
    output = run(ctx, deals)
    annotated = output["deals"]
    assert [deal["id"] for deal in annotated] == [deal["id"] for deal in deals["deals"]]
    assert sum(deal["sap_order_count"] for deal in annotated) == output["count"]
    assert sum(1 for deal in annotated if deal["sap_order_count"] == 0) == 3
    assert all(deal["sap_business_partner"] for deal in annotated)
    # the deal's own fields stay, so downstream agents still read it as a deal
    assert all(deal["owner_email"] and deal["amount"] for deal in annotated)


@pytest.mark.parametrize(("deal_filter", "kept"), [("with_orders", 17), ("without_orders", 3), ("all", 20)])
def test_the_deal_filter_keeps_deals_by_whether_they_have_orders(
    ctx: AgentContext, deals: dict[str, Any], deal_filter: str, kept: int
) -> None:
    output = run(ctx, deals, deal_filter=deal_filter)
    assert len(output["deals"]) == kept


def test_deal_desk_chain_emails_the_owners_of_deals_with_open_orders(
    ctx: AgentContext, deals: dict[str, Any]
) -> None:
    # Given sales_intelligence → sap (deals with open orders) → email_outreach
    sap_output = run(ctx, deals, deal_filter="with_orders")
    # When email_outreach runs on the SAP node's output
    emails = EmailOutreachAgent().run(EmailOutreachConfig(email_template="follow_up"), sap_output, ctx)
    # Then one email per deal with open orders went to its owner through the sandbox outbox
    assert emails.emails_sent == 17
    assert {email.deal_id for email in emails.emails} == {deal["id"] for deal in sap_output["deals"]}
    assert len(OutlookSandbox(sandbox_dir=ctx.settings.sandbox_dir).sent()) == 17


def test_include_completed_adds_completed_orders(ctx: AgentContext, deals: dict[str, Any]) -> None:
    open_only = run(ctx, deals)
    everything = run(ctx, deals, include_completed=True)
    assert everything["count"] > open_only["count"]
    assert "C" in {order["OverallSDProcessStatus"] for order in everything["orders"]}
    assert everything["open_only"] is False


def test_business_partners_mode_from_configured_names(ctx: AgentContext) -> None:
    # Given two known accounts and one the ERP does not have
    output = run(
        ctx, mode="business_partners", account_names=["Coho Winery", "Margie's Travel", "Unknown Corp"]
    )
    # Then the two known ones come back as customers, and the unknown one is reported and warned about
    assert output["count"] == 2 and output["orders"] == []
    assert {p["BusinessPartnerFullName"] for p in output["business_partners"]} == {
        "Coho Winery",
        "Margie's Travel",
    }
    assert output["unmatched_accounts"] == ["Unknown Corp"]
    assert "No SAP business partner is named 'Unknown Corp'" in lines(ctx, "WARN")


def test_prefix_match_finds_subsidiaries_and_names_their_orders_after_the_account(ctx: AgentContext) -> None:
    output = run(ctx, account_names=["Northwind Logistics"], name_match="prefix")
    names = {p["BusinessPartnerFullName"] for p in output["business_partners"]}
    assert names == {"Northwind Logistics", "Northwind Logistics Europe GmbH"}
    assert {"EUR"} <= {order["TransactionCurrency"] for order in output["orders"]}
    assert {order["account_name"] for order in output["orders"]} == {"Northwind Logistics"}


def test_a_partner_that_is_only_a_supplier_is_warned_about(ctx: AgentContext) -> None:
    output = run(ctx, account_names=["Northwind Traders"])
    assert output["orders"] == []
    assert any("is not a customer" in line for line in lines(ctx, "WARN"))


def test_accounts_come_from_any_upstream_record_kind(ctx: AgentContext) -> None:
    # Given two parents: HubSpot-like companies and tickets naming their organization
    data = {
        "crm": {"companies": [{"company": "Coho Winery"}, {"company": "Fourth Coffee"}]},
        "helpdesk": {"tickets": [{"organization_name": "Wingtip Toys"}]},
    }
    # When the accounts are read
    key, _items, names, nameless = account_names_from(data)
    # Then the preferred kind wins, and every record named an account
    assert (key, names, nameless) == ("companies", ["Coho Winery", "Fourth Coffee"], 0)


def test_records_without_an_account_are_skipped_with_a_warning(ctx: AgentContext) -> None:
    data = {"deals": [{"name": "Mystery deal"}, {"account_name": "Coho Winery"}]}
    output = run(ctx, data)
    assert output["business_partners"][0]["BusinessPartnerFullName"] == "Coho Winery"
    assert "Skipped 1 upstream records that name no account" in lines(ctx, "WARN")


def test_max_accounts_caps_the_lookups_with_a_warning(ctx: AgentContext, deals: dict[str, Any]) -> None:
    output = run(ctx, deals, max_accounts=5)
    assert len(output["business_partners"]) == 5
    assert "20 accounts; max_accounts=5 looks up the first ones" in lines(ctx, "WARN")


def test_open_orders_without_any_account_is_an_agent_error(ctx: AgentContext) -> None:
    with pytest.raises(AgentError, match="needs accounts"):
        run(ctx, "Show me open orders")


@pytest.mark.parametrize(
    "config",
    [{"mode": "invoices"}, {"name_match": "fuzzy"}, {"limit": 0}, {"max_accounts": 501}, {"accounts": ["x"]}],
)
def test_invalid_configs_are_rejected(config: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SapConfig.model_validate(config)
