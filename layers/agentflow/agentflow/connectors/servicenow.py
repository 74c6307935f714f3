"""ServiceNow: the live Table API client (Basic or OAuth bearer) and the sandbox.

Both implement :class:`ServiceNowConnector`: create a record in a table and query a table with an
encoded query (``active=true^priority<=2^company.name=Northwind Logistics``). Records come back
with display values (``"1 - Critical"``, a company's name), as ``sysparm_display_value=true`` gives
them. The sandbox holds a few bundled incidents (``agentflow/data/servicenow_incidents.json``, see
``tools/generate_servicenow_data.py``) and appends the records it creates to
``{sandbox_dir}/servicenow/{table}.jsonl``, numbered on from the bundled ones (INC0010001, ...);
queries in the same sandbox see them.
"""

from __future__ import annotations

import fcntl
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from agentflow.connectors.base import basic_or_bearer, optional_secret_field, sandbox_pause, secret_base_url
from agentflow.connectors.http import VendorHttpClient, check_base_url
from agentflow.errors import ConnectorError
from agentflow.settings import Settings

TABLE_PATTERN = r"^[a-z][a-z0-9_]{0,79}$"
FIELD_PATTERN = r"^[a-z][a-z0-9_]{0,79}(\.[a-z][a-z0-9_]{0,79}){0,3}$"
_INSTANCE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")

# Fields every record carries in agent outputs; the Table API returns only those a table has.
DEFAULT_FIELDS: tuple[str, ...] = (
    "sys_id", "number", "short_description", "description", "state", "priority", "urgency", "impact",
    "company", "caller_id", "assignment_group", "category", "opened_at", "sys_updated_on", "correlation_id",
)  # fmt: skip
PAGE_SIZE = 100
MAX_QUERY_RESULTS = 10_000
SANDBOX_BASE_URL = "https://agentflow-sandbox.service-now.com"

# ServiceNow's default priority lookup (Priority Data Lookup rules): (urgency, impact) -> priority.
PRIORITY_MATRIX: dict[tuple[str, str], str] = {
    ("1", "1"): "1", ("1", "2"): "2", ("1", "3"): "3",
    ("2", "1"): "2", ("2", "2"): "3", ("2", "3"): "4",
    ("3", "1"): "3", ("3", "2"): "4", ("3", "3"): "5",
}  # fmt: skip
# Display values of the choice fields the sandbox serves (base system labels).
CHOICE_LABELS: dict[str, dict[str, str]] = {
    "priority": {
        "1": "1 - Critical",
        "2": "2 - High",
        "3": "3 - Moderate",
        "4": "4 - Low",
        "5": "5 - Planning",
    },
    "urgency": {"1": "1 - High", "2": "2 - Medium", "3": "3 - Low"},
    "impact": {"1": "1 - High", "2": "2 - Medium", "3": "3 - Low"},
}
INCIDENT_STATES = {
    "1": "New",
    "2": "In Progress",
    "3": "On Hold",
    "6": "Resolved",
    "7": "Closed",
    "8": "Canceled",
}
NUMBER_PREFIXES = {
    "incident": "INC", "problem": "PRB", "change_request": "CHG", "sc_request": "REQ",
    "sc_req_item": "RITM", "sc_task": "SCTASK", "task": "TASK", "incident_task": "TASK",
}  # fmt: skip
FIRST_NEW_NUMBER = 10_001

_KNOWN_FIELDS = frozenset(DEFAULT_FIELDS) - {"sys_id"}


class ServiceNowRecord(BaseModel):
    """One Table API record as agents exchange it (display values; empty fields are None)."""

    model_config = ConfigDict(extra="ignore")

    table: str
    sys_id: str
    number: str | None = None
    url: str
    short_description: str | None = None
    description: str | None = None
    state: str | None = None
    priority: str | None = None
    urgency: str | None = None
    impact: str | None = None
    company: str | None = None
    caller_id: str | None = None
    assignment_group: str | None = None
    category: str | None = None
    opened_at: str | None = None
    sys_updated_on: str | None = None
    correlation_id: str | None = None
    fields: dict[str, str] = Field(
        default_factory=dict, description="Other requested fields, by name (display values)."
    )


