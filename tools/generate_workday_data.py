"""Generate the Workday sandbox's bundled tenant (deterministic: same output every run).

The sandbox HR system answers agents from two files under ``layers/sandbox/agentflow_sandbox/data/``:

- ``workday_workers.json``: supervisory organizations (Executive Office, Sales, Customer Success,
  Engineering, Finance, People) and ~120 workers with title, manager, location and hire date;
- ``workday_time_off.json``: time-off entries (vacation, sick, personal days) around the base date.

Dates are written relative to ``BASE_DATE``; the sandbox moves every date by (today - BASE_DATE) days
on load, so "hires starting in the next 30 days" always has people in it: hires 3 to 30 days after
the base date, hires in the 30 days before it, and near misses on both sides (31+ days away).

Coherence with the CRM sandbox: the twelve sales reps who own the opportunities in
``salesforce_opportunities.json`` are workers of the Sales organization with the same names and
e-mail addresses, so a CRM deal's owner can be looked up in Workday (manager, time off).
Every name is invented; every e-mail address uses a reserved example domain (RFC 2606/6761).

Usage::

    python tools/generate_workday_data.py          # rewrite the JSON files
    python tools/generate_workday_data.py --check  # fail if the files differ from what this writes
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

try:
    from tools import datafile
except ImportError:  # run as tools/<script>.py: tools/ is on sys.path
    import datafile  # type: ignore[no-redef]

BASE_DATE = date(2026, 3, 2)
SEED = 20260302
DATA_DIR = Path(__file__).resolve().parents[1] / "layers/sandbox/agentflow_sandbox/data"
WORKERS_OUTPUT = DATA_DIR / "workday_workers.json"
TIME_OFF_OUTPUT = DATA_DIR / "workday_time_off.json"
CRM_DATA = DATA_DIR / "salesforce_opportunities.json"

SALES_DOMAIN = "sales.example.com"
PEOPLE_DOMAIN = "people.example.com"

# (name, code) of each supervisory organization; the first one is the top of the hierarchy.
ORGANIZATIONS: list[tuple[str, str]] = [
    ("Executive Office", "SUP-EXEC"),
    ("Sales", "SUP-SALES"),
    ("Customer Success", "SUP-CS"),
    ("Engineering", "SUP-ENG"),
    ("Finance", "SUP-FIN"),
    ("People", "SUP-PEOPLE"),
]

LOCATIONS = [
    "San Francisco Headquarters",
    "New York Office",
    "Chicago Office",
    "Austin Office",
    "Toronto Office",
    "London Office",
    "Remote - United States",
]

# Besides the head (its manager), how many workers each organization has, and their titles.
STAFF: dict[str, tuple[int, list[str]]] = {
    "Executive Office": (1, ["Chief of Staff"]),
    "Sales": (
        12,
        [
            "Sales Development Representative",
            "Sales Operations Analyst",
            "Solutions Engineer",
            "Sales Manager",
        ],
    ),
    "Customer Success": (
        19,
        [
            "Customer Success Manager",
            "Senior Customer Success Manager",
            "Support Engineer",
            "Onboarding Specialist",
        ],
    ),
    "Engineering": (
        37,
        [
            "Software Engineer",
            "Senior Software Engineer",
            "Staff Engineer",
            "Site Reliability Engineer",
            "QA Engineer",
            "Engineering Manager",
            "Product Designer",
        ],
    ),
    "Finance": (
        10,
        ["Financial Analyst", "Senior Accountant", "Accounts Receivable Specialist", "Controller"],
    ),
    "People": (
        10,
        ["HR Business Partner", "Recruiter", "People Operations Specialist", "Payroll Specialist"],
    ),
}
HEADS: dict[str, tuple[str, str]] = {
    "Executive Office": ("Eleanor Whitfield", "Chief Executive Officer"),
    "Sales": ("Catherine Moreau", "Vice President, Sales"),
    "Customer Success": ("Desmond Achebe", "Vice President, Customer Success"),
    "Engineering": ("Ravi Subramanian", "Vice President, Engineering"),
    "Finance": ("Margaret Lindholm", "Chief Financial Officer"),
    "People": ("Beatriz Okonjo", "Vice President, People"),
}

# Hire dates relative to BASE_DATE, for the onboarding workflows: (organization, title, offset days).
# Offsets 0..30 are "starting in the next 30 days"; -30..-1 "joined in the last 30 days"; the rest
# are near misses that a window of 30 days must leave out.
NEW_HIRES: list[tuple[str, str, int]] = [
    ("Sales", "Account Executive", 3),
    ("Engineering", "Software Engineer", 7),
    ("Customer Success", "Customer Success Manager", 7),
    ("Engineering", "Site Reliability Engineer", 14),
    ("Finance", "Financial Analyst", 14),
    ("Sales", "Sales Development Representative", 21),
    ("People", "Recruiter", 28),
    ("Engineering", "Senior Software Engineer", 30),
    ("Sales", "Account Executive", 35),  # near miss: just past 30 days
    ("Engineering", "QA Engineer", 44),
    ("Customer Success", "Support Engineer", -1),
    ("Sales", "Solutions Engineer", -5),
    ("Engineering", "Product Designer", -12),
    ("People", "People Operations Specialist", -19),
    ("Engineering", "Software Engineer", -26),
    ("Finance", "Accounts Receivable Specialist", -30),
    ("Customer Success", "Onboarding Specialist", -33),  # near miss: just before 30 days ago
    ("Engineering", "Staff Engineer", -41),
]

# Time off the reference workflows can count on, for CRM deal owners: (rep name, type, first day
# offset, days).
PINNED_TIME_OFF: list[tuple[str, str, int, int]] = [
    ("Maria Chen", "Vacation", 5, 5),
    ("James Okafor", "Sick", -2, 2),
    ("Priya Raman", "Personal Day", 12, 1),
    ("Lukas Becker", "Vacation", 18, 8),
    ("Sofia Alvarez", "Floating Holiday", 25, 1),
]
TIME_OFF_TYPES = [("Vacation", 6), ("Sick", 3), ("Personal Day", 2), ("Floating Holiday", 1)]
VACATION_COMMENTS = ["Family trip", "Long weekend", "Visiting family", "Out of office", None, None]

FIRST_NAMES = [
    "Adaeze", "Bruno", "Camila", "Dmitri", "Esther", "Farid", "Greta", "Hiroshi", "Imani", "Joaquin",
    "Keira", "Lars", "Maya", "Nikhil", "Odette", "Pavel", "Quentin", "Renata", "Stellan", "Tamsin",
    "Umar", "Valentina", "Wendell", "Ximena", "Yusuf", "Zoe", "Anders", "Bianca", "Cyrus", "Delphine",
    "Emeka", "Flora", "Gideon", "Helena", "Ibrahim", "Jasmine", "Kofi", "Lucia", "Malik", "Noemi",
]  # fmt: skip
LAST_NAMES = [
    "Abara", "Bergstrom", "Carvalho", "Dubois", "Eriksen", "Fontaine", "Gallagher", "Hoffmann", "Iyer",
    "Jankowski", "Kaur", "Larsen", "Mbeki", "Nordin", "Oyelaran", "Petrov", "Quintero", "Rasmussen",
    "Santoro", "Tanaka", "Udeh", "Vasquez", "Whitmore", "Xu", "Yamamoto", "Zielinski", "Albrecht",
    "Brandt", "Castellanos", "Drummond", "Ekwueme", "Ferreira", "Grunewald", "Halvorsen",
]  # fmt: skip


@dataclass
class Worker:
    id: str
    name: str
    email: str
    title: str
    organization_id: str
    manager_id: str | None
    hire_date: date
    location: str
    is_manager: bool = False
    time_off: list[dict[str, Any]] = field(default_factory=list)

    def record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "title": self.title,
            "organization_id": self.organization_id,
            "manager_id": self.manager_id,
            "hire_date": self.hire_date.isoformat(),
            "location": self.location,
            "is_manager": self.is_manager,
        }


def workday_id(kind: str, number: int) -> str:
    """A 32-hex-digit Workday ID (WID), stable for a given kind and number."""
    return hashlib.md5(f"{kind}:{number}".encode(), usedforsecurity=False).hexdigest()


def email_for(name: str, domain: str) -> str:
    local = ".".join(part.lower().replace("'", "") for part in name.split())
    return f"{local}@{domain}"


def crm_reps() -> list[tuple[str, str]]:
    """(name, email) of every CRM opportunity owner, in order of first appearance."""
    data = json.loads(CRM_DATA.read_text(encoding="utf-8"))
    reps: dict[str, str] = {}
    for record in data["opportunities"]:
        reps.setdefault(record["owner_email"], record["owner_name"])
    return [(name, email) for email, name in reps.items()]


class Generator:
    def __init__(self) -> None:
        self.rng = random.Random(SEED)  # noqa: S311 - reproducible sample data, not secrets
        self.workers: list[Worker] = []
        self.names: set[str] = set()
        self.org_ids = {name: workday_id("org", index) for index, (name, _code) in enumerate(ORGANIZATIONS)}
        self.heads: dict[str, Worker] = {}

    def unique_name(self) -> str:
        for _ in range(1000):
            name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
            if name not in self.names:
                self.names.add(name)
                return name
        raise RuntimeError("ran out of unique names")

    def add(
        self,
        *,
        name: str,
        title: str,
        organization: str,
        hire_offset: int,
        email: str | None = None,
        manager: Worker | None = None,
        is_manager: bool = False,
    ) -> Worker:
        self.names.add(name)
        domain = SALES_DOMAIN if organization == "Sales" else PEOPLE_DOMAIN
        worker = Worker(
            id=workday_id("worker", len(self.workers)),
            name=name,
            email=email or email_for(name, domain),
            title=title,
            organization_id=self.org_ids[organization],
            manager_id=manager.id if manager else None,
            hire_date=BASE_DATE + timedelta(days=hire_offset),
            location=self.rng.choice(LOCATIONS),
            is_manager=is_manager,
        )
        self.workers.append(worker)
        return worker

    def tenured_offset(self) -> int:
        """A hire date long enough ago (2 months to ~9 years) to stay out of every onboarding window."""
        return -self.rng.randint(60, 3300)

    def build(self) -> None:
        ceo_name, ceo_title = HEADS["Executive Office"]
        ceo = self.add(
            name=ceo_name,
            title=ceo_title,
            organization="Executive Office",
            hire_offset=-3650,
            is_manager=True,
        )
        self.heads["Executive Office"] = ceo
        # Department heads manage their organization and report to the CEO.
        for organization, (head_name, head_title) in HEADS.items():
            if organization == "Executive Office":
                continue
            self.heads[organization] = self.add(
                name=head_name,
                title=head_title,
                organization=organization,
                hire_offset=self.tenured_offset(),
                manager=ceo,
                is_manager=True,
            )
        for rep_name, rep_email in crm_reps():
            title = self.rng.choice(
                ["Account Executive", "Senior Account Executive", "Enterprise Account Executive"]
            )
            self.add(
                name=rep_name,
                email=rep_email,
                title=title,
                organization="Sales",
                hire_offset=self.tenured_offset(),
                manager=self.heads["Sales"],
            )
        for organization, (count, titles) in STAFF.items():
            for _ in range(count):
                self.add(
                    name=self.unique_name(),
                    title=self.rng.choice(titles),
                    organization=organization,
                    hire_offset=self.tenured_offset(),
                    manager=self.heads[organization],
                )
        for organization, title, offset in NEW_HIRES:
            self.add(
                name=self.unique_name(),
                title=title,
                organization=organization,
                hire_offset=offset,
                manager=self.heads[organization],
            )

    def time_off(self) -> list[dict[str, Any]]:
        """Entries of one day each, as Workday's time-off details list them."""
        by_name = {worker.name: worker for worker in self.workers}
        entries: list[dict[str, Any]] = []
        for name, kind, first, days in PINNED_TIME_OFF:
            entries += self.request(by_name[name], kind, BASE_DATE + timedelta(days=first), days)
        pinned = {name for name, *_ in PINNED_TIME_OFF}
        for worker in self.workers:
            if worker.name in pinned or self.rng.random() < 0.35:
                continue
            for _ in range(self.rng.randint(1, 3)):
                kind = self.rng.choices(
                    [t for t, _ in TIME_OFF_TYPES], weights=[w for _, w in TIME_OFF_TYPES]
                )[0]
                first = BASE_DATE + timedelta(days=self.rng.randint(-60, 75))
                if first < worker.hire_date:
                    continue  # nobody takes time off before their first day
                days = {"Vacation": self.rng.randint(1, 7), "Sick": self.rng.randint(1, 3)}.get(kind, 1)
                entries += self.request(worker, kind, first, days)
        entries.sort(key=lambda entry: (entry["date"], entry["worker_id"]))
        for number, entry in enumerate(entries):
            entry["id"] = workday_id("timeoff", number)
        return entries

    def request(self, worker: Worker, kind: str, first: date, days: int) -> list[dict[str, Any]]:
        """One time-off request: ``days`` working days from ``first`` (weekends skipped)."""
        comment = self.rng.choice(VACATION_COMMENTS) if kind == "Vacation" else None
        half_day = kind == "Personal Day" and self.rng.random() < 0.3
        entries = []
        day = first
        while len(entries) < days:
            if day.weekday() < 5:
                in_past = day < BASE_DATE
                status = "Approved" if in_past or self.rng.random() < 0.7 else "Submitted"
                entries.append(
                    {
                        "id": "",  # numbered after sorting
                        "worker_id": worker.id,
                        "date": day.isoformat(),
                        "quantity": 4.0 if half_day else 8.0,
                        "unit": "Hours",
                        "type": kind,
                        "status": status,
                        "comment": comment,
                    }
                )
            day += timedelta(days=1)
        return entries


