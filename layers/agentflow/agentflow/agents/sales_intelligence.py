"""Sales intelligence: finds CRM opportunities by stage, minimum amount and close quarter."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from pydantic import BaseModel, Field

from agentflow.agents.base import Agent, AgentConfig, AgentContext
from agentflow.connectors.base import Opportunity, OpportunityQuery
from agentflow.models import utcnow

Quarter = Literal["Q1", "Q2", "Q3", "Q4"]


class SalesIntelligenceConfig(AgentConfig):
    connector: Literal["salesforce"] = Field("salesforce", description="The CRM to read.")
    credentials_secret: str | None = Field(
        None, description="Secrets Manager secret name holding the CRM credentials (live connectors)."
    )
    stage: str | None = Field(None, description="Stage name or prefix, e.g. 'Negotiation'.")
    min_amount: float | None = Field(None, ge=0, description="Smallest deal amount to include.")
    close_quarter: Quarter | None = Field(None, description="Calendar quarter of the close date.")
    close_year: int | None = Field(
        None, ge=2000, le=2100, description="Year of close_quarter; defaults to the current year."
    )
    limit: int = Field(200, ge=1, le=2000, description="Most deals to return.")
    use_rag: bool = Field(False, description="Enrich deals with retrieved notes (recorded; RAG pending).")


class SalesIntelligenceOutput(BaseModel):
    deals: list[Opportunity]
    count: int
    total_amount: float
    connector: str
    filters: dict[str, Any]
    use_rag: bool


def quarter_bounds(quarter: Quarter, year: int) -> tuple[date, date]:
    """First and last day of a calendar quarter."""
    first_month = 3 * (int(quarter[1]) - 1) + 1
    start = date(year, first_month, 1)
    end = date(year + 1, 1, 1) if quarter == "Q4" else date(year, first_month + 3, 1)
    return start, date.fromordinal(end.toordinal() - 1)


class SalesIntelligenceAgent(Agent[SalesIntelligenceConfig]):
    agent_type = "sales_intelligence"
    name = "Sales Intelligence"
    description = (
        "Finds opportunities in a CRM (Salesforce) by stage, minimum amount and close quarter, "
        "and returns them as deals with account, amount, close date and owner."
    )
    config_model = SalesIntelligenceConfig

    def run(self, config: SalesIntelligenceConfig, data: Any, ctx: AgentContext) -> SalesIntelligenceOutput:
        query = OpportunityQuery(stage=config.stage, min_amount=config.min_amount, limit=config.limit)
        if config.close_quarter:
            year = config.close_year or utcnow().year
            query.close_from, query.close_to = quarter_bounds(config.close_quarter, year)
        filters = query.model_dump(mode="json", exclude_none=True)
        ctx.log.info(f"Querying {config.connector} opportunities with {filters}")
        if config.use_rag:
            ctx.log.warning(
                "use_rag is set; document retrieval is not available yet, so deals are not enriched"
            )

        crm = ctx.connectors.crm(config.connector, config.credentials_secret)
        deals = crm.find_opportunities(query)
        total = sum(deal.amount for deal in deals)
        ctx.log.info(f"Found {len(deals)} deals worth {total:,.0f} in total")
        return SalesIntelligenceOutput(
            deals=deals,
            count=len(deals),
            total_amount=total,
            connector=config.connector,
            filters=filters,
            use_rag=config.use_rag,
        )
