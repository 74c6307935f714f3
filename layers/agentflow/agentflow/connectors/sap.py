"""SAP S/4HANA: the live OData v2 client (business partners, sales orders) and the sandbox.

Both implement :class:`SapConnector` and hand back the same records (:class:`BusinessPartner`,
:class:`SalesOrder` with its items) in the same order, so an agent cannot tell which one it has.

The live client reads two released S/4HANA APIs:

- ``GET /sap/opu/odata/sap/API_BUSINESS_PARTNER/A_BusinessPartner`` filtered on
  ``BusinessPartnerFullName`` (``eq`` or ``startswith``);
- ``GET /sap/opu/odata/sap/API_SALES_ORDER_SRV/A_SalesOrder`` filtered on ``SoldToParty`` (and
  ``OverallSDProcessStatus ne 'C'`` for open orders) with ``$expand=to_Item``.

Answers are OData v2 JSON (``{"d": {"results": [...], "__next": ...}}``), with dates as
``/Date(ms)/`` and amounts as decimal strings. Pages come by ``$top``/``$skip``, and by the
``__next`` link when the server pages on its own. Authentication is HTTP Basic (communication user)
or a bearer token (given, or from an OAuth 2.0 client-credentials token URL); ``sap-client`` is sent
when the secret names a client.

The sandbox serves ``agentflow_sandbox/data/sap_business_partners.json`` and ``sap_sales_orders.json``
(see ``tools/generate_sap_data.py``), with every date moved by (today - base date) days.

The sandbox emulator lives in ``agentflow_sandbox.sap`` (the sandbox layer, never deployed with
``ConnectorMode=live``).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field

from agentflow.connectors.base import (
    HOST_NAME,
    optional_secret_field,
    secret_base_url,
)
from agentflow.connectors.http import VendorHttpClient, check_base_url
from agentflow.errors import ConnectorError

if TYPE_CHECKING:
    from agentflow.settings import Settings

NameMatch = Literal["exact", "prefix"]

ODATA_ROOT = "/sap/opu/odata/sap/"
BUSINESS_PARTNER_PATH = "/sap/opu/odata/sap/API_BUSINESS_PARTNER/A_BusinessPartner"
SALES_ORDER_PATH = "/sap/opu/odata/sap/API_SALES_ORDER_SRV/A_SalesOrder"
# Values OR-ed into one $filter: a GET URL stays far below the 8 KB gateways accept.
FILTER_BATCH = 10
# Rows asked per request; the gateway may answer fewer and a __next link for the rest.
PARTNER_PAGE_SIZE = 500
ORDER_PAGE_SIZE = 200
_MAX_REQUESTS_PER_QUERY = 200

_PARTNER_FIELDS = (
    "BusinessPartner",
    "BusinessPartnerFullName",
    "BusinessPartnerCategory",
    "OrganizationBPName1",
    "SearchTerm1",
    "Customer",
    "Supplier",
    "BusinessPartnerGrouping",
    "CreationDate",
)
_ORDER_FIELDS = (
    "SalesOrder",
    "SalesOrderType",
    "SalesOrganization",
    "SoldToParty",
    "PurchaseOrderByCustomer",
    "CreationDate",
    "RequestedDeliveryDate",
    "TotalNetAmount",
    "TransactionCurrency",
    "OverallSDProcessStatus",
    "OverallTotalDeliveryStatus",
)
_ITEM_FIELDS = (
    "SalesOrderItem",
    "Material",
    "SalesOrderItemText",
    "RequestedQuantity",
    "RequestedQuantityUnit",
    "NetAmount",
    "TransactionCurrency",
    "SDProcessStatus",
)
_ODATA_DATE = re.compile(r"^/Date\((-?\d+)(?:[+-]\d{4})?\)/$")
_TOKEN_EARLY_RENEWAL_SECONDS = 60.0


class BusinessPartner(BaseModel):
    """An ``A_BusinessPartner`` record. Category "1" is a person, "2" an organization, "3" a group.

    ``account_name`` is the upstream account the partner was found for (set by the agent).
    """

    model_config = ConfigDict(extra="ignore")

    BusinessPartner: str
    BusinessPartnerFullName: str
    BusinessPartnerCategory: str
    OrganizationBPName1: str | None = None
    SearchTerm1: str | None = None
    Customer: str | None = None
    Supplier: str | None = None
    BusinessPartnerGrouping: str | None = None
    CreationDate: date | None = None
    account_name: str | None = None


class SalesOrderItem(BaseModel):
    """An ``A_SalesOrderItem`` record."""

    model_config = ConfigDict(extra="ignore")

    SalesOrderItem: str
    Material: str | None = None
    SalesOrderItemText: str | None = None
    RequestedQuantity: float = 0.0
    RequestedQuantityUnit: str | None = None
    NetAmount: float = 0.0
    TransactionCurrency: str | None = None
    SDProcessStatus: str | None = None


class SalesOrder(BaseModel):
    """An ``A_SalesOrder`` record with its items. ``OverallSDProcessStatus``: A open, B partly
    processed, C completed. ``account_name`` is the sold-to party's name (set by the agent)."""

    model_config = ConfigDict(extra="ignore")

    SalesOrder: str
    SalesOrderType: str | None = None
    SalesOrganization: str | None = None
    SoldToParty: str
    account_name: str | None = None
    PurchaseOrderByCustomer: str | None = None
    CreationDate: date
    RequestedDeliveryDate: date | None = None
    TotalNetAmount: float
    TransactionCurrency: str
    OverallSDProcessStatus: str
    OverallTotalDeliveryStatus: str | None = None
    items: list[SalesOrderItem] = Field(default_factory=list)


