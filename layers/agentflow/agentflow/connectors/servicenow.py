"""ServiceNow: the live Table API client (Basic or OAuth bearer) and the sandbox.

Both implement :class:`ServiceNowConnector`: create a record in a table and query a table with an
encoded query (``active=true^priority<=2^company.name=Northwind Logistics``). Records come back
with display values (``"1 - Critical"``, a company's name), as ``sysparm_display_value=true`` gives
them. The sandbox holds a few bundled incidents (``agentflow_sandbox/data/servicenow_incidents.json``, see
``tools/generate_servicenow_data.py``) and appends the records it creates to
``{sandbox_dir}/servicenow/{table}.jsonl``, numbered on from the bundled ones (INC0010001, ...);
queries in the same sandbox see them.

The sandbox emulator lives in ``agentflow_sandbox.servicenow`` (the sandbox layer, never deployed with
``ConnectorMode=live``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from agentflow.connectors.base import basic_or_bearer, optional_secret_field, secret_base_url
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
# Reference fields agents give by display value (a company's or group's name, a person's name).
REFERENCE_FIELDS = frozenset({"company", "caller_id", "assignment_group", "assigned_to", "opened_by"})


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


def display_inputs(values: Mapping[str, str]) -> dict[str, str]:
    """``values`` with the base-system choice values (urgency "2") as their labels ("2 - Medium")."""
    return {field: CHOICE_LABELS.get(field, {}).get(value, value) for field, value in values.items()}


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
        """``POST /api/now/table/{table}`` with ``values`` as the JSON body.

        Reference fields given by name are stored only with ``sysparm_input_display_value=true``;
        that flag makes every input a display value, so choice fields go as their labels then.
        """
        params = self._params(fields)
        body = dict(values)
        if REFERENCE_FIELDS & body.keys():
            params["sysparm_input_display_value"] = "true"
            body = display_inputs(body)
        response = self._http.request(
            "POST",
            f"{self.base_url}/api/now/table/{check_table(table)}",
            auth=self._auth,
            headers=self._headers,
            params=params,
            json=body,
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


def live(secret: dict[str, Any], secret_name: str, settings: Settings) -> ServiceNowClient:
    """The live connector from the credentials secret's JSON."""
    return ServiceNowClient.from_secret(
        secret, secret_name=secret_name, allow_loopback=settings.connector_allow_loopback
    )
