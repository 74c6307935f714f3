"""Workday HCM: the live REST client (OAuth 2.0 refresh token) and the sandbox tenant.

Both implement :class:`WorkdayConnector` and hand back the same records (:class:`Worker`,
:class:`Organization`, :class:`TimeOffEntry`), so an agent cannot tell which one it has.

The live client reads three Workday REST services of one tenant, all documented in Workday's REST
API directory:

- Common v1 (``/ccx/api/v1/{tenant}``): ``GET /workers`` (``search``, ``limit`` ≤ 100, ``offset``),
  ``GET /workers/{ID}`` (location, work e-mail), ``GET /supervisoryOrganizations`` and
  ``GET /supervisoryOrganizations/{ID}/workers``;
- Staffing v6 (``/ccx/api/staffing/v6/{tenant}``): ``GET /workers/{ID}/serviceDates`` (hire date,
  which no Common v1 resource carries);
- Absence Management v1 (``/ccx/api/absenceManagement/v1/{tenant}``):
  ``GET /workers/{ID}/timeOffDetails`` (``fromDate``/``toDate`` filtered on Workday's side).

Collections answer ``{"total": n, "data": [...]}`` and page with ``limit``/``offset``.

The sandbox serves ``agentflow_sandbox/data/workday_workers.json`` and ``workday_time_off.json`` (see
``tools/generate_workday_data.py``), with every hire date moved by (today - base date) days so
upcoming hires stay upcoming, and time off by the nearest whole number of weeks so it stays on
weekdays.

The sandbox emulator lives in ``agentflow_sandbox.workday`` (the sandbox layer, never deployed with
``ConnectorMode=live``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict

from agentflow.connectors.base import HOST_NAME, secret_base_url
from agentflow.connectors.http import VendorHttpClient, check_base_url
from agentflow.errors import ConnectorError

if TYPE_CHECKING:
    from agentflow.settings import Settings

# Workday's documented maximum page size for every collection resource.
PAGE_SIZE = 100
# new_hires reads every worker's service dates, one request each: past this many workers in scope
# the run would outlast an agent Lambda's timeout, so the agent asks for an organization instead.
MAX_WORKERS_SCANNED = 2000
# Larger than any tenant's count of supervisory organizations or one worker's time off in a window.
MAX_RECORDS = 10_000
# Renew a little before expiry so a token cannot lapse between the check and Workday reading it.
_TOKEN_EARLY_RENEWAL_SECONDS = 60.0
# Workday does not always say how long an access token lives; tenants default to an hour or less.
_DEFAULT_TOKEN_LIFETIME_SECONDS = 900.0


class Organization(BaseModel):
    """A supervisory organization (team) and its manager."""

    model_config = ConfigDict(extra="ignore")

    id: str
    name: str
    code: str | None = None
    manager_id: str | None = None
    manager: str | None = None


class Worker(BaseModel):
    """A worker as agents exchange it. ``start_date`` is the first working day (the hire date)."""

    model_config = ConfigDict(extra="ignore")

    id: str
    name: str
    email: str | None = None
    title: str | None = None
    organization: str | None = None
    organization_id: str | None = None
    manager: str | None = None
    manager_email: str | None = None
    hire_date: date | None = None
    start_date: date | None = None
    location: str | None = None
    is_manager: bool = False


class TimeOffEntry(BaseModel):
    """One day (or part of one) of a worker's time off."""

    model_config = ConfigDict(extra="ignore")

    worker_id: str
    worker_name: str
    worker_email: str | None = None
    date: date
    quantity: float
    unit: str
    type: str
    status: str
    comment: str | None = None


class WorkdayConnector(Protocol):
    name: str

    def organizations(self) -> list[Organization]:
        """Every supervisory organization, by name."""
        ...

    def find_workers(
        self, *, search: str | None = None, organization: str | None = None, limit: int = 100
    ) -> list[Worker]:
        """Workers whose name matches any space-separated term of ``search`` (case-insensitive),
        in ``organization`` (name, code or id) when given; by name, at most ``limit``."""
        ...

    def find_new_hires(
        self, hired_from: date, hired_to: date, *, organization: str | None = None, limit: int = 100
    ) -> list[Worker]:
        """Workers hired within [hired_from, hired_to], by hire date then name."""
        ...

    def find_worker_by_email(self, email: str, name: str | None = None) -> Worker | None:
        """The worker with this work e-mail (case-insensitive), or None. ``name`` helps the search."""
        ...

    def time_off(self, workers: Sequence[Worker], from_date: date, to_date: date) -> list[TimeOffEntry]:
        """The workers' time-off entries dated within [from_date, to_date], by date then name."""
        ...