class SapConnector(Protocol):
    name: str

    def find_business_partners(
        self, names: Sequence[str], *, match: NameMatch = "exact", limit: int = 500
    ) -> list[BusinessPartner]:
        """Partners whose full name equals (``exact``) or starts with (``prefix``) one of ``names``
        (case-sensitive, as the OData filter is); every partner when ``names`` is empty. By number."""
        ...

    def find_sales_orders(
        self, sold_to_parties: Sequence[str], *, open_only: bool = True, limit: int = 1000
    ) -> list[SalesOrder]:
        """Orders of these sold-to parties (customer numbers), without completed ones when
        ``open_only``; by order number, at most ``limit``."""
        ...


def odata_string(value: str) -> str:
    """``value`` as an OData string literal: in single quotes, inner quotes doubled."""
    return "'" + value.replace("'", "''") + "'"


def name_filter(names: Sequence[str], match: NameMatch) -> str:
    """The $filter clause matching any of ``names`` on ``BusinessPartnerFullName``."""
    if match == "exact":
        clauses = [f"BusinessPartnerFullName eq {odata_string(name)}" for name in names]
    else:
        clauses = [f"startswith(BusinessPartnerFullName,{odata_string(name)}) eq true" for name in names]
    return clauses[0] if len(clauses) == 1 else "(" + " or ".join(clauses) + ")"


def sales_order_filter(sold_to_parties: Sequence[str], *, open_only: bool) -> str:
    """The $filter clause for orders of any of these parties, open ones only when ``open_only``."""
    clauses = [f"SoldToParty eq {odata_string(party)}" for party in sold_to_parties]
    parties = clauses[0] if len(clauses) == 1 else "(" + " or ".join(clauses) + ")"
    return f"{parties} and OverallSDProcessStatus ne 'C'" if open_only else parties


def parse_odata_date(value: Any) -> date | None:
    """A date from OData v2 JSON (``/Date(1741564800000)/``, with an optional offset) or ISO text."""
    if not isinstance(value, str) or not value:
        return None
    matched = _ODATA_DATE.match(value)
    if matched:
        return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=int(matched.group(1)))).date()
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _decimal(value: Any) -> float:
    """An Edm.Decimal (sent as a string in OData v2 JSON) as a float; empty is zero."""
    if value is None or value == "":
        return 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ConnectorError(f"sap answered a malformed amount {str(value)[:40]!r}") from None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def partner_from_record(record: Mapping[str, Any]) -> BusinessPartner:
    """Map one ``A_BusinessPartner`` JSON record to a :class:`BusinessPartner`."""
    return BusinessPartner(
        BusinessPartner=str(record["BusinessPartner"]),
        BusinessPartnerFullName=str(record.get("BusinessPartnerFullName") or ""),
        BusinessPartnerCategory=str(record.get("BusinessPartnerCategory") or ""),
        OrganizationBPName1=_text(record.get("OrganizationBPName1")),
        SearchTerm1=_text(record.get("SearchTerm1")),
        Customer=_text(record.get("Customer")),
        Supplier=_text(record.get("Supplier")),
        BusinessPartnerGrouping=_text(record.get("BusinessPartnerGrouping")),
        CreationDate=parse_odata_date(record.get("CreationDate")),
    )


