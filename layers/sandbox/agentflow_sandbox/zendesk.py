"""The zendesk sandbox: zendesk's emulator over bundled data, for CONNECTOR_MODE=sandbox."""

from __future__ import annotations

import fcntl
import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from agentflow.connectors.base import sandbox_pause
from agentflow.connectors.zendesk import (
    MAX_SEARCH_RESULTS,
    PRIORITY_ORDER,
    SANDBOX_BASE_URL,
    STATUS_ORDER,
    NewTicket,
    TicketComment,
    ZendeskTicket,
)
from agentflow.errors import ConnectorError
from agentflow.settings import Settings
from agentflow_sandbox import read_data

# --- sandbox -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Bundle:
    organizations: dict[int, dict[str, Any]]
    users: dict[int, dict[str, Any]]
    tickets: tuple[dict[str, Any], ...]


def _shift(timestamp: str, days: int) -> str:
    moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00")) + timedelta(days=days)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=8)
def _load_bundle(path: str | None, today: date) -> _Bundle:
    data = read_data("zendesk_tickets.json", path)
    # The data is written for base_date; moving every timestamp by the same number of days keeps
    # ages ("opened 3 days ago") as written, whatever the date today.
    days = (today - date.fromisoformat(data["base_date"])).days
    tickets = []
    for record in data["tickets"]:
        ticket = dict(record)
        ticket["created_at"] = _shift(record["created_at"], days)
        ticket["updated_at"] = _shift(record["updated_at"], days)
        tickets.append(ticket)
    return _Bundle(
        organizations={int(org["id"]): org for org in data["organizations"]},
        users={int(user["id"]): user for user in data["users"]},
        tickets=tuple(tickets),
    )


@dataclass(frozen=True)
class SearchTerm:
    """One term of a search string: ``-key<op>value``, or free text when ``key`` is None."""

    key: str | None
    op: str
    value: str
    negated: bool = False
    phrase: bool = False


_TERM = re.compile(
    r'(?P<neg>-)?(?:(?P<key>[A-Za-z_]+)(?P<op><=|>=|:|<|>))?(?:"(?P<phrase>[^"]*)"|(?P<bare>[^\s"]+))'
)
_SANDBOX_KEYS = (
    "type", "status", "priority", "organization", "tags", "tag", "requester", "created", "updated",
    "subject", "description", "ticket_type", "order_by", "sort",
)  # fmt: skip


def parse_search_query(query: str) -> list[SearchTerm]:
    """The terms of a Zendesk search string (the sandbox's reading of it)."""
    terms: list[SearchTerm] = []
    position = 0
    text = query.strip()
    while position < len(text):
        if text[position].isspace():
            position += 1
            continue
        match = _TERM.match(text, position)
        if match is None:
            raise ConnectorError(f"zendesk cannot parse the search near {text[position : position + 20]!r}")
        phrase = match.group("phrase")
        terms.append(
            SearchTerm(
                key=match.group("key").lower() if match.group("key") else None,
                op=match.group("op") or ":",
                value=phrase if phrase is not None else match.group("bare"),
                negated=bool(match.group("neg")),
                phrase=phrase is not None,
            )
        )
        position = match.end()
    return terms


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _text_matches(term: SearchTerm, text: str) -> bool:
    """Zendesk's text matching: a word matches whole words or word prefixes; a phrase matches in order."""
    wanted = _words(term.value.rstrip("*"))
    if not wanted:
        return True
    words = _words(text)
    if term.phrase or len(wanted) > 1:
        size = len(wanted)
        return any(words[i : i + size] == wanted for i in range(len(words) - size + 1))
    return any(word.startswith(wanted[0]) for word in words)


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == ":":
        return bool(left == right)
    if op == "<":
        return bool(left < right)
    if op == ">":
        return bool(left > right)
    if op == "<=":
        return bool(left <= right)
    return bool(left >= right)


def _ordered(term: SearchTerm, value: str | None, order: tuple[str, ...]) -> bool:
    wanted = term.value.lower()
    if wanted not in order:
        raise ConnectorError(f"zendesk: '{term.value}' is not a {term.key} ({', '.join(order)})")
    if value is None:
        return False
    return _compare(term.op, order.index(value), order.index(wanted))


