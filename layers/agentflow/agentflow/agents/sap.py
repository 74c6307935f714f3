"""SAP S/4HANA: finds the business partners of upstream accounts and their open sales orders.

The accounts come from upstream records (deals, tickets, companies: their ``account_name``,
``company`` or ``organization_name``) and/or the config's ``account_names``; they are matched to
business partners by full name, then (``open_orders``) their sales orders are read by sold-to party.

When the upstream records are deals, they are passed on annotated with what SAP knows about their
account (``sap_business_partner``, ``sap_orders``, ``sap_order_count``, ``sap_order_value``), so a
deal desk workflow (CRM → SAP → email) can write to the owners of deals with, or without, orders.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any, Literal

from pydantic import BaseModel, Field

from agentflow.agents.base import Agent, AgentConfig, AgentContext
from agentflow.agents.items import upstream_items
from agentflow.connectors.sap import BusinessPartner, NameMatch, SalesOrder, SapConnector
from agentflow.errors import AgentError

Mode = Literal["business_partners", "open_orders"]
DealFilter = Literal["all", "with_orders", "without_orders"]

UPSTREAM_KEYS = ("deals", "accounts", "companies", "organizations", "tickets", "contacts")
# Keys naming a record's customer account, in order of preference.
ACCOUNT_KEYS = ("account_name", "company", "organization_name", "company_name")


class SapConfig(AgentConfig):
    connector: Literal["sap"] = Field("sap", description="The ERP to read.")
    credentials_secret: str | None = Field(
        None, description="Secrets Manager secret name holding the S/4HANA credentials (live connectors)."
    )
    mode: Mode = Field(
        "open_orders",
        description="business_partners: the accounts' business partners; open_orders: also their "
        "sales orders that are not completed.",
    )
    account_names: list[str] | None = Field(
        None, max_length=500, description="Accounts to look up besides (or without) the upstream ones."
    )
    name_match: NameMatch = Field(
        "exact",
        description="exact: the partner's full name equals the account name; prefix: it starts with "
        "it (finds subsidiaries such as 'Northwind Logistics Europe GmbH').",
    )
    include_completed: bool = Field(False, description="open_orders: include completed orders too.")
    deal_filter: DealFilter = Field(
        "all",
        description="open_orders: which upstream deals to pass on: all, with_orders or without_orders.",
    )
    max_accounts: int = Field(100, ge=1, le=500, description="Most accounts to look up.")
    limit: int = Field(500, ge=1, le=5000, description="Most sales orders (or business partners) to return.")


class SapOutput(BaseModel):
    mode: Mode
    orders: list[SalesOrder]
    business_partners: list[BusinessPartner]
    deals: list[dict[str, Any]]
    count: int
    total_by_currency: dict[str, float]
    unmatched_accounts: list[str]
    open_only: bool
    connector: str


def account_names_from(data: Any) -> tuple[str | None, list[dict[str, Any]], list[str], int]:
    """(upstream key, records, distinct account names, records naming no account)."""
    key, items = upstream_items(data, preferred=UPSTREAM_KEYS)
    names: dict[str, None] = {}
    nameless = 0
    for item in items:
        name = next(
            (item[k].strip() for k in ACCOUNT_KEYS if isinstance(item.get(k), str) and item[k].strip()), None
        )
        if name is None:
            nameless += 1
        else:
            names.setdefault(name)
    return key, items, list(names), nameless


def match_partners(
    partners: list[BusinessPartner], names: list[str], match: NameMatch
) -> tuple[list[BusinessPartner], dict[str, list[BusinessPartner]]]:
    """Each partner tagged with the account it was found for (the longest matching name), and the
    partners of each account name."""
    by_account: dict[str, list[BusinessPartner]] = {name: [] for name in names}
    tagged = []
    for partner in partners:
        full_name = partner.BusinessPartnerFullName
        candidates = [
            name for name in names if (full_name == name if match == "exact" else full_name.startswith(name))
        ]
        account = max(candidates, key=len) if candidates else None
        tagged_partner = partner.model_copy(update={"account_name": account or full_name})
        tagged.append(tagged_partner)
        if account is not None:
            by_account[account].append(tagged_partner)
    return tagged, by_account


def order_totals(orders: list[SalesOrder]) -> dict[str, float]:
    """Net value of ``orders`` per currency, rounded to cents."""
    totals: dict[str, float] = defaultdict(float)
    for order in orders:
        totals[order.TransactionCurrency] += order.TotalNetAmount
    return {currency: round(amount, 2) for currency, amount in sorted(totals.items())}


class SapAgent(Agent[SapConfig]):
    agent_type = "sap"
    name = "SAP S/4HANA"
    description = (
        "Looks up the upstream accounts (deals, tickets, companies) as SAP S/4HANA business partners "
        "and returns their open sales orders with items, amounts and delivery dates."
    )
    config_model = SapConfig

    @classmethod
    def per_record_keys(cls, config: Any) -> tuple[str, ...] | None:
        # Each batch looks up its own records' accounts.
        return UPSTREAM_KEYS

    def run(self, config: SapConfig, data: Any, ctx: AgentContext) -> SapOutput:
        key, items, upstream_names, nameless = account_names_from(data)
        if nameless:
            ctx.log.warning(f"Skipped {nameless} upstream records that name no account")
        names = list(dict.fromkeys([*(config.account_names or []), *upstream_names]))
        if not names and config.mode == "open_orders":
            raise AgentError(
                "sap open_orders needs accounts: upstream records with account_name, company or "
                "organization_name (e.g. deals), or account_names in its config"
            )
        if len(names) > config.max_accounts:
            ctx.log.warning(
                f"{len(names)} accounts; max_accounts={config.max_accounts} looks up the first ones"
            )
            names = names[: config.max_accounts]

        sap: SapConnector = ctx.connectors.open(config.connector, config.credentials_secret)
        found = sap.find_business_partners(names, match=config.name_match, limit=config.limit)
        partners, by_account = match_partners(found, names, config.name_match)
        unmatched = [name for name, matched in by_account.items() if not matched]
        for name in unmatched:
            ctx.log.warning(f"No SAP business partner is named '{name}'")
        for partner in partners:
            ctx.log.debug(f"{partner.account_name} → business partner {partner.BusinessPartner}")

        orders: list[SalesOrder] = []
        if config.mode == "open_orders":
            orders = self._orders(config, partners, sap, ctx)
        deals = annotate_deals(items, by_account, orders, config) if key == "deals" else []
        totals = order_totals(orders)
        if config.mode == "open_orders":
            kind = "sales orders" if config.include_completed else "open sales orders"
            worth = ", ".join(f"{currency} {amount:,.2f}" for currency, amount in totals.items()) or "nothing"
            with_orders = len({order.account_name for order in orders})
            ctx.log.info(
                f"Found {len(orders)} {kind} worth {worth} for {with_orders} of {len(names)} accounts "
                f"({len(names) - len(unmatched)} matched a business partner)"
            )
        else:
            ctx.log.info(f"Found {len(partners)} business partners for {len(names)} accounts")
        return SapOutput(
            mode=config.mode,
            orders=orders,
            business_partners=partners,
            deals=deals,
            count=len(orders) if config.mode == "open_orders" else len(partners),
            total_by_currency=totals,
            unmatched_accounts=unmatched,
            open_only=not config.include_completed,
            connector=config.connector,
        )

    @staticmethod
    def _orders(
        config: SapConfig, partners: list[BusinessPartner], sap: SapConnector, ctx: AgentContext
    ) -> list[SalesOrder]:
        """The sales orders of the partners that are customers, each named after its account."""
        account_of: dict[str, str] = {}
        for partner in partners:
            if partner.Customer:
                account_of.setdefault(
                    partner.Customer, partner.account_name or partner.BusinessPartnerFullName
                )
            else:
                ctx.log.warning(
                    f"Business partner {partner.BusinessPartner} ({partner.BusinessPartnerFullName}) "
                    "is not a customer, so it has no sales orders"
                )
        orders = sap.find_sales_orders(
            list(account_of), open_only=not config.include_completed, limit=config.limit
        )
        for order in orders:
            order.account_name = account_of.get(order.SoldToParty)
            ctx.log.debug(
                f"Sales order {order.SalesOrder} for {order.account_name}: {order.TransactionCurrency} "
                f"{order.TotalNetAmount:,.2f}, status {order.OverallSDProcessStatus}"
            )
        return orders


def annotate_deals(
    deals: list[dict[str, Any]],
    by_account: dict[str, list[BusinessPartner]],
    orders: list[SalesOrder],
    config: SapConfig,
) -> list[dict[str, Any]]:
    """The upstream deals with their account's SAP partner and orders, filtered by ``deal_filter``."""
    orders_by_party: dict[str, list[SalesOrder]] = defaultdict(list)
    for order in orders:
        orders_by_party[order.SoldToParty].append(order)
    annotated = []
    for deal in deals:
        account = next((deal[k].strip() for k in ACCOUNT_KEYS if isinstance(deal.get(k), str)), "")
        partners = by_account.get(account, [])
        account_orders = [o for p in partners if p.Customer for o in orders_by_party.get(p.Customer, [])]
        record = {**deal, "sap_business_partner": partners[0].BusinessPartner if partners else None}
        if config.mode == "open_orders":
            has_orders = bool(account_orders)
            if (config.deal_filter == "with_orders" and not has_orders) or (
                config.deal_filter == "without_orders" and has_orders
            ):
                continue
            record["sap_orders"] = [order.SalesOrder for order in account_orders]
            record["sap_order_count"] = len(account_orders)
            record["sap_order_value"] = order_totals(account_orders)
        annotated.append(record)
    return annotated
