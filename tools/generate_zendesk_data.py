"""Generate the Zendesk sandbox's bundled help desk (deterministic: same output every run).

The sandbox answers agents from ``layers/sandbox/agentflow_sandbox/data/zendesk_tickets.json``: one
organisation per account of the CRM sandbox (``salesforce_opportunities.json``, read here), the
CRM's contacts as end users (plus a few colleagues at the same domains), a support team of agents,
and ~150 tickets over the six months before ``BASE_DATE``. The sandbox moves every timestamp by
(today - BASE_DATE) on load, so the newest tickets are always from this week.

The support-escalation reference case: "Northwind Logistics" has exactly four unresolved tickets of
priority urgent or high (``status<solved priority:urgent priority:high``), next to near misses that
a wrong filter would pick up: a high ticket already solved, an urgent one closed, a normal and a
low one still open.

Every name is invented; every e-mail address uses a reserved example domain (RFC 2606/6761).

Usage::

    python tools/generate_zendesk_data.py          # rewrite the JSON file
    python tools/generate_zendesk_data.py --check  # fail if the file differs from what this writes
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

try:
    from tools import datafile
except ImportError:  # run as tools/<script>.py: tools/ is on sys.path
    import datafile  # type: ignore[no-redef]

BASE_DATE = date(2026, 6, 1)
SEED = 20260601
BACKGROUND_COUNT = 142
ROOT = Path(__file__).resolve().parents[1]
CRM_DATA = ROOT / "layers/sandbox/agentflow_sandbox/data/salesforce_opportunities.json"
OUTPUT = ROOT / "layers/sandbox/agentflow_sandbox/data/zendesk_tickets.json"
REFERENCE_ORGANIZATION = "Northwind Logistics"
UNRESOLVED = ("new", "open", "pending", "hold")

AGENTS: list[tuple[str, str]] = [
    ("Jordan Ellis", "jordan.ellis@support.example.com"),
    ("Keiko Tanaka", "keiko.tanaka@support.example.com"),
    ("Malik Johnson", "malik.johnson@support.example.com"),
    ("Sara Lindholm", "sara.lindholm@support.example.com"),
    ("Pedro Alves", "pedro.alves@support.example.com"),
    ("Nadia Rahman", "nadia.rahman@support.example.com"),
]

COLLEAGUE_FIRST = ["Avery", "Bianca", "Caleb", "Dana", "Emil", "Farah", "Gustav", "Ines", "Jamal", "Kira"]
COLLEAGUE_LAST = ["Hughes", "Lopez", "Meyer", "Nguyen", "Olsen", "Park", "Reyes", "Stone", "Tran", "Young"]

# (subject, detail, ticket type, tags, priority weights low/normal/high/urgent)
TOPICS: list[tuple[str, str, str, list[str], tuple[int, int, int, int]]] = [
    (
        "{product}: dashboards not loading since this morning",
        "Since about 8am every dashboard in {product} shows a spinner and never loads. Clearing the "
        "browser cache and trying another browser did not help.",
        "incident", ["dashboards", "availability"], (0, 3, 5, 3),
    ),
    (
        "SSO login failing with a SAML assertion error",
        "Users signing in through our identity provider get 'SAML assertion invalid'. Nothing changed "
        "on our side as far as we know; local accounts still work.",
        "problem", ["sso", "login"], (0, 2, 6, 2),
    ),
    (
        "API requests returning 429 Too Many Requests",
        "Our nightly sync against the {product} API started failing with HTTP 429 after a few hundred "
        "calls. We have not changed the job's volume.",
        "incident", ["api", "rate_limit"], (1, 5, 4, 1),
    ),
    (
        "Scheduled report emails not arriving",
        "The weekly operations report we schedule every Monday has not arrived for two weeks. The "
        "schedule still shows as active.",
        "incident", ["reports", "email"], (2, 6, 2, 0),
    ),
    (
        "CSV import fails with 'invalid encoding' on row 1",
        "Importing our customer list as CSV fails immediately with 'invalid encoding'. The file is "
        "UTF-8 exported from Excel.",
        "problem", ["import", "data"], (2, 6, 2, 0),
    ),
    (
        "Add 10 seats to our {product} subscription",
        "We are onboarding a new team next month. Please add 10 seats to our {product} subscription "
        "and send the updated quote.",
        "task", ["billing", "licenses"], (4, 6, 0, 0),
    ),
    (
        "Invoice shows duplicate line items",
        "Our latest invoice lists the {product} platform fee twice. Could you check and send a "
        "corrected invoice?",
        "question", ["billing", "invoice"], (3, 6, 1, 0),
    ),
    (
        "How do we configure role-based access for contractors?",
        "We want contractors to see only their own projects in {product}. Which roles and "
        "permissions should we set up?",
        "question", ["how_to", "permissions"], (6, 4, 0, 0),
    ),
    (
        "Webhook deliveries delayed by several hours",
        "Webhook events from {product} reach our endpoint three to five hours late since yesterday, "
        "which breaks our downstream automations.",
        "incident", ["webhooks", "integration"], (0, 3, 5, 2),
    ),
    (
        "{product} mobile app crashes on launch (Android 14)",
        "Since the last app update, the {product} app closes right after the splash screen on our "
        "Android 14 devices. iOS is fine.",
        "problem", ["mobile", "crash"], (0, 3, 5, 2),
    ),
    (
        "Need an audit log export for our SOC 2 review",
        "Our auditors need the admin audit log for the last twelve months. Is there a way to export it?",
        "task", ["audit", "compliance"], (3, 6, 1, 0),
    ),
    (
        "Salesforce sync errors: DUPLICATE_VALUE on account update",
        "The Salesforce connector logs DUPLICATE_VALUE errors on account updates, and about 40 "
        "accounts are out of sync.",
        "problem", ["integration", "salesforce_sync"], (1, 5, 4, 0),
    ),
    (
        "Performance degradation after the latest release",
        "Since the latest release, saving a record in {product} takes 10-15 seconds instead of under "
        "one. Our team is losing hours a day.",
        "incident", ["performance"], (0, 3, 5, 2),
    ),
    (
        "Password reset emails going to spam",
        "Password reset emails land in spam for most of our users. Could you share the sending "
        "domains so we can allow-list them?",
        "problem", ["email", "login"], (3, 6, 1, 0),
    ),
    (
        "Feature request: bulk edit in {product}",
        "It would save us a lot of time to edit the owner and status of many records at once in {product}.",
        "question", ["feature_request"], (7, 3, 0, 0),
    ),
    (
        "Data export stuck at 0% for large date ranges",
        "Exports of more than 90 days stay at 0% indefinitely. Smaller ranges finish in minutes.",
        "incident", ["export", "data"], (1, 5, 4, 0),
    ),
    (
        "Timestamps in exports are in the wrong time zone",
        "Exported timestamps are in UTC although our account is set to local time, so our reports "
        "are off by several hours.",
        "problem", ["export", "timezone"], (4, 6, 0, 0),
    ),
    (
        "Cannot upload attachments larger than 10 MB",
        "Uploading inspection reports larger than 10 MB fails with a generic error. Is there a limit "
        "we can raise?",
        "question", ["attachments"], (4, 6, 0, 0),
    ),
]  # fmt: skip

# The reference organisation's tickets: (subject, detail, type, tags, priority, status, days ago).
REFERENCE_TICKETS: list[tuple[str, str, str, list[str], str, str, float]] = [
    (
        "Shipment tracking API returning 502 errors for all carriers",
        "Every call to the shipment tracking API has returned 502 Bad Gateway since 06:10 UTC. "
        "Customer ETAs on our portal are frozen and our call center is overloaded.",
        "incident", ["api", "availability", "tracking"], "urgent", "open", 0.4,
    ),
    (
        "Telematics data feed delayed by more than 6 hours",
        "Vehicle telematics data in the Telematics Data Hub is more than six hours behind, so "
        "dispatchers cannot see where trucks are.",
        "incident", ["integration", "data_delay", "telematics"], "urgent", "hold", 1.8,
    ),
    (
        "Dispatcher SSO logins failing after IdP certificate rotation",
        "After we rotated our identity provider's signing certificate, dispatchers in the EU region "
        "cannot sign in. We uploaded the new certificate but still get 'signature invalid'.",
        "problem", ["sso", "login"], "high", "pending", 3.2,
    ),
    (
        "Route optimization jobs stuck in queue since last night",
        "Route optimization jobs submitted since 22:00 yesterday stay queued. Tomorrow's routes for "
        "140 drivers are not planned yet.",
        "incident", ["route_optimization", "jobs"], "high", "new", 0.2,
    ),
    (
        "Carrier portal showing stale ETAs",
        "The carrier portal showed ETAs from the day before; a cache flush on your side fixed it.",
        "incident", ["carrier_portal", "cache"], "high", "solved", 5.5,
    ),
    (
        "Driver mobile app completely unavailable",
        "The driver app could not reach the backend for two hours during the March release.",
        "incident", ["mobile", "availability"], "urgent", "closed", 48.0,
    ),
    (
        "Add 15 dispatcher seats to Fleet Analytics Platform",
        "Please add 15 dispatcher seats to our Fleet Analytics Platform subscription from next month.",
        "task", ["billing", "licenses"], "normal", "open", 2.5,
    ),
    (
        "Question about exporting route history to CSV",
        "Is there a way to export a driver's route history for the last quarter as CSV?",
        "question", ["export", "how_to"], "low", "pending", 6.0,
    ),
]  # fmt: skip


@dataclass
class Organization:
    id: int
    name: str
    industry: str
    external_id: str
    domain: str
    products: list[str]
    users: list[dict[str, Any]] = field(default_factory=list)
    crm_user_ids: set[int] = field(default_factory=set)


def slug(name: str) -> str:
    kept = "".join(char.lower() if char.isalnum() else " " for char in name.replace("'", ""))
    return "-".join(kept.split())


def crm_accounts() -> dict[str, dict[str, Any]]:
    """The CRM sandbox's accounts: id, industry, contacts and products (from deal names), by name."""
    data = json.loads(CRM_DATA.read_text(encoding="utf-8"))
    accounts: dict[str, dict[str, Any]] = {}
    for deal in data["opportunities"]:
        account = accounts.setdefault(
            deal["account_name"],
            {"id": deal["account_id"], "industry": deal["account_industry"], "contacts": {}, "products": []},
        )
        if deal.get("contact_email"):
            account["contacts"][deal["contact_email"]] = deal["contact_name"]
        product = deal["name"].split(" — ", 1)[-1]
        for suffix in (" (Phase 2)", " Expansion", " Renewal", " Pilot to Production"):
            product = product.removesuffix(suffix)
        if product not in account["products"]:
            account["products"].append(product)
    return accounts


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Generator:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)  # noqa: S311 - reproducible sample data, not secrets
        # Midnight of BASE_DATE: once moved to today, no ticket lies in the future, whatever the hour.
        self.end = datetime(BASE_DATE.year, BASE_DATE.month, BASE_DATE.day, tzinfo=UTC)
        self.agents = [
            {
                "id": 39_000_000_000_100 + 17 * n,
                "name": name,
                "email": email,
                "role": "agent",
                "organization_id": None,
            }
            for n, (name, email) in enumerate(AGENTS)
        ]
        self.organizations = self._organizations()

    def _organizations(self) -> list[Organization]:
        organizations = []
        next_user = 40_000_000_000_000
        for n, (name, account) in enumerate(sorted(crm_accounts().items())):
            org = Organization(
                id=38_000_000_000_000 + 1_000 * n + self.rng.randint(1, 999),
                name=name,
                industry=account["industry"],
                external_id=account["id"],
                domain=f"{slug(name)}.example",
                products=sorted(account["products"]),
            )
            people = list(account["contacts"].items())
            # One or two colleagues beside the CRM contacts: support hears from more people than sales.
            for _ in range(self.rng.randint(1, 2)):
                first, last = self.rng.choice(COLLEAGUE_FIRST), self.rng.choice(COLLEAGUE_LAST)
                email = f"{first.lower()}.{last.lower()}@{org.domain}"
                if email not in account["contacts"]:
                    people.append((email, f"{first} {last}"))
            for email, person in people:
                next_user += self.rng.randint(1_000, 90_000)
                org.users.append(
                    {
                        "id": next_user,
                        "name": person,
                        "email": email,
                        "role": "end-user",
                        "organization_id": org.id,
                    }
                )
                if email in account["contacts"]:
                    org.crm_user_ids.add(next_user)
            organizations.append(org)
        return organizations

    def requester(self, org: Organization) -> dict[str, Any]:
        # The CRM's contacts raise most tickets; their colleagues the rest.
        crm = [user for user in org.users if user["id"] in org.crm_user_ids]
        return self.rng.choice(crm if crm and self.rng.random() < 0.7 else org.users)

    def status(self, age_days: float) -> str:
        if age_days < 7:
            weights = {"new": 15, "open": 40, "pending": 25, "hold": 5, "solved": 15}
        elif age_days < 30:
            weights = {"open": 15, "pending": 12, "hold": 5, "solved": 60, "closed": 8}
        else:
            weights = {"open": 3, "pending": 2, "solved": 30, "closed": 65}
        return self.rng.choices(list(weights), weights=list(weights.values()))[0]

    def ticket(
        self,
        org: Organization,
        *,
        subject: str,
        detail: str,
        kind: str,
        tags: list[str],
        priority: str | None,
        status: str,
        age_days: float,
    ) -> dict[str, Any]:
        requester = self.requester(org)
        created = self.end - timedelta(days=age_days)
        if status in ("solved", "closed"):
            updated = created + timedelta(hours=self.rng.uniform(2, min(age_days * 24, 24 * 12)))
        else:
            updated = created + timedelta(hours=self.rng.uniform(0, min(age_days * 24, 48)))
        first = requester["name"].split()[0]
        return {
            "id": 0,  # assigned after sorting by creation time, so ids grow with time as in Zendesk
            "subject": subject,
            "description": f"Hi team,\n\n{detail}\n\nThanks,\n{first}",
            "status": status,
            "priority": priority,
            "type": kind,
            "organization_id": org.id,
            "requester_id": requester["id"],
            "assignee_id": None if status == "new" else self.rng.choice(self.agents)["id"],
            "tags": tags,
            "via": self.rng.choice(["email", "email", "web", "web", "api"]),
            "created_at": timestamp(created),
            "updated_at": timestamp(min(updated, self.end)),
        }

    def reference_tickets(self) -> list[dict[str, Any]]:
        org = next(o for o in self.organizations if o.name == REFERENCE_ORGANIZATION)
        return [
            self.ticket(org, subject=s, detail=d, kind=k, tags=t, priority=p, status=st, age_days=age)
            for s, d, k, t, p, st, age in REFERENCE_TICKETS
        ]

    def background(self, count: int) -> list[dict[str, Any]]:
        tickets: list[dict[str, Any]] = []
        while len(tickets) < count:
            org = self.rng.choice(self.organizations)
            subject, detail, kind, tags, weights = self.rng.choice(TOPICS)
            # Many tickets are young: a help desk's queue is mostly this month's work.
            age = self.rng.choice([self.rng.uniform(0.1, 14), self.rng.uniform(0.1, 180)])
            status = self.status(age)
            priority = (
                None
                if self.rng.random() < 0.04
                else self.rng.choices(["low", "normal", "high", "urgent"], weights=weights)[0]
            )
            if org.name == REFERENCE_ORGANIZATION and status in UNRESOLVED and priority in ("urgent", "high"):
                continue  # would be a fifth reference match
            product = self.rng.choice(org.products) if org.products else "the platform"
            tickets.append(
                self.ticket(
                    org,
                    subject=subject.format(product=product),
                    detail=detail.format(product=product),
                    kind=kind,
                    tags=list(tags),
                    priority=priority,
                    status=status,
                    age_days=age,
                )
            )
        return tickets


