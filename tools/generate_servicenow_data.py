"""Generate the ServiceNow sandbox's bundled incidents (deterministic: same output every run).

The sandbox answers query mode from ``layers/sandbox/agentflow_sandbox/data/servicenow_incidents.json``:
about thirty incidents over the three months before ``BASE_DATE``, raised for accounts of the CRM
sandbox (``salesforce_opportunities.json``, read here) by its contacts. Numbers run from INC0009001
and stay below INC0010001, where the sandbox numbers the incidents agents create. Values are stored
as the Table API's actual values (state "2", priority "1"); reference fields hold display names.
The sandbox moves every date by (today - BASE_DATE) on load.

Usage::

    python tools/generate_servicenow_data.py          # rewrite the JSON file
    python tools/generate_servicenow_data.py --check  # fail if the file differs from what this writes
"""

from __future__ import annotations

import json
import random
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

try:
    from tools import datafile
except ImportError:  # run as tools/<script>.py: tools/ is on sys.path
    import datafile  # type: ignore[no-redef]

BASE_DATE = date(2026, 6, 1)
SEED = 20260602
COUNT = 30
ROOT = Path(__file__).resolve().parents[1]
CRM_DATA = ROOT / "layers/sandbox/agentflow_sandbox/data/salesforce_opportunities.json"
OUTPUT = ROOT / "layers/sandbox/agentflow_sandbox/data/servicenow_incidents.json"
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"

PRIORITY_MATRIX = {
    ("1", "1"): "1", ("1", "2"): "2", ("1", "3"): "3",
    ("2", "1"): "2", ("2", "2"): "3", ("2", "3"): "4",
    ("3", "1"): "3", ("3", "2"): "4", ("3", "3"): "5",
}  # fmt: skip

# (short description, description, category, assignment group)
INCIDENTS: list[tuple[str, str, str, str]] = [
    (
        "Customer-facing API gateway returning intermittent 502s",
        "Gateway health checks flap every few minutes; customers see 502 responses on tracking and "
        "order endpoints.",
        "network",
        "Network",
    ),
    (
        "Integration cluster message backlog growing",
        "The integration message queue holds over 200,000 messages and consumers fall further behind.",
        "software",
        "Application Support",
    ),
    (
        "SAML single sign-on failing for a customer tenant",
        "SAML responses are rejected with 'signature invalid' after a certificate change on the "
        "customer's side.",
        "software",
        "Service Desk",
    ),
    (
        "Reporting database running out of disk space",
        "The reporting replica is at 94% disk usage; nightly jobs will fail when it fills.",
        "database",
        "Database",
    ),
    (
        "Scheduled report mailer stopped sending",
        "The report scheduler queues emails but the mail relay rejects them with 550 errors.",
        "software",
        "Application Support",
    ),
    (
        "VPN tunnel to customer data center down",
        "The site-to-site VPN to the customer's data center dropped and does not re-establish.",
        "network",
        "Network",
    ),
    (
        "Slow page loads after application release",
        "Median page load rose from 0.8 s to 6 s after the latest release.",
        "software",
        "Application Support",
    ),
    (
        "Webhook dispatcher workers crashing",
        "Webhook dispatcher pods restart every few minutes with out-of-memory errors.",
        "software",
        "Application Support",
    ),
    (
        "Data export jobs timing out",
        "Large export jobs exceed the 30-minute worker timeout and are retried endlessly.",
        "database",
        "Database",
    ),
    (
        "Laptop cannot connect to corporate Wi-Fi",
        "A customer success laptop fails 802.1X authentication after a password change.",
        "hardware",
        "Hardware",
    ),
    (
        "Mobile app push notifications not delivered",
        "Push notifications to Android devices stopped after the certificate renewal.",
        "software",
        "Application Support",
    ),
    (
        "Database replication lag above threshold",
        "Replication lag on the primary cluster exceeds 15 minutes during peak hours.",
        "database",
        "Database",
    ),
    (
        "Request for new integration service account",
        "The customer's integration team needs a service account with API access.",
        "inquiry",
        "Service Desk",
    ),
    (
        "Firewall rule blocking partner SFTP uploads",
        "A partner's SFTP uploads are blocked since the firewall change window.",
        "network",
        "Network",
    ),
]
CONTACT_TYPES = ["email", "phone", "self-service"]


def crm_accounts() -> dict[str, list[str]]:
    """The CRM sandbox's account names with their contacts' names."""
    data = json.loads(CRM_DATA.read_text(encoding="utf-8"))
    accounts: dict[str, list[str]] = {}
    for deal in data["opportunities"]:
        contacts = accounts.setdefault(deal["account_name"], [])
        if deal.get("contact_name") and deal["contact_name"] not in contacts:
            contacts.append(deal["contact_name"])
    return accounts


def generate() -> dict[str, Any]:
    """The whole data file, as a JSON-ready object."""
    rng = random.Random(SEED)  # noqa: S311 - reproducible sample data, not secrets
    accounts = crm_accounts()
    names = sorted(accounts)
    end = datetime(BASE_DATE.year, BASE_DATE.month, BASE_DATE.day, tzinfo=UTC)
    records: list[dict[str, Any]] = []
    for n in range(COUNT):
        # The first two belong to the support-escalation reference account, so it has history.
        company = "Northwind Logistics" if n < 2 else rng.choice(names)
        short, long, category, group = INCIDENTS[n % len(INCIDENTS)]
        age = rng.choice([rng.uniform(0.2, 20), rng.uniform(0.2, 90)])  # half of them recent
        opened = end - timedelta(days=age)
        state = rng.choice(["6", "7", "7", "8"]) if age > 20 else rng.choice(["1", "2", "2", "3", "6"])
        urgency, impact = rng.choice("123"), rng.choice("123")
        updated = opened + timedelta(hours=rng.uniform(0.5, min(age * 24, 24 * 10)))
        record = {
            "sys_id": f"{rng.getrandbits(128):032x}",
            "number": "",
            "short_description": short,
            "description": long,
            "state": state,
            "active": "true" if state in ("1", "2", "3") else "false",
            "urgency": urgency,
            "impact": impact,
            "priority": PRIORITY_MATRIX[(urgency, impact)],
            "company": company,
            "caller_id": rng.choice(accounts[company]),
            "assignment_group": group,
            "category": category,
            "contact_type": rng.choice(CONTACT_TYPES),
            "opened_at": opened.strftime(TIME_FORMAT),
            "sys_created_on": opened.strftime(TIME_FORMAT),
            "sys_updated_on": min(updated, end).strftime(TIME_FORMAT),
            "correlation_id": "",
        }
        if state in ("6", "7"):
            record["resolved_at"] = min(updated, end).strftime(TIME_FORMAT)
        records.append(record)
    records.sort(key=lambda record: record["opened_at"])
    number = 9_000
    for record in records:
        number += rng.randint(1, 30)
        record["number"] = f"INC{number:07d}"
    if number >= 10_001:
        raise RuntimeError("bundled numbers must stay below INC0010001, where created incidents start")
    return {
        "base_date": BASE_DATE.isoformat(),
        "generated_by": "tools/generate_servicenow_data.py",
        "incidents": records,
    }


def render() -> str:
    return datafile.json_text(generate())


def main(argv: list[str] | None = None) -> int:
    return datafile.main(lambda: {OUTPUT: render()}, argv, script=__file__, doc=__doc__)


if __name__ == "__main__":
    raise SystemExit(main())
