"""Generate the SAP S/4HANA sandbox's bundled data (deterministic: same output every run).

The sandbox ERP answers agents from two files under ``layers/sandbox/agentflow_sandbox/data/``:

- ``sap_business_partners.json``: one business partner (organization, customer role) for every
  account of the CRM sandbox, with the same name, plus a few that are not CRM accounts: a
  subsidiary whose name starts with a CRM account's name ("Northwind Logistics Europe GmbH", which
  an exact name match must leave out and a prefix match finds), suppliers and persons;
- ``sap_sales_orders.json``: ~250 sales orders with items, open ("A" not yet processed, "B" partly
  processed) and completed ("C"), in the account's currency.

Coherence with the CRM sandbox: the accounts come from ``salesforce_opportunities.json``. Of the 20
accounts of the reference Q4 negotiation deals, exactly 17 have open orders; of the other three, two
only have completed orders and one has no order at all, so an "open orders for these deals" workflow
has both answers to show.

Dates are written relative to ``BASE_DATE``; the sandbox moves every date by (today - BASE_DATE) days
on load, so open orders stay recent. Every name is invented.

Usage::

    python tools/generate_sap_data.py          # rewrite the JSON files
    python tools/generate_sap_data.py --check  # fail if the files differ from what this writes
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from pathlib import Path
from typing import Any

try:
    from tools import datafile
except ImportError:  # run as tools/<script>.py: tools/ is on sys.path
    import datafile  # type: ignore[no-redef]

BASE_DATE = date(2026, 3, 2)
SEED = 20260303
DATA_DIR = Path(__file__).resolve().parents[1] / "layers/sandbox/agentflow_sandbox/data"
PARTNERS_OUTPUT = DATA_DIR / "sap_business_partners.json"
ORDERS_OUTPUT = DATA_DIR / "sap_sales_orders.json"
CRM_DATA = DATA_DIR / "salesforce_opportunities.json"

# Accounts invoiced outside the US; everyone else buys in USD from the US sales organization.
CURRENCIES = {
    "Lucerne Publishing": "EUR",
    "Alpine Ski House": "EUR",
    "Margie's Travel": "GBP",
    "Coastal Crown Hotels": "GBP",
    "Portside Fiber": "CAD",
    "Prairie Wind Energy": "CAD",
}
SALES_ORGANIZATIONS = {"USD": "1710", "EUR": "1010", "GBP": "1110", "CAD": "1610"}
# List prices per currency unit, relative to USD (price lists are kept per currency in SD).
PRICE_FACTORS = {"USD": 1.0, "EUR": 0.92, "GBP": 0.79, "CAD": 1.36}

# (material, description, unit, USD list price, smallest and largest quantity)
MATERIALS: list[tuple[str, str, str, float, int, int]] = [
    ("SW-PLAT-ENT", "Platform subscription, Enterprise, 12 months", "EA", 48_000.0, 1, 3),
    ("SW-PLAT-STD", "Platform subscription, Standard, 12 months", "EA", 18_000.0, 1, 2),
    ("SW-SEAT-100", "User seat pack (100 users), 12 months", "EA", 9_500.0, 1, 8),
    ("SW-ANL-ADD", "Analytics add-on, 12 months", "EA", 12_000.0, 1, 2),
    ("SW-SEC-ADD", "Security add-on, 12 months", "EA", 15_000.0, 1, 2),
    ("SV-IMPL-HR", "Implementation services", "H", 195.0, 40, 480),
    ("SV-TRAIN-DAY", "On-site training day", "DAY", 2_400.0, 1, 10),
    ("SV-PREM-SUP", "Premium support, 12 months", "EA", 22_000.0, 1, 1),
    ("HW-EDGE-GW", "Edge gateway appliance", "EA", 3_200.0, 5, 60),
    ("HW-SENSOR-KIT", "IoT sensor kit", "EA", 450.0, 20, 500),
]

EXTRA_PARTNERS: list[dict[str, Any]] = [
    # A subsidiary whose name starts with a CRM account's: only a prefix search should find it.
    {"name": "Northwind Logistics Europe GmbH", "category": "2", "role": "customer", "currency": "EUR"},
    # The same words on the purchasing side: a supplier, never a sold-to party.
    {"name": "Northwind Traders", "category": "2", "role": "supplier"},
    {"name": "Fabrikam Office Supplies", "category": "2", "role": "supplier"},
    {"name": "Contoso Facilities Services", "category": "2", "role": "supplier"},
    {"name": "Helena Vasquez", "category": "1", "role": "customer", "currency": "USD"},
    {"name": "Tobias Lindqvist", "category": "1", "role": "customer", "currency": "USD"},
]
GROUPINGS = {"customer": "BP02", "supplier": "BP03"}


def crm_accounts() -> tuple[list[str], set[str]]:
    """The CRM sandbox's account names (by account id) and those of the 20 reference deals."""
    data = json.loads(CRM_DATA.read_text(encoding="utf-8"))
    year = int(data["base_year"])
    accounts: dict[str, str] = {}
    reference: set[str] = set()
    for record in data["opportunities"]:
        accounts.setdefault(record["account_id"], record["account_name"])
        close = date.fromisoformat(record["close_date"])
        if (
            record["stage"].lower().startswith("negotiation")
            and record["amount"] >= 100_000
            and date(year, 10, 1) <= close <= date(year, 12, 31)
        ):
            reference.add(record["account_name"])
    if len(reference) != 20:
        raise RuntimeError(f"expected the CRM's 20 reference accounts, found {len(reference)}")
    return [accounts[key] for key in sorted(accounts)], reference


