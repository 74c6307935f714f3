"""Generate the Salesforce sandbox's bundled opportunities (deterministic: same output every run).

The sandbox CRM answers agents from ``layers/sandbox/agentflow_sandbox/data/salesforce_opportunities.json``.
Its dates are written for ``BASE_YEAR``; the sandbox moves every year by (this year - BASE_YEAR) on
load, so "Q4 of this year" always has the reference workflow's deals: exactly 20 opportunities in a
Negotiation stage with an amount of at least 100,000 closing in Q4, plus near-miss decoys that a
wrong filter would pick up (Q3 and next year's Q1, 99,500, other stages, last year's Q4).

Every name is invented; every e-mail address uses a reserved example domain (RFC 2606/6761).

Usage::

    python tools/generate_sandbox_data.py          # rewrite the JSON file
    python tools/generate_sandbox_data.py --check  # fail if the file differs from what this writes
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

try:
    from tools import datafile
except ImportError:  # run as tools/<script>.py: tools/ is on sys.path
    import datafile  # type: ignore[no-redef]

BASE_YEAR = 2026
SEED = 20261001
BACKGROUND_COUNT = 266
OUTPUT = (
    Path(__file__).resolve().parents[1]
    / "layers/sandbox/agentflow_sandbox/data/salesforce_opportunities.json"
)

# Salesforce's default opportunity stages with their default probabilities.
STAGES: dict[str, int] = {
    "Prospecting": 10,
    "Qualification": 10,
    "Needs Analysis": 20,
    "Value Proposition": 50,
    "Id. Decision Makers": 60,
    "Perception Analysis": 70,
    "Proposal/Price Quote": 75,
    "Negotiation/Review": 90,
    "Closed Won": 100,
    "Closed Lost": 0,
}
OPEN_STAGE_WEIGHTS: dict[str, int] = {
    "Prospecting": 14,
    "Qualification": 14,
    "Needs Analysis": 12,
    "Value Proposition": 11,
    "Id. Decision Makers": 9,
    "Perception Analysis": 8,
    "Proposal/Price Quote": 10,
    "Negotiation/Review": 9,
}

REPS: list[tuple[str, str]] = [
    ("Maria Chen", "maria.chen@sales.example.com"),
    ("James Okafor", "james.okafor@sales.example.com"),
    ("Priya Raman", "priya.raman@sales.example.com"),
    ("Lukas Becker", "lukas.becker@sales.example.com"),
    ("Sofia Alvarez", "sofia.alvarez@sales.example.com"),
    ("Daniel Kim", "daniel.kim@sales.example.com"),
    ("Amara Nwosu", "amara.nwosu@sales.example.com"),
    ("Tom Whitaker", "tom.whitaker@sales.example.com"),
    ("Hannah Lindqvist", "hannah.lindqvist@sales.example.com"),
    ("Rahul Mehta", "rahul.mehta@sales.example.com"),
    ("Grace O'Connell", "grace.oconnell@sales.example.com"),
    ("Mateo Rossi", "mateo.rossi@sales.example.com"),
]

PRODUCTS: dict[str, list[str]] = {
    "Transportation": [
        "Fleet Analytics Platform",
        "Route Optimization Suite",
        "Carrier Portal Integration",
        "Telematics Data Hub",
    ],
    "Manufacturing": [
        "Predictive Maintenance Pilot",
        "MES Upgrade",
        "Plant Floor IoT Expansion",
        "Quality Analytics Platform",
    ],
    "Healthcare": [
        "Patient Engagement Portal",
        "Claims Automation",
        "Clinical Data Platform",
        "Care Coordination Suite",
    ],
    "Banking": [
        "Fraud Detection Expansion",
        "Customer 360 Implementation",
        "Regulatory Reporting Suite",
        "Digital Onboarding",
    ],
    "Retail": [
        "Omnichannel Commerce Upgrade",
        "Loyalty Platform Migration",
        "Demand Forecasting",
        "Store Operations Analytics",
    ],
    "Technology": [
        "Enterprise License Renewal",
        "Data Platform Migration",
        "Security Operations Add-on",
        "Developer Portal",
    ],
    "Energy": [
        "Grid Analytics Platform",
        "Field Service Mobility",
        "Meter Data Management",
        "Asset Performance Suite",
    ],
    "Education": ["Student Success Platform", "Campus Analytics", "Advancement CRM", "Learning Insights"],
    "Hospitality": [
        "Reservations Modernization",
        "Guest Experience Suite",
        "Revenue Management",
        "Loyalty Integration",
    ],
    "Insurance": [
        "Policy Admin Modernization",
        "Claims Triage Automation",
        "Agent Portal",
        "Underwriting Workbench",
    ],
    "Media": ["Subscriber Analytics", "Content Platform Renewal", "Ad Operations Suite", "Rights Management"],
    "Food & Beverage": [
        "Supply Chain Visibility",
        "Distributor Portal",
        "Traceability Platform",
        "Trade Promotion Analytics",
    ],
    "Telecommunications": [
        "Network Analytics",
        "Customer Care Automation",
        "Field Workforce Suite",
        "Billing Insights",
    ],
    "Construction": [
        "Project Controls Platform",
        "Equipment Tracking",
        "Bid Management Suite",
        "Site Safety Analytics",
    ],
}

# (account name, industry). Fictional: the classic sample companies plus invented ones.
ACCOUNTS: list[tuple[str, str]] = [
    ("Northwind Logistics", "Transportation"),
    ("Harborline Freight", "Transportation"),
    ("Tailspin Couriers", "Transportation"),
    ("Redwater Rail Services", "Transportation"),
    ("Consolidated Messenger", "Transportation"),
    ("Fabrikam Industrial", "Manufacturing"),
    ("Bluepeak Manufacturing", "Manufacturing"),
    ("Ironvale Components", "Manufacturing"),
    ("Kestrel Precision Works", "Manufacturing"),
    ("Adventure Works Cycles", "Manufacturing"),
    ("Proseware Plastics", "Manufacturing"),
    ("Lakeshore Health Partners", "Healthcare"),
    ("Trey Research Clinics", "Healthcare"),
    ("Meridian Valley Medical", "Healthcare"),
    ("Cedar Ridge Health System", "Healthcare"),
    ("Woodgrove Bank", "Banking"),
    ("Granite State Credit Union", "Banking"),
    ("Silverline Capital", "Banking"),
    ("Eastbrook Savings", "Banking"),
    ("Wide World Importers", "Retail"),
    ("Fourth Coffee", "Retail"),
    ("Brightleaf Home Goods", "Retail"),
    ("Maple & Finch Outfitters", "Retail"),
    ("Wingtip Toys", "Retail"),
    ("Contoso Software", "Technology"),
    ("Litware Systems", "Technology"),
    ("VanArsdel Data", "Technology"),
    ("Nimbus Ridge Networks", "Technology"),
    ("Quillfeather Analytics", "Technology"),
    ("City Power & Light", "Energy"),
    ("Prairie Wind Energy", "Energy"),
    ("Summit Gas & Electric", "Energy"),
    ("Tidewater Utilities", "Energy"),
    ("Graphic Design Institute", "Education"),
    ("Lakeside State University", "Education"),
    ("Westfield Community College", "Education"),
    ("Alpine Ski House", "Hospitality"),
    ("Margie's Travel", "Hospitality"),
    ("Coastal Crown Hotels", "Hospitality"),
    ("Humongous Insurance", "Insurance"),
    ("Keystone Mutual", "Insurance"),
    ("Bramblewood Assurance", "Insurance"),
    ("Lucerne Publishing", "Media"),
    ("Relecloud Media", "Media"),
    ("Oakhurst Broadcasting", "Media"),
    ("Coho Winery", "Food & Beverage"),
    ("Golden Furrow Foods", "Food & Beverage"),
    ("Riverbend Dairy Cooperative", "Food & Beverage"),
    ("Skyward Telecom", "Telecommunications"),
    ("Crestline Communications", "Telecommunications"),
    ("Portside Fiber", "Telecommunications"),
    ("Stonebridge Builders", "Construction"),
    ("Ashford Civil Group", "Construction"),
    ("Blackrock Mesa Contractors", "Construction"),
]

FIRST_NAMES = [
    "Olivia", "Ethan", "Aisha", "Noah", "Mei", "Lucas", "Fatima", "Liam", "Yuki", "Gabriel", "Zara",
    "Samuel", "Ingrid", "Diego", "Chloe", "Kwame", "Elena", "Arjun", "Nora", "Felix", "Leila", "Oscar",
    "Hana", "Victor", "Isabel", "Tariq", "Freya", "Marcus", "Ana", "Jonah", "Rosa", "Kenji",
]  # fmt: skip
LAST_NAMES = [
    "Patel", "Johansson", "Nakamura", "Okonkwo", "Fischer", "Moreau", "Haddad", "Novak", "Schmidt",
    "Castillo", "Sullivan", "Takahashi", "Mensah", "Kowalski", "Duarte", "Brennan", "Varga", "Lindgren",
    "Osei", "Romero", "Walsh", "Ivanova", "Delacroix", "Banerjee", "Horvat", "Adeyemi", "Quinn", "Sato",
]  # fmt: skip
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
DEAL_SUFFIXES = ["", "", "", " (Phase 2)", " Expansion", " Renewal", " Pilot to Production"]

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHECKSUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    industry: str
    contacts: tuple[tuple[str, str, str], ...]  # (name, email, title)


def salesforce_id(prefix: str, number: int) -> str:
    """An 18-character Salesforce-style id: key prefix, pod, record number, case checksum."""
    digits = ""
    for _ in range(9):
        number, rest = divmod(number, 62)
        digits = _BASE62[rest] + digits
    id15 = f"{prefix}5g0{digits}"
    suffix = ""
    for chunk in range(3):
        bits = sum(1 << i for i, char in enumerate(id15[chunk * 5 : chunk * 5 + 5]) if char.isupper())
        suffix += _CHECKSUM[bits]
    return id15 + suffix


def slug(name: str) -> str:
    kept = "".join(char.lower() if char.isalnum() else " " for char in name.replace("'", ""))
    return "-".join(kept.split())


def is_reference_match(record: dict[str, Any], year: int = BASE_YEAR) -> bool:
    """The reference workflow's filter: Negotiation stage, amount >= 100,000, close date in Q4."""
    close = date.fromisoformat(record["close_date"])
    return (
        record["stage"].lower().startswith("negotiation")
        and record["amount"] >= 100_000
        and date(year, 10, 1) <= close <= date(year, 12, 31)
    )


