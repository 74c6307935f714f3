"""The jira sandbox: jira's emulator over bundled data, for CONNECTOR_MODE=sandbox."""

from __future__ import annotations

import fcntl
import json
import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentflow.connectors.base import sandbox_pause
from agentflow.errors import ConnectorError
from agentflow_sandbox import read_data

if TYPE_CHECKING:
    from agentflow.settings import Settings
from agentflow.connectors.jira import (
    SANDBOX_BASE_URL,
    SUMMARY_MAX_LENGTH,
    IssueDraft,
    IssueOutcome,
    JiraIssue,
    adf_plain_text,
    browse_url,
)

# --- JQL (the sandbox's subset) ----------------------------------------------------------------

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
      | (?P<op>!=|!~|>=|<=|=|~|>|<)
      | (?P<punct>[(),])
      | (?P<word>[^\s"'(),=!~<>]+)
    )""",
    re.VERBOSE,
)
_KEYWORDS = frozenset({"AND", "OR", "NOT", "IN", "IS", "EMPTY", "NULL", "ORDER", "BY", "ASC", "DESC"})
_RELATIVE = re.compile(r"^([+-]?)((?:\d+[wdhm]\s*)+)$")
_RELATIVE_PART = re.compile(r"(\d+)([wdhm])")
_UNITS = {"w": timedelta(weeks=1), "d": timedelta(days=1), "h": timedelta(hours=1), "m": timedelta(minutes=1)}
_PRIORITY_RANK = {"highest": 0, "high": 1, "medium": 2, "low": 3, "lowest": 4}
_SANDBOX_USER = {"name": "AgentFlow Automation", "email": "agentflow@example.com"}


@dataclass(frozen=True)
class _Token:
    kind: str  # "string" | "op" | "punct" | "word" | "end"
    text: str

    def is_keyword(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


@dataclass(frozen=True)
class _Value:
    text: str
    function: bool = False  # "now()" rather than the word "now"
    argument: str | None = None


Predicate = Callable[[Mapping[str, Any]], bool]
_EMPTY = object()


def _jql_error(message: str) -> ConnectorError:
    # The words Jira answers with (HTTP 400), so sandbox runs fail the way live ones would.
    return ConnectorError(f"jira: {message}")


def _tokens(jql: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    text = jql.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise _jql_error(f"Error in the JQL Query: unexpected character at position {position + 1}.")
        kind = match.lastgroup or "word"
        value = match.group(kind)
        if kind == "string":
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        tokens.append(_Token(kind, value))
        position = match.end()
    tokens.append(_Token("end", ""))
    return tokens


class _JqlParser:
    """Recursive descent over the token list: OR binds looser than AND, NOT tighter."""

    def __init__(self, jql: str, fields: _SandboxFields) -> None:
        self._tokens = _tokens(jql)
        self._position = 0
        self._fields = fields

    def _peek(self) -> _Token:
        return self._tokens[self._position]

    def _next(self) -> _Token:
        token = self._tokens[self._position]
        self._position += 1
        return token

    def _expect(self, kind: str, text: str | None = None) -> _Token:
        token = self._next()
        if token.kind != kind or (text is not None and token.text != text):
            shown = token.text or "the end of the query"
            raise _jql_error(f"Error in the JQL Query: expecting '{text or kind}' but got '{shown}'.")
        return token

    def parse(self) -> tuple[Predicate | None, list[tuple[str, bool]]]:
        """(filter or None when unrestricted, [(order field, descending)])."""
        predicate = None
        if not self._peek().is_keyword("ORDER") and self._peek().kind != "end":
            predicate = self._or()
        order: list[tuple[str, bool]] = []
        if self._peek().is_keyword("ORDER"):
            self._next()
            if not self._next().is_keyword("BY"):
                raise _jql_error("Error in the JQL Query: expecting 'by' after 'order'.")
            while True:
                field = self._fields.canonical(self._field_name())
                descending = False
                if self._peek().is_keyword("ASC", "DESC"):
                    descending = self._next().text.upper() == "DESC"
                order.append((field, descending))
                if self._peek().text != ",":
                    break
                self._next()
        if self._peek().kind != "end":
            raise _jql_error(f"Error in the JQL Query: unexpected '{self._peek().text}'.")
        return predicate, order

    def _or(self) -> Predicate:
        parts = [self._and()]
        while self._peek().is_keyword("OR"):
            self._next()
            parts.append(self._and())
        return parts[0] if len(parts) == 1 else (lambda issue: any(part(issue) for part in parts))

    def _and(self) -> Predicate:
        parts = [self._unary()]
        while self._peek().is_keyword("AND"):
            self._next()
            parts.append(self._unary())
        return parts[0] if len(parts) == 1 else (lambda issue: all(part(issue) for part in parts))

    def _unary(self) -> Predicate:
        if self._peek().is_keyword("NOT"):
            self._next()
            inner = self._unary()
            return lambda issue: not inner(issue)
        if self._peek().text == "(" and self._peek().kind == "punct":
            self._next()
            inner = self._or()
            self._expect("punct", ")")
            return inner
        return self._clause()

    def _field_name(self) -> str:
        token = self._next()
        if token.kind not in ("word", "string") or (token.kind == "word" and token.text.upper() in _KEYWORDS):
            raise _jql_error(
                f"Error in the JQL Query: expecting a field name but got '{token.text or 'end'}'."
            )
        return token.text

    def _clause(self) -> Predicate:
        field = self._fields.canonical(self._field_name())
        token = self._next()
        if token.kind == "op":
            operator = token.text
        elif token.is_keyword("IN"):
            operator = "in"
        elif token.is_keyword("IS"):
            operator = "is"
            if self._peek().is_keyword("NOT"):
                self._next()
                operator = "is not"
        elif token.is_keyword("NOT") and self._peek().is_keyword("IN"):
            self._next()
            operator = "not in"
        else:
            raise _jql_error(f"Error in the JQL Query: expecting an operator after '{field}'.")
        if operator in ("is", "is not"):
            if not self._next().is_keyword("EMPTY", "NULL"):
                raise _jql_error(f"Error in the JQL Query: '{operator.upper()}' takes EMPTY or NULL.")
            values: list[_Value | object] = [_EMPTY]
        elif operator in ("in", "not in"):
            self._expect("punct", "(")
            values = [self._value()]
            while self._peek().text == ",":
                self._next()
                values.append(self._value())
            self._expect("punct", ")")
        else:
            values = [self._value()]
        return self._fields.predicate(field, operator, values)

    def _value(self) -> _Value | object:
        token = self._next()
        if token.is_keyword("EMPTY", "NULL"):
            return _EMPTY
        if token.kind not in ("word", "string"):
            raise _jql_error(f"Error in the JQL Query: expecting a value but got '{token.text or 'end'}'.")
        if token.kind == "word" and self._peek().text == "(" and self._peek().kind == "punct":
            self._next()
            argument = None
            if self._peek().text != ")":
                argument = self._next().text
            self._expect("punct", ")")
            return _Value(token.text, function=True, argument=argument)
        return _Value(token.text)


def _parse_date_value(value: _Value, now: datetime) -> datetime:
    """A JQL date operand: absolute, relative ("-7d", "-1w 2d") or a date function."""
    text = value.text.strip()
    if value.function:
        name = text.lower()
        offset = _relative_offset(value.argument) if value.argument else timedelta(0)
        day = datetime(now.year, now.month, now.day, tzinfo=UTC)
        starts: dict[str, datetime] = {
            "now": now,
            "startofday": day,
            "endofday": day + timedelta(days=1) - timedelta(microseconds=1),
            "startofweek": day - timedelta(days=(day.weekday() + 1) % 7),  # Jira weeks start on Sunday
            "startofmonth": day.replace(day=1),
            "startofyear": day.replace(month=1, day=1),
        }
        if name not in starts:
            raise _jql_error(f"Unable to find JQL function '{text}()'.")
        return starts[name] + offset
    if _RELATIVE.match(text):
        return now + _relative_offset(text)
    for pattern in ("%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d", "%Y/%m/%d"):
        try:
            return datetime.strptime(text, pattern).replace(tzinfo=UTC)
        except ValueError:
            continue
    raise _jql_error(
        f"Date value '{text}' is invalid. Valid formats include 'yyyy/MM/dd', 'yyyy-MM-dd' or '-7d'."
    )


def _relative_offset(text: str) -> timedelta:
    match = _RELATIVE.match(text.strip())
    if match is None:
        raise _jql_error(f"Date value '{text}' is invalid.")
    total = sum(
        (int(amount) * _UNITS[unit] for amount, unit in _RELATIVE_PART.findall(match.group(2))), timedelta()
    )
    return -total if match.group(1) == "-" else total


def _words(text: str) -> list[str]:
    return re.findall(r"[0-9a-z]+", text.lower())


def _text_matches(haystack: str, needle: str) -> bool:
    """Jira-like text search: a quoted phrase matches as a phrase, else every term as a word prefix.

    Jira stems words ("failure" finds "failures"); prefix matching comes close without a stemmer.
    """
    stripped = needle.strip()
    if len(stripped) > 1 and stripped.startswith('"') and stripped.endswith('"'):
        return " ".join(_words(stripped)) in " ".join(_words(haystack))
    words = _words(haystack)
    terms = _words(stripped.replace("*", " ").replace("?", " "))
    return bool(terms) and all(any(word.startswith(term) for word in words) for term in terms)


class _SandboxFields:
    """The fields the sandbox's JQL knows, their operators, and the values they hold."""

    _ALIASES: dict[str, str] = {
        "project": "project",
        "key": "key",
        "issuekey": "key",
        "id": "key",
        "summary": "summary",
        "description": "description",
        "text": "text",
        "status": "status",
        "statuscategory": "statuscategory",
        "priority": "priority",
        "issuetype": "issuetype",
        "type": "issuetype",
        "assignee": "assignee",
        "reporter": "reporter",
        "labels": "labels",
        "created": "created",
        "createddate": "created",
        "updated": "updated",
        "updateddate": "updated",
        "duedate": "duedate",
        "due": "duedate",
    }
    _TEXT = frozenset({"summary", "description", "text"})
    _DATES = frozenset({"created", "updated", "duedate"})

    def __init__(
        self, issues: Sequence[Mapping[str, Any]], projects: Mapping[str, str], now: datetime
    ) -> None:
        self.now = now
        self.projects = projects  # key -> name
        self.known: dict[str, set[str]] = {
            "status": {str(issue["status"]).lower() for issue in issues},
            "statuscategory": {str(issue["status_category"]).lower() for issue in issues},
            "priority": set(_PRIORITY_RANK),
            "issuetype": {str(issue["issue_type"]).lower() for issue in issues}
            | {"task", "bug", "story", "epic"},
        }

    def canonical(self, name: str) -> str:
        field = self._ALIASES.get(name.lower())
        if field is None:
            raise _jql_error(f"Field '{name}' does not exist or you do not have permission to view it.")
        return field

    def _check_value(self, field: str, value: str) -> None:
        if field == "project":
            names = {key.lower() for key in self.projects} | {name.lower() for name in self.projects.values()}
            if value.lower() not in names:
                raise _jql_error(f"The value '{value}' does not exist for the field 'project'.")
        elif field in self.known and value.lower() not in self.known[field]:
            raise _jql_error(f"The value '{value}' does not exist for the field '{field}'.")

    def _scalars(self, field: str, issue: Mapping[str, Any]) -> list[str]:
        """The values of ``field`` an equality compares with (lower case); empty when unset."""
        if field == "project":
            return [issue["project"].lower(), self.projects.get(issue["project"], "").lower()]
        if field == "key":
            return [issue["key"].lower(), str(issue.get("id", "")).lower()]
        if field in ("assignee", "reporter"):
            person = issue.get(field)
            return (
                [str(person[part]).lower() for part in ("name", "email") if person.get(part)]
                if person
                else []
            )
        if field == "labels":
            return [label.lower() for label in issue.get("labels") or []]
        source = {"status": "status", "statuscategory": "status_category", "priority": "priority"}
        value = issue.get(source.get(field, "issue_type"))
        return [str(value).lower()] if value else []

    def predicate(self, field: str, operator: str, values: list[_Value | object]) -> Predicate:
        """The filter one JQL clause means, or the error Jira would answer for it."""
        if field in self._TEXT:
            return self._text_predicate(field, operator, values)
        if field in self._DATES:
            return self._date_predicate(field, operator, values)
        if operator not in ("=", "!=", "in", "not in", "is", "is not"):
            raise _jql_error(f"The operator '{operator}' is not supported by the '{field}' field.")
        if operator in ("is", "is not"):
            negate = operator == "is not"
            return lambda issue: bool(self._scalars(field, issue)) == negate
        wanted: set[str] = set()
        match_empty = False
        for value in values:
            if value is _EMPTY:
                match_empty = True
                continue
            if not isinstance(value, _Value):
                continue
            if value.function:
                if value.text.lower() != "currentuser" or field not in ("assignee", "reporter"):
                    raise _jql_error(f"Unable to find JQL function '{value.text}()' for field '{field}'.")
                wanted.add(_SANDBOX_USER["name"].lower())
                continue
            self._check_value(field, value.text)
            wanted.add(value.text.lower())
        negate = operator in ("!=", "not in")

        def matches(issue: Mapping[str, Any]) -> bool:
            scalars = self._scalars(field, issue)
            hit = bool(wanted.intersection(scalars)) or (match_empty and not scalars)
            # As in Jira, "!=" and NOT IN never match issues where the field is empty.
            return (not hit and bool(scalars)) if negate else hit

        return matches

    def _text_predicate(self, field: str, operator: str, values: list[_Value | object]) -> Predicate:
        if operator in ("is", "is not") and field == "description":
            negate = operator == "is not"
            return lambda issue: bool(issue.get("description")) == negate
        if operator not in ("~", "!~"):
            raise _jql_error(f"The operator '{operator}' is not supported by the '{field}' field.")
        value = values[0]
        if not isinstance(value, _Value):
            raise _jql_error(
                f"The field '{field}' does not support searching for EMPTY values with '{operator}'."
            )

        def haystack(issue: Mapping[str, Any]) -> str:
            if field == "text":
                return " ".join(
                    [issue["summary"], issue.get("description") or "", " ".join(issue.get("labels") or [])]
                )
            return str(issue.get(field) or "")

        needle, negate = value.text, operator == "!~"
        return lambda issue: _text_matches(haystack(issue), needle) != negate

    def _date_predicate(self, field: str, operator: str, values: list[_Value | object]) -> Predicate:
        if operator in ("is", "is not"):
            negate = operator == "is not"
            return lambda issue: (issue.get(f"_{field}") is not None) == negate
        if operator in ("~", "!~"):
            raise _jql_error(f"The operator '{operator}' is not supported by the '{field}' field.")
        bounds = [_parse_date_value(value, self.now) for value in values if isinstance(value, _Value)]
        compare: dict[str, Callable[[datetime, datetime], bool]] = {
            "=": lambda left, right: left == right,
            "!=": lambda left, right: left != right,
            ">": lambda left, right: left > right,
            ">=": lambda left, right: left >= right,
            "<": lambda left, right: left < right,
            "<=": lambda left, right: left <= right,
        }
        if operator in ("in", "not in"):
            wanted = set(bounds)
            negate = operator == "not in"
            return lambda issue: (
                issue.get(f"_{field}") is not None and (issue[f"_{field}"] in wanted) != negate
            )
        check = compare[operator]
        bound = bounds[0]
        return lambda issue: issue.get(f"_{field}") is not None and check(issue[f"_{field}"], bound)


def _sort_key(field: str, issue: Mapping[str, Any]) -> Any:
    if field == "key":
        project, _, number = issue["key"].partition("-")
        return (project, int(number))
    if field in ("created", "updated", "duedate"):
        moment = issue.get(f"_{field}")
        return moment.timestamp() if moment is not None else float("inf")
    if field == "priority":
        return _PRIORITY_RANK.get(str(issue.get("priority", "")).lower(), 9)
    if field in ("assignee", "reporter"):
        person = issue.get(field)
        return person["name"].lower() if person else "\uffff"
    source = {"statuscategory": "status_category", "issuetype": "issue_type", "project": "project"}
    return str(issue.get(source.get(field, field)) or "").lower()


def jql_filter(
    jql: str, issues: Sequence[Mapping[str, Any]], *, projects: Mapping[str, str], now: datetime
) -> list[Mapping[str, Any]]:
    """The sandbox's JQL: the issues ``jql`` selects, in its ORDER BY (newest first without one).

    Supported: AND, OR, NOT, parentheses; ``= != IN, NOT IN, IS [NOT] EMPTY`` on project, key,
    status, statusCategory, priority, issuetype, assignee, reporter (with ``currentUser()``) and
    labels; ``~ !~`` on summary, description and text; ``= != > >= < <=`` on created, updated and
    duedate with dates, relative dates (``-7d``) and ``now()``, ``startOfDay()``, ``startOfWeek()``,
    ``startOfMonth()``, ``startOfYear()``, ``endOfDay()``. Unknown fields, values and functions and
    unbounded queries fail with the error Jira gives.
    """
    fields = _SandboxFields(issues, projects, now)
    predicate, order = _JqlParser(jql, fields).parse()
    if predicate is None:
        raise _jql_error(
            "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
        )
    found = [issue for issue in issues if predicate(issue)]
    # Stable sorts from the last key to the first give the multi-key order.
    for field, descending in reversed(order or [("created", True), ("key", True)]):
        found.sort(key=partial(_sort_key, field), reverse=descending)
    return found


# --- sandbox -----------------------------------------------------------------------------------


def _parse_timestamp(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%f%z")


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


@lru_cache(maxsize=8)
def _load_bundle(path: str | None, today: date) -> tuple[dict[str, str], tuple[dict[str, Any], ...]]:
    """(project key -> name, issues with dates moved so BASE_DATE becomes ``today``)."""
    data = read_data("jira_issues.json", path)
    shift = today - date.fromisoformat(data["base_date"])
    issues = []
    for record in data["issues"]:
        issue = dict(record)
        for field in ("created", "updated"):
            issue[field] = _timestamp(_parse_timestamp(record[field]) + shift)
        if record.get("duedate"):
            issue["duedate"] = (date.fromisoformat(record["duedate"]) + shift).isoformat()
        issues.append(issue)
    projects = {key: str(project["name"]) for key, project in data["projects"].items()}
    return projects, tuple(issues)


def _indexed(issue: Mapping[str, Any]) -> dict[str, Any]:
    """A copy carrying parsed dates (``_created``, ``_updated``, ``_duedate``) for JQL to compare."""
    copy = dict(issue)
    copy["_created"] = _parse_timestamp(issue["created"])
    copy["_updated"] = _parse_timestamp(issue["updated"])
    due = issue.get("duedate")
    copy["_duedate"] = datetime.fromisoformat(due).replace(tzinfo=UTC) if due else None
    return copy


@lru_cache(maxsize=8)
def _indexed_bundle(path: str | None, today: date) -> tuple[dict[str, Any], ...]:
    # Parsing 300-odd timestamps per search would dominate a sandbox search's time.
    return tuple(_indexed(issue) for issue in _load_bundle(path, today)[1])


_log_lock = threading.Lock()


class JiraSandbox:
    """Jira without the network: bundled issues plus the ones this sandbox created, per tenant.

    Created issues get the next key of their project (ONB-143 after the bundled ONB-142) and the
    status "To Do"; they are appended to ``{sandbox_dir}/jira/issues.jsonl`` under a process lock
    and a file lock (Parallel branches run in threads locally), so two creators never share a key.
    Validation follows Jira's: unknown projects, issue types and priorities, summaries over 255
    characters and labels with spaces are refused per issue, as the bulk endpoint does.
    """

    name = "jira"
    base_url = SANDBOX_BASE_URL
    ISSUE_TYPES = ("Task", "Bug", "Story", "Epic")
    PRIORITIES = ("Highest", "High", "Medium", "Low", "Lowest")

    def __init__(
        self,
        *,
        sandbox_dir: str | Path,
        latency_ms: int = 0,
        tenant_id: str | None = None,
        now: Callable[[], datetime] | None = None,
        data_path: Path | None = None,
    ) -> None:
        self.log_path = Path(sandbox_dir) / "jira" / "issues.jsonl"
        self.latency_ms = latency_ms
        self.tenant_id = tenant_id
        self._now = now or (lambda: datetime.now(UTC))
        self._data_path = str(data_path) if data_path is not None else None

    def _bundle(self) -> tuple[dict[str, str], tuple[dict[str, Any], ...]]:
        return _load_bundle(self._data_path, self._now().date())

    def created_issues(self) -> list[dict[str, Any]]:
        """The issues this tenant created in this sandbox directory, oldest first."""
        if not self.log_path.exists():
            return []
        with self.log_path.open(encoding="utf-8") as log:
            records = [json.loads(line) for line in log if line.strip()]
        return [record for record in records if record.get("tenant_id") == self.tenant_id]

    def issues(self) -> list[dict[str, Any]]:
        """Every issue a search sees: the bundled ones (dated around today) and the created ones."""
        _, bundled = self._bundle()
        return [dict(issue) for issue in bundled] + self.created_issues()

    def _refusal(self, draft: IssueDraft, projects: Mapping[str, str]) -> str | None:
        # Jira's own wording for these refusals.
        errors: dict[str, str] = {}
        if draft.project_key not in projects:
            errors["project"] = "valid project is required"
        if draft.issue_type not in self.ISSUE_TYPES:
            errors["issuetype"] = "The issue type selected is invalid."
        if not draft.summary.strip():
            errors["summary"] = "You must specify a summary of the issue."
        elif len(draft.summary) > SUMMARY_MAX_LENGTH or "\n" in draft.summary:
            errors["summary"] = "Summary must be less than 255 characters and on one line."
        if draft.priority is not None and draft.priority not in self.PRIORITIES:
            errors["priority"] = f"The priority '{draft.priority}' is invalid."
        for label in draft.labels:
            if not label or any(char.isspace() for char in label):
                errors["labels"] = f"The label '{label}' contains spaces which is invalid."
        return "; ".join(f"{field}: {message}" for field, message in errors.items()) or None

    def create_issues(self, drafts: Sequence[IssueDraft]) -> list[IssueOutcome]:
        """Create ``drafts`` (keys continue each project's numbering); one outcome per draft."""
        sandbox_pause(self.latency_ms)
        projects, bundled = self._bundle()
        outcomes: list[IssueOutcome] = []
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with _log_lock, self.log_path.open("a+", encoding="utf-8") as log:
            fcntl.flock(log, fcntl.LOCK_EX)
            try:
                log.seek(0)
                logged = [json.loads(line) for line in log if line.strip()]
                mine = [record for record in logged if record.get("tenant_id") == self.tenant_id]
                numbers = _last_numbers([*bundled, *mine])
                next_id = max(int(issue["id"]) for issue in [*bundled, *mine]) + 1
                now = _timestamp(self._now())
                for draft in drafts:
                    refusal = self._refusal(draft, projects)
                    if refusal:
                        outcomes.append(IssueOutcome(error=refusal))
                        continue
                    numbers[draft.project_key] = numbers.get(draft.project_key, 0) + 1
                    record = _created_record(
                        draft,
                        f"{draft.project_key}-{numbers[draft.project_key]}",
                        str(next_id),
                        now,
                        self.tenant_id,
                    )
                    next_id += 1
                    log.write(json.dumps(record, ensure_ascii=False) + "\n")
                    outcomes.append(IssueOutcome(issue=_created_issue(record, draft)))
                log.flush()
            finally:
                fcntl.flock(log, fcntl.LOCK_UN)
        return outcomes

    def search(self, jql: str, *, max_results: int) -> list[JiraIssue]:
        """Issues matching ``jql`` among the bundled and created ones (see :func:`jql_filter`)."""
        sandbox_pause(self.latency_ms)
        now = self._now()
        projects, _ = _load_bundle(self._data_path, now.date())
        issues = [*_indexed_bundle(self._data_path, now.date()), *map(_indexed, self.created_issues())]
        found = jql_filter(jql, issues, projects=projects, now=now)
        return [_issue_from_record(issue) for issue in found[:max_results]]


def _last_numbers(issues: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """The highest issue number of each project key."""
    numbers: dict[str, int] = {}
    for issue in issues:
        project, _, number = str(issue["key"]).partition("-")
        numbers[project] = max(numbers.get(project, 0), int(number))
    return numbers


def _created_record(
    draft: IssueDraft, key: str, issue_id: str, now: str, tenant_id: str | None
) -> dict[str, Any]:
    return {
        "key": key,
        "id": issue_id,
        "tenant_id": tenant_id,
        "project": draft.project_key,
        "issue_type": draft.issue_type,
        "summary": draft.summary,
        "description": adf_plain_text(draft.description) if draft.description else "",
        "description_adf": draft.description,
        "status": "To Do",
        "status_category": "To Do",
        "priority": draft.priority or "Medium",  # Jira's default priority scheme
        "assignee": None,
        "reporter": dict(_SANDBOX_USER),
        "labels": list(draft.labels),
        "created": now,
        "updated": now,
        "duedate": None,
    }


def _created_issue(record: Mapping[str, Any], draft: IssueDraft) -> JiraIssue:
    # What the live bulk endpoint tells about a new issue (id and key), plus what was asked for;
    # status and created come with a search, as they do live.
    return JiraIssue(
        key=record["key"],
        id=record["id"],
        url=browse_url(SANDBOX_BASE_URL, record["key"]),
        summary=draft.summary,
        priority=draft.priority,
        issue_type=draft.issue_type,
        labels=list(draft.labels),
    )


def _issue_from_record(record: Mapping[str, Any]) -> JiraIssue:
    assignee = record.get("assignee")
    return JiraIssue(
        key=record["key"],
        id=record.get("id"),
        url=browse_url(SANDBOX_BASE_URL, record["key"]),
        summary=record["summary"],
        status=record.get("status"),
        assignee=assignee["name"] if assignee else None,
        priority=record.get("priority"),
        issue_type=record.get("issue_type"),
        labels=list(record.get("labels") or []),
        created=record.get("created"),
    )


def sandbox(settings: Settings, tenant_id: str) -> JiraSandbox:
    """The sandbox Jira for one tenant, under the stack's sandbox directory."""
    return JiraSandbox(
        sandbox_dir=settings.sandbox_dir, latency_ms=settings.sandbox_latency_ms, tenant_id=tenant_id
    )