def order_from_record(record: Mapping[str, Any]) -> SalesOrder:
    """Map one ``A_SalesOrder`` JSON record (``to_Item`` expanded) to a :class:`SalesOrder`."""
    expanded = record.get("to_Item")
    rows = expanded.get("results") if isinstance(expanded, Mapping) else expanded
    items = [
        SalesOrderItem(
            SalesOrderItem=str(item["SalesOrderItem"]),
            Material=_text(item.get("Material")),
            SalesOrderItemText=_text(item.get("SalesOrderItemText")),
            RequestedQuantity=_decimal(item.get("RequestedQuantity")),
            RequestedQuantityUnit=_text(item.get("RequestedQuantityUnit")),
            NetAmount=_decimal(item.get("NetAmount")),
            TransactionCurrency=_text(item.get("TransactionCurrency")),
            SDProcessStatus=_text(item.get("SDProcessStatus")),
        )
        for item in rows or []
        if isinstance(item, Mapping)
    ]
    created = parse_odata_date(record.get("CreationDate"))
    if created is None:
        raise ConnectorError(f"sap sales order {record.get('SalesOrder')} has no CreationDate")
    return SalesOrder(
        SalesOrder=str(record["SalesOrder"]),
        SalesOrderType=_text(record.get("SalesOrderType")),
        SalesOrganization=_text(record.get("SalesOrganization")),
        SoldToParty=str(record.get("SoldToParty") or ""),
        PurchaseOrderByCustomer=_text(record.get("PurchaseOrderByCustomer")),
        CreationDate=created,
        RequestedDeliveryDate=parse_odata_date(record.get("RequestedDeliveryDate")),
        TotalNetAmount=_decimal(record.get("TotalNetAmount")),
        TransactionCurrency=str(record.get("TransactionCurrency") or ""),
        OverallSDProcessStatus=str(record.get("OverallSDProcessStatus") or ""),
        OverallTotalDeliveryStatus=_text(record.get("OverallTotalDeliveryStatus")),
        items=items,
    )


def _batches(values: Sequence[str], size: int) -> list[Sequence[str]]:
    return [values[start : start + size] for start in range(0, len(values), size)]


def distinct(values: Sequence[str]) -> list[str]:
    """The non-empty ``values``, each once, in their first order."""
    return list(dict.fromkeys(value for value in values if value))


