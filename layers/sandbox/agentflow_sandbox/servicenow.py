"""The servicenow sandbox: servicenow's emulator over bundled data, for CONNECTOR_MODE=sandbox."""

from __future__ import annotations

import fcntl
import json
import re
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from agentflow.connectors.base import sandbox_pause
from agentflow.connectors.servicenow import (
    CHOICE_LABELS,
    DEFAULT_FIELDS,
    FIRST_NEW_NUMBER,
    INCIDENT_STATES,
    MAX_QUERY_RESULTS,
    NUMBER_PREFIXES,
    PRIORITY_MATRIX,
    REFERENCE_FIELDS,
    SANDBOX_BASE_URL,
    ServiceNowRecord,
    check_table,
    record_from_result,
)
from agentflow.errors import ConnectorError
from agentflow.settings import Settings
from agentflow_sandbox import read_data

# --- encoded queries, as the sandbox reads them -------------------------------------------------

_CONDITION = re.compile(
    r"^(?P<field>[a-z][a-z0-9_.]*)"
    r"(?P<op>NOT IN|NOTLIKE|STARTSWITH|ENDSWITH|ISNOTEMPTY|ISEMPTY|LIKE|IN|BETWEEN|!=|>=|<=|=|>|<)"
    r"(?P<value>.*)$",
    re.DOTALL,
)
# Reference fields whose display value (a name) the sandbox stores; ".name" dot-walks to it.
_REFERENCES = REFERENCE_FIELDS


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
    data = read_data("servicenow_incidents.json", path)
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
