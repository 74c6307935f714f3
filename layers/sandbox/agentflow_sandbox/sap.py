"""The sap sandbox: sap's emulator over bundled data, for CONNECTOR_MODE=sandbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentflow.clock import utcnow
from agentflow.connectors.base import (
    sandbox_pause,
)
from agentflow_sandbox import read_data

if TYPE_CHECKING:
    from agentflow.settings import Settings
from agentflow.connectors.sap import (
    BusinessPartner,
    NameMatch,
    SalesOrder,
    distinct,
    order_key,
)

# --- sandbox -------------------------------------------------------------------------------------


def _read(data_dir: str | None, name: str) -> dict[str, Any]:
    data: dict[str, Any] = read_data(name, None if data_dir is None else Path(data_dir) / name)
    return data


@lru_cache(maxsize=8)
def _load_sandbox(
    data_dir: str | None, today: date
) -> tuple[tuple[BusinessPartner, ...], tuple[SalesOrder, ...]]:
    partners_file = _read(data_dir, "sap_business_partners.json")
    orders_file = _read(data_dir, "sap_sales_orders.json")
    partners = []
    shift = today - date.fromisoformat(partners_file["base_date"])
    for record in partners_file["business_partners"]:
        partner = BusinessPartner.model_validate(record)
        if partner.CreationDate is not None:
            partner.CreationDate += shift
        partners.append(partner)
    orders = []
    shift = today - date.fromisoformat(orders_file["base_date"])
    for record in orders_file["sales_orders"]:
        order = SalesOrder.model_validate(record)
        order.CreationDate += shift
        if order.RequestedDeliveryDate is not None:
            order.RequestedDeliveryDate += shift
        orders.append(order)
    partners.sort(key=lambda partner: partner.BusinessPartner)
    orders.sort(key=order_key)
    return tuple(partners), tuple(orders)


class SapSandbox:
    """S/4HANA without the network: the bundled partners and orders, dated relative to today.

    Name filters behave as the live OData filter does (case-sensitive ``eq`` or ``startswith``),
    results come in the same order, and each call waits ``latency_ms`` first.
    """

    name = "sap"

    def __init__(
        self, *, latency_ms: int = 0, today: date | None = None, data_dir: Path | None = None
    ) -> None:
        self.latency_ms = latency_ms
        self._today = today
        self._data_dir = str(data_dir) if data_dir is not None else None

    def _data(self) -> tuple[tuple[BusinessPartner, ...], tuple[SalesOrder, ...]]:
        # UTC's today, the day agents compute their date windows from.
        return _load_sandbox(self._data_dir, self._today or utcnow().date())

    def business_partners(self) -> list[BusinessPartner]:
        """Every bundled business partner (copies), by number."""
        return [partner.model_copy() for partner in self._data()[0]]

    def sales_orders(self) -> list[SalesOrder]:
        """Every bundled sales order (deep copies), by number."""
        return [order.model_copy(deep=True) for order in self._data()[1]]

    def find_business_partners(
        self, names: Sequence[str], *, match: NameMatch = "exact", limit: int = 500
    ) -> list[BusinessPartner]:
        """Partners named (or, with ``prefix``, starting with) any of ``names``, by number."""
        sandbox_pause(self.latency_ms)
        wanted = distinct(names)

        def matches(full_name: str) -> bool:
            if not wanted:
                return True
            if match == "exact":
                return full_name in wanted
            return any(full_name.startswith(name) for name in wanted)

        found = [partner for partner in self.business_partners() if matches(partner.BusinessPartnerFullName)]
        return found[:limit]

    def find_sales_orders(
        self, sold_to_parties: Sequence[str], *, open_only: bool = True, limit: int = 1000
    ) -> list[SalesOrder]:
        """Orders of these sold-to parties with their items, by order number."""
        sandbox_pause(self.latency_ms)
        parties = set(distinct(sold_to_parties))
        found = [
            order
            for order in self.sales_orders()
            if order.SoldToParty in parties and not (open_only and order.OverallSDProcessStatus == "C")
        ]
        return found[:limit]


def sandbox(settings: Settings, tenant_id: str) -> SapSandbox:
    """The sandbox connector (``CONNECTOR_MODE=sandbox``); read-only, so the same for every tenant."""
    return SapSandbox(latency_ms=settings.sandbox_latency_ms)
