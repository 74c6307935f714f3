"""Zendesk Support: search tickets, create one ticket per upstream item, or comment on upstream tickets.

Also home of two helpers the ticketing agents share: :func:`normalize_priority` (any system's
priority on Zendesk's urgent/high/normal/low scale) and the item templates (``"{subject} for
{organization_name}"``: plain field references only, filled from one upstream item).
"""

from __future__ import annotations

import re
import string
from datetime import timedelta
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator

from agentflow.agents.base import Agent, AgentConfig, AgentContext
from agentflow.agents.items import upstream_items
from agentflow.errors import AgentError
from agentflow.models import utcnow

Priority = Literal["urgent", "high", "normal", "low"]
TicketType = Literal["problem", "incident", "question", "task"]
# Patterns as in agentflow.connectors.zendesk (not imported: that module loads httpx).
StatusFilter = Annotated[
    str, StringConstraints(pattern=r"^(<|>|<=|>=|:)?(new|open|pending|hold|solved|closed)$")
]
Tag = Annotated[str, StringConstraints(pattern=r"^[^\s\"',]{1,80}$")]
FieldName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]

# --- shared helpers: priorities and item templates ----------------------------------------------

_PRIORITY_WORDS: dict[str, Priority] = {
    "urgent": "urgent", "critical": "urgent", "highest": "urgent", "blocker": "urgent", "emergency": "urgent",
    "high": "high", "major": "high",
    "normal": "normal", "medium": "normal", "moderate": "normal",
    "low": "low", "lowest": "low", "minor": "low", "trivial": "low", "planning": "low",
}  # fmt: skip
_PRIORITY_NUMBERS: dict[str, Priority] = {"1": "urgent", "2": "high", "3": "normal", "4": "low", "5": "low"}


def normalize_priority(value: Any) -> Priority | None:
    """A priority on Zendesk's scale from Zendesk, ServiceNow (``"1 - Critical"``, ``2``), Jira
    (``Highest``), HubSpot (``HIGH``) or ``P1``..``P5``; None when there is none or it is unknown."""
    text = str(value).strip().lower() if value is not None else ""
    number = re.match(r"^p?([1-5])\b", text)
    if number:
        return _PRIORITY_NUMBERS[number.group(1)]
    words = re.findall(r"[a-z]+", text)
    return next((_PRIORITY_WORDS[word] for word in words if word in _PRIORITY_WORDS), None)


_FORMATTER = string.Formatter()
_PLACEHOLDER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def check_item_template(template: str) -> str:
    """``template`` if every placeholder is a plain field name (``{subject}``), else ValueError.

    Attribute and index access, conversions and format specs are refused: templates come from
    workflow configs, and ``str.format`` with them could reach into objects.
    """
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError as error:
        raise ValueError(f"template is malformed ({error}); write literal braces as {{{{ and }}}}") from None
    for _literal, field, spec, conversion in parsed:
        if field is None:
            continue
        if not _PLACEHOLDER.fullmatch(field) or spec or conversion:
            raise ValueError(f"template placeholder {{{field}}} must be a plain field name, e.g. {{subject}}")
    return template


def item_text(value: Any) -> str:
    """A field value as template text: lists joined with commas, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(text for text in (item_text(v) for v in value) if text)
    if isinstance(value, dict):
        return ", ".join(f"{key}: {item_text(v)}" for key, v in value.items())
    return str(value)


def render_item_template(template: str, item: dict[str, Any]) -> str:
    """``template`` filled from ``item``'s fields; a field the item lacks renders as nothing."""
    parts: list[str] = []
    for literal, field, _spec, _conversion in _FORMATTER.parse(template):
        parts.append(literal)
        if field is not None:
            parts.append(item_text(item.get(field)))
    return "".join(parts).strip()


def first_text(item: dict[str, Any], keys: tuple[str, ...]) -> str | None:
    """The first non-empty value among ``keys`` of ``item``, as text."""
    for key in keys:
        text = item_text(item.get(key)).strip()
        if text:
            return text
    return None