def random_date(rng: random.Random, start: date, end: date) -> date:
    return start + timedelta(days=rng.randint(0, (end - start).days))


def random_amount(rng: random.Random) -> float:
    # Log-uniform between 5k and 900k: many small deals, a few large ones, as in a real pipeline.
    value = 5_000 * (180 ** rng.random())
    step = 500 if value < 50_000 else 2_500 if value < 250_000 else 5_000
    return float(round(value / step) * step)


class Generator:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)  # noqa: S311 - reproducible sample data, not secrets
        self._next_number = 3_200_000_000
        self.accounts = [self._account(name, industry) for name, industry in ACCOUNTS]
        self.used_names: set[str] = set()

    def new_id(self, prefix: str) -> str:
        """The next record id: increasing, like ids the same org hands out over time."""
        self._next_number += self.rng.randint(1_000, 9_000_000)
        return salesforce_id(prefix, self._next_number)

    def _account(self, name: str, industry: str) -> Account:
        domain = f"{slug(name)}.example"
        contacts = []
        for _ in range(self.rng.randint(1, 3)):
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            email = f"{first.lower()}.{last.lower()}@{domain}"
            contacts.append((f"{first} {last}", email, self.rng.choice(TITLES)))
        return Account(self.new_id("001"), name, industry, tuple(contacts))

    def deal_name(self, account: Account) -> str:
        for _ in range(50):
            product = self.rng.choice(PRODUCTS[account.industry])
            name = f"{account.name} — {product}{self.rng.choice(DEAL_SUFFIXES)}"
            if name not in self.used_names:
                self.used_names.add(name)
                return name
        raise RuntimeError(f"ran out of deal names for {account.name}")

    def record(
        self,
        *,
        stage: str,
        amount: float,
        close_date: date,
        account: Account | None = None,
        owner: tuple[str, str] | None = None,
    ) -> dict[str, Any]:
        account = account or self.rng.choice(self.accounts)
        owner_name, owner_email = owner or self.rng.choice(REPS)
        contact_name, contact_email, _title = self.rng.choice(account.contacts)
        return {
            "id": "",  # assigned in generate(), after shuffling, so ids do not group the kinds
            "name": self.deal_name(account),
            "account_id": account.id,
            "account_name": account.name,
            "account_industry": account.industry,
            "amount": amount,
            "currency": "USD",
            "stage": stage,
            "close_date": close_date.isoformat(),
            "probability": STAGES[stage],
            "owner_name": owner_name,
            "owner_email": owner_email,
            "contact_name": contact_name,
            "contact_email": contact_email,
        }

    def reference_matches(self) -> list[dict[str, Any]]:
        """The 20 deals the reference workflow must find: Oct 1 and Dec 31 included, amounts over 100,000."""
        amounts = [
            101_000, 112_500, 118_000, 125_000, 137_500, 145_000, 160_000, 175_000, 189_500, 210_000,
            225_000, 248_000, 265_000, 290_000, 320_000, 355_000, 410_000, 475_000, 560_000, 685_000,
        ]  # fmt: skip
        q4_start = date(BASE_YEAR, 10, 1)
        closes = [q4_start, date(BASE_YEAR, 12, 31)]
        closes += [random_date(self.rng, q4_start, date(BASE_YEAR, 12, 31)) for _ in range(18)]
        self.rng.shuffle(amounts)
        accounts = self.rng.sample(self.accounts, 20)  # one per account: twenty different customers
        return [
            self.record(
                stage="Negotiation/Review",
                amount=float(amount),
                close_date=close,
                account=account,
                owner=REPS[index % len(REPS)],
            )
            for index, (amount, close, account) in enumerate(zip(amounts, closes, accounts, strict=True))
        ]

    def decoys(self) -> list[dict[str, Any]]:
        """Near misses: each fails exactly one condition of the reference filter."""
        y = BASE_YEAR
        specs: list[tuple[str, float, date]] = [
            ("Negotiation/Review", 250_000, date(y, 9, 30)),  # last day of Q3
            ("Negotiation/Review", 140_000, date(y, 8, 14)),  # Q3
            ("Negotiation/Review", 180_000, date(y + 1, 1, 1)),  # first day of next year's Q1
            ("Negotiation/Review", 320_000, date(y + 1, 2, 15)),  # next year's Q1
            ("Negotiation/Review", 150_000, date(y - 1, 11, 10)),  # last year's Q4
            ("Negotiation/Review", 99_500, date(y, 11, 14)),  # just under the amount
            ("Negotiation/Review", 99_999.99, date(y, 12, 1)),  # a cent under the amount
            ("Negotiation/Review", 95_000, date(y, 10, 20)),
            ("Proposal/Price Quote", 400_000, date(y, 11, 20)),  # the stage before Negotiation
            ("Proposal/Price Quote", 130_000, date(y, 10, 8)),
            ("Perception Analysis", 200_000, date(y, 12, 5)),
            ("Id. Decision Makers", 275_000, date(y, 10, 28)),
            ("Closed Won", 500_000, date(y, 10, 15)),  # already won
            ("Closed Lost", 150_000, date(y, 12, 10)),  # already lost
        ]
        return [self.record(stage=stage, amount=amount, close_date=close) for stage, amount, close in specs]

    def background(self, count: int) -> list[dict[str, Any]]:
        """A plausible pipeline around the interesting deals, none of which match the filter."""
        records: list[dict[str, Any]] = []
        while len(records) < count:
            if self.rng.random() < 0.3:
                stage = "Closed Won" if self.rng.random() < 0.45 else "Closed Lost"
                close = random_date(self.rng, date(BASE_YEAR - 1, 7, 1), date(BASE_YEAR, 11, 20))
            else:
                stage = self.rng.choices(list(OPEN_STAGE_WEIGHTS), weights=list(OPEN_STAGE_WEIGHTS.values()))[
                    0
                ]
                close = random_date(self.rng, date(BASE_YEAR, 6, 1), date(BASE_YEAR + 1, 9, 30))
            amount = random_amount(self.rng)
            if (
                stage == "Negotiation/Review"
                and amount >= 100_000
                and close.year == BASE_YEAR
                and close.month >= 10
            ):
                continue  # would be a 21st match
            records.append(self.record(stage=stage, amount=amount, close_date=close))
        return records


def generate() -> dict[str, Any]:
    """The whole data file, as a JSON-ready object."""
    generator = Generator()
    records = generator.reference_matches() + generator.decoys() + generator.background(BACKGROUND_COUNT)
    generator.rng.shuffle(records)
    for record in records:
        record["id"] = generator.new_id("006")
    matches = [record for record in records if is_reference_match(record)]
    if len(matches) != 20:
        raise RuntimeError(f"expected 20 reference matches, generated {len(matches)}")
    if any(record["close_date"].endswith("-02-29") for record in records):
        raise RuntimeError("no close date may fall on Feb 29: the sandbox shifts years")
    return {
        "base_year": BASE_YEAR,
        "generated_by": "tools/generate_sandbox_data.py",
        "opportunities": records,
    }


def render() -> str:
    return datafile.json_text(generate())


def main(argv: list[str] | None = None) -> int:
    return datafile.main(lambda: {OUTPUT: render()}, argv, script=__file__, doc=__doc__)


if __name__ == "__main__":
    raise SystemExit(main())
