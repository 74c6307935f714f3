"""Sandbox connectors, the SOQL builder, URL vetting and the factory's choices (no sockets, no AWS)."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import pytest
from tools import generate_sandbox_data

from agentflow.connectors.base import OpportunityQuery, OutgoingEmail
from agentflow.connectors.factory import CRM_CONNECTORS, MAIL_CONNECTORS, ConnectorFactory
from agentflow.connectors.http import check_base_url, parse_retry_after
from agentflow.connectors.salesforce import build_opportunity_soql, soql_escape
from agentflow.errors import ConnectorError
from agentflow.settings import Settings
from agentflow_sandbox.outlook import OutlookSandbox
from agentflow_sandbox.salesforce import SalesforceSandbox


def reference_query(year: int) -> OpportunityQuery:
    """The sales agent's query for "Q4 deals over $100K in Negotiation"."""
    return OpportunityQuery(
        stage="Negotiation", min_amount=100_000, close_from=date(year, 10, 1), close_to=date(year, 12, 31)
    )


def an_email(n: int = 0) -> OutgoingEmail:
    return OutgoingEmail(
        to_name="Maria Chen",
        to_address="maria.chen@sales.example.com",
        from_address="agentflow@example.com",
        subject=f"Checking in #{n}",
        body="Hello Maria,\nHow is the Northwind deal going?",
    )


# --- Salesforce sandbox ------------------------------------------------------------------------


def test_reference_query_finds_exactly_twenty_deals_this_year() -> None:
    # Given the bundled data and today's year
    year = date.today().year
    # When the sales agent's reference query runs
    deals = SalesforceSandbox().find_opportunities(reference_query(year))
    # Then exactly the 20 reference deals come back, each satisfying every condition
    assert len(deals) == 20
    for deal in deals:
        assert deal.stage.startswith("Negotiation")
        assert deal.amount >= 100_000
        assert date(year, 10, 1) <= deal.close_date <= date(year, 12, 31)


def test_dates_move_with_the_year_so_the_reference_set_stays_current() -> None:
    # Given a sandbox that believes it is 2031
    sandbox = SalesforceSandbox(today=date(2031, 3, 1))
    # When the reference query runs for 2031
    deals = sandbox.find_opportunities(reference_query(2031))
    # Then the same 20 deals are there, dated 2031
    assert len(deals) == 20
    assert {deal.close_date.year for deal in deals} == {2031}


def test_a_leap_year_shift_keeps_every_record_loadable() -> None:
    # Given a sandbox in a leap year (Feb 29 exists only there)
    sandbox = SalesforceSandbox(today=date(2028, 2, 29))
    # When all records load
    records = sandbox.opportunities()
    # Then none was lost
    assert len(records) == len(generate_sandbox_data.generate()["opportunities"])


def test_near_miss_decoys_exist_and_are_excluded() -> None:
    # Given the bundled data this year
    year = date.today().year
    sandbox = SalesforceSandbox()
    everything = sandbox.opportunities()
    found = {deal.id for deal in sandbox.find_opportunities(reference_query(year))}
    q3_negotiation = [
        o
        for o in everything
        if o.stage.startswith("Negotiation") and o.amount >= 100_000 and o.close_date == date(year, 9, 30)
    ]
    next_q1_negotiation = [
        o
        for o in everything
        if o.stage.startswith("Negotiation") and o.amount >= 100_000 and o.close_date == date(year + 1, 1, 1)
    ]
    just_under = [o for o in everything if o.stage.startswith("Negotiation") and 99_000 <= o.amount < 100_000]
    proposal_in_q4 = [
        o
        for o in everything
        if o.stage == "Proposal/Price Quote" and o.amount >= 100_000 and o.close_date >= date(year, 10, 1)
    ]
    decoys = q3_negotiation + next_q1_negotiation + just_under + proposal_in_q4
    # Then each kind of decoy is present in the data, and none of them was found
    assert q3_negotiation and next_q1_negotiation and just_under and proposal_in_q4
    assert not {o.id for o in decoys} & found


def test_date_boundaries_are_inclusive_and_every_match_is_over_100k() -> None:
    # Given the reference query
    year = date.today().year
    deals = SalesforceSandbox().find_opportunities(reference_query(year))
    # Then every deal is strictly over 100,000 (the reference's "over $100K"), and Oct 1 and Dec 31 count
    assert all(deal.amount > 100_000 for deal in deals)
    assert any(deal.close_date == date(year, 10, 1) for deal in deals)
    assert any(deal.close_date == date(year, 12, 31) for deal in deals)


def test_results_are_ordered_by_close_date_then_id() -> None:
    # When any query runs
    deals = SalesforceSandbox().find_opportunities(OpportunityQuery(limit=2000))
    # Then results come by close date, then id, as the live ORDER BY does
    assert deals == sorted(deals, key=lambda deal: (deal.close_date, deal.id))