def item_label(item: dict[str, Any]) -> str:
    """How log lines and skip lists name an upstream item."""
    return first_text(item, ("number", "key", "id", "sys_id", "name", "subject")) or "(unnamed item)"


# --- the agent ---------------------------------------------------------------------------------

SUBJECT_KEYS = ("subject", "short_description", "summary", "title", "name")
BODY_KEYS = ("description", "body", "text", "details", "message")
REQUESTER_EMAIL_KEYS = ("requester_email", "contact_email", "caller_email", "email")
REQUESTER_NAME_KEYS = ("requester", "requester_name", "contact_name", "caller_id")
ORGANIZATION_KEYS = ("organization_name", "company", "account_name", "organization")
TICKET_ID_KEYS = ("zendesk_ticket_id", "ticket_id", "source_id")
UPSTREAM_KEYS = ("tickets", "records", "issues", "deals", "items")


class ZendeskConfig(AgentConfig):
    required_in_mode: ClassVar[dict[str, tuple[str, ...]]] = {"comment": ("comment_template",)}

    connector: Literal["zendesk"] = Field("zendesk", description="The help desk to use.")
    credentials_secret: str | None = Field(
        None, description="Secrets Manager secret name with subdomain, email and api_token (live)."
    )
    mode: Literal["search", "create", "comment"] = Field(
        "search",
        description=(
            "search: find tickets by the filters below; create: one ticket per upstream item; "
            "comment: add a comment to each ticket named upstream."
        ),
    )
    status: list[StatusFilter] = Field(
        default_factory=list,
        description="search: statuses, each optionally compared, e.g. ['<solved'] or ['open', 'pending'].",
    )
    priority: list[Priority] = Field(
        default_factory=list, description="search: any of these priorities, e.g. ['urgent', 'high']."
    )
    organization: str | None = Field(
        None,
        min_length=1,
        max_length=255,
        pattern=r'^[^"]+$',
        description="search: the organisation's name (a CRM account name), e.g. 'Northwind Logistics'.",
    )
    tags: list[Tag] = Field(default_factory=list, description="search: any of these tags.")
    created_after: int | None = Field(
        None, ge=1, le=3650, description="search: only tickets created in the last N days."
    )
    query: str | None = Field(
        None, max_length=1000, description="search: more Zendesk search terms, appended as written."
    )
    limit: int = Field(
        100, ge=1, le=1000, description="Most tickets to return (search) or to create or comment on."
    )
    subject_template: str | None = Field(
        None,
        max_length=500,
        description="create: subject from item fields, e.g. 'Escalation: {short_description}'. "
        "Default: the item's subject, short_description, summary, title or name.",
    )
    body_template: str | None = Field(
        None,
        max_length=10_000,
        description="create: first comment from item fields. Default: the item's description or body.",
    )
    ticket_priority: Priority | None = Field(
        None, description="create: priority of every ticket. Default: the item's priority, translated."
    )
    ticket_type: TicketType | None = Field(None, description="create: the tickets' type.")
    ticket_tags: list[Tag] = Field(
        default_factory=lambda: ["agentflow"], description="create: tags on every created ticket."
    )
    comment_template: str | None = Field(
        None,
        max_length=10_000,
        description="comment: the comment from item fields, e.g. 'Escalated as {number}: {url}'.",
        examples=["Escalated as {number}: {url}"],
    )
    public_comment: bool = Field(
        False, description="comment: visible to the requester (default: internal note)."
    )
    ticket_id_field: FieldName | None = Field(
        None,
        description="comment: the item field holding the Zendesk ticket id. Default: zendesk_ticket_id, "
        "ticket_id or source_id, or id when the upstream list is 'tickets'.",
    )

    @field_validator("status", "priority", "tags", "ticket_tags", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        # Zendesk reads these case-insensitively; a single value may stand for a list of one.
        values = [value] if isinstance(value, str) else value
        if isinstance(values, list):
            return [item.strip().lower() if isinstance(item, str) else item for item in values]
        return values

    @field_validator("subject_template", "body_template", "comment_template")
    @classmethod
    def _plain_placeholders(cls, value: str | None) -> str | None:
        return check_item_template(value) if value is not None else None


class TicketRecord(BaseModel):
    """A ticket in the agent's output (the connector's ZendeskTicket, plus where it came from)."""

    id: int
    url: str
    subject: str
    description: str = ""
    status: str
    priority: str | None = None
    type: str | None = None
    organization_id: int | None = None
    organization_name: str | None = None
    requester_id: int | None = None
    requester: str | None = None
    requester_email: str | None = None
    tags: list[str] = Field(default_factory=list)
    created_at: str
    updated_at: str
    source_id: str | None = Field(None, description="create/comment: the upstream item's id.")


class CommentRecord(BaseModel):
    ticket_id: int
    comment_id: int | None
    public: bool
    body: str


class ZendeskOutput(BaseModel):
    mode: str
    tickets: list[TicketRecord]
    count: int
    query: str | None = None
    comments: list[CommentRecord] = Field(default_factory=list)
    skipped: list[str] = Field(default_factory=list)
    connector: str = "zendesk"


def _record(ticket: Any, source_id: str | None = None) -> TicketRecord:
    return TicketRecord.model_validate({**ticket.model_dump(mode="json"), "source_id": source_id})


def ticket_id_of(item: dict[str, Any], upstream_key: str | None, field: str | None) -> int | None:
    """The Zendesk ticket id an upstream item names, or None."""
    keys = (field,) if field else TICKET_ID_KEYS + (("id",) if upstream_key == "tickets" else ())
    for key in keys:
        value = item.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
            return int(value)
    return None


def item_summary(item: dict[str, Any]) -> str:
    """A plain-text account of an item's simple fields, for a ticket body no field supplies."""
    lines = [
        f"{key}: {item_text(value)}"
        for key, value in item.items()
        if isinstance(value, str | int | float) and not isinstance(value, bool) and item_text(value)
    ]
    return "\n".join(lines)


class ZendeskAgent(Agent[ZendeskConfig]):
    agent_type = "zendesk"
    name = "Zendesk Support"
    description = (
        "Searches Zendesk Support tickets by status, priority, organisation, tags and age; creates one "
        "ticket per upstream item; or adds an internal (or public) comment to the tickets listed upstream."
    )
    config_model = ZendeskConfig

    @classmethod
    def per_record_keys(cls, config: Any) -> tuple[str, ...] | None:
        return UPSTREAM_KEYS if config.mode in ("create", "comment") else None

    def run(self, config: ZendeskConfig, data: Any, ctx: AgentContext) -> ZendeskOutput:
        zendesk = ctx.connectors.open(config.connector, config.credentials_secret)
        if config.mode == "search":
            return self._search(config, zendesk, ctx)
        key, items = upstream_items(data, preferred=UPSTREAM_KEYS)
        if not items:
            raise AgentError(
                f"zendesk mode '{config.mode}' needs upstream records, e.g. {{'tickets': [...]}} or "
                "{'records': [...]} from a previous agent."
            )
        if len(items) > config.limit:
            ctx.log.warning(
                f"{len(items)} upstream {key}; limit={config.limit} leaves {len(items) - config.limit}"
            )
        chosen = items[: config.limit]
        if config.mode == "create":
            return self._create(config, chosen, zendesk, ctx)
        return self._comment(config, key, chosen, zendesk, ctx)

    def _search(self, config: ZendeskConfig, zendesk: Any, ctx: AgentContext) -> ZendeskOutput:
        # Imported here: the API Lambda imports every agent for the catalog, and the connector
        # module brings httpx, which only the zendesk agent's own Lambda needs.
        from agentflow.connectors.zendesk import build_search_query

        created_after = (
            (utcnow() - timedelta(days=config.created_after)).date() if config.created_after else None
        )
        query = build_search_query(
            status=config.status,
            priority=config.priority,
            organization=config.organization,
            tags=config.tags,
            created_after=created_after,
            text=config.query,
        )
        tickets = zendesk.search_tickets(query, limit=config.limit)
        for ticket in tickets:
            ctx.log.debug(
                f"#{ticket.id} [{ticket.status}/{ticket.priority}] "
                f"{ticket.organization_name}: {ticket.subject}"
            )
        ctx.log.info(f"Found {len(tickets)} Zendesk tickets for '{query}'")
        records = [_record(ticket) for ticket in tickets]
        return ZendeskOutput(mode="search", tickets=records, count=len(records), query=query)

    def _create(
        self, config: ZendeskConfig, items: list[dict[str, Any]], zendesk: Any, ctx: AgentContext
    ) -> ZendeskOutput:
        from agentflow.connectors.zendesk import NewTicket  # see _search on why here

        records: list[TicketRecord] = []
        skipped: list[str] = []
        created_before = ctx.recorded("created")
        for index, item in enumerate(items):
            label = item_label(item)
            source_id = first_text(item, ("id", "sys_id", "key"))
            record_key = source_id or f"#{index}"
            if record_key in created_before:
                records.append(TicketRecord.model_validate(created_before[record_key]))
                continue
            subject = (
                render_item_template(config.subject_template, item)
                if config.subject_template
                else first_text(item, SUBJECT_KEYS)
            )
            if not subject:
                ctx.log.warning(f"Skipped {label}: no subject (set subject_template or give items a subject)")
                skipped.append(label)
                continue
            body = (
                (
                    render_item_template(config.body_template, item)
                    if config.body_template
                    else first_text(item, BODY_KEYS)
                )
                or item_summary(item)
                or subject
            )
            ticket = zendesk.create_ticket(
                NewTicket(
                    subject=" ".join(subject.split())[:255],
                    body=body,
                    priority=config.ticket_priority or normalize_priority(item.get("priority")),
                    type=config.ticket_type,
                    tags=config.ticket_tags,
                    requester_name=first_text(item, REQUESTER_NAME_KEYS),
                    requester_email=first_text(item, REQUESTER_EMAIL_KEYS),
                    organization_name=first_text(item, ORGANIZATION_KEYS),
                    external_id=source_id,
                    # A retry whose first request's answer was lost gets that request's ticket.
                    idempotency_key=ctx.write_key(f"ticket:{record_key}"),
                )
            )
            ctx.log.debug(f"Created Zendesk ticket #{ticket.id} for {label}: {ticket.subject}")
            records.append(_record(ticket, source_id))
            ctx.record("created", record_key, records[-1].model_dump(mode="json"))
        ctx.log.info(f"Created {len(records)} Zendesk tickets ({len(skipped)} items skipped)")
        return ZendeskOutput(mode="create", tickets=records, count=len(records), skipped=skipped)

    def _comment(
        self,
        config: ZendeskConfig,
        upstream_key: str | None,
        items: list[dict[str, Any]],
        zendesk: Any,
        ctx: AgentContext,
    ) -> ZendeskOutput:
        records: list[TicketRecord] = []
        comments: list[CommentRecord] = []
        skipped: list[str] = []
        for item in items:
            label = item_label(item)
            ticket_id = ticket_id_of(item, upstream_key, config.ticket_id_field)
            body = render_item_template(config.comment_template or "", item)
            if ticket_id is None or not body:
                reason = "no Zendesk ticket id" if ticket_id is None else "the comment would be empty"
                ctx.log.warning(f"Skipped {label}: {reason}")
                skipped.append(label)
                continue
            added = zendesk.add_comment(ticket_id, body, public=config.public_comment)
            visibility = "public" if added.public else "internal"
            ctx.log.debug(f"Added {visibility} comment {added.comment_id} to Zendesk ticket #{ticket_id}")
            records.append(_record(added.ticket, first_text(item, ("id", "sys_id", "key"))))
            comments.append(
                CommentRecord(
                    ticket_id=ticket_id, comment_id=added.comment_id, public=added.public, body=body
                )
            )
        ctx.log.info(f"Commented on {len(comments)} Zendesk tickets ({len(skipped)} items skipped)")
        return ZendeskOutput(
            mode="comment", tickets=records, count=len(records), comments=comments, skipped=skipped
        )
