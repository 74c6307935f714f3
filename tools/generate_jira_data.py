"""Generate the Jira sandbox's bundled issues (deterministic: same output every run).

The sandbox Jira answers JQL searches from ``layers/sandbox/agentflow_sandbox/data/jira_issues.json``:
three projects that line up with the CRM sandbox (``salesforce_opportunities.json``, read here so
the two cannot drift apart):

- ``SALES`` (Sales Operations): deal tasks assigned to the deals' owners, two for each of the 20
  reference deals (Negotiation, >= 100,000, closing in Q4) and one for other open deals.
- ``ONB`` (Onboarding): customer onboarding for Closed Won deals, and new-hire onboarding for
  sales and support staff; exactly 142 issues, so the next one created is ONB-143.
- ``SUP`` (Customer Support): customer problems reported by the accounts' CRM contacts.

Timestamps are written for ``BASE_DATE``; the sandbox moves them by (today - BASE_DATE) days on
load, so "created in the last week" always finds something. Every name is invented; every e-mail
address uses a reserved example domain.

Usage::

    python tools/generate_jira_data.py          # rewrite the JSON file
    python tools/generate_jira_data.py --check  # fail if the file differs from what this writes
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

BASE_DATE = date(2026, 6, 1)
SEED = 20260601
DATA_DIR = Path(__file__).resolve().parents[1] / "layers/sandbox/agentflow_sandbox/data"
CRM_DATA = DATA_DIR / "salesforce_opportunities.json"
OUTPUT = DATA_DIR / "jira_issues.json"
ONB_COUNT = 142
SUP_COUNT = 118
OTHER_OPEN_DEALS = 24
FIRST_ISSUE_ID = 10_001

PROJECTS: dict[str, dict[str, str]] = {
    "SALES": {"name": "Sales Operations", "lead": "Maria Chen"},
    "ONB": {"name": "Onboarding", "lead": "Nadia Petrova"},
    "SUP": {"name": "Customer Support", "lead": "Owen Gallagher"},
}
# The status categories Jira files each status under (JQL ``statusCategory``).
STATUS_CATEGORIES: dict[str, str] = {
    "To Do": "To Do",
    "In Progress": "In Progress",
    "In Review": "In Progress",
    "Waiting for customer": "In Progress",
    "Done": "Done",
}
PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")

ONBOARDING_STAFF: list[tuple[str, str]] = [
    ("Nadia Petrova", "nadia.petrova@corp.example.com"),
    ("Tobias Engel", "tobias.engel@corp.example.com"),
    ("Keiko Arai", "keiko.arai@corp.example.com"),
]
SUPPORT_STAFF: list[tuple[str, str]] = [
    ("Owen Gallagher", "owen.gallagher@support.example.com"),
    ("Ines Carvalho", "ines.carvalho@support.example.com"),
    ("Ravi Shankar", "ravi.shankar@support.example.com"),
    ("Zofia Wrobel", "zofia.wrobel@support.example.com"),
    ("Marcus Bell", "marcus.bell@support.example.com"),
]
HIRE_FIRST = [
    "Ava",
    "Kofi",
    "Lena",
    "Mason",
    "Nina",
    "Omar",
    "Pia",
    "Quentin",
    "Rhea",
    "Sami",
    "Talia",
    "Uri",
]
HIRE_LAST = ["Lindholm", "Mensah", "Okoro", "Petit", "Quist", "Rinaldi", "Sauer", "Tanaka", "Ueda", "Vance"]
HIRE_TITLES = [
    ("Account Executive", "sales"),
    ("Sales Development Representative", "sales"),
    ("Solutions Engineer", "sales"),
    ("Customer Success Manager", "support"),
    ("Support Engineer", "support"),
]

SALES_TASKS = [
    "Prepare pricing approval for {deal}",
    "Legal review of MSA redlines — {account}",
    "Security questionnaire for {account}",
    "Technical deep-dive with {contact} ({account})",
    "Draft order form for {deal}",
    "Executive sponsor call with {account}",
    "Procurement vendor registration — {account}",
]
CUSTOMER_ONBOARDING_TASKS = [
    "Customer onboarding kickoff: {deal}",
    "Configure SSO and user provisioning for {account}",
    "Data migration plan for {account}",
    "Admin training sessions for {account}",
]
HIRE_TASKS = [
    "Onboard {name} — {title}",
    "Provision laptop and accounts for {name}",
    "Grant CRM and support-desk access to {name}",
    "Schedule product training for {name}",
]
SUPPORT_PROBLEMS = [
    ("SSO login failures after IdP certificate rotation", "Bug"),
    ("Dashboard export times out for date ranges over 90 days", "Bug"),
    ("API returns 429 for the nightly integration sync", "Bug"),
    ("Invoice shows the wrong tax rate for the EU entity", "Task"),
    ("Data sync from the ERP delayed by several hours", "Bug"),
    ("Mobile app crashes when uploading photos on Android 14", "Bug"),
    ("Webhook deliveries failing with HTTP 410", "Bug"),
    ("Request: SCIM user provisioning for the new business unit", "Task"),
    ("Scheduled report e-mails not delivered", "Bug"),
    ("Password reset links expire immediately", "Bug"),
    ("Add a sandbox environment for the integration team", "Task"),
    ("Audit log export missing entries for admin actions", "Bug"),
    ("Renewal quote needed before contract end", "Task"),
    ("Slow search in the customer portal during business hours", "Bug"),
]


def slug(name: str) -> str:
    """A Jira label for an account: lower case, words joined by hyphens (labels cannot hold spaces)."""
    kept = "".join(char.lower() if char.isalnum() else " " for char in name.replace("'", ""))
    return "-".join(kept.split())


def quarter(iso_date: str) -> str:
    """The calendar quarter of a date, e.g. "Q4"."""
    return f"Q{(date.fromisoformat(iso_date).month - 1) // 3 + 1}"


def jira_timestamp(moment: datetime) -> str:
    """Jira's REST timestamp format, e.g. ``2026-05-14T09:32:00.000+0000``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000+0000")


