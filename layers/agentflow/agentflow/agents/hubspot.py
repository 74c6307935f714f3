"""HubSpot CRM agent: search deals or contacts, update the deals upstream, or log notes on them.

Modes:

* ``search_deals`` — deals by stage, minimum amount and close period, from config fields and/or a
  plain-English request (the ``query`` field, else the execution input), exactly as
  ``sales_intelligence`` reads them (:mod:`agentflow.agents.sales_query`).
* ``search_contacts`` — contacts by company names, e-mail domain and lifecycle stage; without a
  company or domain in config, the companies of the upstream deals.
* ``update_deals`` — set properties on each upstream deal (move its stage, set its next step).
* ``add_notes`` — one note per upstream deal, sent e-mail (email_outreach output) or contact, from a
  built-in template or a ``note_text`` with ``{field}`` placeholders; values are inserted as text.

Upstream deals are HubSpot's own (numeric ids); deals from another CRM (Salesforce ids) are found by
their exact name, and items that match no HubSpot deal are skipped with a warning.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)

from agentflow.agents.base import Agent, AgentConfig, AgentContext
from agentflow.agents.items import upstream_items, upstream_text
from agentflow.agents.sales_query import Quarter, resolve_filters
from agentflow.connectors.hubspot import (
    PROPERTY_NAME,
    ContactQuery,
    DealUpdate,
    HubSpotConnector,
    HubSpotContact,
    HubSpotDeal,
    HubSpotNote,
    HubSpotNotFoundError,
    LifecycleStage,
    NewNote,
)
from agentflow.errors import AgentError
from agentflow.models import utcnow

# The upstream records add_notes logs a note for, preferred first.
NOTE_KEYS = ("emails", "deals", "contacts")
Mode = Literal["search_deals", "search_contacts", "update_deals", "add_notes"]
NoteTemplate = Literal["auto", "deal_summary", "email_logged", "contact_touch"]

# The fields each mode reads; setting another mode's field is a config error, not silently ignored.
MODE_FIELDS: dict[str, frozenset[str]] = {
    "search_deals": frozenset({"query", "stage", "min_amount", "close_quarter", "close_year", "limit"}),
    "search_contacts": frozenset({"companies", "email_domain", "lifecycle_stage", "limit"}),
    "update_deals": frozenset({"set_stage", "set_next_step", "set_properties", "max_updates"}),
    "add_notes": frozenset({"note_template", "note_text", "max_notes"}),
}
_SHARED_FIELDS = frozenset({"connector", "credentials_secret", "connector_mode", "mode"})

NOTE_FIELDS = frozenset(
    {
        "deal_id", "deal_name", "account_name", "amount", "stage", "close_date", "owner_name", "owner_email",
        "contact_id", "contact_name", "contact_email", "job_title", "lifecycle_stage", "next_step",
        "subject", "recipient", "recipient_name", "message_id", "date", "execution_id", "workflow_id",
    }
)  # fmt: skip
TEMPLATES: dict[str, str] = {
    "deal_summary": (
        "AgentFlow deal review: {deal_name} ({account_name}) is in {stage} at {amount}, closing "
        "{close_date}. Owner: {owner_name}."
    ),
    "email_logged": (
        'AgentFlow sent "{subject}" to {recipient_name} <{recipient}> about this deal (message {message_id}).'
    ),
    "contact_touch": (
        "AgentFlow reviewed {contact_name} ({job_title}, {account_name}); lifecycle stage {lifecycle_stage}."
    ),
}
_FOOTER = "Logged on {date} by execution {execution_id} of workflow {workflow_id}."
_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")
_MISSING = "n/a"


class HubSpotConfig(AgentConfig):
    one_of_in_mode: ClassVar[dict[str, tuple[str, ...]]] = {
        "update_deals": ("set_stage", "set_next_step", "set_properties")
    }

    connector: Literal["hubspot"] = Field("hubspot", description="The CRM: HubSpot.")
    credentials_secret: str | None = Field(
        None, description="Secrets Manager secret with the private app's access_token (live mode)."
    )
    mode: Mode = Field(
        "search_deals", description="What to do: search deals or contacts, update deals, add notes."
    )
    # search_deals
    query: str | None = Field(
        None,
        max_length=500,
        description="search_deals: a plain-English request ('Q4 deals over $100K in Negotiation'); "
        "defaults to the execution input. Explicit filter fields take precedence.",
    )
    stage: str | None = Field(None, description="search_deals: stage label, label prefix or stage id.")
    min_amount: float | None = Field(None, ge=0, description="search_deals: smallest amount to include.")
    close_quarter: Quarter | None = Field(
        None, description="search_deals: calendar quarter of the close date."
    )
    close_year: int | None = Field(
        None, ge=2000, le=2100, description="search_deals: year of the close period (default: this year)."
    )
    # search_contacts
    companies: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="search_contacts: company names (any of them); default: the upstream deals' companies.",
    )
    email_domain: str | None = Field(
        None,
        max_length=253,
        pattern=r"^@?[A-Za-z0-9.-]+\.[A-Za-z]{2,}$",
        description="search_contacts: e-mail domain, e.g. 'northwind-logistics.example'.",
    )
    lifecycle_stage: LifecycleStage | None = Field(None, description="search_contacts: lifecycle stage.")
    limit: int = Field(100, ge=1, le=2000, description="Searches: most records to return.")
    # update_deals
    set_stage: str | None = Field(
        None,
        max_length=100,
        description="update_deals: move each deal to this stage (label or id).",
        examples=["Closed Won"],
    )
    set_next_step: str | None = Field(
        None,
        max_length=500,
        description="update_deals: the next step to record (hs_next_step).",
        examples=["Send the renewal quote"],
    )
    set_properties: dict[str, str] = Field(
        default_factory=dict,
        max_length=20,
        description="update_deals: other deal properties to set, by internal name (e.g. hs_priority).",
    )
    max_updates: int = Field(50, ge=1, le=500, description="update_deals: never update more deals than this.")
    # add_notes
    note_template: NoteTemplate = Field(
        "auto",
        description="add_notes: built-in note; 'auto' picks by upstream kind (deals, emails, contacts).",
    )
    note_text: str | None = Field(
        None,
        max_length=5000,
        description=(
            "add_notes: own note text with {field} placeholders, e.g. '{deal_name}: call {contact_name}'."
        ),
    )
    max_notes: int = Field(50, ge=1, le=500, description="add_notes: never create more notes than this.")

    @field_validator("set_properties")
    @classmethod
    def _property_names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not PROPERTY_NAME.match(name):
                raise ValueError(f"'{name}' is not a HubSpot property name (lower-case letters, digits, _)")
            if name in ("dealstage", "hs_next_step"):
                raise ValueError(f"set '{name}' with set_stage / set_next_step")
        return value

    @field_validator("note_text")
    @classmethod
    def _placeholders(cls, value: str | None) -> str | None:
        if value is None:
            return value
        names = {match.group(1) for match in _TOKEN.finditer(value) if match.group(1)}
        unknown = sorted(names - NOTE_FIELDS)
        if unknown:
            raise ValueError(f"unknown placeholders {unknown}; known: {sorted(NOTE_FIELDS)}")
        leftover = _TOKEN.sub("", value)
        if "{" in leftover or "}" in leftover:
            raise ValueError("braces must enclose a field name, or be doubled ('{{') to stand for themselves")
        return value

    @model_validator(mode="after")
    def _fields_fit_the_mode(self) -> HubSpotConfig:
        # A field of another mode counts only with a value of its own: clients that send every
        # field with its default (or null) are not wrong.
        foreign = sorted(
            name
            for name in self.model_fields_set - _SHARED_FIELDS - MODE_FIELDS[self.mode]
            if getattr(self, name) != type(self).model_fields[name].get_default(call_default_factory=True)
        )
        if foreign:
            raise ValueError(f"{', '.join(foreign)} do(es) not apply to mode '{self.mode}'")
        return self


class UpdatedDeal(BaseModel):
    id: str
    name: str
    account_name: str | None = None
    stage: str | None = None  # the new stage's label, when the update moved the deal
    properties: dict[str, str]
    updated_at: str


class NoteRecord(BaseModel):
    note_id: str
    target_type: Literal["deal", "contact"]
    target_id: str
    target_name: str
    body: str
    timestamp: str


class HubSpotOutput(BaseModel):
    mode: str
    deals: list[HubSpotDeal] | list[UpdatedDeal] | None = None
    contacts: list[HubSpotContact] | None = None
    notes: list[NoteRecord] | None = None
    count: int
    filters: dict[str, Any] | None = None
    skipped: list[str] | None = None

    @model_serializer(mode="wrap")
    def _only_the_modes_lists(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # {mode, deals|contacts|notes, count}: the lists a mode does not produce are left out.
        data: dict[str, Any] = handler(self)
        return {key: value for key, value in data.items() if value is not None}


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _money(amount: Any, currency: Any) -> str | None:
    try:
        value = float(amount)
    except (TypeError, ValueError):
        return None
    symbol = "$" if (currency or "USD") == "USD" else f"{currency} "
    return f"{symbol}{value:,.0f}"


def _day(value: Any) -> str | None:
    try:
        day = date.fromisoformat(str(value)[:10])
    except ValueError:
        return None
    return f"{day:%B} {day.day}, {day.year}"


def note_fields(
    kind: str, item: Mapping[str, Any], ctx: AgentContext, now: datetime | None = None
) -> dict[str, str | None]:
    """The placeholder values one upstream item offers (deals, sent e-mails or contacts) on ``now``'s date."""
    fields: dict[str, str | None] = {
        "date": (now or utcnow()).date().isoformat(),
        "execution_id": ctx.execution_id,
        "workflow_id": ctx.workflow_id,
    }
    if kind == "contacts":
        fields.update(
            contact_id=_text(item.get("id")),
            contact_name=_text(item.get("name")),
            contact_email=_text(item.get("email")),
            job_title=_text(item.get("job_title")),
            lifecycle_stage=_text(item.get("lifecycle_stage")),
            account_name=_text(item.get("company_name")),
        )
    elif kind == "emails":
        fields.update(
            deal_id=_text(item.get("deal_id")),
            account_name=_text(item.get("account_name")),
            subject=_text(item.get("subject")),
            recipient=_text(item.get("recipient")),
            recipient_name=_text(item.get("recipient_name")),
            message_id=_text(item.get("message_id")),
        )
    else:
        fields.update(
            deal_id=_text(item.get("id") or item.get("deal_id")),
            deal_name=_text(item.get("name") or item.get("deal_name")),
            account_name=_text(item.get("account_name")),
            amount=_money(item.get("amount"), item.get("currency")),
            stage=_text(item.get("stage")),
            close_date=_day(item.get("close_date")),
            owner_name=_text(item.get("owner_name")),
            owner_email=_text(item.get("owner_email")),
            contact_name=_text(item.get("contact_name")),
            contact_email=_text(item.get("contact_email")),
            next_step=_text(item.get("next_step")),
        )
    return fields