def test_stage_prefix_is_case_insensitive_like_soql_like() -> None:
    year = date.today().year
    query = reference_query(year).model_copy(update={"stage": "negotiation"})
    assert len(SalesforceSandbox().find_opportunities(query)) == 20


def test_limit_caps_the_results() -> None:
    deals = SalesforceSandbox().find_opportunities(
        reference_query(date.today().year).model_copy(update={"limit": 5})
    )
    assert len(deals) == 5


def test_sandbox_query_waits_at_least_the_configured_latency() -> None:
    # Given a sandbox with 20 ms latency
    sandbox = SalesforceSandbox(latency_ms=20)
    # When a query runs
    started = time.perf_counter()
    sandbox.find_opportunities(OpportunityQuery(limit=1))
    # Then it took at least that long (a lower bound: a busy machine only adds)
    assert time.perf_counter() - started >= 0.020


def test_bundled_data_uses_only_reserved_example_domains_and_salesforce_ids() -> None:
    records = generate_sandbox_data.generate()["opportunities"]
    assert len(records) == 300
    for record in records:
        assert record["owner_email"].endswith(".example.com")
        assert record["contact_email"].endswith(".example")
        assert len(record["id"]) == 18 and record["id"].startswith("006")
        assert not record["close_date"].endswith("-02-29")
        assert 5_000 <= record["amount"] <= 900_000


def test_bundled_file_is_what_the_generator_writes() -> None:
    # Then the committed JSON cannot drift from tools/generate_sandbox_data.py
    assert generate_sandbox_data.OUTPUT.read_text(encoding="utf-8") == generate_sandbox_data.render()


# --- Outlook sandbox ---------------------------------------------------------------------------


def test_outbox_appends_one_json_line_per_message_with_unique_ids(tmp_path) -> None:
    # Given an outbox in a fresh directory
    outbox = OutlookSandbox(sandbox_dir=tmp_path, tenant_id="t_acme")
    # When three messages are sent
    sent = [outbox.send(an_email(n)) for n in range(3)]
    # Then three lines hold them, each with the id returned for it
    lines = (tmp_path / "outbox" / "outlook.jsonl").read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["message_id"] for r in records] == [s.message_id for s in sent]
    assert len({s.message_id for s in sent}) == 3
    assert all(s.message_id.startswith("AAMk-sandbox-") and s.status == "sent" for s in sent)
    assert records[1]["subject"] == "Checking in #1"
    assert records[0]["to"] == {"name": "Maria Chen", "address": "maria.chen@sales.example.com"}
    assert records[0]["tenant_id"] == "t_acme"


def test_concurrent_sends_never_interleave_lines(tmp_path) -> None:
    # Given one outbox shared by eight threads (Parallel branches run in threads locally)
    outbox = OutlookSandbox(sandbox_dir=tmp_path)
    threads = [
        threading.Thread(target=lambda n=n: [outbox.send(an_email(n * 10 + i)) for i in range(10)])
        for n in range(8)
    ]
    # When they all send at once
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then every one of the 80 lines is whole JSON
    records = outbox.sent()
    assert len(records) == 80
    assert len({r["message_id"] for r in records}) == 80


def test_outbox_send_waits_at_least_the_configured_latency(tmp_path) -> None:
    outbox = OutlookSandbox(sandbox_dir=tmp_path, latency_ms=20)
    started = time.perf_counter()
    outbox.send(an_email())
    assert time.perf_counter() - started >= 0.020


# --- SOQL --------------------------------------------------------------------------------------


def test_soql_for_the_reference_query() -> None:
    soql = build_opportunity_soql(reference_query(2026))
    assert soql.startswith(
        "SELECT Id, Name, Amount, StageName, CloseDate, Probability, AccountId, Account.Name,"
    )
    assert (
        " FROM Opportunity WHERE StageName LIKE 'Negotiation%' AND Amount >= 100000"
        " AND CloseDate >= 2026-10-01 AND CloseDate <= 2026-12-31 ORDER BY CloseDate, Id LIMIT 200"
    ) in soql
    assert "CurrencyIsoCode" not in soql


@pytest.mark.parametrize(
    ("stage", "pattern"),
    [
        ("O'Brien", r"'O\'Brien%'"),
        ("50%", r"'50\%%'"),
        ("a_b", r"'a\_b%'"),
        ("back\\slash", r"'back\\slash%'"),
        ("x' OR Name LIKE '", r"'x\' OR Name LIKE \'%'"),
    ],
)
def test_stage_is_escaped_inside_the_like_literal(stage: str, pattern: str) -> None:
    soql = build_opportunity_soql(OpportunityQuery(stage=stage))
    assert f"WHERE StageName LIKE {pattern} ORDER BY" in soql


