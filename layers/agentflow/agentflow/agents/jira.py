"""Jira: creates issues from upstream records (or one summary issue), or searches issues with JQL.

``create`` makes one issue per upstream record (deals, tickets, workers, ...) with a summary from
``summary_template`` and a description in Atlassian Document Format listing the record's fields;
with ``one_per_item`` off it makes a single issue that lists every record (the Slack agent's digest).
``search`` runs a JQL query and returns the issues, for downstream agents to act on.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field, field_validator

from agentflow.agents.base import Agent, AgentConfig, AgentContext
from agentflow.agents.items import upstream_items
from agentflow.agents.slack import PREFERRED_KEYS, Digest, DigestLine, digest, item_keys, item_line
from agentflow.connectors.jira import (
    BULK_CREATE_LIMIT,
    SUMMARY_MAX_LENGTH,
    IssueDraft,
    IssueOutcome,
    JiraConnector,
    JiraIssue,
    adf_bullet_list,
    adf_doc,
    adf_paragraph,
    adf_text,
)
from agentflow.errors import AgentError, ConnectorError

# A summary issue lists at most this many records; the description stays readable and well under
# Jira's 32,767-character field limit.
SUMMARY_ISSUE_LINES = 100
_DETAIL_FIELDS_LIMIT = 25
_VALUE_LIMIT = 500
# Widths and precisions in format specs stay small: "{name:>99999999}" must not allocate gigabytes.
_LARGE_NUMBER = re.compile(r"\d{4,}")


class TemplateError(ValueError):
    """A summary or description template that the safe formatter will not run."""


class SafeFormatter(string.Formatter):
    """``str.format`` over a record's fields that cannot reach past them.

    Only plain names (``{account_name}``, ``{amount:,.0f}``) are looked up, in the given mapping;
    attribute and index access (``{x.__class__}``, ``{x[0]}``) and positional fields are refused,
    a missing field formats as empty, and a format spec that does not fit the value (``{name:,.0f}``
    on a string) falls back to the plain value.
    """

    def get_value(self, key: int | str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> Any:
        if not isinstance(key, str):
            raise TemplateError("templates take named fields only, like {account_name}")
        value = kwargs.get(key)
        return "" if value is None else value

    def get_field(self, field_name: str, args: Sequence[Any], kwargs: Mapping[str, Any]) -> tuple[Any, str]:
        # The base class would follow "." and "[...]" into attributes and items: never do that.
        if not field_name.isidentifier():
            raise TemplateError(
                f"template field '{{{field_name}}}' must be a plain name like {{account_name}}"
            )
        return self.get_value(field_name, args, kwargs), field_name

    def format_field(self, value: Any, format_spec: str) -> str:
        if _LARGE_NUMBER.search(format_spec):
            raise TemplateError(f"format spec '{format_spec}' asks for too large a width or precision")
        if value == "":
            return ""
        try:
            return format(value, format_spec)
        except (TypeError, ValueError):
            return str(value)


_FORMATTER = SafeFormatter()


def check_template(template: str) -> str:
    """``template`` if the safe formatter accepts it; raises :class:`TemplateError` otherwise."""
    try:
        parsed = list(_FORMATTER.parse(template))
    except ValueError as error:
        raise TemplateError(f"template is not a valid format string: {error}") from None
    for _, field_name, format_spec, _ in parsed:
        if field_name is None:
            continue
        if not field_name.isidentifier():
            raise TemplateError(
                f"template field '{{{field_name}}}' must be a plain name like {{account_name}} "
                "(no positions, attributes or indexes)"
            )
        if format_spec and ("{" in format_spec or _LARGE_NUMBER.search(format_spec)):
            raise TemplateError(f"template field '{{{field_name}}}' has an unsupported format spec")
    return template


def render_template(template: str, fields: Mapping[str, Any]) -> str:
    """``template`` formatted over ``fields`` with :class:`SafeFormatter`."""
    return _FORMATTER.vformat(template, (), fields)


def one_line(text: str, limit: int = SUMMARY_MAX_LENGTH) -> str:
    """Text fit for a Jira summary: whitespace collapsed to single spaces, at most ``limit`` chars."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _value_text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str | int | float):
        text = " ".join(str(value).split())
        return text[:_VALUE_LIMIT] or None
    if isinstance(value, list) and value and all(isinstance(entry, str | int | float) for entry in value):
        return ", ".join(str(entry) for entry in value)[:_VALUE_LIMIT] or None
    if isinstance(value, Mapping):
        for key in ("name", "displayName", "display_name"):
            if isinstance(value.get(key), str):
                return str(value[key])
    return None