def _date_matches(term: SearchTerm, moment: datetime) -> bool:
    try:
        wanted = date.fromisoformat(term.value[:10])
    except ValueError:
        raise ConnectorError(
            f"the zendesk sandbox reads dates as YYYY-MM-DD, not {term.value!r} in '{term.key}{term.op}'"
        ) from None
    return _compare(term.op, moment.date(), wanted)


def _term_matches(term: SearchTerm, ticket: ZendeskTicket) -> bool:
    key = term.key
    value = term.value.lower()
    if key is None:
        if value.isdigit() and int(value) == ticket.id:
            return True
        return _text_matches(term, f"{ticket.subject}\n{ticket.description}\n{' '.join(ticket.tags)}")
    if key == "type":
        return value == "ticket"
    if key == "status":
        return _ordered(term, ticket.status, STATUS_ORDER)
    if key == "priority":
        return _ordered(term, ticket.priority, PRIORITY_ORDER)
    if key == "ticket_type":
        return ticket.type == value
    if key == "organization":
        if value == "none":
            return ticket.organization_id is None
        return value in {str(ticket.organization_id), (ticket.organization_name or "").lower()}
    if key in ("tags", "tag"):
        return value in ticket.tags
    if key == "requester":
        return value in {
            str(ticket.requester_id),
            (ticket.requester or "").lower(),
            (ticket.requester_email or "").lower(),
        }
    if key == "created":
        return _date_matches(term, ticket.created_at)
    if key == "updated":
        return _date_matches(term, ticket.updated_at)
    if key == "subject":
        return _text_matches(term, ticket.subject)
    if key == "description":
        return _text_matches(term, ticket.description)
    raise ConnectorError(
        f"the zendesk sandbox cannot search by '{key}{term.op}'; it reads {', '.join(_SANDBOX_KEYS)}"
    )


def search_predicate(terms: Iterable[SearchTerm]) -> Callable[[ZendeskTicket], bool]:
    """A test for tickets: equality terms of one property match any value; everything else must match."""
    any_of: dict[str, list[SearchTerm]] = {}
    all_of: list[SearchTerm] = []
    for term in terms:
        if term.key in ("order_by", "sort"):
            continue
        if term.key is not None and term.op == ":" and not term.negated:
            any_of.setdefault(term.key, []).append(term)
        else:
            all_of.append(term)

    def matches(ticket: ZendeskTicket) -> bool:
        return all(any(_term_matches(term, ticket) for term in group) for group in any_of.values()) and all(
            _term_matches(term, ticket) != term.negated for term in all_of
        )

    return matches


def _sort_key(terms: Sequence[SearchTerm]) -> tuple[Callable[[ZendeskTicket], Any], bool]:
    field = next((t.value.lower() for t in terms if t.key == "order_by"), "created")
    descending = next((t.value.lower() for t in terms if t.key == "sort"), "desc") != "asc"
    keys: dict[str, Callable[[ZendeskTicket], Any]] = {
        "created": lambda t: (t.created_at, t.id),
        "updated": lambda t: (t.updated_at, t.id),
        "priority": lambda t: (PRIORITY_ORDER.index(t.priority) if t.priority else -1, t.id),
        "status": lambda t: (STATUS_ORDER.index(t.status), t.id),
        "ticket_type": lambda t: (t.type or "", t.id),
    }
    if field not in keys:
        raise ConnectorError(
            f"zendesk cannot order by '{field}' (created, updated, priority, status, ticket_type)"
        )
    return keys[field], descending


_file_lock = threading.Lock()
_COMMENT_ID_BASE = 41_000_000_000_000
_USER_ID_BASE = 42_000_000_000_000


def _request_digest(ticket: NewTicket) -> str:
    return hashlib.sha256(ticket.model_dump_json(exclude={"idempotency_key"}).encode()).hexdigest()


def _keyed(lines: Iterable[dict[str, Any]], ticket: NewTicket) -> dict[str, Any] | None:
    """The line an earlier request with ``ticket``'s Idempotency-Key created, as Zendesk replays it.

    Zendesk refuses a key reused with other parameters (HTTP 400, IdempotentRequestError).
    """
    for line in lines:
        if line.get("idempotency_key") == ticket.idempotency_key:
            if line.get("request") != _request_digest(ticket):
                raise ConnectorError(
                    "zendesk: IdempotentRequestError: the Idempotency-Key was used with other parameters"
                )
            return line
    return None


