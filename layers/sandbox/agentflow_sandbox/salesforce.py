"""The salesforce sandbox: salesforce's emulator over bundled data, for CONNECTOR_MODE=sandbox."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from pathlib import Path

from agentflow.connectors.base import Opportunity, OpportunityQuery, sandbox_pause
from agentflow_sandbox import read_data

# --- sandbox -----------------------------------------------------------------------------------


def _shift_year(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # Feb 29 into a year without one
        return day.replace(year=day.year + years, day=28)


@lru_cache(maxsize=8)
def _load_sandbox(path: str | None, year: int) -> tuple[Opportunity, ...]:
    data = read_data("salesforce_opportunities.json", path)
    shift = year - int(data["base_year"])
    opportunities = []
    for record in data["opportunities"]:
        opportunity = Opportunity.model_validate(record)
        opportunity.close_date = _shift_year(opportunity.close_date, shift)
        opportunities.append(opportunity)
    opportunities.sort(key=lambda item: (item.close_date, item.id))
    return tuple(opportunities)


class SalesforceSandbox:
    """Salesforce without the network: the bundled opportunities, moved to the current year.

    Filters behave as the live SOQL does (stage prefix case-insensitive like LIKE, inclusive amount
    and date bounds, ordered by close date then id), and each call waits ``latency_ms`` first, so
    timings in local runs resemble a vendor round trip.
    """

    name = "salesforce"

    def __init__(
        self, *, latency_ms: int = 0, today: date | None = None, data_path: Path | None = None
    ) -> None:
        self.latency_ms = latency_ms
        self._today = today
        self._data_path = str(data_path) if data_path is not None else None

    def opportunities(self) -> list[Opportunity]:
        """Every bundled opportunity (copies), dated for the current year."""
        year = (self._today or date.today()).year
        return [item.model_copy() for item in _load_sandbox(self._data_path, year)]

    def find_opportunities(self, query: OpportunityQuery) -> list[Opportunity]:
        """Bundled opportunities matching ``query``, by close date then id."""
        sandbox_pause(self.latency_ms)
        stage = query.stage.lower() if query.stage else None
        found = [
            item
            for item in self.opportunities()
            if (stage is None or item.stage.lower().startswith(stage))
            and (query.min_amount is None or item.amount >= query.min_amount)
            and (query.close_from is None or item.close_date >= query.close_from)
            and (query.close_to is None or item.close_date <= query.close_to)
        ]
        return found[: query.limit]