class Generator:
    def __init__(self, crm: dict[str, Any]) -> None:
        self.rng = random.Random(SEED)  # noqa: S311 - reproducible sample data, not secrets
        self.deals: list[dict[str, Any]] = sorted(crm["opportunities"], key=lambda deal: deal["id"])
        self.issues: list[dict[str, Any]] = []

    def moment(self, days_back_max: int, days_back_min: int = 0) -> datetime:
        """A working-hours timestamp ``days_back_min``..``days_back_max`` days before BASE_DATE.

        Never on BASE_DATE itself: shifted to today, a time later than now would lie in the future.
        """
        day = BASE_DATE - timedelta(days=self.rng.randint(max(1, days_back_min), max(1, days_back_max)))
        return datetime(day.year, day.month, day.day, self.rng.randint(8, 17), self.rng.randint(0, 59))

    def status_for(self, created: datetime, *, statuses: tuple[str, ...]) -> str:
        # Older issues are more likely finished, as in a real tracker.
        age = (datetime(BASE_DATE.year, BASE_DATE.month, BASE_DATE.day) - created).days
        done_chance = min(0.85, age / 120)
        if self.rng.random() < done_chance:
            return "Done"
        return self.rng.choice([status for status in statuses if status != "Done"])

    def issue(
        self,
        *,
        project: str,
        issue_type: str,
        summary: str,
        description: str,
        created: datetime,
        statuses: tuple[str, ...],
        priority: str,
        assignee: tuple[str, str] | None,
        reporter: tuple[str, str],
        labels: list[str],
        duedate: date | None = None,
    ) -> dict[str, Any]:
        status = self.status_for(created, statuses=statuses)
        updated = created + timedelta(hours=self.rng.randint(1, 24 * 20))
        updated = min(updated, datetime(BASE_DATE.year, BASE_DATE.month, BASE_DATE.day))
        return {
            "key": "",  # numbered per project in creation order, in generate()
            "id": "",
            "project": project,
            "issue_type": issue_type,
            "summary": summary,
            "description": description,
            "status": status,
            "status_category": STATUS_CATEGORIES[status],
            "priority": priority,
            "assignee": {"name": assignee[0], "email": assignee[1]} if assignee else None,
            "reporter": {"name": reporter[0], "email": reporter[1]},
            "labels": sorted(labels),
            "created": jira_timestamp(created),
            "updated": jira_timestamp(max(updated, created)),
            "duedate": duedate.isoformat() if duedate else None,
        }

    def sales(self) -> None:
        """Deal tasks: two per reference deal, one for a sample of the other open deals."""
        reference = [
            deal
            for deal in self.deals
            if deal["stage"] == "Negotiation/Review"
            and deal["amount"] >= 100_000
            and date.fromisoformat(deal["close_date"]).year == BASE_DATE.year
            and date.fromisoformat(deal["close_date"]).month >= 10
        ]
        if len(reference) != 20:
            raise RuntimeError(f"expected the CRM's 20 reference deals, found {len(reference)}")
        reference_ids = {deal["id"] for deal in reference}
        others = [
            deal
            for deal in self.deals
            if deal["id"] not in reference_ids and not deal["stage"].startswith("Closed")
        ]
        chosen = [(deal, 2) for deal in reference]
        chosen += [(deal, 1) for deal in self.rng.sample(others, OTHER_OPEN_DEALS)]
        for deal, count in chosen:
            for template in self.rng.sample(SALES_TASKS, count):
                created = self.moment(100)
                amount = f"${deal['amount']:,.0f}"
                self.issues.append(
                    self.issue(
                        project="SALES",
                        issue_type="Task",
                        summary=template.format(
                            deal=deal["name"], account=deal["account_name"], contact=deal["contact_name"]
                        ),
                        # No calendar dates in text: the CRM moves by years, this data by days.
                        description=(
                            f"Opportunity {deal['id']} ({deal['name']}), {amount}, stage "
                            f"{deal['stage']}, closing in {quarter(deal['close_date'])}. Customer "
                            f"contact: {deal['contact_name']} <{deal['contact_email']}>."
                        ),
                        created=created,
                        statuses=("To Do", "In Progress", "In Review", "Done"),
                        priority="High" if deal["amount"] >= 250_000 else self.rng.choice(["High", "Medium"]),
                        assignee=(deal["owner_name"], deal["owner_email"]),
                        reporter=(deal["owner_name"], deal["owner_email"]),
                        labels=["deal", slug(deal["account_name"])],
                    )
                )

    def onboarding(self) -> None:
        """Customer onboarding for won deals and new-hire onboarding, ONB_COUNT issues in all."""
        won = [deal for deal in self.deals if deal["stage"] == "Closed Won"]
        for deal in won:
            for template in self.rng.sample(CUSTOMER_ONBOARDING_TASKS, 2):
                created = self.moment(170, 5)
                lead = self.rng.choice(ONBOARDING_STAFF)
                self.issues.append(
                    self.issue(
                        project="ONB",
                        issue_type="Task",
                        summary=template.format(deal=deal["name"], account=deal["account_name"]),
                        description=(
                            f"Closed Won opportunity {deal['id']} ({deal['name']}). Customer contact: "
                            f"{deal['contact_name']} <{deal['contact_email']}>; account owner "
                            f"{deal['owner_name']}."
                        ),
                        created=created,
                        statuses=("To Do", "In Progress", "Done"),
                        priority=self.rng.choice(["High", "Medium", "Medium", "Low"]),
                        assignee=lead,
                        reporter=(deal["owner_name"], deal["owner_email"]),
                        labels=["customer-onboarding", slug(deal["account_name"])],
                    )
                )
        hires = sorted({(first, last) for first in HIRE_FIRST for last in HIRE_LAST})
        self.rng.shuffle(hires)
        reps = sorted({(deal["owner_name"], deal["owner_email"]) for deal in self.deals})
        hire_index = 0
        while sum(issue["project"] == "ONB" for issue in self.issues) < ONB_COUNT:
            first, last = hires[hire_index]
            hire_index += 1
            name = f"{first} {last}"
            title, team = self.rng.choice(HIRE_TITLES)
            manager = self.rng.choice(reps if team == "sales" else SUPPORT_STAFF)
            start = BASE_DATE + timedelta(days=self.rng.randint(-45, 40))
            created = self.moment(
                max(5, (BASE_DATE - start).days + 30), max(0, (BASE_DATE - start).days + 10)
            )
            remaining = ONB_COUNT - sum(issue["project"] == "ONB" for issue in self.issues)
            for template in HIRE_TASKS[:remaining]:
                self.issues.append(
                    self.issue(
                        project="ONB",
                        issue_type="Task",
                        summary=template.format(name=name, title=title),
                        description=(
                            f"New hire {name}, {title}; manager {manager[0]} <{manager[1]}>. "
                            "The start date is this issue's due date."
                        ),
                        created=created,
                        statuses=("To Do", "In Progress", "Done"),
                        priority="High" if start <= BASE_DATE + timedelta(days=7) else "Medium",
                        assignee=self.rng.choice(ONBOARDING_STAFF),
                        reporter=manager,
                        labels=["new-hire", team],
                        duedate=start,
                    )
                )

    def support(self) -> None:
        """Customer problems reported by the accounts' CRM contacts."""
        contacts = sorted(
            {(deal["account_name"], deal["contact_name"], deal["contact_email"]) for deal in self.deals}
        )
        for _ in range(SUP_COUNT):
            account, contact_name, contact_email = self.rng.choice(contacts)
            problem, issue_type = self.rng.choice(SUPPORT_PROBLEMS)
            created = self.moment(90)
            priority = self.rng.choices(PRIORITIES, weights=[1, 4, 8, 4, 1])[0]
            self.issues.append(
                self.issue(
                    project="SUP",
                    issue_type=issue_type,
                    summary=f"{account}: {problem}",
                    description=(
                        f"Reported by {contact_name} <{contact_email}> of {account}. {problem}. "
                        "Steps and logs are in the customer's message."
                    ),
                    created=created,
                    statuses=("To Do", "In Progress", "Waiting for customer", "Done"),
                    priority=priority,
                    assignee=self.rng.choice([*SUPPORT_STAFF, None]),
                    reporter=(contact_name, contact_email),
                    labels=["customer", slug(account)],
                )
            )

    def number(self) -> None:
        """Keys per project and ids across projects, both in creation order (as Jira hands them out)."""
        self.issues.sort(key=lambda issue: (issue["created"], issue["project"], issue["summary"]))
        counters = dict.fromkeys(PROJECTS, 0)
        for offset, issue in enumerate(self.issues):
            counters[issue["project"]] += 1
            issue["key"] = f"{issue['project']}-{counters[issue['project']]}"
            issue["id"] = str(FIRST_ISSUE_ID + offset)


def generate() -> dict[str, Any]:
    """The whole data file, as a JSON-ready object."""
    generator = Generator(json.loads(CRM_DATA.read_text(encoding="utf-8")))
    generator.sales()
    generator.onboarding()
    generator.support()
    generator.number()
    onb = sum(issue["project"] == "ONB" for issue in generator.issues)
    if onb != ONB_COUNT:
        raise RuntimeError(f"expected {ONB_COUNT} ONB issues, generated {onb}")
    return {
        "base_date": BASE_DATE.isoformat(),
        "generated_by": "tools/generate_jira_data.py",
        "projects": PROJECTS,
        "status_categories": STATUS_CATEGORIES,
        "issues": generator.issues,
    }


def render() -> str:
    return datafile.json_text(generate())


def main(argv: list[str] | None = None) -> int:
    return datafile.main(lambda: {OUTPUT: render()}, argv, script=__file__, doc=__doc__)


if __name__ == "__main__":
    raise SystemExit(main())