def render_note(template: str, fields: Mapping[str, str | None]) -> str:
    """A note body (HTML, as hs_note_body is shown) from a template and an item's field values.

    The template is read once, left to right: a value that looks like a placeholder stays text, and
    the result is HTML-escaped, so no value (nor the template) can inject markup.
    """
    pieces: list[str] = []
    position = 0
    for match in _TOKEN.finditer(template):
        pieces.append(template[position : match.start()])
        token = match.group(0)
        if token in ("{{", "}}"):
            pieces.append(token[0])
        else:
            pieces.append(fields.get(match.group(1)) or _MISSING)
        position = match.end()
    pieces.append(template[position:])
    lines = "".join(pieces).split("\n")
    return "<p>" + "<br>".join(html.escape(line) for line in lines) + "</p>"


def _deal_key(item: Mapping[str, Any], kind: str) -> tuple[str | None, str | None]:
    """(HubSpot id, deal name) an upstream item points at; a non-numeric id is another CRM's."""
    raw_id = item.get("deal_id") if kind == "emails" else (item.get("id") or item.get("deal_id"))
    deal_id = str(raw_id) if raw_id is not None else None
    name = _text(item.get("name") or item.get("deal_name")) if kind != "emails" else None
    if deal_id and deal_id.isdigit():
        return deal_id, name
    return None, name


