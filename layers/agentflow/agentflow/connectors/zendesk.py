"""Zendesk Support: the live REST client (API token, Search and Tickets APIs) and the sandbox.

Both implement :class:`ZendeskConnector`: search tickets with Zendesk's search syntax
(``type:ticket status<solved priority:urgent priority:high organization:"Northwind Logistics"``),
create a ticket, and add a comment to one. The sandbox answers from the bundled help desk
``agentflow_sandbox/data/zendesk_tickets.json`` (see ``tools/generate_zendesk_data.py``): one organisation
per CRM account, CRM contacts as requesters, dates moved so the newest ticket is from today. It
evaluates the same search strings the live client sends, and appends the tickets and comments it
creates to ``{sandbox_dir}/zendesk/*.jsonl``, where later searches in the same sandbox see them.

The sandbox emulator lives in ``agentflow_sandbox.zendesk`` (the sandbox layer, never deployed with
``ConnectorMode=live``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from agentflow.connectors.base import basic_or_bearer, optional_secret_field, secret_base_url
from agentflow.connectors.http import VendorHttpClient, check_base_url
from agentflow.errors import ConnectorError
from agentflow.settings import Settings

TicketStatus = Literal["new", "open", "pending", "hold", "solved", "closed"]
TicketPriority = Literal["low", "normal", "high", "urgent"]
TicketType = Literal["problem", "incident", "question", "task"]

# Zendesk orders both properties, so "status<solved" and "priority>normal" are meaningful.
STATUS_ORDER: tuple[str, ...] = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITY_ORDER: tuple[str, ...] = ("low", "normal", "high", "urgent")

# The Search API serves at most 1,000 results per query, 100 per page.
MAX_SEARCH_RESULTS = 1000
SEARCH_PAGE_SIZE = 100
# show_many endpoints take at most 100 ids per request.
SHOW_MANY_LIMIT = 100

SANDBOX_BASE_URL = "https://agentflow-sandbox.zendesk.com"
_SUBDOMAIN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
TAG_PATTERN = r"^[^\s\"',]{1,80}$"
STATUS_FILTER_PATTERN = r"^(<|>|<=|>=|:)?(new|open|pending|hold|solved|closed)$"


class ZendeskTicket(BaseModel):
    """A Zendesk ticket as agents exchange it: names resolved, ``url`` the agent-interface link."""

    model_config = ConfigDict(extra="ignore")

    id: int
    url: str
    subject: str
    description: str = ""
    status: str
    priority: str | None = None
    type: str | None = None
    organization_id: int | None = None
    organization_name: str | None = None
    requester_id: int | None = None
    requester: str | None = None
    requester_email: str | None = None
    tags: list[str] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


class NewTicket(BaseModel):
    """A ticket to create. The organisation is looked up by name; the requester by e-mail."""

    subject: str = Field(min_length=1, max_length=255)
    body: str = Field(min_length=1)
    priority: TicketPriority | None = None
    type: TicketType | None = None
    tags: list[str] = Field(default_factory=list)
    requester_name: str | None = None
    requester_email: str | None = None
    organization_name: str | None = None
    external_id: str | None = None
    public: bool = True
    # Sent as the Idempotency-Key header: Zendesk answers a repeat within two hours with the
    # ticket the first request created (https://developer.zendesk.com/api-reference/introduction/idempotency/).
    idempotency_key: str | None = Field(None, max_length=255)


class TicketComment(BaseModel):
    """A comment added to a ticket, and the ticket as it stands after it."""

    ticket_id: int
    comment_id: int | None
    body: str
    public: bool
    ticket: ZendeskTicket


class ZendeskConnector(Protocol):
    """What agents may do with Zendesk Support, live or sandboxed."""

    name: str
    base_url: str

    def search_tickets(self, query: str, *, limit: int = 100) -> list[ZendeskTicket]:
        """Tickets matching a Zendesk search string, newest first, at most ``limit`` (≤ 1,000)."""
        ...

    def create_ticket(self, ticket: NewTicket) -> ZendeskTicket:
        """Create one ticket and return it as Zendesk stored it."""
        ...

    def add_comment(self, ticket_id: int, body: str, *, public: bool = False) -> TicketComment:
        """Add a comment (internal note unless ``public``) to ticket ``ticket_id``."""
        ...


# --- search syntax -----------------------------------------------------------------------------

_NEEDS_QUOTES = re.compile(r"[\s:<>()\-*]")


def quote_search_value(value: str) -> str:
    """``value`` as one search term: double-quoted when it holds spaces or operator characters.

    Zendesk's syntax has no escape for a double quote inside a phrase, so such values are refused.
    """
    text = " ".join(value.split())
    if not text:
        raise ConnectorError("a Zendesk search value cannot be empty")
    if '"' in text:
        raise ConnectorError(f"a Zendesk search value cannot contain double quotes: {value!r}")
    return f'"{text}"' if _NEEDS_QUOTES.search(text) else text


def build_search_query(
    *,
    status: Sequence[str] = (),
    priority: Sequence[str] = (),
    organization: str | None = None,
    tags: Sequence[str] = (),
    created_after: date | None = None,
    text: str | None = None,
) -> str:
    """A ticket search string in Zendesk's syntax.

    ``status`` items are a status with an optional comparison (``"<solved"``, ``"open"``); repeated
    ``status:``/``priority:``/``tags:`` terms match any of their values, different properties must
    all match. ``created_after`` becomes ``created>YYYY-MM-DD``; ``text`` (free search terms, or
    more property terms) is appended as given.
    """
    terms = ["type:ticket"]
    for item in status:
        match = re.fullmatch(STATUS_FILTER_PATTERN, item.strip().lower())
        if match is None:
            raise ConnectorError(f"'{item}' is not a Zendesk status filter (e.g. 'open' or '<solved')")
        terms.append(f"status{match.group(1) or ':'}{match.group(2)}")
    for item in priority:
        if item.lower() not in PRIORITY_ORDER:
            raise ConnectorError(f"'{item}' is not a Zendesk priority ({', '.join(PRIORITY_ORDER)})")
        terms.append(f"priority:{item.lower()}")
    if organization:
        terms.append(f"organization:{quote_search_value(organization)}")
    for tag in tags:
        if not re.fullmatch(TAG_PATTERN, tag):
            raise ConnectorError(f"'{tag}' is not a Zendesk tag (one word, no quotes or commas)")
        terms.append(f"tags:{tag.lower()}")
    if created_after is not None:
        terms.append(f"created>{created_after.isoformat()}")
    if text and text.strip():
        terms.append(" ".join(text.split()))
    return " ".join(terms)


# --- live client -------------------------------------------------------------------------------


def _ticket_from_api(record: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    """The fields of a Zendesk API ticket object that :class:`ZendeskTicket` keeps (names unresolved)."""
    return {
        "id": record["id"],
        "url": f"{base_url}/agent/tickets/{record['id']}",
        "subject": record.get("subject") or record.get("raw_subject") or "",
        "description": record.get("description") or "",
        "status": record.get("status") or "new",
        "priority": record.get("priority"),
        "type": record.get("type"),
        "organization_id": record.get("organization_id"),
        "requester_id": record.get("requester_id"),
        "tags": list(record.get("tags") or []),
        "created_at": record["created_at"],
        "updated_at": record.get("updated_at") or record["created_at"],
    }


def _chunks(values: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


class ZendeskClient:
    """The live Zendesk connector: Support REST API v2 with an API token (or an OAuth token).

    Endpoints: ``GET /api/v2/search.json`` (paged by ``next_page``), ``GET
    /api/v2/organizations/show_many.json`` and ``GET /api/v2/users/show_many.json`` (names for the
    ids tickets carry), ``GET /api/v2/organizations/search.json?name=`` (an organisation for a new
    ticket), ``POST /api/v2/tickets.json`` and ``PUT /api/v2/tickets/{id}.json`` (comments).
    Authentication is HTTP Basic ``{email}/token:{api_token}``, or ``Bearer {access_token}``.
    """

    name = "zendesk"

    def __init__(
        self,
        *,
        base_url: str,
        email: str | None = None,
        api_token: str | None = None,
        access_token: str | None = None,
        credentials_secret: str | None = None,
        allow_loopback: bool = False,
        http: VendorHttpClient | None = None,
    ) -> None:
        user = f"{email}/token" if email else None
        self._auth, self._headers = basic_or_bearer(
            self.name, credentials_secret, (user, api_token), access_token, needs="email and api_token"
        )
        self.base_url = check_base_url(base_url, allow_loopback=allow_loopback)
        self._organizations: dict[int, str] = {}
        self._users: dict[int, tuple[str | None, str | None]] = {}
        self._organization_ids: dict[str, int | None] = {}
        self._http = http or VendorHttpClient(
            self.name, credentials_secret=credentials_secret, allow_loopback=allow_loopback
        )

    @classmethod
    def from_secret(
        cls, secret: Mapping[str, Any], *, secret_name: str, allow_loopback: bool
    ) -> ZendeskClient:
        """A client from a Secrets Manager secret's JSON.

        The secret holds ``subdomain`` (``acme`` for ``https://acme.zendesk.com``) or ``base_url``,
        and ``email`` with ``api_token`` (Admin Center > Apps and integrations > Zendesk API), or an
        OAuth ``access_token``.
        """
        base_url = secret_base_url(
            secret,
            secret_name,
            field="subdomain",
            pattern=_SUBDOMAIN,
            host="https://{}.zendesk.com",
            vendor="Zendesk",
        )
        return cls(
            base_url=base_url,
            email=optional_secret_field(secret, "email", secret_name),
            api_token=optional_secret_field(secret, "api_token", secret_name),
            access_token=optional_secret_field(secret, "access_token", secret_name),
            credentials_secret=secret_name,
            allow_loopback=allow_loopback,
        )

    def close(self) -> None:
        """Release pooled connections."""
        self._http.close()

    def _call(self, method: str, path_or_url: str, **kwargs: Any) -> dict[str, Any]:
        url = path_or_url if path_or_url.startswith(self.base_url) else f"{self.base_url}{path_or_url}"
        headers = {**self._headers, **kwargs.pop("headers", {})}
        response = self._http.request(method, url, auth=self._auth, headers=headers, **kwargs)
        body = response.json()
        if not isinstance(body, dict):
            raise ConnectorError(
                f"zendesk answered {method} {path_or_url} with something other than an object"
            )
        return body

    def search_tickets(self, query: str, *, limit: int = 100) -> list[ZendeskTicket]:
        """Tickets matching ``query``, newest first, following ``next_page`` up to ``limit``."""
        limit = max(1, min(limit, MAX_SEARCH_RESULTS))
        page = self._call(
            "GET",
            "/api/v2/search.json",
            params={
                "query": query,
                "per_page": min(SEARCH_PAGE_SIZE, limit),
                "sort_by": "created_at",
                "sort_order": "desc",
            },
        )
        records = [
            item for item in page.get("results") or [] if item.get("result_type", "ticket") == "ticket"
        ]
        while page.get("next_page") and len(records) < limit:
            next_page = str(page["next_page"])
            # Only ever the same endpoint on the same account: never a host the response chose.
            if not next_page.startswith(f"{self.base_url}/api/v2/search"):
                raise ConnectorError("zendesk answered a next_page outside this account's search endpoint")
            page = self._call("GET", next_page)
            records += [
                item for item in page.get("results") or [] if item.get("result_type", "ticket") == "ticket"
            ]
        return self._resolved([_ticket_from_api(record, self.base_url) for record in records[:limit]])

    def _resolved(self, tickets: list[dict[str, Any]]) -> list[ZendeskTicket]:
        """Tickets with organisation and requester names, fetched 100 ids at a time and cached."""
        org_ids = sorted(
            {t["organization_id"] for t in tickets if t["organization_id"]} - set(self._organizations)
        )
        for chunk in _chunks(org_ids, SHOW_MANY_LIMIT):
            body = self._call(
                "GET", "/api/v2/organizations/show_many.json", params={"ids": ",".join(map(str, chunk))}
            )
            for org in body.get("organizations") or []:
                self._organizations[int(org["id"])] = str(org.get("name") or "")
        user_ids = sorted({t["requester_id"] for t in tickets if t["requester_id"]} - set(self._users))
        for chunk in _chunks(user_ids, SHOW_MANY_LIMIT):
            body = self._call(
                "GET", "/api/v2/users/show_many.json", params={"ids": ",".join(map(str, chunk))}
            )
            for user in body.get("users") or []:
                self._users[int(user["id"])] = (user.get("name"), user.get("email"))
        resolved = []
        for ticket in tickets:
            name, email = self._users.get(ticket["requester_id"] or 0, (None, None))
            resolved.append(
                ZendeskTicket(
                    **ticket,
                    organization_name=self._organizations.get(ticket["organization_id"] or 0),
                    requester=name,
                    requester_email=email,
                )
            )
        return resolved

    def _organization_id(self, name: str) -> int | None:
        key = name.casefold()
        if key not in self._organization_ids:
            body = self._call("GET", "/api/v2/organizations/search.json", params={"name": name})
            found = [
                org for org in body.get("organizations") or [] if str(org.get("name", "")).casefold() == key
            ]
            self._organization_ids[key] = int(found[0]["id"]) if found else None
            if found:
                self._organizations[int(found[0]["id"])] = str(found[0]["name"])
        return self._organization_ids[key]

    def create_ticket(self, ticket: NewTicket) -> ZendeskTicket:
        """``POST /api/v2/tickets.json``; the organisation by name when it exists, else the requester's.

        With ``ticket.idempotency_key``, a repeated request (a retry after a lost answer) returns
        the ticket the first one created instead of a second ticket.
        """
        body: dict[str, Any] = {
            "subject": ticket.subject,
            "comment": {"body": ticket.body, "public": ticket.public},
        }
        if ticket.priority:
            body["priority"] = ticket.priority
        if ticket.type:
            body["type"] = ticket.type
        if ticket.tags:
            body["tags"] = ticket.tags
        if ticket.external_id:
            body["external_id"] = ticket.external_id
        if ticket.requester_email:
            # Zendesk finds the user by e-mail, or creates an end user with this name.
            body["requester"] = {
                "email": ticket.requester_email,
                "name": ticket.requester_name or ticket.requester_email,
            }
        if ticket.organization_name:
            organization_id = self._organization_id(ticket.organization_name)
            if organization_id is not None:
                body["organization_id"] = organization_id
        headers = {"Idempotency-Key": ticket.idempotency_key} if ticket.idempotency_key else {}
        created = self._call("POST", "/api/v2/tickets.json", json={"ticket": body}, headers=headers).get(
            "ticket"
        )
        if not isinstance(created, dict) or "id" not in created:
            raise ConnectorError("zendesk created a ticket but answered without it")
        return self._resolved([_ticket_from_api(created, self.base_url)])[0]

    def add_comment(self, ticket_id: int, body: str, *, public: bool = False) -> TicketComment:
        """``PUT /api/v2/tickets/{id}.json`` with a comment; its id comes from the update's audit."""
        answer = self._call(
            "PUT",
            f"/api/v2/tickets/{int(ticket_id)}.json",
            json={"ticket": {"comment": {"body": body, "public": public}}},
        )
        updated = answer.get("ticket")
        if not isinstance(updated, dict) or "id" not in updated:
            raise ConnectorError(f"zendesk updated ticket {ticket_id} but answered without it")
        events = (answer.get("audit") or {}).get("events") or []
        comment_ids = [event.get("id") for event in events if event.get("type") == "Comment"]
        return TicketComment(
            ticket_id=int(updated["id"]),
            comment_id=comment_ids[0] if comment_ids else None,
            body=body,
            public=public,
            ticket=self._resolved([_ticket_from_api(updated, self.base_url)])[0],
        )


def live(secret: dict[str, Any], secret_name: str, settings: Settings) -> ZendeskClient:
    """The live connector from the credentials secret's JSON."""
    return ZendeskClient.from_secret(
        secret, secret_name=secret_name, allow_loopback=settings.connector_allow_loopback
    )