def record_details(item: Mapping[str, Any]) -> dict[str, Any] | None:
    """The record's fields as an ADF bullet list (``field: value``, links for http(s) URLs).

    None when no field has a value to show: ADF has no empty lists.
    """
    rows: list[list[dict[str, Any]]] = []
    for field, value in item.items():
        text = _value_text(value)
        if text is None:
            continue
        link = text if text.startswith(("https://", "http://")) else None
        rows.append([adf_text(f"{field}: ", strong=True), adf_text(text, link=link)])
        if len(rows) == _DETAIL_FIELDS_LIMIT:
            break
    return adf_bullet_list(rows) if rows else None


def _line_nodes(line: DigestLine) -> list[dict[str, Any]]:
    nodes = [adf_text(line.title, strong=True, link=line.url)]
    if line.detail:
        nodes.append(adf_text(f" — {line.detail}"))
    return nodes


def _paragraphs(text: str) -> list[dict[str, Any]]:
    return [adf_paragraph(adf_text(" ".join(chunk.split()))) for chunk in text.split("\n\n") if chunk.strip()]


class JiraConfig(AgentConfig):
    required_in_mode: ClassVar[dict[str, tuple[str, ...]]] = {"create": ("project_key",), "search": ("jql",)}

    connector: Literal["jira"] = Field("jira", description="The issue tracker.")
    credentials_secret: str | None = Field(
        None,
        description="Secrets Manager secret name with base_url, email and api_token (Jira Cloud).",
    )
    mode: Literal["create", "search"] = Field(
        "create", description="'create' issues from the upstream records, or 'search' with JQL."
    )
    project_key: str | None = Field(
        None,
        pattern=r"^[A-Z][A-Z0-9_]{1,9}$",
        description="Project of created issues, e.g. 'ONB' (create).",
        examples=["ONB"],
    )
    issue_type: str = Field("Task", min_length=1, max_length=60, description="Issue type name (create).")
    one_per_item: bool = Field(
        True, description="One issue per upstream record; false makes one issue listing them all (create)."
    )
    summary_template: str | None = Field(
        None,
        max_length=500,
        description=(
            "Issue summary as a Python format string over the record's fields, e.g. "
            "'Onboard {name} ({title})' or '{account_name}: {amount:,.0f}'; missing fields are empty. "
            "Summary issues get {count}, {noun} and {headline}. Default: the record's name/subject "
            "(the headline for a summary issue)."
        ),
    )
    description_template: str | None = Field(
        None,
        max_length=5000,
        description=(
            "Text opening the description (same fields as summary_template); blank lines split paragraphs."
        ),
    )
    labels: list[str] = Field(
        default_factory=list, max_length=20, description="Labels on created issues (no spaces)."
    )
    priority: str | None = Field(
        None, min_length=1, max_length=60, description="Priority name of created issues, e.g. 'High'."
    )
    max_issues: int = Field(
        50, ge=1, le=200, description="Most issues to create (records beyond it are skipped)."
    )
    jql: str | None = Field(
        None,
        min_length=1,
        max_length=5000,
        description="JQL query (search), e.g. 'project = SUP AND statusCategory != Done ORDER BY priority'.",
        examples=["project = SUP AND statusCategory != Done ORDER BY priority"],
    )
    max_results: int = Field(50, ge=1, le=1000, description="Most issues a search returns.")

    @field_validator("summary_template", "description_template")
    @classmethod
    def _safe_template(cls, template: str | None) -> str | None:
        return check_template(template) if template is not None else None

    @field_validator("labels")
    @classmethod
    def _labels_without_spaces(cls, labels: list[str]) -> list[str]:
        for label in labels:
            if not label or len(label) > 255 or any(char.isspace() for char in label):
                raise ValueError(f"label '{label}' must be 1-255 characters without spaces")
        return labels


class JiraFailure(BaseModel):
    index: int
    summary: str
    error: str


class JiraOutput(BaseModel):
    mode: str
    issues: list[JiraIssue]
    created: int
    failed: list[JiraFailure]
    skipped_items: int
    project_key: str | None
    jql: str | None
    connector: str


