"""Generate the HubSpot sandbox portal (deterministic: same output every run).

The sandbox HubSpot answers agents from ``layers/sandbox/agentflow_sandbox/data/hubspot_crm.json``. It is
the same company as the Salesforce sandbox, seen through HubSpot: its accounts are the companies,
its opportunity contacts are the contacts (plus a few leads with no deal yet), its reps are the
owners, and about 200 of its opportunities are the deals, with the same names, amounts, close dates
and owners. Every Negotiation/Review and Proposal/Price Quote opportunity is among them, so the
reference request ("Q4 deals over $100K in Negotiation") finds the same 20 deals in both CRMs, and
the near-miss decoys are here too.

Stages map onto one "Sales Pipeline": HubSpot's default stages plus a custom "Negotiation" stage
(custom stages get numeric ids). Dates are written for ``BASE_YEAR``; the sandbox moves them by
(this year - BASE_YEAR) on load. Close dates are 05:00 UTC: midnight in a US-Eastern portal.

Usage::

    python tools/generate_hubspot_data.py          # rewrite the JSON file
    python tools/generate_hubspot_data.py --check  # fail if the file differs from what this writes
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

try:
    from tools import datafile
except ImportError:  # run as tools/<script>.py: tools/ is on sys.path
    import datafile  # type: ignore[no-redef]

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "layers/sandbox/agentflow_sandbox/data/salesforce_opportunities.json"
OUTPUT = ROOT / "layers/sandbox/agentflow_sandbox/data/hubspot_crm.json"
SEED = 20261002
DEAL_COUNT = 200
PORTAL_ID = 48213907
NEGOTIATION_STAGE_ID = "158932007"

# (id, label, probability, closed); HubSpot's default deal stages plus one custom stage.
STAGES: list[tuple[str, str, str, bool]] = [
    ("appointmentscheduled", "Appointment Scheduled", "0.2", False),
    ("qualifiedtobuy", "Qualified To Buy", "0.4", False),
    ("presentationscheduled", "Presentation Scheduled", "0.6", False),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", False),
    ("contractsent", "Contract Sent", "0.9", False),
    (NEGOTIATION_STAGE_ID, "Negotiation", "0.9", False),
    ("closedwon", "Closed Won", "1.0", True),
    ("closedlost", "Closed Lost", "0.0", True),
]
# Salesforce stage → HubSpot stage id: the nearest step of the same sales motion.
STAGE_MAP = {
    "Prospecting": "appointmentscheduled",
    "Qualification": "qualifiedtobuy",
    "Needs Analysis": "qualifiedtobuy",
    "Value Proposition": "presentationscheduled",
    "Id. Decision Makers": "decisionmakerboughtin",
    "Perception Analysis": "decisionmakerboughtin",
    "Proposal/Price Quote": "contractsent",
    "Negotiation/Review": NEGOTIATION_STAGE_ID,
    "Closed Won": "closedwon",
    "Closed Lost": "closedlost",
}
ALWAYS_KEPT = ("Negotiation/Review", "Proposal/Price Quote")

# HubSpot's industry property takes LinkedIn's industry names as enum values.
INDUSTRIES = {
    "Transportation": "TRANSPORTATION_TRUCKING_RAILROAD",
    "Manufacturing": "MACHINERY",
    "Healthcare": "HOSPITAL_HEALTH_CARE",
    "Banking": "BANKING",
    "Retail": "RETAIL",
    "Technology": "COMPUTER_SOFTWARE",
    "Energy": "UTILITIES",
    "Education": "HIGHER_EDUCATION",
    "Hospitality": "HOSPITALITY",
    "Insurance": "INSURANCE",
    "Media": "BROADCAST_MEDIA",
    "Food & Beverage": "FOOD_BEVERAGES",
    "Telecommunications": "TELECOMMUNICATIONS",
    "Construction": "CONSTRUCTION",
}
TITLES = [
    "VP Operations",
    "Director of IT",
    "CIO",
    "Head of Procurement",
    "CFO",
    "VP Sales",
    "COO",
    "Director of Analytics",
]
LEAD_FIRST_NAMES = ["Iris", "Mateus", "Selin", "Bruno", "Keiko", "Omar", "Lena", "Pavel", "Nadia", "Hugo"]
LEAD_LAST_NAMES = [
    "Ferreira", "Yilmaz", "Lund", "Ahmed", "Kovac", "Bauer", "Ortega", "Mori", "Nilsen", "Rossi",
]  # fmt: skip
LEAD_STAGES = ["lead", "marketingqualifiedlead", "subscriber"]
NEXT_STEPS = [
    "Send revised pricing",
    "Schedule security review",
    "Confirm legal redlines",
    "Book executive sponsor call",
    "Share implementation plan",
    "Agree on pilot success criteria",
    None,
    None,
]


def slug(name: str) -> str:
    kept = "".join(char.lower() if char.isalnum() else " " for char in name.replace("'", ""))
    return "-".join(kept.split())


def moment(day: date, hour: int = 5, minute: int = 0) -> str:
    return f"{datetime(day.year, day.month, day.day, hour, minute):%Y-%m-%dT%H:%M:%S}Z"


class Ids:
    """Increasing HubSpot-like numeric ids, as one portal hands them out over time."""

    def __init__(self, rng: random.Random, start: int, step: tuple[int, int]) -> None:
        self.rng, self.value, self.step = rng, start, step

    def next(self) -> str:
        self.value += self.rng.randint(*self.step)
        return str(self.value)


def pipelines() -> list[dict[str, Any]]:
    return [
        {
            "id": "default",
            "label": "Sales Pipeline",
            "displayOrder": 0,
            "archived": False,
            "stages": [
                {
                    "id": stage_id,
                    "label": label,
                    "displayOrder": order,
                    "archived": False,
                    "metadata": {"isClosed": "true" if closed else "false", "probability": probability},
                }
                for order, (stage_id, label, probability, closed) in enumerate(STAGES)
            ],
        }
    ]


def select_deals(rng: random.Random, opportunities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every Negotiation and Proposal opportunity, then a seeded sample of the rest up to DEAL_COUNT."""
    kept = [o for o in opportunities if o["stage"] in ALWAYS_KEPT]
    rest = sorted((o for o in opportunities if o["stage"] not in ALWAYS_KEPT), key=lambda o: o["id"])
    chosen = kept + rng.sample(rest, DEAL_COUNT - len(kept))
    return sorted(chosen, key=lambda o: o["id"])  # Salesforce ids grow with time, like HubSpot's


