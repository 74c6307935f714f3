"""Workday: reads workers, new hires and time off from the HR system.

Three modes:

- ``new_hires``: workers whose hire date falls in a window (``from_days``/``to_days`` around today, or
  explicit ``from_date``/``to_date``), optionally in one supervisory organization: the input of
  onboarding workflows (welcome messages, laptop tickets, manager reminders).
- ``workers``: a name search and/or an organization; with neither, the people named upstream (CRM
  deal owners, ticket assignees, workers from another Workday node) are looked up by e-mail.
- ``time_off``: the time-off entries in the window of the people named upstream, or of the
  organization/search when nobody is: "which deal owners are out next week?".
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from agentflow.agents.base import Agent, AgentConfig, AgentContext
from agentflow.agents.items import upstream_items
from agentflow.connectors.workday import TimeOffEntry, WorkdayConnector, Worker
from agentflow.errors import AgentError
from agentflow.models import utcnow

Mode = Literal["new_hires", "workers", "time_off"]

# Upstream keys holding people or records with a person on them, most specific first.
UPSTREAM_KEYS = ("workers", "deals", "tickets", "issues", "people", "users", "members", "contacts")
# (name key, e-mail key) pairs naming the person an upstream record is about, in order of preference.
PERSON_KEYS = (
    ("owner_name", "owner_email"),
    ("assignee_name", "assignee_email"),
    ("name", "email"),
    ("worker_name", "worker_email"),
)


class WorkdayConfig(AgentConfig):
    connector: Literal["workday"] = Field("workday", description="The HR system to read.")
    credentials_secret: str | None = Field(
        None, description="Secrets Manager secret name holding the Workday API client (live connectors)."
    )
    mode: Mode = Field(
        "new_hires",
        description="new_hires: hires in the date window; workers: search or upstream people; "
        "time_off: time-off entries in the date window.",
    )
    from_days: int = Field(
        0, ge=-3650, le=3650, description="Window start, in days from today (negative is the past)."
    )
    to_days: int = Field(30, ge=-3650, le=3650, description="Window end, in days from today (inclusive).")
    from_date: date | None = Field(None, description="Explicit window start; overrides from_days.")
    to_date: date | None = Field(None, description="Explicit window end (inclusive); overrides to_days.")
    organization: str | None = Field(
        None, max_length=200, description="Supervisory organization name, code or id, e.g. 'Sales'."
    )
    search: str | None = Field(
        None,
        max_length=200,
        description="Name search (space-separated terms match any), workers and time_off modes.",
    )
    limit: int = Field(100, ge=1, le=1000, description="Most workers to return (and to look up).")

    @model_validator(mode="after")
    def _window_is_ordered(self) -> WorkdayConfig:
        if self.from_date is None and self.to_date is None and self.from_days > self.to_days:
            raise ValueError("from_days must not be after to_days")
        if self.from_date and self.to_date and self.from_date > self.to_date:
            raise ValueError("from_date must not be after to_date")
        return self


class WorkdayOutput(BaseModel):
    mode: Mode
    time_off: list[TimeOffEntry]
    workers: list[Worker]
    count: int
    from_date: date | None
    to_date: date | None
    organization: str | None
    unmatched_people: list[str]
    connector: str


def window(config: WorkdayConfig, today: date) -> tuple[date, date]:
    """The inclusive date window of ``config``: explicit dates win over day offsets from ``today``."""
    start = config.from_date or today + timedelta(days=config.from_days)
    end = config.to_date or today + timedelta(days=config.to_days)
    if start > end:
        raise AgentError(f"the date window is empty: {start} is after {end}")
    return start, end


def people_from(data: Any) -> tuple[list[tuple[str | None, str]], int]:
    """(name, e-mail) of each distinct person the upstream records name, and how many named nobody."""
    _key, items = upstream_items(data, preferred=UPSTREAM_KEYS)
    people: dict[str, tuple[str | None, str]] = {}
    nameless = 0
    for item in items:
        for name_key, email_key in PERSON_KEYS:
            email = item.get(email_key)
            if isinstance(email, str) and "@" in email:
                name = item.get(name_key)
                people.setdefault(email.casefold(), (name if isinstance(name, str) else None, email))
                break
        else:
            nameless += 1
    return list(people.values()), nameless


class WorkdayAgent(Agent[WorkdayConfig]):
    agent_type = "workday"
    name = "Workday"
    description = (
        "Reads Workday: new hires in a date window (for onboarding), workers by name or organization "
        "or the people named upstream (deal owners, assignees), and their time off."
    )
    config_model = WorkdayConfig

    def run(self, config: WorkdayConfig, data: Any, ctx: AgentContext) -> WorkdayOutput:
        workday: WorkdayConnector = ctx.connectors.open(config.connector, config.credentials_secret)
        start = end = None
        unmatched: list[str] = []
        entries: list[TimeOffEntry] = []
        if config.mode == "new_hires":
            start, end = window(config, utcnow().date())
            workers = workday.find_new_hires(start, end, organization=config.organization, limit=config.limit)
            where = f" in {config.organization}" if config.organization else ""
            ctx.log.info(f"Found {len(workers)} workers hired between {start} and {end}{where}")
        elif config.mode == "workers":
            workers, unmatched = self._workers(config, data, ctx, workday)
            ctx.log.info(f"Found {len(workers)} workers in {config.connector}")
        else:
            start, end = window(config, utcnow().date())
            workers, unmatched = self._workers(config, data, ctx, workday)
            entries = workday.time_off(workers, start, end)
            away = {entry.worker_id for entry in entries}
            workers = [worker for worker in workers if worker.id in away]
            ctx.log.info(
                f"Found {len(entries)} time-off entries between {start} and {end} for {len(workers)} workers"
            )
        for worker in workers:
            ctx.log.debug(f"{worker.name} <{worker.email}>, {worker.title}, {worker.organization}")
        return WorkdayOutput(
            mode=config.mode,
            time_off=entries,
            workers=workers,
            count=len(entries) if config.mode == "time_off" else len(workers),
            from_date=start,
            to_date=end,
            organization=config.organization,
            unmatched_people=unmatched,
            connector=config.connector,
        )

    @staticmethod
    def _workers(
        config: WorkdayConfig, data: Any, ctx: AgentContext, workday: WorkdayConnector
    ) -> tuple[list[Worker], list[str]]:
        """The workers a run is about: the configured search/organization, else the upstream people."""
        if config.search or config.organization:
            return workday.find_workers(
                search=config.search, organization=config.organization, limit=config.limit
            ), []
        people, nameless = people_from(data)
        if nameless:
            ctx.log.warning(f"Skipped {nameless} upstream records that name no person with an e-mail")
        if not people:
            if config.mode == "time_off":
                raise AgentError(
                    "workday time_off needs people upstream (workers, deal owners, assignees) "
                    "or an organization or search in its config"
                )
            return workday.find_workers(limit=config.limit), []
        if len(people) > config.limit:
            ctx.log.warning(f"{len(people)} people upstream; limit={config.limit} looks up the first ones")
        workers: list[Worker] = []
        unmatched: list[str] = []
        for name, email in people[: config.limit]:
            worker = workday.find_worker_by_email(email, name)
            if worker is None:
                ctx.log.warning(f"No Workday worker has the e-mail {email}")
                unmatched.append(email)
            else:
                workers.append(worker)
        return workers, unmatched