def search_term(name: str) -> str:
    """SearchTerm1 as SAP users type it: the first word, upper case, at most 20 characters."""
    return "".join(char for char in name.split()[0].upper() if char.isalnum())[:20]


class Generator:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)  # noqa: S311 - reproducible sample data, not secrets
        self.next_partner = 1_000_100

    def partner(self, name: str, category: str, role: str) -> dict[str, Any]:
        self.next_partner += self.rng.randint(3, 29)
        number = str(self.next_partner)
        return {
            "BusinessPartner": number,
            "BusinessPartnerFullName": name,
            "BusinessPartnerCategory": category,
            "OrganizationBPName1": name if category == "2" else None,
            "SearchTerm1": search_term(name),
            # Customer and supplier numbers are harmonised with the partner number, as S/4 recommends.
            "Customer": number if role == "customer" else None,
            "Supplier": number if role == "supplier" else None,
            "BusinessPartnerGrouping": GROUPINGS.get(role, "BP01") if category == "2" else "BP01",
            "CreationDate": (BASE_DATE - timedelta(days=self.rng.randint(400, 3000))).isoformat(),
        }

    def items(self, currency: str, status: str) -> list[dict[str, Any]]:
        discount = self.rng.choice([1.0, 1.0, 0.95, 0.9, 0.85])
        chosen = self.rng.sample(MATERIALS, self.rng.randint(1, 4))
        items = []
        for number, (material, text, unit, price, low, high) in enumerate(chosen, start=1):
            quantity = self.rng.randint(low, high)
            item_status = status
            if status == "B" and number > 1:  # partly processed: the first item done, the rest not yet
                item_status = self.rng.choice(["A", "B"])
            elif status == "B":
                item_status = "C"
            items.append(
                {
                    "SalesOrderItem": str(number * 10),
                    "Material": material,
                    "SalesOrderItemText": text,
                    "RequestedQuantity": float(quantity),
                    "RequestedQuantityUnit": unit,
                    "NetAmount": round(quantity * price * PRICE_FACTORS[currency] * discount, 2),
                    "TransactionCurrency": currency,
                    "SDProcessStatus": item_status,
                }
            )
        return items

    def order(self, partner: dict[str, Any], currency: str, *, created: date, status: str) -> dict[str, Any]:
        delivery = created + timedelta(days=self.rng.randint(10, 120))
        items = self.items(currency, status)
        return {
            "SalesOrder": "",  # numbered in creation order, after every order exists
            "SalesOrderType": "OR",
            "SalesOrganization": SALES_ORGANIZATIONS[currency],
            "SoldToParty": partner["Customer"],
            "PurchaseOrderByCustomer": f"PO-{self.rng.randint(10000, 99999)}",
            "CreationDate": created.isoformat(),
            "RequestedDeliveryDate": delivery.isoformat(),
            "TotalNetAmount": round(sum(item["NetAmount"] for item in items), 2),
            "TransactionCurrency": currency,
            "OverallSDProcessStatus": status,
            "OverallTotalDeliveryStatus": status,
            "items": items,
        }

    def status_for(self, created: date) -> str:
        """Old orders are done; recent ones are open, the newest not yet touched."""
        age = (BASE_DATE - created).days
        if age > 150:
            return "C" if self.rng.random() < 0.93 else "B"
        if age < 14:
            return "A"
        return self.rng.choice(["A", "B", "B", "C", "C"])

    def orders_for(
        self, partner: dict[str, Any], currency: str, *, open_orders: bool | None
    ) -> list[dict[str, Any]]:
        """2 to 7 orders over the last 18 months; ``open_orders`` forces some (True) or none (False)."""
        orders = []
        for _ in range(self.rng.randint(2, 7)):
            created = BASE_DATE - timedelta(days=self.rng.randint(0, 540))
            status = self.status_for(created)
            if open_orders is False:
                created = BASE_DATE - timedelta(days=self.rng.randint(160, 540))
                status = "C"
            orders.append(self.order(partner, currency, created=created, status=status))
        if open_orders and not any(order["OverallSDProcessStatus"] != "C" for order in orders):
            created = BASE_DATE - timedelta(days=self.rng.randint(3, 40))
            orders.append(self.order(partner, currency, created=created, status="A"))
        return orders