def generate() -> dict[str, Any]:
    """The whole data file, as a JSON-ready object."""
    source = json.loads(SOURCE.read_text(encoding="utf-8"))
    opportunities: list[dict[str, Any]] = source["opportunities"]
    rng = random.Random(SEED)  # noqa: S311 - reproducible sample data, not secrets

    owner_ids = Ids(rng, 41_630_000, (1_000, 90_000))
    owners = []
    owner_by_email: dict[str, str] = {}
    for name, email in sorted({(o["owner_name"], o["owner_email"]) for o in opportunities}):
        first, _, last = name.partition(" ")
        owner_id = owner_ids.next()
        owner_by_email[email] = owner_id
        owners.append(
            {
                "id": owner_id,
                "email": email,
                "firstName": first,
                "lastName": last,
                "userId": int(owner_id) % 10_000_000 + 9_000_000,
                "archived": False,
            }
        )

    accounts = sorted({(o["account_name"], o["account_industry"]) for o in opportunities})
    won = {o["account_name"] for o in opportunities if o["stage"] == "Closed Won"}
    open_ = {o["account_name"] for o in opportunities if not o["stage"].startswith("Closed")}
    company_ids = Ids(rng, 9_100_000_000, (1_000, 900_000))
    companies = []
    company_by_name: dict[str, str] = {}
    for name, industry in accounts:
        company_id = company_ids.next()
        company_by_name[name] = company_id
        stage = "customer" if name in won else "opportunity" if name in open_ else "salesqualifiedlead"
        companies.append(
            {
                "id": company_id,
                "properties": {
                    "name": name,
                    "domain": f"{slug(name)}.example",
                    "industry": INDUSTRIES[industry],
                    "lifecyclestage": stage,
                },
            }
        )

    contact_ids = Ids(rng, 51_200_000_000, (1_000, 5_000_000))
    contacts = []
    contact_by_email: dict[str, str] = {}
    people = sorted({(o["account_name"], o["contact_name"], o["contact_email"]) for o in opportunities})
    for account, name, email in people:
        first, _, last = name.partition(" ")
        contact_id = contact_ids.next()
        contact_by_email[email] = contact_id
        stage = "customer" if account in won else "opportunity" if account in open_ else "salesqualifiedlead"
        contacts.append(
            _contact(contact_id, first, last, email, rng.choice(TITLES), stage, account, company_by_name)
        )
    # Leads with no deal yet: contacts that only a contact search (lifecycle stage, domain) finds.
    for account, _industry in accounts:
        for _ in range(rng.choice([0, 0, 1, 2])):
            first, last = rng.choice(LEAD_FIRST_NAMES), rng.choice(LEAD_LAST_NAMES)
            email = f"{first.lower()}.{last.lower()}@{slug(account)}.example"
            if email in contact_by_email:
                continue
            contact_id = contact_ids.next()
            contact_by_email[email] = contact_id
            title, stage = rng.choice(TITLES), rng.choice(LEAD_STAGES)
            contacts.append(_contact(contact_id, first, last, email, title, stage, account, company_by_name))
    contacts.sort(key=lambda c: int(c["id"]))

    deal_ids = Ids(rng, 18_900_000_000, (10_000, 40_000_000))
    probabilities = {stage_id: probability for stage_id, _, probability, _ in STAGES}
    deals = []
    for opportunity in select_deals(rng, opportunities):
        stage_id = STAGE_MAP[opportunity["stage"]]
        closes = date.fromisoformat(opportunity["close_date"])
        created = closes - timedelta(days=rng.randint(45, 240))
        name = opportunity["name"]
        properties: dict[str, Any] = {
            "dealname": name,
            "amount": format(opportunity["amount"], "f").rstrip("0").rstrip("."),
            "dealstage": stage_id,
            "pipeline": "default",
            "closedate": moment(closes),
            "createdate": moment(created, rng.randint(13, 22), rng.randint(0, 59)),
            "hubspot_owner_id": owner_by_email[opportunity["owner_email"]],
            "deal_currency_code": opportunity["currency"],
            "hs_deal_stage_probability": probabilities[stage_id],
            "dealtype": "existingbusiness" if ("Renewal" in name or "Expansion" in name) else "newbusiness",
            "hs_next_step": None if stage_id.startswith("closed") else rng.choice(NEXT_STEPS),
        }
        deals.append(
            {
                "id": deal_ids.next(),
                "properties": properties,
                "associations": {
                    "companies": [company_by_name[opportunity["account_name"]]],
                    "contacts": [contact_by_email[opportunity["contact_email"]]],
                },
            }
        )
    if any(d["properties"]["closedate"][5:10] == "02-29" for d in deals):
        raise RuntimeError("no close date may fall on Feb 29: the sandbox shifts years")
    return {
        "base_year": source["base_year"],
        "generated_by": "tools/generate_hubspot_data.py",
        "portal_id": PORTAL_ID,
        "pipelines": pipelines(),
        "owners": owners,
        "companies": companies,
        "contacts": contacts,
        "deals": deals,
    }


def _contact(
    contact_id: str,
    first: str,
    last: str,
    email: str,
    title: str,
    stage: str,
    account: str,
    company_by_name: dict[str, str],
) -> dict[str, Any]:
    return {
        "id": contact_id,
        "properties": {
            "firstname": first,
            "lastname": last,
            "email": email,
            "hs_email_domain": email.rpartition("@")[2],
            "jobtitle": title,
            "lifecyclestage": stage,
            "company": account,
            "associatedcompanyid": company_by_name[account],
        },
    }


def render() -> str:
    return datafile.json_text(generate())


def main(argv: list[str] | None = None) -> int:
    return datafile.main(lambda: {OUTPUT: render()}, argv, script=__file__, doc=__doc__)


if __name__ == "__main__":
    raise SystemExit(main())