class ServiceNowConnector(Protocol):
    """What agents may do with ServiceNow tables, live or sandboxed."""

    name: str
    base_url: str

    def create_record(
        self, table: str, values: Mapping[str, str], *, fields: Sequence[str] = DEFAULT_FIELDS
    ) -> ServiceNowRecord:
        """Insert one record into ``table`` and return it as stored (numbered, prioritised)."""
        ...

    def query_records(
        self, table: str, query: str, *, limit: int = 100, fields: Sequence[str] = DEFAULT_FIELDS
    ) -> list[ServiceNowRecord]:
        """Records of ``table`` matching an encoded query, at most ``limit``."""
        ...


def record_url(base_url: str, table: str, sys_id: str) -> str:
    """The record's form in the instance's UI (inside the navigation frame)."""
    return f"{base_url}/nav_to.do?uri={table}.do?sys_id={sys_id}"


def check_table(table: str) -> str:
    """``table`` if it is a table name (it becomes a path segment), else a ConnectorError."""
    if not re.fullmatch(TABLE_PATTERN, table):
        raise ConnectorError(f"'{table}' is not a ServiceNow table name (lower case letters, digits, _)")
    return table


def query_value(value: str) -> str:
    """``value`` fit for an encoded-query condition: carets separate conditions, so none may appear."""
    text = " ".join(value.split())
    if "^" in text:
        raise ConnectorError(f"a ServiceNow query value cannot contain '^': {value!r}")
    return text


def build_encoded_query(conditions: Iterable[str], *, order_by: str | None = None) -> str:
    """Conditions joined with ``^`` (AND), then ``ORDERBY``/``ORDERBYDESC`` (a ``-`` prefix sorts down)."""
    parts = [condition.strip().strip("^") for condition in conditions if condition and condition.strip("^ ")]
    if order_by:
        field = order_by.removeprefix("-")
        if not re.fullmatch(FIELD_PATTERN, field):
            raise ConnectorError(f"'{order_by}' is not a ServiceNow field to order by")
        parts.append(f"ORDERBYDESC{field}" if order_by.startswith("-") else f"ORDERBY{field}")
    return "^".join(parts)


def record_from_result(table: str, result: Mapping[str, Any], base_url: str) -> ServiceNowRecord:
    """Map one Table API result (display values, no reference links) to a :class:`ServiceNowRecord`."""

    def text(value: Any) -> str:
        if isinstance(value, Mapping):  # a reference link, should the instance send one anyway
            value = value.get("display_value", value.get("value"))
        return "" if value is None else str(value)

    sys_id = text(result.get("sys_id"))
    if not sys_id:
        raise ConnectorError(f"servicenow answered a {table} record without a sys_id")
    known = {key: (text(result[key]) or None) for key in _KNOWN_FIELDS if key in result}
    other = {
        key: text(value) for key, value in result.items() if key not in _KNOWN_FIELDS and key != "sys_id"
    }
    return ServiceNowRecord(
        table=table, sys_id=sys_id, url=record_url(base_url, table, sys_id), fields=other, **known
    )


# --- live client -------------------------------------------------------------------------------