class ZendeskSandbox:
    """Zendesk without the network: the bundled help desk plus what this sandbox created.

    Created tickets go to ``{sandbox_dir}/zendesk/tickets.jsonl`` and comments to
    ``.../comments.jsonl``, each line stamped with the tenant; searches see the tenant's own.
    Appends are serialised in the process and across processes (file lock), and every call waits
    ``latency_ms`` first, like a vendor round trip.
    """

    name = "zendesk"
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
        self.directory = Path(sandbox_dir) / "zendesk"
        self.tickets_path = self.directory / "tickets.jsonl"
        self.comments_path = self.directory / "comments.jsonl"
        self.latency_ms = latency_ms
        self.tenant_id = tenant_id
        self._today = today
        self._data_path = str(data_path) if data_path is not None else None

    def _bundle(self) -> _Bundle:
        return _load_bundle(self._data_path, self._today or datetime.now(UTC).date())

    def _bundled_ticket(self, record: Mapping[str, Any]) -> ZendeskTicket:
        bundle = self._bundle()
        org = bundle.organizations.get(record.get("organization_id") or 0) or {}
        user = bundle.users.get(record.get("requester_id") or 0) or {}
        return ZendeskTicket(
            **{key: record[key] for key in ("id", "subject", "description", "status", "priority", "type")},
            url=f"{self.base_url}/agent/tickets/{record['id']}",
            organization_id=record.get("organization_id"),
            organization_name=org.get("name"),
            requester_id=record.get("requester_id"),
            requester=user.get("name"),
            requester_email=user.get("email"),
            tags=list(record.get("tags") or []),
            created_at=record["created_at"],
            updated_at=record["updated_at"],
        )

    @staticmethod
    def _read(path: Path) -> list[dict[str, Any]]:
        if not path.exists():
            return []
        with path.open(encoding="utf-8") as lines:
            return [json.loads(line) for line in lines if line.strip()]

    @staticmethod
    def _append_next(
        path: Path,
        build: Callable[[list[dict[str, Any]]], dict[str, Any]],
        earlier: Callable[[list[dict[str, Any]]], dict[str, Any] | None] | None = None,
    ) -> dict[str, Any]:
        """Append the line ``build`` makes from the file's current lines, all under one lock.

        The lock spans the read and the write, so two writers (threads of local Parallel
        branches, or processes) never hand out the same id. A line ``earlier`` finds is returned
        instead, and nothing is written (a replayed idempotent request).
        """
        path.parent.mkdir(parents=True, exist_ok=True)
        with _file_lock, path.open("a+", encoding="utf-8") as out:
            fcntl.flock(out, fcntl.LOCK_EX)
            try:
                out.seek(0)
                lines = [json.loads(text) for text in out.read().splitlines() if text.strip()]
                found = earlier(lines) if earlier is not None else None
                if found is not None:
                    return found
                line = build(lines)
                out.write(json.dumps(line, ensure_ascii=False) + "\n")  # "a+" writes at the end
                out.flush()
            finally:
                fcntl.flock(out, fcntl.LOCK_UN)
        return line

    def _mine(self, lines: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        return (line for line in lines if line.get("tenant_id") == self.tenant_id)

    def tickets(self) -> list[ZendeskTicket]:
        """Every ticket this sandbox holds: bundled and created, with comments' update times applied."""
        tickets = {record["id"]: self._bundled_ticket(record) for record in self._bundle().tickets}
        for line in self._mine(self._read(self.tickets_path)):
            created = ZendeskTicket.model_validate(line["ticket"])
            tickets[created.id] = created
        for line in self._mine(self._read(self.comments_path)):
            commented = tickets.get(line["ticket_id"])
            if commented is not None:
                updated = datetime.fromisoformat(line["created_at"].replace("Z", "+00:00"))
                commented.updated_at = max(commented.updated_at, updated)
        return list(tickets.values())

    def created_tickets(self) -> list[dict[str, Any]]:
        """The lines of tickets this tenant created, oldest first."""
        return list(self._mine(self._read(self.tickets_path)))

    def comments(self) -> list[dict[str, Any]]:
        """The lines of comments this tenant added, oldest first."""
        return list(self._mine(self._read(self.comments_path)))

    def search_tickets(self, query: str, *, limit: int = 100) -> list[ZendeskTicket]:
        """Tickets matching ``query`` as Zendesk reads it, newest first (or as ``order_by``/``sort`` say)."""
        sandbox_pause(self.latency_ms)
        terms = parse_search_query(query)
        matches = search_predicate(terms)
        key, descending = _sort_key(terms)
        found = sorted((ticket for ticket in self.tickets() if matches(ticket)), key=key, reverse=descending)
        return found[: max(1, min(limit, MAX_SEARCH_RESULTS))]

    def _organization(self, name: str | None) -> dict[str, Any] | None:
        if not name:
            return None
        wanted = name.casefold()
        return next(
            (o for o in self._bundle().organizations.values() if o["name"].casefold() == wanted), None
        )

    def _user(self, email: str | None) -> dict[str, Any] | None:
        if not email:
            return None
        wanted = email.casefold()
        return next((u for u in self._bundle().users.values() if str(u["email"]).casefold() == wanted), None)

    def create_ticket(self, ticket: NewTicket) -> ZendeskTicket:
        """Append a new ticket (status ``new``) with the next free id, and return it."""
        sandbox_pause(self.latency_ms)
        now = datetime.now(UTC).replace(microsecond=0)
        user = self._user(ticket.requester_email)
        organization = self._organization(ticket.organization_name)
        if organization is None and user is not None:
            organization = self._bundle().organizations.get(user.get("organization_id") or 0)
        bundled_max = max(t["id"] for t in self._bundle().tickets)

        def build(lines: list[dict[str, Any]]) -> dict[str, Any]:
            next_id = max([bundled_max, *(line["ticket"]["id"] for line in lines)]) + 1
            requester_id = (
                user["id"] if user else (_USER_ID_BASE + next_id if ticket.requester_email else None)
            )
            record = ZendeskTicket(
                id=next_id,
                url=f"{self.base_url}/agent/tickets/{next_id}",
                subject=ticket.subject,
                description=ticket.body,
                status="new",
                priority=ticket.priority,
                type=ticket.type,
                organization_id=organization["id"] if organization else None,
                organization_name=organization["name"] if organization else None,
                requester_id=requester_id,
                requester=user["name"] if user else ticket.requester_name,
                requester_email=user["email"] if user else ticket.requester_email,
                # Zendesk stores tags lower-cased and without duplicates.
                tags=list(dict.fromkeys(tag.lower() for tag in ticket.tags)),
                created_at=now,
                updated_at=now,
            )
            return {
                "tenant_id": self.tenant_id,
                "external_id": ticket.external_id,
                "public": ticket.public,
                "idempotency_key": ticket.idempotency_key,
                "request": _request_digest(ticket),
                "ticket": record.model_dump(mode="json"),
            }

        def earlier(lines: list[dict[str, Any]]) -> dict[str, Any] | None:
            return _keyed(self._mine(lines), ticket) if ticket.idempotency_key else None

        line = self._append_next(self.tickets_path, build, earlier)
        return ZendeskTicket.model_validate(line["ticket"])

    def add_comment(self, ticket_id: int, body: str, *, public: bool = False) -> TicketComment:
        """Append a comment to a ticket this sandbox holds; closed tickets refuse it, as in Zendesk."""
        sandbox_pause(self.latency_ms)
        ticket = next((t for t in self.tickets() if t.id == ticket_id), None)
        where = f"zendesk: PUT {self.base_url}/api/v2/tickets/{ticket_id}.json"
        if ticket is None:
            raise ConnectorError(f"{where} answered HTTP 404: RecordNotFound")
        if ticket.status == "closed":
            raise ConnectorError(
                f"{where} answered HTTP 422: RecordInvalid: Status: closed prevents ticket update"
            )
        now = datetime.now(UTC).replace(microsecond=0)
        line = self._append_next(
            self.comments_path,
            lambda lines: {
                "tenant_id": self.tenant_id,
                "ticket_id": ticket_id,
                "comment_id": _COMMENT_ID_BASE + len(lines) + 1,
                "public": public,
                "body": body,
                "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
        )
        comment_id = int(line["comment_id"])
        ticket.updated_at = max(ticket.updated_at, now)
        return TicketComment(
            ticket_id=ticket_id, comment_id=comment_id, body=body, public=public, ticket=ticket
        )


# --- factory entry points ----------------------------------------------------------------------


def sandbox(settings: Settings, tenant_id: str) -> ZendeskSandbox:
    """The sandbox connector (CONNECTOR_MODE=sandbox)."""
    return ZendeskSandbox(
        sandbox_dir=settings.sandbox_dir, latency_ms=settings.sandbox_latency_ms, tenant_id=tenant_id
    )