def generate() -> tuple[dict[str, Any], dict[str, Any]]:
    """The two data files (business partners, sales orders), as JSON-ready objects."""
    generator = Generator()
    accounts, reference = crm_accounts()
    # Three reference accounts without open orders: two with completed orders only, one with none.
    without_open = sorted(generator.rng.sample(sorted(reference), 3))
    no_orders_at_all = without_open[0]
    partners: list[dict[str, Any]] = []
    orders: list[dict[str, Any]] = []
    for name in accounts:
        partner = generator.partner(name, "2", "customer")
        partners.append(partner)
        if name == no_orders_at_all:
            continue
        open_orders: bool | None = None
        if name in reference:
            open_orders = name not in without_open
        orders += generator.orders_for(partner, CURRENCIES.get(name, "USD"), open_orders=open_orders)
    for extra in EXTRA_PARTNERS:
        partner = generator.partner(extra["name"], extra["category"], extra["role"])
        partners.append(partner)
        if extra["role"] == "customer":
            orders += generator.orders_for(partner, extra["currency"], open_orders=True)
    orders.sort(key=lambda order: (order["CreationDate"], order["SoldToParty"], order["TotalNetAmount"]))
    number = 10_000_000
    for order in orders:
        number += generator.rng.randint(1, 40)  # other customers' orders take the numbers between
        order["SalesOrder"] = str(number)
    if not 220 <= len(orders) <= 290:
        raise RuntimeError(f"expected about 250 sales orders, generated {len(orders)}")
    header = {"base_date": BASE_DATE.isoformat(), "generated_by": "tools/generate_sap_data.py"}
    return {**header, "business_partners": partners}, {**header, "sales_orders": orders}


def render() -> dict[Path, str]:
    """Each output file's text."""
    partners, orders = generate()
    return {
        PARTNERS_OUTPUT: datafile.json_text(partners),
        ORDERS_OUTPUT: datafile.json_text(orders),
    }


def main(argv: list[str] | None = None) -> int:
    return datafile.main(render, argv, script=__file__, doc=__doc__)


if __name__ == "__main__":
    raise SystemExit(main())
