"""The Zendesk sandbox: bundled help desk coherent with the CRM, Zendesk search syntax, created tickets."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from tools import generate_zendesk_data

from agentflow.connectors.factory import ConnectorFactory
from agentflow.connectors.zendesk import NewTicket, build_search_query, quote_search_value
from agentflow.errors import ConnectorError
from agentflow.settings import Settings
from agentflow_sandbox.zendesk import ZendeskSandbox, parse_search_query

DATA = Path(__file__).resolve().parents[3] / "layers/sandbox/agentflow_sandbox/data"
REFERENCE = 'type:ticket status<solved priority:urgent priority:high organization:"Northwind Logistics"'


def bundled() -> dict:
    return json.loads((DATA / "zendesk_tickets.json").read_text(encoding="utf-8"))


def crm() -> list[dict]:
    return json.loads((DATA / "salesforce_opportunities.json").read_text(encoding="utf-8"))["opportunities"]


@pytest.fixture
def desk(tmp_path: Path) -> ZendeskSandbox:
    return ZendeskSandbox(sandbox_dir=tmp_path, tenant_id="tenant-a")


def a_ticket(**overrides: object) -> NewTicket:
    values: dict = {
        "subject": "Shipment tracking API returning 502 errors",
        "body": "Every tracking call fails since 06:10 UTC.",
        "priority": "urgent",
        "tags": ["AgentFlow", "escalation"],
        "requester_name": "Leila Takahashi",
        "requester_email": "leila.takahashi@northwind-logistics.example",
        "organization_name": "Northwind Logistics",
    }
    return NewTicket(**{**values, **overrides})


# --- the bundled data --------------------------------------------------------------------------


def test_the_data_file_is_what_the_generator_writes() -> None:
    assert generate_zendesk_data.main(["--check"]) == 0


def test_organisations_are_exactly_the_crm_accounts_with_their_ids() -> None:
    # Given the CRM's accounts and the help desk's organisations
    accounts = {deal["account_name"]: deal["account_id"] for deal in crm()}
    organizations = {org["name"]: org["external_id"] for org in bundled()["organizations"]}
    # Then every account is an organisation, linked by the CRM account id
    assert organizations == accounts


def test_most_requesters_are_crm_contacts_of_their_own_organisation() -> None:
    data = bundled()
    contacts = {(deal["account_name"], deal["contact_email"]) for deal in crm()}
    orgs = {org["id"]: org for org in data["organizations"]}
    users = {user["id"]: user for user in data["users"]}
    pairs = [(orgs[ticket["organization_id"]], users[ticket["requester_id"]]) for ticket in data["tickets"]]
    # Every requester writes from their organisation's domain ...
    assert all(user["email"].endswith("@" + org["domain_names"][0]) for org, user in pairs)
    # ... and most of them are the CRM's contacts for that account
    from_crm = sum((org["name"], user["email"]) in contacts for org, user in pairs)
    assert from_crm / len(pairs) > 0.5


def test_the_desk_holds_about_150_tickets_in_every_status_and_priority() -> None:
    tickets = bundled()["tickets"]
    assert 140 <= len(tickets) <= 160
    assert {ticket["status"] for ticket in tickets} == {"new", "open", "pending", "hold", "solved", "closed"}
    assert {ticket["priority"] for ticket in tickets} >= {"low", "normal", "high", "urgent"}
    assert len({ticket["id"] for ticket in tickets}) == len(tickets)


def test_dates_move_so_the_newest_ticket_is_from_the_last_day(tmp_path: Path) -> None:
    # Given a sandbox that believes today is 2031-03-10
    desk = ZendeskSandbox(sandbox_dir=tmp_path, today=date(2031, 3, 10))
    # When every ticket is read
    tickets = desk.tickets()
    # Then none lies in the future and the newest is from the day before
    newest = max(ticket.created_at for ticket in tickets)
    assert datetime(2031, 3, 9, tzinfo=UTC) <= newest < datetime(2031, 3, 10, tzinfo=UTC)
    assert all(ticket.updated_at >= ticket.created_at for ticket in tickets)


# --- search ------------------------------------------------------------------------------------


def test_the_reference_search_finds_northwinds_four_unresolved_urgent_or_high_tickets(
    desk: ZendeskSandbox,
) -> None:
    tickets = desk.search_tickets(REFERENCE)
    assert len(tickets) == 4
    for ticket in tickets:
        assert ticket.organization_name == "Northwind Logistics"
        assert ticket.status in ("new", "open", "pending", "hold")
        assert ticket.priority in ("urgent", "high")
        assert ticket.requester_email and ticket.requester_email.endswith("@northwind-logistics.example")
        assert ticket.url == f"https://agentflow-sandbox.zendesk.com/agent/tickets/{ticket.id}"
    # Newest first, as the live client asks Zendesk to sort
    assert [t.created_at for t in tickets] == sorted((t.created_at for t in tickets), reverse=True)


def test_repeated_equality_terms_match_any_value(desk: ZendeskSandbox) -> None:
    statuses = {t.status for t in desk.search_tickets("type:ticket status:open status:pending", limit=1000)}
    assert statuses == {"open", "pending"}


def test_a_status_comparison_follows_zendesks_order(desk: ZendeskSandbox) -> None:
    statuses = {t.status for t in desk.search_tickets("type:ticket status>pending", limit=1000)}
    assert statuses == {"hold", "solved", "closed"}


def test_a_negated_term_excludes(desk: ZendeskSandbox) -> None:
    found = desk.search_tickets('organization:"Northwind Logistics" -tags:billing', limit=1000)
    assert found and all("billing" not in ticket.tags for ticket in found)
    assert len(found) < len(desk.search_tickets('organization:"Northwind Logistics"', limit=1000))


def test_free_text_matches_word_prefixes_and_phrases(desk: ZendeskSandbox) -> None:
    assert desk.search_tickets("type:ticket telemat")[0].subject.startswith("Telematics data feed")
    phrase = desk.search_tickets('type:ticket "stuck in queue"')
    assert [t.subject for t in phrase] == ["Route optimization jobs stuck in queue since last night"]


def test_created_after_a_date_keeps_only_younger_tickets(tmp_path: Path) -> None:
    desk = ZendeskSandbox(sandbox_dir=tmp_path, today=date(2031, 3, 10))
    found = desk.search_tickets("type:ticket created>2031-03-03", limit=1000)
    assert found and all(ticket.created_at.date() > date(2031, 3, 3) for ticket in found)


def test_the_limit_caps_results(desk: ZendeskSandbox) -> None:
    assert len(desk.search_tickets("type:ticket", limit=7)) == 7


def test_a_property_the_sandbox_cannot_read_is_an_error_not_a_silent_match(desk: ZendeskSandbox) -> None:
    with pytest.raises(ConnectorError, match="cannot search by 'satisfaction:'"):
        desk.search_tickets("type:ticket satisfaction:bad")


def test_the_query_builder_writes_zendesk_syntax() -> None:
    query = build_search_query(
        status=["<solved"],
        priority=["urgent", "high"],
        organization="Maple & Finch Outfitters",
        tags=["VIP"],
        created_after=date(2031, 3, 1),
        text="outage",
    )
    assert query == (
        'type:ticket status<solved priority:urgent priority:high organization:"Maple & Finch Outfitters" '
        "tags:vip created>2031-03-01 outage"
    )
    # And the sandbox reads back what the builder wrote
    assert [term.key for term in parse_search_query(query)][:4] == ["type", "status", "priority", "priority"]


@pytest.mark.parametrize(("value", "quoted"), [("Fourth Coffee", '"Fourth Coffee"'), ("acme", "acme")])
def test_values_are_quoted_only_when_they_need_it(value: str, quoted: str) -> None:
    assert quote_search_value(value) == quoted


def test_a_double_quote_in_a_value_is_refused() -> None:
    with pytest.raises(ConnectorError, match="double quotes"):
        build_search_query(organization='Acme "West"')


def test_an_unknown_status_is_refused() -> None:
    with pytest.raises(ConnectorError, match="not a Zendesk status filter"):
        build_search_query(status=["<done"])


# --- writes ------------------------------------------------------------------------------------


def test_a_created_ticket_is_appended_numbered_and_linked_to_the_crm_contact(
    desk: ZendeskSandbox, tmp_path: Path
) -> None:
    # Given the bundled desk's highest ticket id
    highest = max(ticket["id"] for ticket in bundled()["tickets"])
    # When two tickets are created
    first = desk.create_ticket(a_ticket())
    second = desk.create_ticket(a_ticket(subject="Second"))
    # Then they take the next ids, status new, tags lower-cased, requester and organisation resolved
    assert (first.id, second.id) == (highest + 1, highest + 2)
    assert first.status == "new" and first.tags == ["agentflow", "escalation"]
    assert first.requester == "Leila Takahashi" and first.organization_name == "Northwind Logistics"
    # And both are lines of the sandbox's ticket file
    lines = (tmp_path / "zendesk" / "tickets.jsonl").read_text().splitlines()
    assert [json.loads(line)["ticket"]["id"] for line in lines] == [first.id, second.id]


def test_created_tickets_are_found_by_later_searches_of_the_same_tenant_only(tmp_path: Path) -> None:
    mine = ZendeskSandbox(sandbox_dir=tmp_path, tenant_id="tenant-a")
    theirs = ZendeskSandbox(sandbox_dir=tmp_path, tenant_id="tenant-b")
    created = mine.create_ticket(a_ticket())
    assert created.id in {t.id for t in mine.search_tickets(REFERENCE)}
    assert created.id not in {t.id for t in theirs.search_tickets(REFERENCE)}


def test_an_unknown_requester_is_kept_by_name_and_email(desk: ZendeskSandbox) -> None:
    ticket = desk.create_ticket(
        a_ticket(requester_name="Pat Doe", requester_email="pat@new.example", organization_name=None)
    )
    assert (ticket.requester, ticket.requester_email, ticket.organization_name) == (
        "Pat Doe",
        "pat@new.example",
        None,
    )


def test_concurrent_creates_never_share_an_id(desk: ZendeskSandbox) -> None:
    ids: list[int] = []
    threads = [
        threading.Thread(target=lambda: ids.append(desk.create_ticket(a_ticket()).id)) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(ids)) == 8


def test_a_comment_is_appended_and_bumps_the_tickets_update_time(desk: ZendeskSandbox) -> None:
    # Given an open reference ticket
    ticket = desk.search_tickets(REFERENCE)[0]
    # When an internal note is added
    comment = desk.add_comment(ticket.id, "Escalated as INC0010001", public=False)
    # Then it is recorded, and the ticket reads as just updated
    assert comment.comment_id and not comment.public
    assert desk.comments()[0]["body"] == "Escalated as INC0010001"
    updated = next(t for t in desk.tickets() if t.id == ticket.id).updated_at
    assert datetime.now(UTC) - updated < timedelta(minutes=1)


def test_commenting_on_an_unknown_ticket_is_a_404(desk: ZendeskSandbox) -> None:
    with pytest.raises(ConnectorError, match="HTTP 404"):
        desk.add_comment(1, "hello")


def test_a_closed_ticket_refuses_comments_as_zendesk_does(desk: ZendeskSandbox) -> None:
    closed = desk.search_tickets("type:ticket status:closed", limit=1)[0]
    with pytest.raises(ConnectorError, match="closed prevents ticket update"):
        desk.add_comment(closed.id, "hello")


def test_every_call_waits_the_sandbox_latency(tmp_path: Path) -> None:
    desk = ZendeskSandbox(sandbox_dir=tmp_path, latency_ms=40)
    started = time.perf_counter()
    desk.search_tickets("type:ticket", limit=1)
    assert time.perf_counter() - started >= 0.04


def test_the_factory_opens_the_sandbox_in_sandbox_mode(tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {"CONNECTOR_MODE": "sandbox", "SANDBOX_DIR": str(tmp_path), "SANDBOX_LATENCY_MS": "5"}
    )
    desk = ConnectorFactory(settings, "tenant-a").open("zendesk")
    assert isinstance(desk, ZendeskSandbox)
    assert (desk.tenant_id, desk.latency_ms, desk.directory) == ("tenant-a", 5, tmp_path / "zendesk")