class ServiceNowClient:
    """The live ServiceNow connector: the Table API with Basic auth or an OAuth bearer token.

    Endpoints: ``POST /api/now/table/{table}`` and ``GET /api/now/table/{table}?sysparm_query=...``
    (paged with ``sysparm_offset`` while the ``Link`` header offers ``rel="next"``), both with
    ``sysparm_display_value=true`` and ``sysparm_exclude_reference_link=true``. Reference fields
    (company, caller_id, assignment_group) may be given by display value: ServiceNow resolves them.
    """

    name = "servicenow"

    def __init__(
        self,
        *,
        base_url: str,
        username: str | None = None,
        password: str | None = None,
        access_token: str | None = None,
        credentials_secret: str | None = None,
        allow_loopback: bool = False,
        http: VendorHttpClient | None = None,
    ) -> None:
        self._auth, self._headers = basic_or_bearer(
            self.name, credentials_secret, (username, password), access_token, needs="username and password"
        )
        self.base_url = check_base_url(base_url, allow_loopback=allow_loopback)
        self._http = http or VendorHttpClient(
            self.name, credentials_secret=credentials_secret, allow_loopback=allow_loopback
        )

    @classmethod
    def from_secret(
        cls, secret: Mapping[str, Any], *, secret_name: str, allow_loopback: bool
    ) -> ServiceNowClient:
        """A client from a Secrets Manager secret's JSON.

        The secret holds ``instance`` (``acme`` for ``https://acme.service-now.com``) or ``base_url``,
        and ``username`` with ``password`` (an integration user), or an OAuth ``access_token``.
        """
        base_url = secret_base_url(
            secret,
            secret_name,
            field="instance",
            pattern=_INSTANCE,
            host="https://{}.service-now.com",
            vendor="ServiceNow",
        )
        return cls(
            base_url=base_url,
            username=optional_secret_field(secret, "username", secret_name),
            password=optional_secret_field(secret, "password", secret_name),
            access_token=optional_secret_field(secret, "access_token", secret_name),
            credentials_secret=secret_name,
            allow_loopback=allow_loopback,
        )

    def close(self) -> None:
        """Release pooled connections."""
        self._http.close()

    def _params(self, fields: Sequence[str]) -> dict[str, str]:
        for field in fields:
            if not re.fullmatch(FIELD_PATTERN, field):
                raise ConnectorError(f"'{field}' is not a ServiceNow field name")
        return {
            "sysparm_display_value": "true",
            "sysparm_exclude_reference_link": "true",
            "sysparm_fields": ",".join(dict.fromkeys(["sys_id", *fields])),
        }

    def create_record(
        self, table: str, values: Mapping[str, str], *, fields: Sequence[str] = DEFAULT_FIELDS
    ) -> ServiceNowRecord:
        """``POST /api/now/table/{table}`` with ``values`` as the JSON body."""
        response = self._http.request(
            "POST",
            f"{self.base_url}/api/now/table/{check_table(table)}",
            auth=self._auth,
            headers=self._headers,
            params=self._params(fields),
            json=dict(values),
        )
        body = response.json()
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, dict):
            raise ConnectorError(f"servicenow created a {table} record but answered without it")
        return record_from_result(table, result, self.base_url)

    def query_records(
        self, table: str, query: str, *, limit: int = 100, fields: Sequence[str] = DEFAULT_FIELDS
    ) -> list[ServiceNowRecord]:
        """``GET /api/now/table/{table}`` page by page (``sysparm_offset``) until ``limit`` records."""
        limit = max(1, min(limit, MAX_QUERY_RESULTS))
        url = f"{self.base_url}/api/now/table/{check_table(table)}"
        records: list[ServiceNowRecord] = []
        offset = 0
        while len(records) < limit:
            page_size = min(PAGE_SIZE, limit - len(records))
            params = {
                **self._params(fields),
                "sysparm_query": query,
                "sysparm_limit": str(page_size),
                "sysparm_offset": str(offset),
            }
            response = self._http.request("GET", url, auth=self._auth, headers=self._headers, params=params)
            body = response.json()
            results = body.get("result") if isinstance(body, dict) else None
            if not isinstance(results, list):
                raise ConnectorError(f"servicenow answered a {table} query without a result list")
            records += [record_from_result(table, result, self.base_url) for result in results]
            offset += len(results)
            # The Link header names the next page when there is one; without the header, a short
            # page is the last one. The next URL itself is not followed: only our own offset is.
            has_link = "link" in response.headers
            if len(results) < page_size or (has_link and "next" not in response.links):
                break
        return records[:limit]


# --- encoded queries, as the sandbox reads them -------------------------------------------------

