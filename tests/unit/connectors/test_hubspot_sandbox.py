"""The HubSpot sandbox portal: coherent with the Salesforce sandbox, filters, writes, latency."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, date, datetime

import pytest
from tools import generate_hubspot_data

from agentflow.connectors.base import OpportunityQuery
from agentflow.connectors.factory import ConnectorFactory
from agentflow.connectors.hubspot import (
    ContactQuery,
    DealStage,
    HubSpotNotFoundError,
    NewNote,
    matching_stages,
)
from agentflow.errors import ConnectorError
from agentflow.settings import Settings
from agentflow_sandbox.hubspot import HubSpotSandbox
from agentflow_sandbox.salesforce import SalesforceSandbox

NEGOTIATION_ID = generate_hubspot_data.NEGOTIATION_STAGE_ID


def reference_query(year: int, **changes) -> OpportunityQuery:
    query = OpportunityQuery(
        stage="Negotiation", min_amount=100_000, close_from=date(year, 10, 1), close_to=date(year, 12, 31)
    )
    return query.model_copy(update=changes)


@pytest.fixture
def portal(tmp_path) -> HubSpotSandbox:
    return HubSpotSandbox(sandbox_dir=tmp_path, tenant_id="t_acme")


# --- coherence with the Salesforce sandbox ------------------------------------------------------


def test_reference_query_finds_the_same_twenty_deals_as_salesforce(portal: HubSpotSandbox) -> None:
    # Given both CRM sandboxes this year
    year = date.today().year
    # When the reference query runs against each
    hubspot = portal.find_opportunities(reference_query(year))
    salesforce = SalesforceSandbox().find_opportunities(reference_query(year))
    # Then HubSpot has the same 20 deals: names, accounts, amounts, close dates and owners
    assert len(hubspot) == 20

    def fingerprint(deals):
        return sorted((d.name, d.account_name, d.amount, d.close_date, d.owner_email) for d in deals)

    assert fingerprint(hubspot) == fingerprint(salesforce)
    # in HubSpot's id style and its custom Negotiation stage
    assert all(d.id.isdigit() and len(d.id) == 11 and d.stage == "Negotiation" for d in hubspot)


def test_companies_are_the_crm_accounts_and_contacts_use_their_domains() -> None:
    data = generate_hubspot_data.generate()
    salesforce = json.loads(generate_hubspot_data.SOURCE.read_text(encoding="utf-8"))["opportunities"]
    assert {c["properties"]["name"] for c in data["companies"]} == {o["account_name"] for o in salesforce}
    domains = {c["id"]: c["properties"]["domain"] for c in data["companies"]}
    for contact in data["contacts"]:
        email = contact["properties"]["email"]
        assert email.endswith("@" + domains[contact["properties"]["associatedcompanyid"]])
    # and every Salesforce deal contact is a HubSpot contact
    emails = {c["properties"]["email"] for c in data["contacts"]}
    assert {o["contact_email"] for o in salesforce} <= emails


def test_bundled_data_is_hubspot_shaped_and_has_about_two_hundred_deals() -> None:
    data = generate_hubspot_data.generate()
    assert len(data["deals"]) == 200
    stage_ids = {stage["id"] for stage in data["pipelines"][0]["stages"]}
    owner_ids = {owner["id"] for owner in data["owners"]}
    for deal in data["deals"]:
        props = deal["properties"]
        assert props["dealstage"] in stage_ids and props["hubspot_owner_id"] in owner_ids
        assert props["closedate"].endswith("T05:00:00Z") and props["closedate"][5:10] != "02-29"
        assert deal["associations"]["companies"] and deal["associations"]["contacts"]
    assert all(owner["email"].endswith("@sales.example.com") for owner in data["owners"])


def test_bundled_file_is_what_the_generator_writes() -> None:
    assert generate_hubspot_data.OUTPUT.read_text(encoding="utf-8") == generate_hubspot_data.render()


def test_dates_move_with_the_year(tmp_path) -> None:
    sandbox = HubSpotSandbox(sandbox_dir=tmp_path, today=date(2031, 3, 1))
    deals = sandbox.find_opportunities(reference_query(2031))
    assert len(deals) == 20 and {deal.close_date.year for deal in deals} == {2031}


# --- filters -----------------------------------------------------------------------------------


def test_decoys_each_fail_one_condition(portal: HubSpotSandbox) -> None:
    # Given the reference matches and the whole portal this year
    year = date.today().year
    found = {d.id for d in portal.search_deals(reference_query(year))}
    everything = portal.search_deals(OpportunityQuery(limit=2000))
    negotiation = [d for d in everything if d.stage_id == NEGOTIATION_ID]
    q4 = (date(year, 10, 1), date(year, 12, 31))
    # Then each kind of near miss is in the portal (Sep 30 and next Jan 1, just under 100K, Contract
    # Sent in Q4), and none of them was found
    kinds = {
        "outside Q4": [d for d in negotiation if d.close_date in (date(year, 9, 30), date(year + 1, 1, 1))],
        "under 100K": [d for d in negotiation if 99_000 <= d.amount < 100_000],
        "Contract Sent": [
            d
            for d in everything
            if d.stage_id == "contractsent"
            and d.amount >= 100_000
            and q4[0] <= (d.close_date or date.min) <= q4[1]
        ],
    }
    assert all(kinds.values()), {kind: len(deals) for kind, deals in kinds.items()}
    assert not {d.id for deals in kinds.values() for d in deals} & found


def test_close_dates_are_inclusive_utc_days(portal: HubSpotSandbox) -> None:
    year = date.today().year
    deals = portal.search_deals(reference_query(year))
    assert any(d.close_date == date(year, 10, 1) for d in deals)
    assert any(d.close_date == date(year, 12, 31) for d in deals)


def test_stage_names_resolve_by_label_prefix_or_id(portal: HubSpotSandbox) -> None:
    year = date.today().year
    by_label = portal.search_deals(reference_query(year, stage="negotiation"))
    by_id = portal.search_deals(reference_query(year, stage=NEGOTIATION_ID))
    assert [d.id for d in by_label] == [d.id for d in by_id] and len(by_id) == 20
    closed = portal.search_deals(OpportunityQuery(stage="Closed", limit=2000))
    assert {d.stage_id for d in closed} == {"closedwon", "closedlost"}


def test_an_unknown_stage_is_an_error_listing_the_stages(portal: HubSpotSandbox) -> None:
    with pytest.raises(
        ConnectorError, match="no HubSpot deal stage matches 'Negotation'; stages: Appointment"
    ):
        portal.search_deals(OpportunityQuery(stage="Negotation"))


def test_results_are_ordered_by_close_date_then_numeric_id_and_limited(portal: HubSpotSandbox) -> None:
    deals = portal.search_deals(OpportunityQuery(limit=2000))
    assert deals == sorted(deals, key=lambda d: (d.close_date, int(d.id)))
    assert len(portal.search_deals(OpportunityQuery(limit=7))) == 7


def test_deals_carry_company_contact_owner_and_probability(portal: HubSpotSandbox) -> None:
    deal = portal.search_deals(reference_query(date.today().year))[0]
    # Then the deal's contact is one of its company's contacts, and its owner a sales rep
    company_contacts = portal.search_contacts(ContactQuery(companies=[deal.account_name]))
    assert deal.contact_id in {contact.id for contact in company_contacts}
    assert deal.owner_id and deal.owner_email.endswith("@sales.example.com")
    assert deal.probability == 90 and deal.pipeline == "default"


def test_stage_names_are_the_pipeline_labels(portal: HubSpotSandbox) -> None:
    assert portal.stage_names() == [
        "Appointment Scheduled",
        "Qualified To Buy",
        "Presentation Scheduled",
        "Decision Maker Bought-In",
        "Contract Sent",
        "Negotiation",
        "Closed Won",
        "Closed Lost",
    ]


def test_matching_prefers_exact_labels_over_prefixes() -> None:
    stages = [
        DealStage(id="1", label="Negotiation", pipeline_id="p", pipeline_label="P"),
        DealStage(id="2", label="Negotiation Extended", pipeline_id="p", pipeline_label="P"),
    ]
    assert [s.id for s in matching_stages(stages, "negotiation")] == ["1"]
    assert [s.id for s in matching_stages(stages, "Negot")] == ["1", "2"]


def test_deals_are_found_by_exact_name(portal: HubSpotSandbox) -> None:
    name = SalesforceSandbox().find_opportunities(reference_query(date.today().year))[0].name
    found = portal.find_deals_by_name([name, "No Such Deal"])
    assert list(found) == [name] and found[name].id.isdigit()


# --- contacts ----------------------------------------------------------------------------------


def test_contacts_by_company_domain_and_lifecycle_stage(portal: HubSpotSandbox) -> None:
    by_company = portal.search_contacts(ContactQuery(companies=["northwind logistics"]))
    assert by_company and {c.company_name for c in by_company} == {"Northwind Logistics"}
    by_domain = portal.search_contacts(ContactQuery(email_domain="@northwind-logistics.example"))
    assert [c.id for c in by_domain] == [c.id for c in by_company]
    leads = portal.search_contacts(ContactQuery(lifecycle_stage="lead", limit=2000))
    assert leads and all(c.lifecycle_stage == "lead" for c in leads)
    assert leads == sorted(leads, key=lambda c: (c.last_name.casefold(), c.first_name.casefold(), int(c.id)))


def test_an_unknown_company_has_no_contacts(portal: HubSpotSandbox) -> None:
    assert portal.search_contacts(ContactQuery(companies=["Nobody Inc"])) == []


# --- writes ------------------------------------------------------------------------------------


def test_a_stage_update_is_recorded_and_seen_by_later_reads(portal: HubSpotSandbox, tmp_path) -> None:
    # Given a reference deal
    year = date.today().year
    deal = portal.search_deals(reference_query(year))[0]
    # When it moves to Closed Won with a next step
    update = portal.update_deal(deal.id, {"hs_next_step": "Countersign"}, stage="closed won")
    # Then the update says what changed, the file holds it, and reads see the new stage
    assert update.stage == "Closed Won"
    assert update.properties == {"hs_next_step": "Countersign", "dealstage": "closedwon"}
    line = json.loads((tmp_path / "hubspot" / "deal_updates.jsonl").read_text().splitlines()[0])
    assert (line["tenant_id"], line["deal_id"]) == ("t_acme", deal.id)
    again = HubSpotSandbox(sandbox_dir=tmp_path, tenant_id="t_acme")
    assert len(again.search_deals(reference_query(year))) == 19
    [won] = [
        d for d in again.search_deals(OpportunityQuery(stage="Closed Won", limit=2000)) if d.id == deal.id
    ]
    assert (won.next_step, won.probability) == ("Countersign", 100)


def test_another_tenants_updates_are_not_visible(portal: HubSpotSandbox, tmp_path) -> None:
    year = date.today().year
    deal = portal.search_deals(reference_query(year))[0]
    portal.update_deal(deal.id, {}, stage="Closed Lost")
    other = HubSpotSandbox(sandbox_dir=tmp_path, tenant_id="t_other")
    assert len(other.search_deals(reference_query(year))) == 20


def test_updating_a_missing_deal_or_an_unknown_property_fails(portal: HubSpotSandbox) -> None:
    with pytest.raises(HubSpotNotFoundError):
        portal.update_deal("1", {"hs_next_step": "x"})
    deal_id = portal.search_deals(OpportunityQuery(limit=1))[0].id
    with pytest.raises(ConnectorError, match="favourite_colour does not exist"):
        portal.update_deal(deal_id, {"favourite_colour": "blue"})
    with pytest.raises(ConnectorError, match="not a HubSpot property name"):
        portal.update_deal(deal_id, {"Bad Name": "x"})
    with pytest.raises(ConnectorError, match="ambiguous"):
        portal.update_deal(deal_id, {}, stage="Closed")


def test_notes_are_recorded_with_hubspot_ids_and_associations(portal: HubSpotSandbox, tmp_path) -> None:
    deal = portal.search_deals(OpportunityQuery(limit=1))[0]
    note = portal.create_note(
        NewNote(
            body="<p>Called</p>",
            timestamp=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
            deal_ids=[deal.id],
            contact_ids=[deal.contact_id or ""],
        )
    )
    assert note.id.isdigit() and len(note.id) == 11
    line = json.loads((tmp_path / "hubspot" / "notes.jsonl").read_text().splitlines()[0])
    assert line["properties"] == {"hs_note_body": "<p>Called</p>", "hs_timestamp": "2026-11-20T09:30:00.000Z"}
    assert [link["types"][0]["associationTypeId"] for link in line["associations"]] == [214, 202]
    assert portal.notes() == [note]


def test_a_note_on_a_missing_deal_fails(portal: HubSpotSandbox) -> None:
    with pytest.raises(HubSpotNotFoundError):
        portal.create_note(NewNote(body="x", timestamp=datetime.now(UTC), deal_ids=["42"]))


def test_concurrent_notes_never_interleave(portal: HubSpotSandbox) -> None:
    deal_id = portal.search_deals(OpportunityQuery(limit=1))[0].id

    def write(n: int) -> None:
        for i in range(5):
            portal.create_note(NewNote(body=f"note {n}-{i}", timestamp=datetime.now(UTC), deal_ids=[deal_id]))

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    notes = portal.notes()
    assert len(notes) == 30 and len({note.id for note in notes}) == 30


def test_every_call_waits_the_configured_latency(tmp_path) -> None:
    sandbox = HubSpotSandbox(sandbox_dir=tmp_path, latency_ms=20)
    started = time.perf_counter()
    sandbox.search_contacts(ContactQuery(limit=1))
    assert time.perf_counter() - started >= 0.020


# --- factory -----------------------------------------------------------------------------------


def test_the_factory_gives_the_sandbox_as_crm_and_as_vendor_connector(tmp_path) -> None:
    settings = Settings.model_validate({"CONNECTOR_MODE": "sandbox", "SANDBOX_DIR": str(tmp_path)})
    factory = ConnectorFactory(settings, "t_acme")
    crm = factory.crm("hubspot")
    opened = factory.open("hubspot")
    assert isinstance(crm, HubSpotSandbox) and isinstance(opened, HubSpotSandbox)
    assert crm.directory == tmp_path / "hubspot" and crm.tenant_id == "t_acme"


def test_the_live_crm_needs_a_secret_name() -> None:
    factory = ConnectorFactory(Settings.model_validate({"CONNECTOR_MODE": "live"}), "t_acme")
    with pytest.raises(ConnectorError, match=r"connector 'hubspot' needs credentials_secret"):
        factory.crm("hubspot", None)
