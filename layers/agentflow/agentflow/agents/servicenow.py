"""ServiceNow: create one record (an incident by default) per upstream item, or query a table.

In create mode an item's subject becomes the short description, its priority on Zendesk's scale
becomes urgency and impact (so ServiceNow's priority lookup gives urgent → 1 Critical, high → 2
High, normal → 3 Moderate, low → 4 Low), its organisation the company and its requester the
caller; ``field_map`` adds or overrides fields with item templates.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator

from agentflow.agents.base import Agent, AgentConfig, AgentContext
from agentflow.agents.items import upstream_items
from agentflow.agents.zendesk import (
    ORGANIZATION_KEYS,
    SUBJECT_KEYS,
    Priority,
    check_item_template,
    first_text,
    item_label,
    normalize_priority,
    render_item_template,
)
from agentflow.errors import AgentError

# Patterns as in agentflow.connectors.servicenow (not imported: that module loads httpx).
TableName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,79}$")]
FieldPath = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,79}(\.[a-z][a-z0-9_]{0,79}){0,3}$")]
OrderBy = Annotated[str, StringConstraints(pattern=r"^-?[a-z][a-z0-9_]{0,79}(\.[a-z][a-z0-9_]{0,79}){0,3}$")]

# (urgency, impact) per priority: ServiceNow's default lookup turns them into priorities 1-4.
URGENCY_IMPACT: dict[str, tuple[str, str]] = {
    "urgent": ("1", "1"),
    "high": ("1", "2"),
    "normal": ("2", "2"),
    "low": ("3", "2"),
}
SHORT_DESCRIPTION_LIMIT = 160  # the column's length on incident
CALLER_KEYS = ("requester", "requester_name", "contact_name", "caller_id", "caller")
DESCRIPTION_KEYS = ("description", "body", "text", "details")
UPSTREAM_KEYS = ("tickets", "issues", "records", "deals", "items")


class ServiceNowConfig(AgentConfig):
    connector: Literal["servicenow"] = Field("servicenow", description="The ITSM instance to use.")
    credentials_secret: str | None = Field(
        None,
        description="Secrets Manager secret name with instance and username/password or access_token (live).",
    )
    mode: Literal["create", "query"] = Field(
        "create", description="create: one record per upstream item; query: read records of the table."
    )
    table: TableName = Field("incident", description="The table, e.g. incident, problem, sc_request.")
    limit: int = Field(50, ge=1, le=1000, description="Most records to create (create) or return (query).")
    field_map: dict[str, str] = Field(
        default_factory=dict,
        description="create: more fields from item templates, e.g. {'u_zendesk_url': '{url}', "
        "'work_notes': 'Escalated by AgentFlow from ticket #{id}'}; overrides the mapped fields.",
    )
    default_priority: Priority = Field(
        "normal", description="create: priority (urgent, high, normal, low) of items that carry none."
    )
    assignment_group: str | None = Field(
        None, max_length=100, description="create: assignment group (name or sys_id) of every record."
    )
    category: str | None = Field(None, max_length=40, description="create: category of every record.")
    query: str | None = Field(
        None, max_length=4000, description="query: an encoded query, e.g. 'priority<=2^state!=6'."
    )
    company: str | None = Field(
        None,
        max_length=255,
        pattern=r"^[^^]+$",
        description="query: only records of this company (a CRM account name).",
    )
    active_only: bool = Field(True, description="query: only active records (active=true).")
    order_by: OrderBy | None = Field(
        "-opened_at", description="query: field to sort by; a leading '-' sorts newest/highest first."
    )
    fields: list[FieldPath] = Field(
        default_factory=list, description="Fields to return besides the standard ones (sys_id, number, ...)."
    )

    @field_validator("field_map")
    @classmethod
    def _fields_and_templates(cls, value: dict[str, str]) -> dict[str, str]:
        for field, template in value.items():
            if not re.fullmatch(r"[a-z][a-z0-9_]{0,79}", field):
                raise ValueError(f"field_map key '{field}' is not a ServiceNow field name")
            if field.startswith("sys_"):
                raise ValueError(f"field_map cannot set system field '{field}'")
            if len(template) > 10_000:
                raise ValueError(f"field_map template for '{field}' is longer than 10,000 characters")
            check_item_template(template)
        return value


class RecordOut(BaseModel):
    """A record in the agent's output (display values), plus the upstream item it came from."""

    table: str
    sys_id: str
    number: str | None = None
    url: str
    short_description: str | None = None
    description: str | None = None
    state: str | None = None
    priority: str | None = None
    urgency: str | None = None
    impact: str | None = None
    company: str | None = None
    caller_id: str | None = None
    assignment_group: str | None = None
    category: str | None = None
    opened_at: str | None = None
    sys_updated_on: str | None = None
    correlation_id: str | None = None
    fields: dict[str, str] = Field(default_factory=dict)
    source_id: str | None = Field(
        None, description="create: the upstream item's id (e.g. a Zendesk ticket id)."
    )
    source_url: str | None = Field(None, description="create: the upstream item's link, when it has one.")


class ServiceNowOutput(BaseModel):
    mode: str
    table: str
    records: list[RecordOut]
    created: int
    count: int
    query: str | None = None
    skipped: list[str] = Field(default_factory=list)
    connector: str = "servicenow"