_CONDITION = re.compile(
    r"^(?P<field>[a-z][a-z0-9_.]*)"
    r"(?P<op>NOT IN|NOTLIKE|STARTSWITH|ENDSWITH|ISNOTEMPTY|ISEMPTY|LIKE|IN|BETWEEN|!=|>=|<=|=|>|<)"
    r"(?P<value>.*)$",
    re.DOTALL,
)
# Reference fields whose display value (a name) the sandbox stores; ".name" dot-walks to it.
_REFERENCES = frozenset({"company", "caller_id", "assignment_group", "assigned_to", "opened_by"})


@dataclass(frozen=True)
class Condition:
    """One condition of an encoded query: ``field``, operator, value."""

    field: str
    op: str
    value: str


@dataclass(frozen=True)
class EncodedQuery:
    """An encoded query read as: any of ``groups`` (``^NQ``), each all of its clauses (``^``), each
    clause any of its conditions (``^OR``); then the order."""

    groups: tuple[tuple[tuple[Condition, ...], ...], ...]
    order: tuple[tuple[str, bool], ...]  # (field, descending)


def parse_encoded_query(query: str) -> EncodedQuery:
    """The sandbox's reading of an encoded query (the common operators, ``^OR``, ``^NQ``, ORDERBY)."""
    groups: list[tuple[tuple[Condition, ...], ...]] = []
    order: list[tuple[str, bool]] = []
    for group_text in query.split("^NQ"):
        clauses: list[list[Condition]] = []
        for part in group_text.split("^"):
            piece = part.strip()
            if not piece or piece == "EQ":  # "^EQ" ends queries copied from list filters
                continue
            if piece.startswith("ORDERBYDESC"):
                order.append((piece.removeprefix("ORDERBYDESC"), True))
                continue
            if piece.startswith("ORDERBY"):
                order.append((piece.removeprefix("ORDERBY"), False))
                continue
            is_or = piece.startswith("OR") and clauses
            match = _CONDITION.match(piece[2:] if is_or else piece)
            if match is None:
                raise ConnectorError(f"the servicenow sandbox cannot read the query condition {piece!r}")
            condition = Condition(match["field"], match["op"], match["value"])
            if condition.value.startswith("javascript:"):
                raise ConnectorError("the servicenow sandbox cannot evaluate javascript: values; use dates")
            if is_or:
                clauses[-1].append(condition)
            else:
                clauses.append([condition])
        groups.append(tuple(tuple(clause) for clause in clauses))
    return EncodedQuery(groups=tuple(groups), order=tuple(order))


def _field_value(record: Mapping[str, str], field: str) -> str:
    if "." in field:
        reference, _, leaf = field.partition(".")
        if reference in _REFERENCES and leaf == "name":
            return record.get(reference, "")
        raise ConnectorError(f"the servicenow sandbox dot-walks only <reference>.name, not {field!r}")
    return record.get(field, "")


def _comparable(left: str, right: str) -> tuple[Any, Any]:
    try:
        return float(left), float(right)
    except ValueError:
        return left.casefold(), right.casefold()


def _order_key(value: str) -> tuple[int, float, str]:
    """Numbers before text, numbers by value: how a choice or integer column sorts."""
    try:
        return (0, float(value), "")
    except ValueError:
        return (1, 0.0, value.casefold())


def _ordered_by(field: str) -> Callable[[Mapping[str, str]], tuple[int, float, str]]:
    return lambda record: _order_key(_field_value(record, field))


def _condition_matches(condition: Condition, record: Mapping[str, str]) -> bool:
    actual = _field_value(record, condition.field)
    op, value = condition.op, condition.value
    if op == "ISEMPTY":
        return actual == ""
    if op == "ISNOTEMPTY":
        return actual != ""
    if op in ("IN", "NOT IN"):
        inside = actual.casefold() in {item.strip().casefold() for item in value.split(",")}
        return inside == (op == "IN")
    if op in ("LIKE", "NOTLIKE"):
        return (value.casefold() in actual.casefold()) == (op == "LIKE")
    if op == "STARTSWITH":
        return actual.casefold().startswith(value.casefold())
    if op == "ENDSWITH":
        return actual.casefold().endswith(value.casefold())
    if op == "BETWEEN":
        low, _, high = value.partition("@")
        a, lo = _comparable(actual, low)
        _, hi = _comparable(actual, high)
        return bool(actual) and bool(lo <= a <= hi)
    left, right = _comparable(actual, value)
    if op == "=":
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if not actual:
        return False  # empty values never compare greater or smaller
    comparisons: dict[str, Callable[[Any, Any], bool]] = {
        ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b,
        "<": lambda a, b: a < b,
        "<=": lambda a, b: a <= b,
    }
    return comparisons[op](left, right)