def generate() -> tuple[dict[str, Any], dict[str, Any]]:
    """The two data files (workers, time off), as JSON-ready objects."""
    generator = Generator()
    generator.build()
    time_off = generator.time_off()
    organizations = [
        {
            "id": generator.org_ids[name],
            "name": name,
            "code": code,
            "manager_id": generator.heads[name].id,
        }
        for name, code in ORGANIZATIONS
    ]
    emails = [worker.email for worker in generator.workers]
    if len(set(emails)) != len(emails):
        raise RuntimeError("worker e-mail addresses must be unique")
    upcoming = [w for w in generator.workers if 0 <= (w.hire_date - BASE_DATE).days <= 30]
    recent = [w for w in generator.workers if -30 <= (w.hire_date - BASE_DATE).days < 0]
    if len(upcoming) != 8 or len(recent) != 6:
        raise RuntimeError(f"expected 8 upcoming and 6 recent hires, got {len(upcoming)} and {len(recent)}")
    workers = {
        "base_date": BASE_DATE.isoformat(),
        "generated_by": "tools/generate_workday_data.py",
        "organizations": organizations,
        "workers": [worker.record() for worker in generator.workers],
    }
    time_off_file = {
        "base_date": BASE_DATE.isoformat(),
        "generated_by": "tools/generate_workday_data.py",
        "time_off": time_off,
    }
    return workers, time_off_file


def render() -> dict[Path, str]:
    """Each output file's text."""
    workers, time_off = generate()
    return {
        WORKERS_OUTPUT: datafile.json_text(workers),
        TIME_OFF_OUTPUT: datafile.json_text(time_off),
    }


def main(argv: list[str] | None = None) -> int:
    return datafile.main(render, argv, script=__file__, doc=__doc__)


if __name__ == "__main__":
    raise SystemExit(main())