class HubSpotAgent(Agent[HubSpotConfig]):
    agent_type = "hubspot"
    name = "HubSpot CRM"
    description = (
        "Works with HubSpot CRM: searches deals (stage, minimum amount, close period, or a plain-English "
        "request) or contacts (company, e-mail domain, lifecycle stage), updates the upstream deals "
        "(stage, next step, properties), or logs one note per upstream deal, sent e-mail or contact."
    )
    config_model = HubSpotConfig

    @classmethod
    def per_record_keys(cls, config: Any) -> tuple[str, ...] | None:
        # The writes act per record; the searches read the CRM once.
        return {"update_deals": ("deals",), "add_notes": NOTE_KEYS}.get(config.mode)

    def run(self, config: HubSpotConfig, data: Any, ctx: AgentContext) -> HubSpotOutput:
        hubspot: HubSpotConnector = ctx.connectors.open("hubspot", config.credentials_secret)
        if config.mode == "search_deals":
            return self._search_deals(config, data, ctx, hubspot)
        if config.mode == "search_contacts":
            return self._search_contacts(config, data, ctx, hubspot)
        if config.mode == "update_deals":
            return self._update_deals(config, data, ctx, hubspot)
        return self._add_notes(config, data, ctx, hubspot)

    # -- searches --

    def _search_deals(
        self, config: HubSpotConfig, data: Any, ctx: AgentContext, hubspot: HubSpotConnector
    ) -> HubSpotOutput:
        text = config.query or upstream_text(data)
        resolved = resolve_filters(
            stage=config.stage,
            min_amount=config.min_amount,
            close_quarter=config.close_quarter,
            close_year=config.close_year,
            limit=config.limit,
            limit_source="config" if "limit" in config.model_fields_set else "default",
            text=text,
            stages=hubspot.stage_names() if text else (),
            today=utcnow().date(),
        )
        for warning in resolved.parsed.warnings if resolved.parsed else ():
            ctx.log.warning(f"Request text: {warning}")
        filters = resolved.describe()
        deals = hubspot.search_deals(resolved.query)
        for deal in deals:
            ctx.log.debug(f"Deal {deal.id} '{deal.name}' ({deal.stage}, {deal.amount:,.0f})")
        ctx.log.info(f"Found {len(deals)} HubSpot deals with {filters}")
        return HubSpotOutput(mode=config.mode, deals=deals, count=len(deals), filters=filters)

    def _search_contacts(
        self, config: HubSpotConfig, data: Any, ctx: AgentContext, hubspot: HubSpotConnector
    ) -> HubSpotOutput:
        companies, source = list(config.companies), "config"
        if not companies and not config.email_domain:
            _, items = upstream_items(data, preferred=("deals",))
            companies = list(dict.fromkeys(str(i["account_name"]) for i in items if i.get("account_name")))
            source = "upstream"
        query = ContactQuery(
            companies=companies,
            email_domain=config.email_domain,
            lifecycle_stage=config.lifecycle_stage,
            limit=config.limit,
        )
        filters: dict[str, Any] = query.model_dump(exclude_none=True, exclude_defaults=False)
        if companies:
            filters["sources"] = {"companies": source}
        contacts = hubspot.search_contacts(query)
        for contact in contacts:
            ctx.log.debug(f"Contact {contact.id} {contact.name} <{contact.email}> at {contact.company_name}")
        ctx.log.info(f"Found {len(contacts)} HubSpot contacts with {filters}")
        return HubSpotOutput(mode=config.mode, contacts=contacts, count=len(contacts), filters=filters)

    # -- writes --

    def _items(self, data: Any, preferred: tuple[str, ...], mode: str) -> tuple[str, list[dict[str, Any]]]:
        key, items = upstream_items(data, preferred=preferred)
        if not items:
            raise AgentError(
                f"hubspot {mode} needs upstream records ({', '.join(preferred)}), e.g. from "
                "sales_intelligence, email_outreach or a hubspot search"
            )
        return key or "deals", items

    def _deal_ids(
        self, kind: str, items: Sequence[Mapping[str, Any]], hubspot: HubSpotConnector
    ) -> list[tuple[Mapping[str, Any], str | None]]:
        """Each item with the HubSpot deal id it means (looked up by name for other CRMs' deals)."""
        keys = [_deal_key(item, kind) for item in items]
        by_name = hubspot.find_deals_by_name([name for deal_id, name in keys if deal_id is None and name])
        resolved = []
        for item, (deal_id, name) in zip(items, keys, strict=True):
            if deal_id is None and name in by_name:
                deal_id = by_name[name].id
            resolved.append((item, deal_id))
        return resolved

    def _update_deals(
        self, config: HubSpotConfig, data: Any, ctx: AgentContext, hubspot: HubSpotConnector
    ) -> HubSpotOutput:
        kind, items = self._items(data, ("deals",), config.mode)
        properties = dict(config.set_properties)
        if config.set_next_step is not None:
            properties["hs_next_step"] = config.set_next_step
        updated: list[UpdatedDeal] = []
        skipped: list[str] = []
        seen: set[str] = set()
        # Deals an earlier attempt updated: not updated again (PATCH is idempotent, but its time is kept).
        updated_before = ctx.recorded("updated")
        reused = 0
        for item, deal_id in self._deal_ids(kind, items, hubspot):
            label = str(item.get("name") or item.get("id") or "?")
            if deal_id is None:
                ctx.log.warning(f"Skipped '{label}': no HubSpot deal has this id or name")
                skipped.append(label)
                continue
            if deal_id in seen:
                continue
            if len(updated) >= config.max_updates:
                ctx.log.warning(f"Skipped deal {deal_id}: max_updates={config.max_updates} reached")
                skipped.append(deal_id)
                continue
            seen.add(deal_id)
            if deal_id in updated_before:
                earlier = updated_before[deal_id]
                change = DealUpdate(
                    id=deal_id,
                    properties={**properties, **earlier["properties"]},
                    stage=earlier["stage"],
                    updated_at=datetime.fromisoformat(earlier["updated_at"]),
                )
                reused += 1
            else:
                try:
                    change = hubspot.update_deal(deal_id, properties, stage=config.set_stage)
                except HubSpotNotFoundError:
                    ctx.log.warning(f"Skipped deal {deal_id}: HubSpot has no such deal")
                    skipped.append(deal_id)
                    continue
                # What the update set besides the configured properties (the stage's id) is kept.
                ctx.record(
                    "updated",
                    deal_id,
                    {
                        "properties": {k: v for k, v in change.properties.items() if properties.get(k) != v},
                        "stage": change.stage,
                        "updated_at": change.updated_at.isoformat(),
                    },
                )
            updated.append(
                UpdatedDeal(
                    id=change.id,
                    name=str(item.get("name") or ""),
                    account_name=_text(item.get("account_name")),
                    stage=change.stage,
                    properties=change.properties,
                    updated_at=change.updated_at.isoformat(),
                )
            )
            ctx.log.debug(f"Updated deal {change.id}: {change.properties}")
        if reused:
            ctx.log.info(f"{reused} deals were updated by an earlier attempt and are not updated again")
        ctx.log.info(f"Updated {len(updated)} HubSpot deals ({len(skipped)} skipped)")
        return HubSpotOutput(mode=config.mode, deals=updated, count=len(updated), skipped=skipped)

    def _add_notes(
        self, config: HubSpotConfig, data: Any, ctx: AgentContext, hubspot: HubSpotConnector
    ) -> HubSpotOutput:
        kind, items = self._items(data, NOTE_KEYS, config.mode)
        template = config.note_text or TEMPLATES[self._template_name(config.note_template, kind)]
        if config.note_text is None:
            template += "\n" + _FOOTER
        targets: list[tuple[Mapping[str, Any], str | None]]
        if kind == "contacts":
            targets = [(item, _text(item.get("id"))) for item in items]
        else:
            targets = self._deal_ids(kind, items, hubspot)
        notes: list[NoteRecord] = []
        skipped: list[str] = []
        # Notes an earlier attempt created, by target (numbered when a target comes again): a retry
        # does not create them again, and renders their bodies on the date they were created.
        created_before = ctx.recorded("notes")
        occurrences: Counter[str | None] = Counter()
        reused = 0
        for item, target_id in targets:
            occurrences[target_id] += 1
            key = f"{target_id}#{occurrences[target_id]}"
            earlier = created_before.get(key)
            now = datetime.fromisoformat(earlier["timestamp"]) if earlier else utcnow()
            fields = note_fields(kind, item, ctx, now)
            name = fields.get("contact_name" if kind == "contacts" else "deal_name") or fields.get("subject")
            label = str(name or item.get("id") or item.get("deal_id") or "?")
            if target_id is None or (kind == "contacts" and not target_id.isdigit()):
                ctx.log.warning(
                    f"Skipped '{label}': no HubSpot {'contact' if kind == 'contacts' else 'deal'} id"
                )
                skipped.append(label)
                continue
            if len(notes) >= config.max_notes:
                ctx.log.warning(f"Skipped '{label}': max_notes={config.max_notes} reached")
                skipped.append(target_id)
                continue
            on_contact = kind == "contacts"
            note = NewNote(
                body=render_note(template, fields),
                timestamp=now,
                deal_ids=[] if on_contact else [target_id],
                contact_ids=[target_id] if on_contact else [],
            )
            if earlier:
                created = HubSpotNote(id=earlier["id"], **note.model_dump())
                reused += 1
            else:
                try:
                    created = hubspot.create_note(note)
                except HubSpotNotFoundError:
                    ctx.log.warning(f"Skipped '{label}': HubSpot has no object {target_id}")
                    skipped.append(target_id)
                    continue
                ctx.record("notes", key, {"id": created.id, "timestamp": created.timestamp.isoformat()})
            notes.append(
                NoteRecord(
                    note_id=created.id,
                    target_type="contact" if on_contact else "deal",
                    target_id=target_id,
                    target_name=label,
                    body=created.body,
                    timestamp=created.timestamp.isoformat(),
                )
            )
            ctx.log.debug(f"Added note {created.id} to {'contact' if on_contact else 'deal'} {target_id}")
        if reused:
            ctx.log.info(f"{reused} notes were added by an earlier attempt and are not added again")
        ctx.log.info(f"Added {len(notes)} HubSpot notes on upstream {kind} ({len(skipped)} skipped)")
        return HubSpotOutput(mode=config.mode, notes=notes, count=len(notes), skipped=skipped)

    @staticmethod
    def _template_name(choice: str, kind: str) -> str:
        if choice != "auto":
            return choice
        return {"emails": "email_logged", "contacts": "contact_touch"}.get(kind, "deal_summary")
