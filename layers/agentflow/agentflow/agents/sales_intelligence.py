"""Sales intelligence: finds CRM opportunities by stage, minimum amount and close period.

Filters come from the config fields, from a plain-English request, or both: the ``query`` config
field, else the execution input ("Find Q4 deals over $100K in Negotiation"), is parsed by
:mod:`agentflow.agents.sales_query`, and every explicit config field takes precedence over what the
text says. The output's ``filters`` shows the values applied and, under ``sources``, whether each
came from config, the query text or a default.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from agentflow.agents.base import Agent, AgentConfig, AgentContext
from agentflow.agents.items import upstream_text
from agentflow.agents.retrieval import RagOptions, account_query, citations_for
from agentflow.agents.sales_query import SALESFORCE_STAGES, Quarter, quarter_bounds, resolve_filters
from agentflow.connectors.base import Opportunity
from agentflow.models import utcnow

__all__ = [
    "Quarter",
    "SalesIntelligenceAgent",
    "SalesIntelligenceConfig",
    "SalesIntelligenceOutput",
    "quarter_bounds",
]


class SalesIntelligenceConfig(AgentConfig):
    connector: Literal["salesforce", "hubspot"] = Field("salesforce", description="The CRM to read.")
    credentials_secret: str | None = Field(
        None, description="Secrets Manager secret name holding the CRM credentials (live connectors)."
    )
    query: str | None = Field(
        None,
        max_length=500,
        description=(
            "A plain-English request, e.g. 'Find Q4 deals over $100K in Negotiation'. Without it the "
            "execution input is read as the request. Explicit fields below take precedence over it."
        ),
    )
    stage: str | None = Field(
        None, description="Stage name or prefix, e.g. 'Negotiation' (a HubSpot stage label or id)."
    )
    min_amount: float | None = Field(None, ge=0, description="Smallest deal amount to include.")
    close_quarter: Quarter | None = Field(None, description="Calendar quarter of the close date.")
    close_year: int | None = Field(
        None, ge=2000, le=2100, description="Year of the close period; defaults to the current year."
    )
    limit: int = Field(200, ge=1, le=2000, description="Most deals to return.")
    use_rag: bool = Field(
        False, description="Attach passages about each deal's account from the tenant's documents as 'notes'."
    )
    rag: RagOptions = Field(
        default_factory=lambda: RagOptions(), description="Retrieval settings for use_rag."
    )


class SalesIntelligenceOutput(BaseModel):
    deals: list[Opportunity]
    count: int
    total_amount: float
    connector: str
    filters: dict[str, Any]
    query_text: str | None = None
    use_rag: bool


@runtime_checkable
class KnowsStages(Protocol):
    """A CRM connector that can list its stage names (HubSpot reads them from its pipelines)."""

    def stage_names(self) -> list[str]: ...


class SalesIntelligenceAgent(Agent[SalesIntelligenceConfig]):
    agent_type = "sales_intelligence"
    name = "Sales Intelligence"
    description = (
        "Finds opportunities in a CRM (Salesforce or HubSpot) by stage, minimum amount and close "
        "period, given as config fields or as a plain-English request ('Find Q4 deals over $100K in "
        "Negotiation'), and returns them as deals with account, amount, close date and owner."
    )
    config_model = SalesIntelligenceConfig

    def run(self, config: SalesIntelligenceConfig, data: Any, ctx: AgentContext) -> SalesIntelligenceOutput:
        crm = ctx.connectors.crm(config.connector, config.credentials_secret)
        text = config.query or upstream_text(data)
        # Only a request needs the stage vocabulary: for HubSpot that is a pipelines read.
        stages: list[str] | tuple[str, ...] = SALESFORCE_STAGES
        if text and isinstance(crm, KnowsStages):
            stages = crm.stage_names()
        resolved = resolve_filters(
            stage=config.stage,
            min_amount=config.min_amount,
            close_quarter=config.close_quarter,
            close_year=config.close_year,
            limit=config.limit,
            limit_source="config" if "limit" in config.model_fields_set else "default",
            text=text,
            stages=stages,
            today=utcnow().date(),
        )
        if resolved.parsed is not None:
            source = "config query" if config.query else "execution input"
            ctx.log.debug(f"Read {resolved.parsed.matches or 'no filters'} from the {source}")
            for warning in resolved.parsed.warnings:
                ctx.log.warning(f"Request text: {warning}")
        filters = resolved.describe()
        ctx.log.info(f"Querying {config.connector} opportunities with {filters}")
        deals = crm.find_opportunities(resolved.query)
        if config.use_rag:
            deals = self._with_notes(deals, config.rag, ctx)
        total = sum(deal.amount for deal in deals)
        ctx.log.info(f"Found {len(deals)} deals worth {total:,.0f} in total")
        return SalesIntelligenceOutput(
            deals=deals,
            count=len(deals),
            total_amount=total,
            connector=config.connector,
            filters=filters,
            query_text=text,
            use_rag=config.use_rag,
        )

    @staticmethod
    def _with_notes(deals: list[Opportunity], options: RagOptions, ctx: AgentContext) -> list[Opportunity]:
        """Each deal with passages about its account (one search per account)."""
        notes = {
            account: citations_for(ctx, account_query(account), account, options)
            for account in dict.fromkeys(deal.account_name for deal in deals)
        }
        found = sum(1 for citations in notes.values() if citations)
        ctx.log.info(
            f"Documents speak about {found} of {len(notes)} accounts; their passages are attached as notes"
        )
        return [deal.model_copy(update={"notes": notes[deal.account_name]}) for deal in deals]