def record_values(item: dict[str, Any], config: ServiceNowConfig) -> dict[str, str] | None:
    """The fields of the record one upstream item becomes; None when it has nothing to describe."""
    short = first_text(item, SUBJECT_KEYS)
    if short is None and "short_description" not in config.field_map:
        return None
    values: dict[str, str] = {}
    if short:
        values["short_description"] = " ".join(short.split())[:SHORT_DESCRIPTION_LIMIT]
    lines = [first_text(item, DESCRIPTION_KEYS) or short or ""]
    requester_email = first_text(item, ("requester_email", "contact_email", "email"))
    requester = first_text(item, CALLER_KEYS)
    if requester or requester_email:
        reporter = [requester, f"<{requester_email}>" if requester_email else None]
        lines.append(f"Reported by: {' '.join(part for part in reporter if part)}")
    if first_text(item, ("url",)):
        lines.append(f"Source: {first_text(item, ('url',))}")
    values["description"] = "\n\n".join(line for line in lines if line)
    priority = normalize_priority(item.get("priority")) or config.default_priority
    values["urgency"], values["impact"] = URGENCY_IMPACT[priority]
    company = first_text(item, ORGANIZATION_KEYS)
    if company:
        values["company"] = company  # a display value: ServiceNow resolves reference fields by name
    if requester and config.table == "incident":
        values["caller_id"] = requester
    if config.assignment_group:
        values["assignment_group"] = config.assignment_group
    if config.category:
        values["category"] = config.category
    for field, template in config.field_map.items():
        values[field] = render_item_template(template, item)
    return values


def query_conditions(config: ServiceNowConfig) -> list[str]:
    """The encoded-query conditions query mode combines (AND)."""
    conditions = [config.query] if config.query else []
    if config.active_only:
        conditions.append("active=true")
    if config.company:
        conditions.append(f"company.name={' '.join(config.company.split())}")
    return conditions


class ServiceNowAgent(Agent[ServiceNowConfig]):
    agent_type = "servicenow"
    name = "ServiceNow"
    description = (
        "Creates one ServiceNow record (an incident by default) per upstream item — short description, "
        "description, urgency and impact from its priority, company and caller — or queries a table "
        "with an encoded query and returns its records."
    )
    config_model = ServiceNowConfig

    @classmethod
    def per_record_keys(cls, config: Any) -> tuple[str, ...] | None:
        return UPSTREAM_KEYS if config.mode == "create" else None

    def run(self, config: ServiceNowConfig, data: Any, ctx: AgentContext) -> ServiceNowOutput:
        # Imported here: the API Lambda imports every agent for the catalog, and the connector
        # module brings httpx, which only this agent's own Lambda needs.
        from agentflow.connectors.servicenow import DEFAULT_FIELDS

        fields = list(dict.fromkeys([*DEFAULT_FIELDS, *config.fields]))
        servicenow = ctx.connectors.open(config.connector, config.credentials_secret)
        if config.mode == "query":
            return self._query(config, fields, servicenow, ctx)

        key, items = upstream_items(data, preferred=UPSTREAM_KEYS)
        if not items:
            raise AgentError(
                "servicenow create mode needs upstream records, e.g. {'tickets': [...]} from the "
                "zendesk agent."
            )
        if len(items) > config.limit:
            ctx.log.warning(
                f"{len(items)} upstream {key}; limit={config.limit} leaves {len(items) - config.limit}"
            )
        from agentflow.connectors.servicenow import build_encoded_query  # see above on why here

        records: list[RecordOut] = []
        skipped: list[str] = []
        created_before = ctx.recorded("created")
        for index, item in enumerate(items[: config.limit]):
            label = item_label(item)
            source_id = first_text(item, ("id", "sys_id", "key"))
            record_key = source_id or f"#{index}"
            if record_key in created_before:
                records.append(RecordOut.model_validate(created_before[record_key]))
                continue
            values = record_values(item, config)
            if values is None:
                ctx.log.warning(f"Skipped {label}: nothing for a short description (subject, title or name)")
                skipped.append(label)
                continue
            # The record carries its write key; a retry looks for it before creating another.
            values.setdefault("correlation_id", ctx.write_key(f"record:{record_key}"))
            values.setdefault("correlation_display", "AgentFlow")
            found = (
                servicenow.query_records(
                    config.table,
                    build_encoded_query([f"correlation_id={values['correlation_id']}"]),
                    limit=1,
                    fields=fields,
                )
                if ctx.retried
                else []
            )
            if found:
                record = found[0]
                ctx.log.info(f"{config.table} {record.number or record.sys_id} for {label} already existed")
            else:
                record = servicenow.create_record(config.table, values, fields=fields)
                ctx.log.debug(f"Created {config.table} {record.number or record.sys_id} for {label}")
            records.append(
                RecordOut(**record.model_dump(), source_id=source_id, source_url=first_text(item, ("url",)))
            )
            ctx.record("created", record_key, records[-1].model_dump(mode="json"))
        ctx.log.info(
            f"Created {len(records)} {config.table} records in ServiceNow ({len(skipped)} items skipped)"
        )
        return ServiceNowOutput(
            mode="create", table=config.table, records=records, created=len(records), count=len(records),
            skipped=skipped,
        )  # fmt: skip

    def _query(
        self, config: ServiceNowConfig, fields: list[str], servicenow: Any, ctx: AgentContext
    ) -> ServiceNowOutput:
        from agentflow.connectors.servicenow import build_encoded_query  # see run on why here

        query = build_encoded_query(query_conditions(config), order_by=config.order_by)
        found = servicenow.query_records(config.table, query, limit=config.limit, fields=fields)
        for record in found:
            ctx.log.debug(
                f"{record.number or record.sys_id} [{record.state}/{record.priority}] "
                f"{record.short_description}"
            )
        ctx.log.info(f"Found {len(found)} {config.table} records in ServiceNow for '{query}'")
        records = [RecordOut(**record.model_dump()) for record in found]
        return ServiceNowOutput(
            mode="query", table=config.table, records=records, created=0, count=len(records), query=query
        )