def sap_error_text(response: httpx.Response) -> str:
    """SAP Gateway's own words for an error (``{"error": {"code", "message": {"value"}}}``)."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        message = error.get("message")
        text = message.get("value") if isinstance(message, dict) else message
        parts = [str(part) for part in (error.get("code"), text) if part]
        if parts:
            return ": ".join(parts)[:300]
    return " ".join(response.text.split())[:300] or response.reason_phrase


# --- live ----------------------------------------------------------------------------------------


class SapClient:
    """The live S/4HANA connector: OData v2 over HTTPS with Basic or bearer authentication."""

    name = "sap"

    def __init__(
        self,
        *,
        base_url: str,
        username: str | None = None,
        password: str | None = None,
        access_token: str | None = None,
        token_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        sap_client: str | None = None,
        credentials_secret: str | None = None,
        allow_loopback: bool = False,
        http: VendorHttpClient | None = None,
    ) -> None:
        oauth = bool(token_url and client_id and client_secret)
        if not (access_token or oauth or (username and password)):
            where = f"secret '{credentials_secret}'" if credentials_secret else "sap credentials"
            raise ConnectorError(
                f"{where} needs username and password, an access_token, "
                "or token_url with client_id and client_secret"
            )
        self.base_url = check_base_url(base_url, allow_loopback=allow_loopback)
        self.token_url = (
            check_base_url(token_url, allow_loopback=allow_loopback) if oauth and token_url else None
        )
        self.sap_client = sap_client
        self._basic = (
            (username, password) if username and password and not access_token and not oauth else None
        )
        self._client_id = client_id
        self._client_secret = client_secret
        self._token = access_token
        self._token_expires_at = float("inf") if access_token else 0.0
        self._token_lock = threading.Lock()
        self._http = http or VendorHttpClient(
            self.name, credentials_secret=credentials_secret, allow_loopback=allow_loopback
        )

    @classmethod
    def from_secret(cls, secret: Mapping[str, Any], *, secret_name: str, allow_loopback: bool) -> SapClient:
        """A client from a Secrets Manager secret's JSON.

        ``base_url`` (``https://my-s4.example.com``) or ``host``; credentials as ``username`` and
        ``password`` (a communication user, HTTP Basic), or ``access_token``, or ``token_url`` with
        ``client_id`` and ``client_secret`` (OAuth 2.0 client credentials); optional ``client``
        (the SAP client, e.g. "100").
        """
        base_url = secret_base_url(
            secret, secret_name, field="host", pattern=HOST_NAME, host="https://{}", vendor="SAP S/4HANA"
        )
        return cls(
            base_url=base_url,
            username=optional_secret_field(secret, "username", secret_name),
            password=optional_secret_field(secret, "password", secret_name),
            access_token=optional_secret_field(secret, "access_token", secret_name),
            token_url=optional_secret_field(secret, "token_url", secret_name),
            client_id=optional_secret_field(secret, "client_id", secret_name),
            client_secret=optional_secret_field(secret, "client_secret", secret_name),
            sap_client=optional_secret_field(secret, "client", secret_name),
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
            if self.token_url is None:
                raise ConnectorError("sap rejected the given access_token and has no token_url to renew it")
            response = self._http.request(
                "POST",
                self.token_url,
                data={"grant_type": "client_credentials"},
                auth=(self._client_id or "", self._client_secret or ""),
                token_request=True,
            )
            body = response.json()
            token = body.get("access_token") if isinstance(body, dict) else None
            if not isinstance(token, str) or not token:
                raise ConnectorError("sap token endpoint answered without an access_token")
            lifetime = float(body.get("expires_in") or 3600)
            self._token = token
            self._token_expires_at = time.monotonic() + max(0.0, lifetime - _TOKEN_EARLY_RENEWAL_SECONDS)
            return token

    def _send(self, url: str, params: Mapping[str, Any] | None) -> httpx.Response:
        if self._basic is not None:
            return self._http.send("GET", url, params=params, auth=self._basic)
        return self._http.send(
            "GET", url, params=params, headers={"Authorization": f"Bearer {self._access_token()}"}
        )

    def _get(self, url: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """One OData read; returns the ``d`` object."""
        response = self._send(url, params)
        if response.status_code == 401 and self.token_url is not None:
            self._access_token(refresh=True)
            response = self._send(url, params)
        status = response.status_code
        if 400 <= status < 500 and status not in (401, 403, 429):
            # SAP nests its message one level deeper than other vendors: say it plainly.
            path = urlsplit(str(response.request.url)).path
            raise ConnectorError(f"sap: GET {path} answered HTTP {status}: {sap_error_text(response)}")
        self._http.raise_for_status(response)
        body = response.json()
        d = body.get("d") if isinstance(body, dict) else None
        if not isinstance(d, dict):
            raise ConnectorError("sap answered without an OData v2 'd' object")
        return d

    def _next_url(self, link: str) -> str:
        """The ``__next`` link as an absolute URL on this system (never a host the answer chose)."""
        url = urljoin(self.base_url + "/", link)
        parts, base = urlsplit(url), urlsplit(self.base_url)
        if (parts.scheme, parts.netloc) != (base.scheme, base.netloc) or not parts.path.startswith(
            ODATA_ROOT
        ):
            raise ConnectorError("sap answered a __next link outside its OData services")
        query = parse_qsl(parts.query, keep_blank_values=True)
        if self.sap_client and not any(key == "sap-client" for key, _ in query):
            query.append(("sap-client", self.sap_client))
        return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))

    def _query(
        self, path: str, params: Mapping[str, str], *, cap: int, page_size: int
    ) -> list[dict[str, Any]]:
        """Up to ``cap`` rows of an entity set: ``$top``/``$skip`` pages, each followed through ``__next``."""
        base_params: dict[str, Any] = {**params, "$format": "json"}
        if self.sap_client:
            base_params["sap-client"] = self.sap_client
        rows: list[dict[str, Any]] = []
        skip = requests = 0
        while len(rows) < cap:
            top = min(page_size, cap - len(rows))
            d = self._get(f"{self.base_url}{path}", {**base_params, "$top": top, "$skip": skip})
            requests += 1
            received = _results(d)
            rows.extend(received)
            got = len(received)
            while isinstance(d.get("__next"), str) and len(rows) < cap:
                if requests >= _MAX_REQUESTS_PER_QUERY:
                    raise ConnectorError(f"sap kept answering __next links after {requests} pages")
                d = self._get(self._next_url(d["__next"]))
                requests += 1
                received = _results(d)
                rows.extend(received)
                got += len(received)
            if got < top or got == 0:
                break
            skip += got
        return rows[:cap]

    # -- records --

    def find_business_partners(
        self, names: Sequence[str], *, match: NameMatch = "exact", limit: int = 500
    ) -> list[BusinessPartner]:
        """Partners named (or, with ``prefix``, starting with) any of ``names``, by number."""
        select = ",".join(_PARTNER_FIELDS)
        filters: list[str | None] = [
            name_filter(batch, match) for batch in _batches(distinct(names), FILTER_BATCH)
        ]
        found: dict[str, BusinessPartner] = {}
        for where in filters or [None]:
            params = {"$select": select, "$orderby": "BusinessPartner"}
            if where:
                params["$filter"] = where
            for record in self._query(BUSINESS_PARTNER_PATH, params, cap=limit, page_size=PARTNER_PAGE_SIZE):
                partner = partner_from_record(record)
                found.setdefault(partner.BusinessPartner, partner)
        return sorted(found.values(), key=lambda partner: partner.BusinessPartner)[:limit]

    def find_sales_orders(
        self, sold_to_parties: Sequence[str], *, open_only: bool = True, limit: int = 1000
    ) -> list[SalesOrder]:
        """Orders of these sold-to parties with their items, by order number."""
        select = ",".join(_ORDER_FIELDS + tuple(f"to_Item/{field}" for field in _ITEM_FIELDS))
        found: dict[str, SalesOrder] = {}
        for batch in _batches(distinct(sold_to_parties), FILTER_BATCH):
            params = {
                "$filter": sales_order_filter(batch, open_only=open_only),
                "$expand": "to_Item",
                "$select": select,
                "$orderby": "SalesOrder",
            }
            for record in self._query(SALES_ORDER_PATH, params, cap=limit, page_size=ORDER_PAGE_SIZE):
                order = order_from_record(record)
                found.setdefault(order.SalesOrder, order)
        return sorted(found.values(), key=order_key)[:limit]


def _results(d: Mapping[str, Any]) -> list[dict[str, Any]]:
    results = d.get("results")
    if not isinstance(results, list):
        raise ConnectorError("sap answered an entity set without 'results'")
    return [row for row in results if isinstance(row, dict)]


def order_key(order: SalesOrder) -> tuple[int, str]:
    """Sort key of sales orders: by number, numerically when the numbers' lengths differ."""
    # Order numbers are digit strings of one length in practice; sort numerically when they differ.
    return (len(order.SalesOrder), order.SalesOrder)


def live(secret: dict[str, Any], secret_name: str, settings: Settings) -> SapClient:
    """The live connector from the credentials secret's JSON (see :meth:`SapClient.from_secret`)."""
    return SapClient.from_secret(
        secret, secret_name=secret_name, allow_loopback=settings.connector_allow_loopback
    )