def search_terms(search: str | None) -> list[str]:
    """Workday's name search: space-separated terms, any of which may match (an OR search)."""
    return [term.casefold() for term in (search or "").split()]


def name_matches(name: str, terms: Sequence[str]) -> bool:
    """Whether ``name`` contains any of ``terms`` (already case-folded); no terms match everything."""
    folded = name.casefold()
    return not terms or any(term in folded for term in terms)


def match_organization(organizations: Iterable[Organization], wanted: str) -> Organization:
    """The organization called ``wanted`` (its name, code or id, case-insensitive).

    Raises :class:`ConnectorError` listing the known names when none matches.
    """
    folded = wanted.strip().casefold()
    known = list(organizations)
    for organization in known:
        if folded in {
            organization.name.casefold(),
            organization.id.casefold(),
            (organization.code or "").casefold(),
        }:
            return organization
    names = ", ".join(sorted(org.name for org in known)) or "none"
    raise ConnectorError(f"workday has no supervisory organization '{wanted}'; known: {names}")


# --- live ----------------------------------------------------------------------------------------


def _reference(record: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = record.get(key)
    return value if isinstance(value, Mapping) else {}


def _optional_date(value: Any) -> date | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


class WorkdayClient:
    """The live Workday connector for one tenant.

    Auth: ``POST {base}/ccx/oauth2/{tenant}/token`` with ``grant_type=refresh_token`` and the API
    client's id and secret as HTTP Basic credentials, then ``Authorization: Bearer``. The token is
    renewed before it expires and once more when Workday answers 401.
    """

    name = "workday"

    def __init__(
        self,
        *,
        base_url: str,
        tenant: str,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        credentials_secret: str | None = None,
        allow_loopback: bool = False,
        http: VendorHttpClient | None = None,
    ) -> None:
        self.base_url = check_base_url(base_url, allow_loopback=allow_loopback)
        tenant_path = quote(tenant, safe="")
        self.token_url = f"{self.base_url}/ccx/oauth2/{tenant_path}/token"
        self.common_url = f"{self.base_url}/ccx/api/v1/{tenant_path}"
        self.staffing_url = f"{self.base_url}/ccx/api/staffing/v6/{tenant_path}"
        self.absence_url = f"{self.base_url}/ccx/api/absenceManagement/v1/{tenant_path}"
        self._client_id = client_id
        self._client_secret = client_secret
        self._refresh_token = refresh_token
        self._token: str | None = None
        self._token_expires_at = 0.0
        self._token_lock = threading.Lock()
        self._organizations: list[Organization] | None = None
        self._profiles: dict[str, dict[str, Any]] = {}
        self._http = http or VendorHttpClient(
            self.name, credentials_secret=credentials_secret, allow_loopback=allow_loopback
        )

    @classmethod
    def from_secret(
        cls, secret: Mapping[str, Any], *, secret_name: str, allow_loopback: bool
    ) -> WorkdayClient:
        """A client from a Secrets Manager secret's JSON.

        Required: ``tenant``, ``client_id``, ``client_secret``, ``refresh_token`` (of an API Client
        for Integrations), and the tenant's services host as ``base_url``
        (``https://wd2-impl-services1.workday.com``) or ``host`` (``wd2-impl-services1.workday.com``).
        """
        values: dict[str, str] = {}
        for key in ("tenant", "client_id", "client_secret", "refresh_token"):
            value = secret.get(key)
            if not isinstance(value, str) or not value:
                raise ConnectorError(f"secret '{secret_name}' lacks {key} (a Workday API client's)")
            values[key] = value
        url = secret_base_url(
            secret, secret_name, field="host", pattern=HOST_NAME, host="https://{}", vendor="Workday"
        )
        return cls(
            base_url=url,
            tenant=values["tenant"],
            client_id=values["client_id"],
            client_secret=values["client_secret"],
            refresh_token=values["refresh_token"],
            credentials_secret=secret_name,
            allow_loopback=allow_loopback,
        )

    def close(self) -> None:
        """Release pooled connections."""
        self._http.close()

    # -- HTTP --

    def _access_token(self, *, refresh: bool = False) -> str:
        with self._token_lock:
            if self._token and not refresh and time.monotonic() < self._token_expires_at:
                return self._token
            response = self._http.request(
                "POST",
                self.token_url,
                data={"grant_type": "refresh_token", "refresh_token": self._refresh_token},
                auth=(self._client_id, self._client_secret),
                token_request=True,
            )
            body = response.json()
            token = body.get("access_token") if isinstance(body, dict) else None
            if not isinstance(token, str) or not token:
                raise ConnectorError("workday token endpoint answered without an access_token")
            lifetime = float(body.get("expires_in") or _DEFAULT_TOKEN_LIFETIME_SECONDS)
            self._token = token
            self._token_expires_at = time.monotonic() + max(0.0, lifetime - _TOKEN_EARLY_RENEWAL_SECONDS)
            return token

    def _get(self, url: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        response = self._http.send("GET", url, params=params, headers=self._auth_headers())
        if response.status_code == 401:
            # A token revoked or expired early: one fresh token, one more try.
            self._access_token(refresh=True)
            response = self._http.send("GET", url, params=params, headers=self._auth_headers())
        self._http.raise_for_status(response)
        body = response.json()
        if not isinstance(body, dict):
            raise ConnectorError("workday answered with something other than a JSON object")
        return body

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._access_token()}"}

    def _collection(
        self, url: str, params: Mapping[str, Any] | None = None, *, cap: int
    ) -> list[dict[str, Any]]:
        """Up to ``cap`` records of a collection resource, following ``limit``/``offset`` pages."""
        records: list[dict[str, Any]] = []
        offset = 0
        while len(records) < cap:
            page = self._get(
                url, {**(params or {}), "limit": min(PAGE_SIZE, cap - len(records)), "offset": offset}
            )
            data = [item for item in page.get("data") or [] if isinstance(item, dict)]
            records.extend(data)
            offset += len(data)
            total = page.get("total")
            if not data or (isinstance(total, int) and offset >= total):
                break
        return records[:cap]

    # -- records --

    def organizations(self) -> list[Organization]:
        """Every supervisory organization, by name (read once per client)."""
        if self._organizations is None:
            records = self._collection(f"{self.common_url}/supervisoryOrganizations", cap=MAX_RECORDS)
            organizations = []
            for record in records:
                manager = _reference(record, "manager")
                organizations.append(
                    Organization(
                        id=str(record["id"]),
                        name=str(record.get("name") or record.get("descriptor") or record["id"]),
                        code=record.get("code"),
                        manager_id=manager.get("id"),
                        manager=manager.get("descriptor"),
                    )
                )
            self._organizations = sorted(organizations, key=lambda org: org.name.casefold())
        return list(self._organizations)

    def _profile(self, worker_id: str) -> dict[str, Any]:
        if worker_id not in self._profiles:
            self._profiles[worker_id] = self._get(f"{self.common_url}/workers/{quote(worker_id, safe='')}")
        return self._profiles[worker_id]

    def _hire_date(self, worker_id: str) -> date | None:
        page = self._get(f"{self.staffing_url}/workers/{quote(worker_id, safe='')}/serviceDates")
        for record in page.get("data") or []:
            if isinstance(record, dict) and (hire := _optional_date(record.get("hireDate"))):
                return hire
        return None

    def _worker(self, summary: Mapping[str, Any], hire_date: date | None = None) -> Worker:
        """A full :class:`Worker` from a Common v1 worker summary (one profile, one service-dates read)."""
        worker_id = str(summary["id"])
        profile = self._profile(worker_id)
        hire = hire_date or self._hire_date(worker_id)
        org_ref = _reference(profile, "primarySupervisoryOrganization") or _reference(
            summary, "primarySupervisoryOrganization"
        )
        organization = next((org for org in self.organizations() if org.id == org_ref.get("id")), None)
        manager = manager_email = None
        # A supervisory organization's manager manages its members, but not themself.
        if organization and organization.manager_id and organization.manager_id != worker_id:
            manager = organization.manager
            manager_email = self._profile(organization.manager_id).get("primaryWorkEmail")
        return Worker(
            id=worker_id,
            name=str(profile.get("descriptor") or summary.get("descriptor") or worker_id),
            email=profile.get("primaryWorkEmail") or summary.get("primaryWorkEmail"),
            title=profile.get("businessTitle") or summary.get("businessTitle"),
            organization=organization.name if organization else org_ref.get("descriptor"),
            organization_id=org_ref.get("id"),
            manager=manager,
            manager_email=manager_email,
            hire_date=hire,
            start_date=hire,
            location=_reference(profile, "location").get("descriptor"),
            is_manager=bool(profile.get("isManager") or summary.get("isManager")),
        )

    def _summaries(self, *, search: str | None, organization: str | None, cap: int) -> list[dict[str, Any]]:
        if organization is None:
            params = {"search": search} if search else None
            return self._collection(f"{self.common_url}/workers", params, cap=cap)
        org = match_organization(self.organizations(), organization)
        members = self._collection(
            f"{self.common_url}/supervisoryOrganizations/{quote(org.id, safe='')}/workers",
            cap=MAX_RECORDS,
        )
        terms = search_terms(search)  # the organization's worker list has no search parameter
        return [item for item in members if name_matches(str(item.get("descriptor") or ""), terms)][:cap]

    def find_workers(
        self, *, search: str | None = None, organization: str | None = None, limit: int = 100
    ) -> list[Worker]:
        """Workers matching ``search`` (Workday's name search) in ``organization``, by name."""
        summaries = self._summaries(search=search, organization=organization, cap=limit)
        workers = [self._worker(summary) for summary in summaries]
        return sorted(workers, key=lambda worker: (worker.name.casefold(), worker.id))

    def find_new_hires(
        self, hired_from: date, hired_to: date, *, organization: str | None = None, limit: int = 100
    ) -> list[Worker]:
        """Workers hired within the range: every worker in scope has its service dates read."""
        summaries = self._summaries(search=None, organization=organization, cap=MAX_WORKERS_SCANNED + 1)
        if len(summaries) > MAX_WORKERS_SCANNED:
            raise ConnectorError(
                f"workday: more than {MAX_WORKERS_SCANNED} workers to check for hire dates; "
                "set organization to narrow the search"
            )
        hires = []
        for summary in summaries:
            hire = self._hire_date(str(summary["id"]))
            if hire is not None and hired_from <= hire <= hired_to:
                hires.append(self._worker(summary, hire_date=hire))
        hires.sort(key=lambda worker: (worker.hire_date or hired_from, worker.name.casefold()))
        return hires[:limit]

    def find_worker_by_email(self, email: str, name: str | None = None) -> Worker | None:
        """Search by name (Workday searches names, not e-mail), then match the work e-mail exactly."""
        search = name or email.split("@", 1)[0].replace(".", " ").replace("_", " ")
        wanted = email.casefold()
        for summary in self._collection(f"{self.common_url}/workers", {"search": search}, cap=PAGE_SIZE):
            if str(summary.get("primaryWorkEmail") or "").casefold() == wanted:
                return self._worker(summary)
        return None

    def time_off(self, workers: Sequence[Worker], from_date: date, to_date: date) -> list[TimeOffEntry]:
        """Each worker's time-off details in the range (Absence Management filters the dates)."""
        entries = []
        for worker in workers:
            records = self._collection(
                f"{self.absence_url}/workers/{quote(worker.id, safe='')}/timeOffDetails",
                {"fromDate": from_date.isoformat(), "toDate": to_date.isoformat()},
                cap=MAX_RECORDS,
            )
            for record in records:
                day = _optional_date(record.get("date"))
                if day is None or not from_date <= day <= to_date:
                    continue
                entries.append(
                    TimeOffEntry(
                        worker_id=worker.id,
                        worker_name=worker.name,
                        worker_email=worker.email,
                        date=day,
                        quantity=float(record.get("quantity") or 0),
                        unit=str(_reference(record, "unit").get("descriptor") or "Hours"),
                        type=str(_reference(record, "timeOffType").get("descriptor") or "Time Off"),
                        status=str(_reference(record, "status").get("descriptor") or "Unknown"),
                        comment=record.get("comment") or None,
                    )
                )
        entries.sort(key=lambda entry: (entry.date, entry.worker_name.casefold()))
        return entries


def live(secret: dict[str, Any], secret_name: str, settings: Settings) -> WorkdayClient:
    """The live connector from the credentials secret's JSON (see :meth:`WorkdayClient.from_secret`)."""
    return WorkdayClient.from_secret(
        secret, secret_name=secret_name, allow_loopback=settings.connector_allow_loopback
    )
