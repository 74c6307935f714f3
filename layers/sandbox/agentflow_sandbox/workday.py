"""The workday sandbox: workday's emulator over bundled data, for CONNECTOR_MODE=sandbox."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from agentflow.clock import utcnow
from agentflow.connectors.base import sandbox_pause
from agentflow_sandbox import read_data

if TYPE_CHECKING:
    from agentflow.settings import Settings
from agentflow.connectors.workday import (
    Organization,
    TimeOffEntry,
    Worker,
    match_organization,
    name_matches,
    search_terms,
)

# --- sandbox -------------------------------------------------------------------------------------


class _Tenant(BaseModel):
    organizations: list[Organization]
    workers: list[Worker]
    time_off: list[TimeOffEntry]


def _read(path: str | None, name: str) -> dict[str, Any]:
    data: dict[str, Any] = read_data(name, None if path is None else Path(path) / name)
    return data


@lru_cache(maxsize=8)
def _load_sandbox(data_dir: str | None, today: date) -> _Tenant:
    tenant = _read(data_dir, "workday_workers.json")
    absences = _read(data_dir, "workday_time_off.json")
    shift = today - date.fromisoformat(tenant["base_date"])
    by_id = {record["id"]: record for record in tenant["workers"]}
    org_by_id = {record["id"]: record for record in tenant["organizations"]}
    organizations = [
        Organization(
            id=record["id"],
            name=record["name"],
            code=record["code"],
            manager_id=record["manager_id"],
            manager=by_id[record["manager_id"]]["name"],
        )
        for record in tenant["organizations"]
    ]
    workers = []
    for record in tenant["workers"]:
        manager = by_id.get(record["manager_id"] or "")
        hire = date.fromisoformat(record["hire_date"]) + shift
        workers.append(
            Worker(
                id=record["id"],
                name=record["name"],
                email=record["email"],
                title=record["title"],
                organization=org_by_id[record["organization_id"]]["name"],
                organization_id=record["organization_id"],
                manager=manager["name"] if manager else None,
                manager_email=manager["email"] if manager else None,
                hire_date=hire,
                start_date=hire,
                location=record["location"],
                is_manager=record["is_manager"],
            )
        )
    # Whole weeks, so time off taken on weekdays stays on weekdays (within three days of exact).
    weeks = round((today - date.fromisoformat(absences["base_date"])).days / 7)
    time_off_shift = timedelta(weeks=weeks)
    entries = [
        TimeOffEntry(
            worker_id=record["worker_id"],
            worker_name=by_id[record["worker_id"]]["name"],
            worker_email=by_id[record["worker_id"]]["email"],
            date=date.fromisoformat(record["date"]) + time_off_shift,
            quantity=record["quantity"],
            unit=record["unit"],
            type=record["type"],
            status=record["status"],
            comment=record["comment"],
        )
        for record in absences["time_off"]
    ]
    return _Tenant(
        organizations=sorted(organizations, key=lambda org: org.name.casefold()),
        workers=sorted(workers, key=lambda worker: (worker.name.casefold(), worker.id)),
        time_off=entries,
    )


class WorkdaySandbox:
    """Workday without the network: the bundled tenant, dated relative to today.

    Searches behave as the live API's do (case-insensitive OR search over names, organizations by
    name, code or id), and each call waits ``latency_ms`` first.
    """

    name = "workday"

    def __init__(
        self, *, latency_ms: int = 0, today: date | None = None, data_dir: Path | None = None
    ) -> None:
        self.latency_ms = latency_ms
        self._today = today
        self._data_dir = str(data_dir) if data_dir is not None else None

    def _tenant(self) -> _Tenant:
        # UTC's today, the day agents compute their date windows from.
        return _load_sandbox(self._data_dir, self._today or utcnow().date())

    def workers(self) -> list[Worker]:
        """Every bundled worker (copies), by name."""
        return [worker.model_copy() for worker in self._tenant().workers]

    def organizations(self) -> list[Organization]:
        """Every supervisory organization, by name."""
        sandbox_pause(self.latency_ms)
        return [org.model_copy() for org in self._tenant().organizations]

    def _in_scope(self, search: str | None, organization: str | None) -> list[Worker]:
        tenant = self._tenant()
        org_id = match_organization(tenant.organizations, organization).id if organization else None
        terms = search_terms(search)
        return [
            worker.model_copy()
            for worker in tenant.workers
            if (org_id is None or worker.organization_id == org_id) and name_matches(worker.name, terms)
        ]

    def find_workers(
        self, *, search: str | None = None, organization: str | None = None, limit: int = 100
    ) -> list[Worker]:
        """Workers matching ``search`` in ``organization``, by name."""
        sandbox_pause(self.latency_ms)
        return self._in_scope(search, organization)[:limit]

    def find_new_hires(
        self, hired_from: date, hired_to: date, *, organization: str | None = None, limit: int = 100
    ) -> list[Worker]:
        """Workers hired within [hired_from, hired_to], by hire date then name."""
        sandbox_pause(self.latency_ms)
        hires = [
            worker
            for worker in self._in_scope(None, organization)
            if worker.hire_date is not None and hired_from <= worker.hire_date <= hired_to
        ]
        hires.sort(key=lambda worker: (worker.hire_date or hired_from, worker.name.casefold()))
        return hires[:limit]

    def find_worker_by_email(self, email: str, name: str | None = None) -> Worker | None:
        """The worker with this work e-mail (case-insensitive), or None."""
        sandbox_pause(self.latency_ms)
        wanted = email.casefold()
        return next(
            (
                worker.model_copy()
                for worker in self._tenant().workers
                if (worker.email or "").casefold() == wanted
            ),
            None,
        )

    def time_off(self, workers: Sequence[Worker], from_date: date, to_date: date) -> list[TimeOffEntry]:
        """The workers' time-off entries within the range, by date then name."""
        sandbox_pause(self.latency_ms)
        ids = {worker.id for worker in workers}
        entries = [
            entry.model_copy()
            for entry in self._tenant().time_off
            if entry.worker_id in ids and from_date <= entry.date <= to_date
        ]
        entries.sort(key=lambda entry: (entry.date, entry.worker_name.casefold()))
        return entries


def sandbox(settings: Settings, tenant_id: str) -> WorkdaySandbox:
    """The sandbox connector (``CONNECTOR_MODE=sandbox``); read-only, so the same for every tenant."""
    return WorkdaySandbox(latency_ms=settings.sandbox_latency_ms)
