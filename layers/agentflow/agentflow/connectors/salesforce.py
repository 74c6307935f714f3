"""Salesforce CRM: the live REST client (OAuth 2.0 client credentials + SOQL) and the sandbox.

Both answer :meth:`find_opportunities` with the same records in the same order (close date, then id),
so an agent cannot tell which one it has. The sandbox serves the bundled data set
``agentflow_sandbox/data/salesforce_opportunities.json`` (see ``tools/generate_sandbox_data.py``).

The sandbox emulator lives in ``agentflow_sandbox.salesforce`` (the sandbox layer, never deployed with
``ConnectorMode=live``).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from agentflow.connectors.base import Opportunity, OpportunityQuery, optional_secret_field
from agentflow.connectors.http import VendorHttpClient, check_base_url
from agentflow.errors import ConnectorError

API_VERSION = "v61.0"

_SELECT_FIELDS = (
    "Id, Name, Amount, StageName, CloseDate, Probability, AccountId, Account.Name, Owner.Name, "
    "Owner.Email, (SELECT Contact.Name, Contact.Email FROM OpportunityContactRoles "
    "WHERE IsPrimary = true LIMIT 1)"
)
# Backslash first, so the escapes added after it are not escaped again.
_SOQL_STRING_ESCAPES = (
    ("\\", "\\\\"),
    ("'", "\\'"),
    ('"', '\\"'),
    ("\n", "\\n"),
    ("\r", "\\r"),
    ("\t", "\\t"),
    ("\b", "\\b"),
    ("\f", "\\f"),
)


def soql_escape(value: str, *, like: bool = False) -> str:
    """``value`` escaped for the inside of a SOQL string literal.

    With ``like``, ``%`` and ``_`` are escaped too, so they match themselves in a LIKE pattern
    instead of acting as wildcards.
    """
    for raw, escaped in _SOQL_STRING_ESCAPES:
        value = value.replace(raw, escaped)
    if like:
        value = value.replace("%", "\\%").replace("_", "\\_")
    return value


def _soql_number(value: float) -> str:
    if not math.isfinite(value):
        raise ConnectorError(f"cannot filter Salesforce amounts by {value}")
    # Plain decimal notation: "100000" for 100000.0, "99999.99", never "1e+21" (SOQL has no exponents).
    return format(Decimal(str(value)).normalize(), "f")


def build_opportunity_soql(query: OpportunityQuery) -> str:
    """The SOQL statement for ``query``: its filters as a WHERE clause, by close date then id.

    Dates are SOQL date literals (unquoted ``YYYY-MM-DD``); the stage matches by prefix, as
    :class:`OpportunityQuery` promises ("Negotiation" matches "Negotiation/Review").
    """
    conditions: list[str] = []
    if query.stage:
        conditions.append(f"StageName LIKE '{soql_escape(query.stage, like=True)}%'")
    if query.min_amount is not None:
        conditions.append(f"Amount >= {_soql_number(query.min_amount)}")
    if query.close_from is not None:
        conditions.append(f"CloseDate >= {query.close_from.isoformat()}")
    if query.close_to is not None:
        conditions.append(f"CloseDate <= {query.close_to.isoformat()}")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    # Every value above went through soql_escape or is a number or date we formatted ourselves.
    return f"SELECT {_SELECT_FIELDS} FROM Opportunity{where} ORDER BY CloseDate, Id LIMIT {query.limit}"  # noqa: S608  # nosec B608


def _related(record: Mapping[str, Any], relation: str, field: str) -> Any:
    parent = record.get(relation)
    return parent.get(field) if isinstance(parent, Mapping) else None


def opportunity_from_record(record: Mapping[str, Any]) -> Opportunity:
    """Map one Salesforce REST query record to an :class:`Opportunity`."""
    contact_name = contact_email = None
    roles = record.get("OpportunityContactRoles")
    if isinstance(roles, Mapping) and roles.get("records"):
        contact = roles["records"][0].get("Contact")
        if isinstance(contact, Mapping):
            contact_name, contact_email = contact.get("Name"), contact.get("Email")
    probability = record.get("Probability")
    return Opportunity(
        id=record["Id"],
        name=record.get("Name") or "",
        account_id=record.get("AccountId"),
        # An opportunity without an account is legal in Salesforce, if rare.
        account_name=_related(record, "Account", "Name") or "",
        amount=float(record.get("Amount") or 0.0),
        stage=record["StageName"],
        close_date=record["CloseDate"],
        probability=round(probability) if probability is not None else None,
        owner_name=_related(record, "Owner", "Name") or "",
        owner_email=_related(record, "Owner", "Email") or "",
        contact_name=contact_name,
        contact_email=contact_email,
    )


class SalesforceClient:
    """The live Salesforce connector: OAuth 2.0 client credentials, then the REST query API.

    Endpoints: ``POST {instance_url}/services/oauth2/token`` and
    ``GET {instance_url}/services/data/v61.0/query?q=<SOQL>`` (following ``nextRecordsUrl``).
    A token given directly (``access_token``) is used as is; one obtained with client credentials
    is refreshed once when Salesforce answers 401 (sessions expire while containers stay warm).
    """

    name = "salesforce"

    def __init__(
        self,
        *,
        instance_url: str,
        client_id: str | None = None,
        client_secret: str | None = None,
        access_token: str | None = None,
        credentials_secret: str | None = None,
        allow_loopback: bool = False,
        http: VendorHttpClient | None = None,
    ) -> None:
        if not access_token and not (client_id and client_secret):
            where = f"secret '{credentials_secret}'" if credentials_secret else "salesforce credentials"
            raise ConnectorError(f"{where} needs either access_token or client_id and client_secret")
        self.instance_url = check_base_url(instance_url, allow_loopback=allow_loopback)
        self._client_id = client_id
        self._client_secret = client_secret
        self._given_token = access_token
        self._token: str | None = access_token
        self._token_lock = threading.Lock()
        self._http = http or VendorHttpClient(
            self.name, credentials_secret=credentials_secret, allow_loopback=allow_loopback
        )

    @classmethod
    def from_secret(
        cls, secret: Mapping[str, Any], *, secret_name: str, allow_loopback: bool
    ) -> SalesforceClient:
        """A client from a Secrets Manager secret's JSON.

        The secret holds ``instance_url`` (the org's My Domain URL) and either ``client_id`` and
        ``client_secret`` of a connected app with the client credentials flow, or an ``access_token``.
        """
        instance_url = secret.get("instance_url")
        if not isinstance(instance_url, str) or not instance_url:
            raise ConnectorError(f"secret '{secret_name}' lacks instance_url (the org's My Domain URL)")
        return cls(
            instance_url=instance_url,
            client_id=optional_secret_field(secret, "client_id", secret_name),
            client_secret=optional_secret_field(secret, "client_secret", secret_name),
            access_token=optional_secret_field(secret, "access_token", secret_name),
            credentials_secret=secret_name,
            allow_loopback=allow_loopback,
        )

    def close(self) -> None:
        """Release pooled connections."""
        self._http.close()

    def _access_token(self, *, refresh: bool = False) -> str:
        with self._token_lock:
            if self._token and not refresh:
                return self._token
            response = self._http.request(
                "POST",
                f"{self.instance_url}/services/oauth2/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": self._client_id or "",
                    "client_secret": self._client_secret or "",
                },
                token_request=True,
            )
            token = response.json().get("access_token")
            if not isinstance(token, str) or not token:
                raise ConnectorError("salesforce token endpoint answered without an access_token")
            self._token = token
            return token

    def _get(self, url: str, **kwargs: Any) -> dict[str, Any]:
        response = self._http.send("GET", url, headers=self._auth_headers(), **kwargs)
        can_refresh = self._given_token is None and self._client_id is not None
        if response.status_code == 401 and can_refresh:
            self._access_token(refresh=True)
            response = self._http.send("GET", url, headers=self._auth_headers(), **kwargs)
        self._http.raise_for_status(response)
        body = response.json()
        if not isinstance(body, dict):
            raise ConnectorError("salesforce query answered with something other than a JSON object")
        return body

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._access_token()}"}

    def find_opportunities(self, query: OpportunityQuery) -> list[Opportunity]:
        """Opportunities matching ``query`` from the org, by close date then id."""
        soql = build_opportunity_soql(query)
        page = self._get(f"{self.instance_url}/services/data/{API_VERSION}/query", params={"q": soql})
        records: list[dict[str, Any]] = list(page.get("records") or [])
        while not page.get("done", True) and page.get("nextRecordsUrl") and len(records) < query.limit:
            next_path = str(page["nextRecordsUrl"])
            if not next_path.startswith("/services/data/"):
                # Only ever a path on the same instance: never a host the response chose.
                raise ConnectorError("salesforce answered a nextRecordsUrl outside /services/data/")
            page = self._get(f"{self.instance_url}{next_path}")
            records.extend(page.get("records") or [])
        return [opportunity_from_record(record) for record in records[: query.limit]]