def is_reference_match(ticket: dict[str, Any], org_id: int) -> bool:
    """The reference search: unresolved, urgent or high, of the reference organisation."""
    return (
        ticket["organization_id"] == org_id
        and ticket["status"] in UNRESOLVED
        and ticket["priority"] in ("urgent", "high")
    )


def generate() -> dict[str, Any]:
    """The whole data file, as a JSON-ready object."""
    generator = Generator()
    tickets = generator.reference_tickets() + generator.background(BACKGROUND_COUNT)
    tickets.sort(key=lambda ticket: ticket["created_at"])
    next_id = 18_240
    for ticket in tickets:
        next_id += generator.rng.randint(1, 6)  # other customers' tickets take the ids between
        ticket["id"] = next_id
    reference = next(o for o in generator.organizations if o.name == REFERENCE_ORGANIZATION)
    matches = [ticket for ticket in tickets if is_reference_match(ticket, reference.id)]
    if len(matches) != 4:
        raise RuntimeError(f"expected 4 reference matches, generated {len(matches)}")
    return {
        "base_date": BASE_DATE.isoformat(),
        "generated_by": "tools/generate_zendesk_data.py",
        "organizations": [
            {
                "id": org.id,
                "name": org.name,
                "external_id": org.external_id,
                "domain_names": [org.domain],
                "tags": [slug(org.industry).replace("-", "_")],
            }
            for org in generator.organizations
        ],
        "users": generator.agents + [user for org in generator.organizations for user in org.users],
        "tickets": tickets,
    }


def render() -> str:
    return datafile.json_text(generate())


def main(argv: list[str] | None = None) -> int:
    return datafile.main(lambda: {OUTPUT: render()}, argv, script=__file__, doc=__doc__)


if __name__ == "__main__":
    raise SystemExit(main())