class JiraAgent(Agent[JiraConfig]):
    agent_type = "jira"
    name = "Jira"
    description = (
        "Creates Jira issues from upstream records (one per deal, ticket or new hire, or one summary "
        "issue) with templated summaries and ADF descriptions, or searches issues with JQL."
    )
    config_model = JiraConfig

    @classmethod
    def per_record_keys(cls, config: Any) -> tuple[str, ...] | None:
        return PREFERRED_KEYS if config.mode == "create" and config.one_per_item else None

    def run(self, config: JiraConfig, data: Any, ctx: AgentContext) -> JiraOutput:
        jira: JiraConnector = ctx.connectors.open(config.connector, config.credentials_secret)
        if config.mode == "search":
            return self._search(config, jira, ctx)
        return self._create(config, data, jira, ctx)

    def _search(self, config: JiraConfig, jira: JiraConnector, ctx: AgentContext) -> JiraOutput:
        jql = config.jql or ""
        issues = jira.search(jql, max_results=config.max_results)
        for issue in issues:
            ctx.log.debug(f"{issue.key} {issue.summary} ({issue.status})")
        ctx.log.info(f"Found {len(issues)} Jira issues for: {jql}")
        return JiraOutput(
            mode="search",
            issues=issues,
            created=0,
            failed=[],
            skipped_items=0,
            project_key=config.project_key,
            jql=jql,
            connector=config.connector,
        )

    def _create(self, config: JiraConfig, data: Any, jira: JiraConnector, ctx: AgentContext) -> JiraOutput:
        key, items = upstream_items(data, PREFERRED_KEYS)
        if key is None:
            raise AgentError(
                "jira create needs an upstream output with a list of records (deals, tickets, workers, ...)"
            )
        summary = digest(key, items)
        if not items:
            # Nothing upstream is a normal outcome ("no deals this week"), not a failure.
            ctx.log.warning(f"No {summary.noun} upstream: no Jira issues created")
            return self._created(config, [], [], 0)
        footer = f"Created by AgentFlow: workflow {ctx.workflow_id}, execution {ctx.execution_id}."
        if config.one_per_item:
            chosen = items[: config.max_issues]
            skipped = len(items) - len(chosen)
            if skipped:
                ctx.log.warning(
                    f"{len(items)} {summary.noun} upstream; max_issues={config.max_issues} leaves {skipped}"
                )
            drafts, indexes = self._item_drafts(config, summary, chosen, footer, ctx)
            record_keys = item_keys(chosen)
            keys = [record_keys[index] for index in indexes]
        else:
            skipped = 0
            drafts, indexes, keys = [self._summary_draft(config, summary, footer)], [0], ["summary"]
        if not drafts:
            raise AgentError(f"none of the {len(items)} upstream {summary.noun} gave an issue summary")

        outcomes = self._create_missing(jira, drafts, keys, ctx)
        issues: list[JiraIssue] = []
        failed: list[JiraFailure] = []
        for index, draft, outcome in zip(indexes, drafts, outcomes, strict=True):
            if outcome.issue is not None:
                issues.append(outcome.issue)
                ctx.log.debug(f"Created {outcome.issue.key}: {draft.summary}")
            else:
                failed.append(
                    JiraFailure(index=index, summary=draft.summary, error=outcome.error or "refused")
                )
                ctx.log.warning(
                    f"Jira refused the issue for record {index} ('{draft.summary}'): {outcome.error}"
                )
        if not issues:
            raise ConnectorError(
                f"jira created none of {len(drafts)} issues; first refusal: {failed[0].error}"
            )
        ctx.log.info(
            f"Created {len(issues)} Jira issue(s) in {config.project_key} from {summary.count} {summary.noun}"
            + (f"; {len(failed)} refused" if failed else "")
        )
        return self._created(config, issues, failed, skipped)

    @staticmethod
    def _create_missing(
        jira: JiraConnector, drafts: list[IssueDraft], keys: list[str], ctx: AgentContext
    ) -> list[IssueOutcome]:
        """One outcome per draft: the issues an earlier attempt created (by record key), and the
        rest created now, a bulk request at a time, each request's issues saved as progress."""
        created_before = ctx.recorded("created")
        missing = [n for n, key in enumerate(keys) if key not in created_before]
        outcomes: dict[int, IssueOutcome] = {}
        # Each issue carries its write key as a label, so a retry finds what a request whose answer
        # was lost created (JQL on labels; Jira's search index can trail a create by seconds).
        write_keys = {n: ctx.write_key(f"issue:{keys[n]}") for n in missing}
        for start in range(0, len(missing), BULK_CREATE_LIMIT):
            batch = missing[start : start + BULK_CREATE_LIMIT]
            if ctx.retried:
                found = _labelled(jira, [write_keys[n] for n in batch])
                # Found issues join the recorded ones: the output shows them as the create answered.
                for n in (n for n in batch if write_keys[n] in found):
                    created_before[keys[n]] = found[write_keys[n]].model_dump(include={"key", "id", "url"})
                if found:
                    ctx.log.info(f"{len(found)} issues were found created by an earlier attempt's request")
                batch = [n for n in batch if write_keys[n] not in found]
            labelled = [
                drafts[n].model_copy(update={"labels": [*drafts[n].labels, write_keys[n]]}) for n in batch
            ]
            for n, outcome in zip(batch, jira.create_issues(labelled), strict=True):
                if outcome.issue is not None:
                    # The output shows the draft's labels; the write key is bookkeeping.
                    issue = outcome.issue.model_copy(update={"labels": drafts[n].labels})
                    outcome = IssueOutcome(issue=issue)
                    created_before[keys[n]] = issue.model_dump(include={"key", "id", "url"})
                outcomes[n] = outcome
            ctx.save_progress()
        if len(missing) < len(drafts):
            ctx.log.info(
                f"{len(drafts) - len(missing)} issues were created by an earlier attempt "
                "and are not created again"
            )
        # An issue from an earlier attempt is what the bulk endpoint answered then: its key, id and
        # URL with the draft's fields.
        return [
            outcomes[n]
            if n in outcomes
            else IssueOutcome(
                issue=JiraIssue(
                    **created_before[key],
                    summary=draft.summary,
                    priority=draft.priority,
                    issue_type=draft.issue_type,
                    labels=draft.labels,
                )
            )
            for n, (draft, key) in enumerate(zip(drafts, keys, strict=True))
        ]

    @staticmethod
    def _created(
        config: JiraConfig, issues: list[JiraIssue], failed: list[JiraFailure], skipped: int
    ) -> JiraOutput:
        return JiraOutput(
            mode="create",
            issues=issues,
            created=len(issues),
            failed=failed,
            skipped_items=skipped,
            project_key=config.project_key,
            jql=None,
            connector=config.connector,
        )

    def _item_drafts(
        self,
        config: JiraConfig,
        summary: Digest,
        items: list[dict[str, Any]],
        footer: str,
        ctx: AgentContext,
    ) -> tuple[list[IssueDraft], list[int]]:
        drafts: list[IssueDraft] = []
        indexes: list[int] = []
        for index, item in enumerate(items):
            fields = {**item, "index": index + 1, "count": summary.count}
            title = (
                render_template(config.summary_template, fields)
                if config.summary_template
                else item_line(summary.kind, item).title
            )
            if not title.strip():
                ctx.log.warning(f"Skipped record {index}: its summary would be empty")
                continue
            blocks = (
                _paragraphs(render_template(config.description_template, fields))
                if config.description_template
                else []
            )
            details = record_details(item)
            if details is not None:
                blocks.append(details)
            blocks.append(adf_paragraph(adf_text(footer)))
            drafts.append(self._draft(config, one_line(title), blocks))
            indexes.append(index)
        return drafts, indexes

    def _summary_draft(self, config: JiraConfig, summary: Digest, footer: str) -> IssueDraft:
        fields = {"count": summary.count, "noun": summary.noun, "headline": summary.headline}
        title = (
            render_template(config.summary_template, fields) if config.summary_template else summary.headline
        )
        blocks = (
            _paragraphs(render_template(config.description_template, fields))
            if config.description_template
            else []
        )
        listed = summary.ranked[:SUMMARY_ISSUE_LINES]
        blocks.append(adf_paragraph(adf_text(summary.headline, strong=True)))
        if listed:
            blocks.append(adf_bullet_list([_line_nodes(line) for line in listed]))
        if summary.count > len(listed):
            blocks.append(adf_paragraph(adf_text(f"…and {summary.count - len(listed)} more {summary.noun}.")))
        blocks.append(adf_paragraph(adf_text(footer)))
        return self._draft(config, one_line(title or summary.headline), blocks)

    @staticmethod
    def _draft(config: JiraConfig, summary: str, blocks: list[dict[str, Any]]) -> IssueDraft:
        return IssueDraft(
            project_key=config.project_key or "",
            issue_type=config.issue_type,
            summary=summary,
            description=adf_doc(*blocks),
            labels=config.labels,
            priority=config.priority,
        )


def _labelled(jira: JiraConnector, write_keys: list[str]) -> dict[str, JiraIssue]:
    """{write key: issue} of the issues that already carry one of ``write_keys`` as a label."""
    if not write_keys:
        return {}
    quoted = ", ".join(f'"{key}"' for key in write_keys)
    found = jira.search(f"labels in ({quoted}) ORDER BY created ASC", max_results=len(write_keys) * 2)
    wanted = set(write_keys)
    by_key: dict[str, JiraIssue] = {}
    for issue in found:
        for label in issue.labels:
            if label in wanted:
                by_key.setdefault(label, issue)  # the oldest, should a key ever appear twice
    return by_key
