"""The SAP sandbox (business partners, sales orders) and the OData helpers both implementations share."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from tools import generate_sap_data

from agentflow.connectors.factory import ConnectorFactory
from agentflow.connectors.sap import name_filter, odata_string, parse_odata_date, sales_order_filter
from agentflow.settings import Settings
from agentflow_sandbox.salesforce import SalesforceSandbox
from agentflow_sandbox.sap import SapSandbox

TODAY = date(2031, 6, 18)  # any day works: the data is dated relative to it


@pytest.fixture
def sap() -> SapSandbox:
    return SapSandbox(today=TODAY)


def crm_accounts() -> set[str]:
    return {deal.account_name for deal in SalesforceSandbox().opportunities()}


def test_the_bundled_files_are_what_the_generator_writes() -> None:
    for path, text in generate_sap_data.render().items():
        assert path.read_text(encoding="utf-8") == text, f"run python tools/generate_sap_data.py ({path})"


def test_every_crm_account_is_exactly_one_customer_with_the_same_name(sap: SapSandbox) -> None:
    # Given the CRM sandbox's account names
    accounts = sorted(crm_accounts())
    # When they are looked up by exact name
    partners = sap.find_business_partners(accounts)
    # Then each has exactly one business partner, an organization with a customer number
    assert sorted(partner.BusinessPartnerFullName for partner in partners) == accounts
    assert all(partner.BusinessPartnerCategory == "2" and partner.Customer for partner in partners)
    assert all(
        partner.BusinessPartner.isdigit() and len(partner.BusinessPartner) == 7 for partner in partners
    )


def test_exact_match_leaves_out_a_subsidiary_that_prefix_match_finds(sap: SapSandbox) -> None:
    exact = sap.find_business_partners(["Northwind Logistics"])
    prefix = sap.find_business_partners(["Northwind Logistics"], match="prefix")
    assert [p.BusinessPartnerFullName for p in exact] == ["Northwind Logistics"]
    assert {p.BusinessPartnerFullName for p in prefix} == {
        "Northwind Logistics",
        "Northwind Logistics Europe GmbH",
    }


def test_names_match_case_sensitively_like_the_odata_filter(sap: SapSandbox) -> None:
    assert sap.find_business_partners(["northwind logistics"]) == []


def test_no_names_lists_every_partner_including_suppliers_and_persons(sap: SapSandbox) -> None:
    partners = sap.find_business_partners([], limit=1000)
    assert len(partners) > len(crm_accounts())
    assert any(partner.Supplier and not partner.Customer for partner in partners)
    assert any(partner.BusinessPartnerCategory == "1" for partner in partners)
    assert [p.BusinessPartner for p in partners] == sorted(p.BusinessPartner for p in partners)


def test_there_are_about_250_orders_with_items_that_add_up(sap: SapSandbox) -> None:
    orders = sap.sales_orders()
    assert 220 <= len(orders) <= 290
    for order in orders:
        assert order.items
        assert order.TotalNetAmount == pytest.approx(sum(item.NetAmount for item in order.items))
        assert {item.TransactionCurrency for item in order.items} == {order.TransactionCurrency}


def test_open_only_leaves_out_completed_orders(sap: SapSandbox) -> None:
    # Given every customer number
    customers = [p.Customer for p in sap.find_business_partners([], limit=1000) if p.Customer]
    # When open orders and then all orders are read
    open_orders = sap.find_sales_orders(customers, limit=5000)
    every_order = sap.find_sales_orders(customers, open_only=False, limit=5000)
    # Then open ones are a strict subset without status C, both by order number
    assert open_orders and len(open_orders) < len(every_order)
    assert {order.OverallSDProcessStatus for order in open_orders} == {"A", "B"}
    assert {o.SalesOrder for o in open_orders} < {o.SalesOrder for o in every_order}
    assert [o.SalesOrder for o in every_order] == sorted(o.SalesOrder for o in every_order)


def test_orders_belong_to_the_sold_to_parties_asked_for(sap: SapSandbox) -> None:
    [partner] = sap.find_business_partners(["Coho Winery"])
    orders = sap.find_sales_orders([partner.Customer or ""], open_only=False)
    assert orders and {order.SoldToParty for order in orders} == {partner.Customer}


def test_open_orders_are_recent_relative_to_today(sap: SapSandbox) -> None:
    customers = [p.Customer for p in sap.find_business_partners([], limit=1000) if p.Customer]
    orders = sap.find_sales_orders(customers, limit=5000)
    assert all(TODAY - timedelta(days=550) <= order.CreationDate <= TODAY for order in orders)
    assert any(order.CreationDate >= TODAY - timedelta(days=14) for order in orders)


def test_seventeen_of_the_twenty_reference_deal_accounts_have_open_orders(sap: SapSandbox) -> None:
    # Given the accounts of the reference Q4 negotiation deals
    year = date.today().year
    reference = {
        deal.account_name
        for deal in SalesforceSandbox().opportunities()
        if deal.stage.startswith("Negotiation")
        and deal.amount >= 100_000
        and date(year, 10, 1) <= deal.close_date <= date(year, 12, 31)
    }
    partners = {p.Customer: p.BusinessPartnerFullName for p in sap.find_business_partners(sorted(reference))}
    # When their open orders are read
    orders = sap.find_sales_orders(list(partners), limit=5000)
    # Then 17 accounts have some and 3 have none: a workflow sees both answers
    assert len(reference) == 20
    assert len({partners[order.SoldToParty] for order in orders}) == 17


def test_currencies_follow_the_account(sap: SapSandbox) -> None:
    [partner] = sap.find_business_partners(["Margie's Travel"])
    orders = sap.find_sales_orders([partner.Customer or ""], open_only=False)
    assert {order.TransactionCurrency for order in orders} == {"GBP"}


def test_every_call_waits_the_sandbox_latency() -> None:
    sap = SapSandbox(latency_ms=50, today=TODAY)
    started = time.perf_counter()
    sap.find_business_partners(["Coho Winery"])
    assert time.perf_counter() - started >= 0.05


def test_the_factory_opens_the_sandbox_with_the_settings_latency(tmp_path) -> None:
    settings = Settings.model_validate(
        {"CONNECTOR_MODE": "sandbox", "SANDBOX_DIR": str(tmp_path), "SANDBOX_LATENCY_MS": "3"}
    )
    connector = ConnectorFactory(settings, "t").open("sap")
    assert isinstance(connector, SapSandbox)
    assert connector.latency_ms == 3


# --- OData helpers -------------------------------------------------------------------------------


def test_odata_strings_double_single_quotes() -> None:
    assert odata_string("Margie's Travel") == "'Margie''s Travel'"
    assert odata_string("x' or '1' eq '1") == "'x'' or ''1'' eq ''1'"


def test_name_filters_or_the_names_for_each_match_kind() -> None:
    assert name_filter(["A&B"], "exact") == "BusinessPartnerFullName eq 'A&B'"
    assert name_filter(["A", "O'B"], "prefix") == (
        "(startswith(BusinessPartnerFullName,'A') eq true"
        " or startswith(BusinessPartnerFullName,'O''B') eq true)"
    )


def test_sales_order_filters_exclude_completed_orders_when_asked() -> None:
    assert sales_order_filter(["1000116", "1000130"], open_only=True) == (
        "(SoldToParty eq '1000116' or SoldToParty eq '1000130') and OverallSDProcessStatus ne 'C'"
    )
    assert sales_order_filter(["1000116"], open_only=False) == "SoldToParty eq '1000116'"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/Date(1741564800000)/", date(2025, 3, 10)),
        ("/Date(1741564800000+0000)/", date(2025, 3, 10)),
        ("2025-03-10", date(2025, 3, 10)),
        ("2025-03-10T00:00:00", date(2025, 3, 10)),
        (None, None),
        ("", None),
        ("not a date", None),
    ],
)
def test_odata_dates_parse_from_both_json_shapes(value: str | None, expected: date | None) -> None:
    assert parse_odata_date(value) == expected