def query_matches(query: EncodedQuery, record: Mapping[str, str]) -> bool:
    """Whether ``record`` (actual values) satisfies ``query``."""
    return any(
        all(any(_condition_matches(condition, record) for condition in clause) for clause in group)
        for group in query.groups
    )


# --- sandbox -----------------------------------------------------------------------------------

_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def _now_text() -> str:
    return datetime.now(UTC).strftime(_TIME_FORMAT)


def _shift(value: str, days: int) -> str:
    return (datetime.strptime(value, _TIME_FORMAT) + timedelta(days=days)).strftime(_TIME_FORMAT)


@lru_cache(maxsize=8)
def _load_incidents(path: str | None, today: date) -> tuple[dict[str, str], ...]:
    if path is None:
        text = resources.files("agentflow").joinpath("data/servicenow_incidents.json").read_text("utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    data = json.loads(text)
    days = (today - date.fromisoformat(data["base_date"])).days
    incidents = []
    for record in data["incidents"]:
        incident = dict(record)
        for key in ("opened_at", "sys_created_on", "sys_updated_on", "resolved_at"):
            if incident.get(key):
                incident[key] = _shift(incident[key], days)
        incidents.append(incident)
    return tuple(incidents)


def display_values(table: str, record: Mapping[str, str]) -> dict[str, str]:
    """A record's display values, as ``sysparm_display_value=true`` shows them."""
    shown = dict(record)
    for field, labels in CHOICE_LABELS.items():
        if shown.get(field) in labels:
            shown[field] = labels[shown[field]]
    if table == "incident" and shown.get("state") in INCIDENT_STATES:
        shown["state"] = INCIDENT_STATES[shown["state"]]
    return shown


_file_lock = threading.Lock()


class ServiceNowSandbox:
    """ServiceNow without the network: bundled incidents plus the records this sandbox created.

    Created records are appended to ``{sandbox_dir}/servicenow/{table}.jsonl``, stamped with the
    tenant, with a 32-hex sys_id and the table's next number; ServiceNow's defaults are applied
    (state New, priority from urgency and impact). Queries evaluate encoded queries on actual
    values and answer display values. Reference fields hold names here, so ``company=Acme`` and
    ``company.name=Acme`` both match (the live instance wants a sys_id for the first).
    """

    name = "servicenow"
    base_url = SANDBOX_BASE_URL

    def __init__(
        self,
        *,
        sandbox_dir: str | Path,
        latency_ms: int = 0,
        tenant_id: str | None = None,
        today: date | None = None,
        data_path: Path | None = None,
    ) -> None:
        self.directory = Path(sandbox_dir) / "servicenow"
        self.latency_ms = latency_ms
        self.tenant_id = tenant_id
        self._today = today
        self._data_path = str(data_path) if data_path is not None else None

    def table_path(self, table: str) -> Path:
        """The JSON-lines file of records created in ``table``."""
        return self.directory / f"{check_table(table)}.jsonl"

    def _lines(self, table: str) -> list[dict[str, Any]]:
        path = self.table_path(table)
        if not path.exists():
            return []
        with path.open(encoding="utf-8") as lines:
            return [json.loads(line) for line in lines if line.strip()]

    def created_records(self, table: str) -> list[dict[str, str]]:
        """The records (actual values) this tenant created in ``table``, oldest first."""
        return [line["record"] for line in self._lines(table) if line.get("tenant_id") == self.tenant_id]

    def records(self, table: str) -> list[dict[str, str]]:
        """Every record of ``table`` (actual values): bundled incidents first, then created ones."""
        bundled: list[dict[str, str]] = []
        if table == "incident":
            today = self._today or datetime.now(UTC).date()
            bundled = [dict(record) for record in _load_incidents(self._data_path, today)]
        return bundled + self.created_records(table)

    def _next_number(self, table: str) -> str | None:
        prefix = NUMBER_PREFIXES.get(table)
        if prefix is None:
            return None
        used = [
            int(line["record"]["number"][len(prefix) :])
            for line in self._lines(table)
            if str(line["record"].get("number", "")).startswith(prefix)
        ]
        return f"{prefix}{max([FIRST_NEW_NUMBER - 1, *used]) + 1:07d}"

    def create_record(
        self, table: str, values: Mapping[str, str], *, fields: Sequence[str] = DEFAULT_FIELDS
    ) -> ServiceNowRecord:
        """Append a record with ServiceNow's defaults and return its display values."""
        sandbox_pause(self.latency_ms)
        check_table(table)
        now = _now_text()
        record = {key: str(value) for key, value in values.items() if not key.startswith("sys_")}
        if table == "incident":
            record.setdefault("state", "1")
            record.setdefault("opened_at", now)
        record.setdefault("active", "true")
        urgency, impact = record.get("urgency", ""), record.get("impact", "")
        if (urgency, impact) in PRIORITY_MATRIX:
            # The Priority Data Lookup rules set priority; a value sent for it is overwritten.
            record["priority"] = PRIORITY_MATRIX[(urgency, impact)]
        with _file_lock:
            path = self.table_path(table)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("a+", encoding="utf-8") as out:
                # The file lock spans reading the last number and appending the next one.
                fcntl.flock(out, fcntl.LOCK_EX)
                try:
                    number = self._next_number(table)
                    if number is not None:
                        record["number"] = number
                    record.update(sys_id=uuid.uuid4().hex, sys_created_on=now, sys_updated_on=now)
                    out.write(
                        json.dumps({"tenant_id": self.tenant_id, "record": record}, ensure_ascii=False) + "\n"
                    )
                    out.flush()
                finally:
                    fcntl.flock(out, fcntl.LOCK_UN)
        return self._shown(table, record, fields)

    def _shown(self, table: str, record: Mapping[str, str], fields: Sequence[str]) -> ServiceNowRecord:
        shown = display_values(table, record)
        wanted = {"sys_id", *fields}
        return record_from_result(table, {k: v for k, v in shown.items() if k in wanted}, self.base_url)

    def query_records(
        self, table: str, query: str, *, limit: int = 100, fields: Sequence[str] = DEFAULT_FIELDS
    ) -> list[ServiceNowRecord]:
        """Records of ``table`` matching ``query`` in its ORDERBY order (else by creation), display values."""
        sandbox_pause(self.latency_ms)
        check_table(table)
        parsed = parse_encoded_query(query)
        found = [record for record in self.records(table) if query_matches(parsed, record)]
        found.sort(key=lambda record: (record.get("sys_created_on", ""), record.get("number", "")))
        for field, descending in reversed(parsed.order):  # stable sorts: the first ORDERBY wins
            found.sort(key=_ordered_by(field), reverse=descending)
        return [
            self._shown(table, record, fields) for record in found[: max(1, min(limit, MAX_QUERY_RESULTS))]
        ]


# --- factory entry points ----------------------------------------------------------------------


def sandbox(settings: Settings, tenant_id: str) -> ServiceNowSandbox:
    """The sandbox connector (CONNECTOR_MODE=sandbox)."""
    return ServiceNowSandbox(
        sandbox_dir=settings.sandbox_dir, latency_ms=settings.sandbox_latency_ms, tenant_id=tenant_id
    )


def live(secret: dict[str, Any], secret_name: str, settings: Settings) -> ServiceNowClient:
    """The live connector from the credentials secret's JSON."""
    return ServiceNowClient.from_secret(
        secret, secret_name=secret_name, allow_loopback=settings.connector_allow_loopback
    )
