"""The hubspot agent on the sandbox portal, fed by real upstream outputs (no network, no AWS)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from agentflow.agents.base import AgentContext
from agentflow.agents.email_outreach import EmailOutreachAgent, EmailOutreachConfig
from agentflow.agents.hubspot import HubSpotAgent, HubSpotConfig, render_note
from agentflow.agents.sales_intelligence import SalesIntelligenceAgent, SalesIntelligenceConfig
from agentflow.errors import AgentError, TransientAgentError
from agentflow_sandbox.hubspot import HubSpotSandbox
from tests.unit.agent_support import sandbox_context

REFERENCE = {"stage": "Negotiation", "min_amount": 100000, "close_quarter": "Q4"}


@pytest.fixture
def ctx(tmp_path: Path) -> AgentContext:
    return sandbox_context(tmp_path)


def run(ctx: AgentContext, data: Any = None, **config: Any) -> dict[str, Any]:
    return HubSpotAgent().run(HubSpotConfig(**config), data, ctx).model_dump(mode="json")


def sales_output(ctx: AgentContext, connector: str) -> dict[str, Any]:
    config = SalesIntelligenceConfig(connector=connector, **REFERENCE)  # type: ignore[arg-type]
    return SalesIntelligenceAgent().run(config, None, ctx).model_dump(mode="json")


def levels(ctx: AgentContext, level: str) -> list[str]:
    return [line for lvl, line in ctx.log.lines if lvl == level]  # type: ignore[attr-defined]


def portal(ctx: AgentContext) -> HubSpotSandbox:
    return HubSpotSandbox(sandbox_dir=ctx.settings.sandbox_dir, tenant_id=ctx.tenant_id)


def busy_on_call(number: int, method: Callable[..., Any]) -> Callable[..., Any]:
    """``method`` that answers 429 (a transient error) on its ``number``-th call."""
    calls: list[int] = []

    def busy(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == number:
            raise TransientAgentError("hubspot answered HTTP 429; try again")
        return method(*args, **kwargs)

    return busy


def retried(tmp_path: Path, data: Any, **config: Any) -> tuple[dict[str, Any], AgentContext]:
    """A first attempt that fails transiently, then the retry with the progress it saved."""
    first = sandbox_context(tmp_path)
    saved: list[str] = []
    first.progress_saver = lambda progress: saved.append(json.dumps(progress))
    with pytest.raises(TransientAgentError):
        run(first, data, **config)
    retry = sandbox_context(tmp_path)
    retry.progress = json.loads(saved[-1])
    return run(retry, data, **config), retry


# --- search_deals ------------------------------------------------------------------------------


def test_search_deals_with_the_reference_filters_returns_only_deals(ctx: AgentContext) -> None:
    output = run(ctx, mode="search_deals", **REFERENCE)
    assert set(output) == {"mode", "deals", "count", "filters"}
    assert output["mode"] == "search_deals" and output["count"] == len(output["deals"]) == 20
    assert output["filters"]["sources"]["stage"] == "config"
    assert all(deal["stage"] == "Negotiation" and deal["id"].isdigit() for deal in output["deals"])
    assert len(levels(ctx, "INFO")) == 1 and len(levels(ctx, "DEBUG")) == 20


def test_search_deals_reads_the_execution_input(ctx: AgentContext) -> None:
    # Given only the request text, as the execution input
    output = run(ctx, "Find Q4 deals over $100K in Negotiation")
    # Then the same 20 deals come back, every filter taken from the text
    assert output["count"] == 20
    assert output["filters"]["sources"] == {
        "limit": "default",
        "stage": "query",
        "min_amount": "query",
        "close_period": "query",
        "close_year": "default",
    }


def test_hubspot_deals_feed_email_outreach(ctx: AgentContext, tmp_path: Path) -> None:
    # Given HubSpot deals upstream of the email agent
    deals = run(ctx, **REFERENCE)
    # When the email agent writes to their owners
    sent = EmailOutreachAgent().run(EmailOutreachConfig(max_emails=3), deals, ctx)
    # Then it reads HubSpot deals like CRM opportunities
    assert sent.emails_sent == 3
    assert sent.emails[0].deal_id == deals["deals"][0]["id"]
    assert sent.emails[0].recipient == deals["deals"][0]["owner_email"]


# --- search_contacts ---------------------------------------------------------------------------


def test_search_contacts_of_the_upstream_deals_companies(ctx: AgentContext) -> None:
    # Given the Salesforce reference deals upstream (twenty different accounts)
    upstream = sales_output(ctx, "salesforce")
    accounts = {deal["account_name"] for deal in upstream["deals"]}
    # When contacts are searched without companies in config
    output = run(ctx, upstream, mode="search_contacts", limit=500)
    # Then they are the HubSpot contacts of exactly those companies, every deal contact among them
    assert set(output) == {"mode", "contacts", "count", "filters"}
    assert {contact["company_name"] for contact in output["contacts"]} == accounts
    assert {d["contact_email"] for d in upstream["deals"]} <= {c["email"] for c in output["contacts"]}
    assert output["filters"]["sources"] == {"companies": "upstream"}


def test_search_contacts_by_domain_and_lifecycle_stage(ctx: AgentContext) -> None:
    everyone = run(ctx, mode="search_contacts", email_domain="northwind-logistics.example")["contacts"]
    customers = run(
        ctx, mode="search_contacts", email_domain="northwind-logistics.example", lifecycle_stage="customer"
    )["contacts"]
    assert everyone and all(c["email"].endswith("@northwind-logistics.example") for c in everyone)
    assert {c["id"] for c in customers} == {c["id"] for c in everyone if c["lifecycle_stage"] == "customer"}


# --- update_deals ------------------------------------------------------------------------------


def test_update_deals_moves_the_upstream_hubspot_deals(ctx: AgentContext) -> None:
    # Given the reference deals from HubSpot
    deals = run(ctx, **REFERENCE)
    # When they move to Contract Sent with a next step
    output = run(
        ctx, deals, mode="update_deals", set_stage="contract sent", set_next_step="Send the order form"
    )
    # Then each was updated, and a later search no longer finds them in Negotiation
    assert set(output) == {"mode", "deals", "count", "skipped"}
    assert output["count"] == 20 and output["skipped"] == []
    first = output["deals"][0]
    assert first["stage"] == "Contract Sent"
    assert first["properties"] == {"hs_next_step": "Send the order form", "dealstage": "contractsent"}
    assert run(ctx, **REFERENCE)["count"] == 0


def test_update_deals_finds_salesforce_deals_by_name(ctx: AgentContext) -> None:
    # Given the Salesforce reference deals (Salesforce ids, same names as in HubSpot)
    upstream = sales_output(ctx, "salesforce")
    # When HubSpot updates them
    output = run(ctx, upstream, mode="update_deals", set_properties={"hs_priority": "high"})
    # Then every one was found by name and updated under its HubSpot id
    assert output["count"] == 20
    assert {deal["name"] for deal in output["deals"]} == {deal["name"] for deal in upstream["deals"]}
    assert all(deal["id"].isdigit() for deal in output["deals"])


def test_update_deals_skips_what_it_cannot_find_and_respects_max_updates(ctx: AgentContext) -> None:
    deals = run(ctx, **REFERENCE)["deals"][:3]
    unknown = {"id": "006XX0000000001AAA", "name": "Unknown deal"}
    upstream = {"deals": [deals[0], {"id": "1"}, unknown, deals[0], deals[1], deals[2]]}
    output = run(ctx, upstream, mode="update_deals", set_next_step="Call", max_updates=2)
    assert [deal["id"] for deal in output["deals"]] == [deals[0]["id"], deals[1]["id"]]  # once each
    assert output["skipped"] == ["1", "Unknown deal", deals[2]["id"]]
    warnings = levels(ctx, "WARN")
    assert any("max_updates=2" in w for w in warnings)
    assert any("Unknown deal" in w for w in warnings) and any("no such deal" in w for w in warnings)


def test_a_retried_update_updates_no_deal_twice(
    ctx: AgentContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a HubSpot that answers 429 to the third update of the first attempt
    deals = run(ctx, **REFERENCE)
    monkeypatch.setattr(HubSpotSandbox, "update_deal", busy_on_call(3, HubSpotSandbox.update_deal))
    config = {"mode": "update_deals", "set_stage": "contract sent", "set_next_step": "Send the order form"}
    # When the step is retried with the progress the first attempt saved
    output, retry = retried(tmp_path, deals, **config)
    # Then each of the 20 deals was updated once, the first two by the first attempt
    logged = [
        json.loads(line) for line in (tmp_path / "hubspot" / "deal_updates.jsonl").read_text().splitlines()
    ]
    assert sorted(update["deal_id"] for update in logged) == sorted(deal["id"] for deal in deals["deals"])
    # and each reports the time of its one update (the sandbox logs milliseconds)
    assert [deal["updated_at"][:23] for deal in output["deals"]] == [u["updated_at"][:23] for u in logged]
    assert "2 deals were updated by an earlier attempt" in levels(retry, "INFO")[0]
    # And the output is the one a single attempt returns, but for the update times
    single = run(sandbox_context(tmp_path / "single"), deals, **config)
    for result in (output, single):
        for deal in result["deals"]:
            del deal["updated_at"]
    assert output == single


def test_update_deals_without_upstream_deals_fails_clearly(ctx: AgentContext) -> None:
    with pytest.raises(AgentError, match="hubspot update_deals needs upstream records"):
        run(ctx, "just a request", mode="update_deals", set_next_step="x")


# --- add_notes ---------------------------------------------------------------------------------


def test_add_notes_logs_the_emails_sent_on_their_deals(ctx: AgentContext, tmp_path: Path) -> None:
    # Given HubSpot deals → check-in emails, as in the reference workflow
    emails = EmailOutreachAgent().run(EmailOutreachConfig(max_emails=4), run(ctx, **REFERENCE), ctx)
    # When notes are added downstream of the email agent
    output = run(ctx, emails.model_dump(mode="json"), mode="add_notes")
    # Then there is one note per email, on its deal, saying what was sent
    assert set(output) == {"mode", "notes", "count", "skipped"} and output["count"] == 4
    note, email = output["notes"][0], emails.emails[0]
    assert (note["target_type"], note["target_id"]) == ("deal", email.deal_id)
    assert f"AgentFlow sent &quot;{email.subject}&quot; to {email.recipient_name}" in note["body"]
    assert "execution exec_1 of workflow wf_1" in note["body"]
    stored = portal(ctx).notes()
    assert [n.id for n in stored] == [n["note_id"] for n in output["notes"]]
    assert stored[0].deal_ids == [email.deal_id]


def test_add_notes_on_contacts_associates_the_contacts(ctx: AgentContext, tmp_path: Path) -> None:
    contacts = run(ctx, mode="search_contacts", email_domain="northwind-logistics.example")
    output = run(ctx, contacts, mode="add_notes")
    assert output["count"] == contacts["count"]
    assert {n["target_type"] for n in output["notes"]} == {"contact"}
    lines = (tmp_path / "hubspot" / "notes.jsonl").read_text().splitlines()
    assert {json.loads(line)["associations"][0]["types"][0]["associationTypeId"] for line in lines} == {202}


def test_custom_note_text_fills_placeholders_and_escapes_values(ctx: AgentContext) -> None:
    # Given a deal whose name carries markup and a placeholder-looking text
    deal = run(ctx, **REFERENCE)["deals"][0]
    tricky = {**deal, "name": "<b>Big</b> {owner_email}"}
    # When a custom note is written for it
    output = run(
        ctx, {"deals": [tricky]}, mode="add_notes", note_text="{deal_name} for {{team}}\nOwner: {owner_name}"
    )
    # Then the value is text: escaped, and not expanded again
    assert output["notes"][0]["body"] == (
        f"<p>&lt;b&gt;Big&lt;/b&gt; {{owner_email}} for {{team}}<br>Owner: {deal['owner_name']}</p>"
    )


def test_a_retried_run_adds_no_note_twice(
    ctx: AgentContext, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given 21 upstream deals (one of them twice) and a HubSpot that answers 429 to the third note
    deals = run(ctx, **REFERENCE)
    upstream = {"deals": [*deals["deals"], deals["deals"][0]]}
    monkeypatch.setattr(HubSpotSandbox, "create_note", busy_on_call(3, HubSpotSandbox.create_note))
    # When the step is retried with the progress the first attempt saved
    output, retry = retried(tmp_path, upstream, mode="add_notes")
    # Then 21 notes exist, one per upstream deal (two on the repeated one), each created once
    stored = portal(ctx).notes()
    assert [note.id for note in stored] == [note["note_id"] for note in output["notes"]]
    assert sorted(note.deal_ids[0] for note in stored) == sorted(deal["id"] for deal in upstream["deals"])
    assert [note.body for note in stored] == [note["body"] for note in output["notes"]]
    assert "2 notes were added by an earlier attempt" in levels(retry, "INFO")[0]
    # And the output is the one a single attempt returns, but for note ids and times
    single = run(sandbox_context(tmp_path / "single"), upstream, mode="add_notes")
    for result in (output, single):
        for note in result["notes"]:
            del note["note_id"], note["timestamp"]
    assert output == single


def test_render_note_marks_missing_fields() -> None:
    assert render_note("{deal_name} / {subject}", {"deal_name": "A & B"}) == "<p>A &amp; B / n/a</p>"


def test_add_notes_respects_max_notes(ctx: AgentContext) -> None:
    output = run(ctx, run(ctx, **REFERENCE), mode="add_notes", max_notes=2)
    assert output["count"] == 2 and len(output["skipped"]) == 18
    assert any("max_notes=2" in line for line in levels(ctx, "WARN"))


# --- config ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            {"mode": "search_deals", "set_stage": "Closed Won"},
            "set_stage do(es) not apply to mode 'search_deals'",
        ),
        ({"mode": "add_notes", "stage": "Negotiation"}, "stage do(es) not apply to mode 'add_notes'"),
        ({"mode": "update_deals"}, "needs at least one of config fields 'set_stage', 'set_next_step'"),
        ({"mode": "update_deals", "set_properties": {"dealstage": "x"}}, "with set_stage"),
        ({"mode": "update_deals", "set_properties": {"Bad-Name": "x"}}, "not a HubSpot property name"),
        ({"mode": "add_notes", "note_text": "{password}"}, "unknown placeholders"),
        ({"mode": "add_notes", "note_text": "{deal_name.__class__}"}, "braces must enclose a field name"),
        ({"mode": "search_contacts", "email_domain": "not a domain"}, "pattern"),
    ],
)
def test_config_mistakes_are_rejected(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        HubSpotConfig(**config)


def test_other_modes_fields_at_their_defaults_are_accepted() -> None:
    # Given a client that sends every field, most at their defaults
    config = HubSpotConfig(mode="update_deals", set_next_step="Call", stage=None, limit=100, companies=[])
    assert config.mode == "update_deals"


def test_the_agent_calls_no_model(ctx: AgentContext) -> None:
    run(ctx, run(ctx, **REFERENCE), mode="add_notes", max_notes=1)
    assert (ctx.usage.tokens, ctx.usage.cost_usd) == (0, 0.0)
