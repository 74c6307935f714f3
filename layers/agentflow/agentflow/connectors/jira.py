"""Jira Cloud: the live REST API v3 client and the sandbox (bundled issues, JQL, a local issue log).

Both implement :class:`JiraConnector`: create issues (descriptions in Atlassian Document Format, as
v3 requires) and search with JQL. The sandbox serves ``agentflow_sandbox/data/jira_issues.json`` (projects
SALES, ONB and SUP, written by ``tools/generate_jira_data.py`` around the CRM sandbox's accounts),
evaluates a practical subset of JQL over it, and appends the issues it creates to
``{sandbox_dir}/jira/issues.jsonl``, where its searches find them too.

The sandbox emulator lives in ``agentflow_sandbox.jira`` (the sandbox layer, never deployed with
``ConnectorMode=live``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import httpx
from pydantic import BaseModel, Field

from agentflow.connectors.http import VendorHttpClient, check_base_url
from agentflow.errors import ConnectorError

if TYPE_CHECKING:
    from agentflow.settings import Settings

SANDBOX_BASE_URL = "https://agentflow-sandbox.atlassian.net"
# Jira's bulk create takes at most 50 issues per request.
BULK_CREATE_LIMIT = 50
# The enhanced search pages at most 100 issues when fields are requested (more only for ids).
SEARCH_PAGE_SIZE = 100
SEARCH_FIELDS = ("summary", "status", "assignee", "priority", "created", "issuetype", "labels")
SUMMARY_MAX_LENGTH = 255

# --- records -----------------------------------------------------------------------------------


class JiraIssue(BaseModel):
    """An issue as agents exchange it. Fields Jira did not report (a fresh issue's status) are None."""

    key: str
    id: str | None = None
    url: str
    summary: str
    status: str | None = None
    assignee: str | None = None
    priority: str | None = None
    issue_type: str | None = None
    labels: list[str] = Field(default_factory=list)
    created: str | None = None


class IssueDraft(BaseModel):
    """One issue to create. ``description`` is an ADF document (see :func:`adf_doc`)."""

    project_key: str
    issue_type: str = "Task"
    summary: str
    description: dict[str, Any] | None = None
    labels: list[str] = Field(default_factory=list)
    priority: str | None = None


class IssueOutcome(BaseModel):
    """What became of one draft: the created issue, or Jira's reason for refusing it."""

    issue: JiraIssue | None = None
    error: str | None = None


class JiraConnector(Protocol):
    name: str
    base_url: str

    def create_issues(self, drafts: Sequence[IssueDraft]) -> list[IssueOutcome]:
        """Create ``drafts``: one outcome per draft, in order; a refused draft does not stop the rest."""
        ...

    def search(self, jql: str, *, max_results: int) -> list[JiraIssue]:
        """Issues matching ``jql``, at most ``max_results``, in the query's order."""
        ...


def browse_url(base_url: str, key: str) -> str:
    """The issue's page in Jira's web UI."""
    return f"{base_url}/browse/{key}"


# --- Atlassian Document Format -----------------------------------------------------------------


def adf_text(text: str, *, strong: bool = False, link: str | None = None) -> dict[str, Any]:
    """An ADF text node (optionally bold and/or linked)."""
    node: dict[str, Any] = {"type": "text", "text": text}
    marks: list[dict[str, Any]] = []
    if strong:
        marks.append({"type": "strong"})
    if link:
        marks.append({"type": "link", "attrs": {"href": link}})
    if marks:
        node["marks"] = marks
    return node


def adf_paragraph(*nodes: dict[str, Any]) -> dict[str, Any]:
    """An ADF paragraph of inline nodes; empty text nodes are dropped (Jira rejects them)."""
    content = [node for node in nodes if node.get("type") != "text" or node.get("text")]
    return {"type": "paragraph", "content": content}


def adf_bullet_list(items: Sequence[Sequence[dict[str, Any]]]) -> dict[str, Any]:
    """An ADF bullet list; each item is the inline nodes of one paragraph."""
    return {
        "type": "bulletList",
        "content": [{"type": "listItem", "content": [adf_paragraph(*nodes)]} for nodes in items],
    }


def adf_doc(*blocks: dict[str, Any]) -> dict[str, Any]:
    """An ADF document (version 1) of block nodes."""
    return {"type": "doc", "version": 1, "content": list(blocks)}


def adf_plain_text(node: Any) -> str:
    """The text of an ADF document, blocks separated by newlines (for the sandbox's text search)."""
    if not isinstance(node, Mapping):
        return ""
    if node.get("type") == "text":
        return str(node.get("text", ""))
    parts = [adf_plain_text(child) for child in node.get("content") or []]
    separator = "\n" if node.get("type") in ("doc", "bulletList", "orderedList", "listItem") else ""
    return separator.join(part for part in parts if part)


# --- live --------------------------------------------------------------------------------------


def _jira_error_text(response: httpx.Response) -> str:
    """Jira's ``{"errorMessages": [...], "errors": {field: message}}`` as one line."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, Mapping):
        return _error_collection_text(body) or response.reason_phrase
    return " ".join(response.text.split())[:300] or response.reason_phrase


def _error_collection_text(collection: Mapping[str, Any]) -> str:
    messages = [str(message) for message in collection.get("errorMessages") or []]
    errors = collection.get("errors")
    if isinstance(errors, Mapping):
        messages += [f"{field}: {message}" for field, message in errors.items()]
    return "; ".join(messages)


def _issue_from_fields(base_url: str, record: Mapping[str, Any]) -> JiraIssue:
    fields = record.get("fields") or {}

    def named(field: str, attribute: str = "name") -> str | None:
        value = fields.get(field)
        return str(value[attribute]) if isinstance(value, Mapping) and value.get(attribute) else None

    key = str(record["key"])
    return JiraIssue(
        key=key,
        id=str(record["id"]) if record.get("id") is not None else None,
        url=browse_url(base_url, key),
        summary=str(fields.get("summary") or ""),
        status=named("status"),
        assignee=named("assignee", "displayName"),
        priority=named("priority"),
        issue_type=named("issuetype"),
        labels=[str(label) for label in fields.get("labels") or []],
        created=fields.get("created"),
    )


class JiraClient:
    """The live Jira Cloud connector: REST API v3 with an Atlassian account's API token.

    Endpoints: ``POST {base_url}/rest/api/3/issue/bulk`` (up to 50 issues a request; Jira creates
    the valid ones and reports the others per element) and ``POST {base_url}/rest/api/3/search/jql``
    (the enhanced search, paged by ``nextPageToken``). Authentication is HTTP Basic with the
    account's e-mail and API token.
    """

    name = "jira"

    def __init__(
        self,
        *,
        base_url: str,
        email: str,
        api_token: str,
        credentials_secret: str | None = None,
        allow_loopback: bool = False,
        http: VendorHttpClient | None = None,
    ) -> None:
        self.base_url = check_base_url(base_url, allow_loopback=allow_loopback)
        self._auth = httpx.BasicAuth(email, api_token)
        self._http = http or VendorHttpClient(
            self.name, credentials_secret=credentials_secret, allow_loopback=allow_loopback
        )

    def close(self) -> None:
        """Release pooled connections."""
        self._http.close()

    def _post(self, path: str, body: dict[str, Any], *, accept_statuses: tuple[int, ...] = ()) -> Any:
        url = f"{self.base_url}{path}"
        response = self._http.send("POST", url, json=body, auth=self._auth)
        status = response.status_code
        if status in accept_statuses:
            return response.json()
        if 400 <= status < 500 and status not in (401, 403, 429):
            # Jira's own error collection says more than the generic mapping would.
            raise ConnectorError(f"jira: POST {path} answered HTTP {status}: {_jira_error_text(response)}")
        self._http.raise_for_status(response)
        return response.json()

    def create_issues(self, drafts: Sequence[IssueDraft]) -> list[IssueOutcome]:
        """Create ``drafts`` with the bulk endpoint, 50 at a time; one outcome per draft, in order."""
        outcomes: list[IssueOutcome] = []
        for start in range(0, len(drafts), BULK_CREATE_LIMIT):
            outcomes += self._create_chunk(drafts[start : start + BULK_CREATE_LIMIT])
        return outcomes

    def _create_chunk(self, drafts: Sequence[IssueDraft]) -> list[IssueOutcome]:
        # Jira answers 400 with the same body shape when every element failed.
        body = self._post(
            "/rest/api/3/issue/bulk",
            {"issueUpdates": [{"fields": _draft_fields(draft)} for draft in drafts]},
            accept_statuses=(400,),
        )
        if not isinstance(body, Mapping) or not isinstance(body.get("issues"), list):
            raise ConnectorError(f"jira: bulk create answered without an issues list: {str(body)[:200]}")
        failures: dict[int, str] = {}
        for error in body.get("errors") or []:
            number = error.get("failedElementNumber")
            if isinstance(number, int):
                failures[number] = _error_collection_text(error.get("elementErrors") or {}) or (
                    f"HTTP {error.get('status')}"
                )
        created = iter(body["issues"])
        outcomes = []
        # The created issues come back in request order, skipping the failed elements.
        for index, draft in enumerate(drafts):
            if index in failures:
                outcomes.append(IssueOutcome(error=failures[index]))
                continue
            record = next(created, None)
            if record is None:
                raise ConnectorError(
                    f"jira: bulk create answered {len(body['issues'])} issues and {len(failures)} "
                    f"errors for {len(drafts)} requests"
                )
            key = str(record["key"])
            outcomes.append(
                IssueOutcome(
                    issue=JiraIssue(
                        key=key,
                        id=str(record.get("id")) if record.get("id") is not None else None,
                        url=browse_url(self.base_url, key),
                        summary=draft.summary,
                        priority=draft.priority,
                        issue_type=draft.issue_type,
                        labels=draft.labels,
                    )
                )
            )
        return outcomes

    def search(self, jql: str, *, max_results: int) -> list[JiraIssue]:
        """Issues matching ``jql`` through the enhanced search, following ``nextPageToken``."""
        issues: list[JiraIssue] = []
        token: str | None = None
        while len(issues) < max_results:
            request: dict[str, Any] = {
                "jql": jql,
                "fields": list(SEARCH_FIELDS),
                "maxResults": min(SEARCH_PAGE_SIZE, max_results - len(issues)),
            }
            if token:
                request["nextPageToken"] = token
            page = self._post("/rest/api/3/search/jql", request)
            if not isinstance(page, Mapping):
                raise ConnectorError("jira: search answered with something other than a JSON object")
            issues += [_issue_from_fields(self.base_url, record) for record in page.get("issues") or []]
            token = page.get("nextPageToken")
            if not token or page.get("isLast") is True:
                break
        return issues[:max_results]


def _draft_fields(draft: IssueDraft) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "project": {"key": draft.project_key},
        "issuetype": {"name": draft.issue_type},
        "summary": draft.summary,
    }
    if draft.description is not None:
        fields["description"] = draft.description
    if draft.labels:
        fields["labels"] = list(draft.labels)
    if draft.priority:
        fields["priority"] = {"name": draft.priority}
    return fields


def live(secret: Mapping[str, Any], secret_name: str, settings: Settings) -> JiraClient:
    """The live client from a Secrets Manager secret's JSON.

    Required: ``base_url`` (the site, e.g. ``https://acme.atlassian.net``), ``email`` and
    ``api_token`` (an Atlassian account's API token).
    """
    values: dict[str, str] = {}
    for key in ("base_url", "email", "api_token"):
        value = secret.get(key)
        if not isinstance(value, str) or not value:
            raise ConnectorError(f"secret '{secret_name}' lacks {key} (Jira Cloud site and API token)")
        values[key] = value
    return JiraClient(
        base_url=values["base_url"],
        email=values["email"],
        api_token=values["api_token"],
        credentials_secret=secret_name,
        allow_loopback=settings.connector_allow_loopback,
    )