def test_plain_string_escaping_leaves_wildcards_alone() -> None:
    assert soql_escape("50%_a'b\n") == r"50%_a\'b\n"


def test_fractional_amounts_keep_their_cents() -> None:
    assert "Amount >= 99999.99 " in build_opportunity_soql(OpportunityQuery(min_amount=99_999.99))


def test_no_filters_means_no_where_clause() -> None:
    soql = build_opportunity_soql(OpportunityQuery(limit=7))
    assert soql.endswith(" FROM Opportunity ORDER BY CloseDate, Id LIMIT 7")


# --- base URLs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://example.my.salesforce.com",
        "https://127.0.0.1",
        "https://127.1:8443",
        "https://2130706433",
        "https://10.1.2.3",
        "https://192.168.0.10",
        "https://100.64.0.1",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]:8080",
        "https://[::ffff:10.0.0.1]",
        "https://[fe80::1]",
        "https://224.0.0.1",
        "https://0.0.0.0",
        "https://localhost",
        "https://api.localhost",
        "ftp://example.com",
        "https://user:pw@example.com",
        "https:///path-only",
    ],
)
def test_check_base_url_rejects_non_https_and_internal_addresses(url: str) -> None:
    with pytest.raises(ConnectorError) as raised:
        check_base_url(url, allow_loopback=False)
    assert "connector URL '" in raised.value.message
    assert "pw" not in raised.value.message


def test_check_base_url_accepts_public_https_and_strips_the_trailing_slash() -> None:
    assert check_base_url("https://acme.my.salesforce.com/", allow_loopback=False) == (
        "https://acme.my.salesforce.com"
    )
    assert check_base_url("https://93.184.215.14", allow_loopback=False) == "https://93.184.215.14"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:9000", "https://[::1]:443"])
def test_check_base_url_allows_loopback_only_when_asked(url: str) -> None:
    assert check_base_url(url, allow_loopback=True) == url


@pytest.mark.parametrize("url", ["http://10.0.0.5", "http://169.254.169.254"])
def test_allowing_loopback_still_rejects_private_and_link_local(url: str) -> None:
    with pytest.raises(ConnectorError):
        check_base_url(url, allow_loopback=True)


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30.0
    assert parse_retry_after(format_datetime(now - timedelta(seconds=30), usegmt=True), now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


# --- factory -----------------------------------------------------------------------------------


def sandbox_settings(tmp_path) -> Settings:
    return Settings.model_validate(
        {"CONNECTOR_MODE": "sandbox", "SANDBOX_DIR": str(tmp_path), "SANDBOX_LATENCY_MS": "0"}
    )


def test_factory_gives_sandboxes_in_sandbox_mode(tmp_path) -> None:
    factory = ConnectorFactory(sandbox_settings(tmp_path), tenant_id="t_acme")
    assert isinstance(factory.crm("salesforce", None), SalesforceSandbox)
    outbox = factory.mail("outlook", None)
    assert isinstance(outbox, OutlookSandbox)
    assert outbox.outbox_path == tmp_path / "outbox" / "outlook.jsonl"


def test_factory_names_the_known_connectors_for_an_unknown_one(tmp_path) -> None:
    factory = ConnectorFactory(sandbox_settings(tmp_path), tenant_id="t_acme")
    with pytest.raises(ConnectorError, match="known: salesforce, hubspot"):
        factory.crm("pipedrive", None)
    with pytest.raises(ConnectorError, match="known: outlook, ses"):
        factory.mail("gmail", None)
    assert CRM_CONNECTORS == ("salesforce", "hubspot")
    assert MAIL_CONNECTORS == ("outlook", "ses")


@pytest.mark.parametrize("kind", ["crm", "mail"])
def test_live_connectors_need_a_secret_name(kind: str) -> None:
    factory = ConnectorFactory(Settings.model_validate({"CONNECTOR_MODE": "live"}), tenant_id="t_acme")
    name = "salesforce" if kind == "crm" else "outlook"
    with pytest.raises(
        ConnectorError, match=rf"connector '{name}' needs credentials_secret \(a Secrets Manager"
    ):
        getattr(factory, kind)(name, None)


def test_min_amount_is_inclusive() -> None:
    # Given the smallest reference match's amount as the minimum
    year = date.today().year
    smallest = min(deal.amount for deal in SalesforceSandbox().find_opportunities(reference_query(year)))
    query = reference_query(year).model_copy(update={"min_amount": smallest})
    # Then that deal is still found
    assert any(deal.amount == smallest for deal in SalesforceSandbox().find_opportunities(query))
