"""Slack notification: posts a deterministic summary of the upstream output to a channel.

The summary is a :class:`Digest` of the upstream records, which recognises the shapes agents
exchange: deals (count, total amount, the five largest), tickets (priorities and subjects), issues
(keys, summaries, statuses), workers (names, titles, start dates), and any other list of records
(up to ten, by their name/title/subject/id). The Jira agent reuses the digest for summary issues.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from agentflow.agents.base import Agent, AgentConfig, AgentContext
from agentflow.agents.items import upstream_items, upstream_text
from agentflow.connectors.slack import PostedMessage
from agentflow.errors import AgentError

if TYPE_CHECKING:
    from agentflow.connectors.slack import SlackConnector

ItemKind = Literal["deals", "tickets", "issues", "workers", "items"]
# An empty list is still "no deals" when the upstream key says what it would have held.
_KINDS: dict[str, ItemKind] = {
    "deals": "deals",
    "tickets": "tickets",
    "issues": "issues",
    "workers": "workers",
}

# Upstream keys tried first, in this order, before any other list of records.
PREFERRED_KEYS = ("deals", "tickets", "incidents", "issues", "workers", "items", "records", "results")
TOP_DEALS = 5
LIST_LIMIT = 10
# Slack's limits: header text 150 characters, section text 3,000.
HEADER_LIMIT = 150
SECTION_LIMIT = 3000
LINE_LIMIT = 300
UNTITLED = "(untitled)"
_LABEL_FIELDS = (
    "name",
    "title",
    "subject",
    "summary",
    "short_description",
    "display_name",
    "key",
    "number",
    "id",
)
# Fields that name an upstream record for good (deal ids, ServiceNow sys_ids, Jira keys, ...).
_ID_FIELDS = ("id", "sys_id", "key", "number", "message_id", "deal_id")
# Lower rank first; Zendesk (urgent/high/normal/low), Jira (Highest..Lowest), ServiceNow ("1 - Critical").
_PRIORITY_RANKS: tuple[tuple[str, int], ...] = (
    ("critical", 0),
    ("urgent", 0),
    ("highest", 0),
    ("1", 0),
    ("high", 1),
    ("2", 1),
    ("medium", 2),
    ("normal", 2),
    ("moderate", 2),
    ("3", 2),
    ("lowest", 4),
    ("planning", 4),
    ("5", 4),
    ("low", 3),
    ("4", 3),
)


@dataclass(frozen=True)
class DigestLine:
    """One record in a digest: a title, a detail line and, when the record has one, its URL.

    ``title`` is empty when the record has nothing to call it by; renderings show "(untitled)".
    """

    title: str
    detail: str = ""
    url: str | None = None

    def plain(self) -> str:
        """The line as plain text: ``title — detail``."""
        title = self.title or UNTITLED
        return f"{title} — {self.detail}" if self.detail else title


@dataclass(frozen=True)
class Digest:
    """A deterministic summary of upstream records: a headline and the records worth listing."""

    kind: ItemKind
    noun: str  # what the records are called upstream ("deals", "tickets", ...)
    count: int
    headline: str
    lines: list[DigestLine]  # the records worth listing (top deals, first tickets by priority, ...)
    ranked: list[DigestLine]  # every record, in the digest's order
    keys: tuple[str, ...] = ()  # each ranked record's key (see item_keys), in the same order

    @property
    def more(self) -> int:
        """Records not in :attr:`lines`."""
        return self.count - len(self.lines)


# --- formatting helpers ------------------------------------------------------------------------


def money(amount: float, currency: str = "USD") -> str:
    """``$475,000`` for dollars, ``EUR 12,500`` for other currencies."""
    symbol = "$" if currency == "USD" else f"{currency} "
    return f"{symbol}{amount:,.0f}"


def display_date(value: Any) -> str:
    """``Dec 13, 2026`` for an ISO date or timestamp; anything else as it is."""
    if isinstance(value, datetime | date):
        day = value
    else:
        text = str(value or "")
        try:
            day = date.fromisoformat(text[:10])
        except ValueError:
            return text
    return f"{day:%b} {day.day}, {day.year}"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        # Vendor records nest people and states: {"name": ...} or {"displayName": ...}.
        for key in ("name", "displayName", "display_name", "value"):
            if value.get(key):
                return str(value[key])
        return ""
    return " ".join(str(value).split())


def _first(item: dict[str, Any], *fields: str) -> str:
    for field in fields:
        text = _text(item.get(field))
        if text:
            return text
    return ""


def _url(item: dict[str, Any]) -> str | None:
    url = item.get("url") or item.get("permalink") or item.get("link")
    return url if isinstance(url, str) and url.startswith(("https://", "http://")) else None


def _details(*parts: str) -> str:
    return " · ".join(part for part in parts if part)


def priority_rank(priority: Any) -> int:
    """0 for the most urgent priorities, 5 for unknown ones."""
    text = _text(priority).lower()
    for word, rank in _PRIORITY_RANKS:
        if text == word or text.startswith(f"{word} ") or text.startswith(f"{word}-") or text == f"p{word}":
            return rank
    return 5


def item_keys(items: Sequence[dict[str, Any]]) -> list[str]:
    """A key per upstream record that a retry finds again: its id, else its position.

    The first id-like field with a value names the record (``id=0065e00000AbCdE``); a repeated
    id is numbered from its second occurrence on (``id=7#2``), and a record without one is
    ``#<position>``. Progress is recorded under these keys.
    """
    keys: list[str] = []
    seen: Counter[str] = Counter()
    for position, item in enumerate(items):
        field = next((field for field in _ID_FIELDS if _text(item.get(field))), None)
        key = f"{field}={_text(item[field])}" if field else f"#{position}"
        seen[key] += 1
        keys.append(key if seen[key] == 1 else f"{key}#{seen[key]}")
    return keys


def _amount(item: dict[str, Any]) -> float:
    try:
        return float(item.get("amount") or 0)
    except (TypeError, ValueError):
        return 0.0


# --- shapes ------------------------------------------------------------------------------------


def item_kind(key: str | None, items: list[dict[str, Any]]) -> ItemKind:
    """Which known shape every record has; "items" when they share none."""

    if not items:
        return _KINDS.get(key or "", "items")

    def every(*alternatives: tuple[str, ...]) -> bool:
        return all(all(any(field in item for field in fields) for fields in alternatives) for item in items)

    if every(("amount",), ("account_name", "name")):
        return "deals"
    if every(("key",), ("summary",)):
        return "issues"
    if every(("subject", "short_description"), ("priority",)):
        return "tickets"
    if every(("name",), ("start_date", "hire_date")):
        return "workers"
    return "items"


def item_line(kind: ItemKind, item: dict[str, Any]) -> DigestLine:
    """One record as a digest line, by its shape."""
    if kind == "deals":
        account, name = _text(item.get("account_name")), _text(item.get("name"))
        # Deal names usually start with the account ("Crestline Communications — Field Suite").
        title = name if account and account in name else ": ".join(part for part in (account, name) if part)
        owner = _text(item.get("owner_name"))
        return DigestLine(
            title=title,
            detail=_details(
                money(_amount(item), _text(item.get("currency")) or "USD"),
                f"owner {owner}" if owner else "",
                f"closes {display_date(item['close_date'])}" if item.get("close_date") else "",
            ),
            url=_url(item),
        )
    if kind == "issues":
        return DigestLine(
            title=" ".join(part for part in (_text(item.get("key")), _text(item.get("summary"))) if part),
            detail=_details(
                _text(item.get("status")),
                _text(item.get("priority")),
                _text(item.get("assignee")) or "unassigned",
            ),
            url=_url(item),
        )
    if kind == "tickets":
        reference = _first(item, "number", "id")
        return DigestLine(
            title=_first(item, "subject", "short_description"),
            detail=_details(
                _text(item.get("priority")),
                _first(item, "status", "state"),
                _first(
                    item, "account_name", "organization", "company", "requester_name", "requester", "caller"
                ),
                f"#{reference}" if reference.isdigit() else reference,  # Zendesk ids; ServiceNow numbers
            ),
            url=_url(item),
        )
    if kind == "workers":
        manager = _text(item.get("manager"))
        start = item.get("start_date") or item.get("hire_date")
        return DigestLine(
            title=_text(item.get("name")),
            detail=_details(
                _first(item, "title", "job_title", "position"),
                f"starts {display_date(start)}" if start else "",
                f"manager {manager}" if manager else "",
            ),
            url=_url(item),
        )
    label = _first(item, *_LABEL_FIELDS)
    used = {field for field in _LABEL_FIELDS if _text(item.get(field)) == label}
    extras = [
        f"{field}: {_text(value)}"
        for field, value in item.items()
        if field not in used and isinstance(value, str | int | float | bool) and _text(value)
    ][:3]
    return DigestLine(title=label, detail=_details(*extras), url=_url(item))


# How a digest orders each kind of record (sorts are stable: ties keep upstream order); other
# kinds keep upstream order.
_RANKS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "deals": lambda item: -_amount(item),
    "tickets": lambda item: priority_rank(item.get("priority")),
    "workers": lambda item: str(item.get("start_date") or item.get("hire_date") or ""),
}


def digest(key: str | None, items: list[dict[str, Any]]) -> Digest:
    """The deterministic summary of upstream records ``items`` found under ``key``."""
    kind = item_kind(key, items)
    noun = key or kind
    count = len(items)
    rank = _RANKS.get(kind)
    order = sorted(range(count), key=lambda n: rank(items[n])) if rank else list(range(count))
    ordered = [items[position] for position in order]
    if kind == "deals":
        totals: dict[str, float] = {}
        for item in items:
            currency = _text(item.get("currency")) or "USD"
            totals[currency] = totals.get(currency, 0.0) + _amount(item)
        worth = " + ".join(money(total, currency) for currency, total in totals.items())
        headline = f"{count} {noun} worth {worth} in total"
        limit = TOP_DEALS
    elif kind == "tickets":
        by_priority = Counter(_text(item.get("priority")).lower() or "no priority" for item in ordered)
        headline = f"{count} {noun}: " + ", ".join(f"{n} {priority}" for priority, n in by_priority.items())
        limit = LIST_LIMIT
    elif kind == "issues":
        by_status = Counter(_text(item.get("status")) or "no status" for item in ordered)
        headline = f"{count} {noun}: " + ", ".join(f"{n} {status}" for status, n in by_status.items())
        limit = LIST_LIMIT
    elif kind == "workers":
        starts = [item.get("start_date") or item.get("hire_date") for item in ordered]
        known = [start for start in starts if start]
        span = ""
        if known:
            first, last = display_date(known[0]), display_date(known[-1])
            span = f", starting {first}" if first == last else f", starting {first} to {last}"
        headline = f"{count} {noun}{span}"
        limit = LIST_LIMIT
    else:
        headline = f"{count} {noun}"
        limit = LIST_LIMIT
    if not count:
        headline = f"No {noun}"
    ranked = [item_line(kind, item) for item in ordered]
    keys = item_keys(items)
    return Digest(
        kind=kind,
        noun=noun,
        count=count,
        headline=headline,
        lines=ranked[:limit],
        ranked=ranked,
        keys=tuple(keys[position] for position in order),
    )


# --- Slack rendering ---------------------------------------------------------------------------

_MENTIONS = {"@here": "<!here>", "@channel": "<!channel>", "@everyone": "<!everyone>"}


def escape_mrkdwn(text: str) -> str:
    """Text safe inside Slack mrkdwn: ``&``, ``<`` and ``>`` escaped.

    Upstream data cannot smuggle in mentions (``<!channel>``) or links that way.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_mention(mention: str) -> str:
    """Slack's markup for a mention.

    ``@here`` becomes ``<!here>``, a user id ``<@U…>``, a user group id ``<!subteam^S…>``.
    """
    if mention in _MENTIONS:
        return _MENTIONS[mention]
    user = mention.lstrip("@")
    if user.startswith("S"):
        return f"<!subteam^{user}>"
    return f"<@{user}>"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def mrkdwn_line(line: DigestLine) -> str:
    """``*title* — detail`` in mrkdwn, the title linked when the record has a URL."""
    title = escape_mrkdwn(_clip(line.title or UNTITLED, LINE_LIMIT))
    if line.url:
        # "|" would end the link's URL part early; the rest of Slack's control characters are escaped.
        title = f"<{escape_mrkdwn(line.url).replace('|', '%7C')}|{title.replace('|', '¦')}>"
    detail = escape_mrkdwn(_clip(line.detail, LINE_LIMIT))
    return f"*{title}* — {detail}" if detail else f"*{title}*"


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, SECTION_LIMIT)}}


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(text, SECTION_LIMIT)}]}


def summary_message(
    summary: Digest, *, title: str, mention: str | None, footer: str
) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, Block Kit blocks) of the summary message."""
    prefix = f"{slack_mention(mention)} " if mention else ""
    bullets: list[str] = []
    used = 0
    for line in summary.lines:
        bullet = f"• {mrkdwn_line(line)}"
        if used + len(bullet) + 1 > SECTION_LIMIT:
            break
        bullets.append(bullet)
        used += len(bullet) + 1
    listed = len(bullets)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _clip(title, HEADER_LIMIT), "emoji": True}},
        _section(f"{prefix}*{escape_mrkdwn(summary.headline)}*"),
    ]
    if bullets:
        blocks.append(_section("\n".join(bullets)))
    remaining = summary.count - listed
    notes = [f"…and {remaining} more {escape_mrkdwn(summary.noun)}"] if remaining > 0 and listed else []
    blocks.append(_context(" · ".join([*notes, escape_mrkdwn(footer)])))
    text_lines = [f"{prefix}{escape_mrkdwn(title)}: {escape_mrkdwn(summary.headline)}"]
    text_lines += [f"• {escape_mrkdwn(line.plain())}" for line in summary.lines[:listed]]
    text_lines += notes
    return "\n".join(text_lines), blocks


def item_message(line: DigestLine) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) of one record's message."""
    return escape_mrkdwn(line.plain()), [_section(mrkdwn_line(line))]


# --- the agent ---------------------------------------------------------------------------------


class SlackConfig(AgentConfig):
    connector: Literal["slack"] = Field("slack", description="The chat service that posts.")
    credentials_secret: str | None = Field(
        None, description="Secrets Manager secret name holding the Slack bot token (field bot_token)."
    )
    channel: str = Field(
        ...,
        pattern=r"^(#?[a-z0-9][a-z0-9_-]{0,79}|[CGD][A-Z0-9]{8,})$",
        description="Channel to post to: a name such as '#sales-alerts' or a channel id such as 'C024BE91L'.",
        examples=["#sales-alerts", "C024BE91L"],
    )
    title: str | None = Field(
        None, min_length=1, max_length=HEADER_LIMIT, description="Header of the summary message."
    )
    per_item: bool = Field(False, description="Also post one message per upstream record.")
    max_messages: int = Field(
        10, ge=1, le=50, description="Most per-record messages to post (records beyond it are skipped)."
    )
    thread_items: bool = Field(
        True, description="Post the per-record messages as replies in the summary's thread."
    )
    mention: str | None = Field(
        None,
        pattern=r"^(@here|@channel|@everyone|@?[UW][A-Z0-9]{8,}|@?S[A-Z0-9]{8,})$",
        description=(
            "Who to notify: '@here', '@channel', '@everyone', a user id (U…) or a user group id (S…)."
        ),
    )


MessageKind = Literal["summary", "item"]


class SlackMessageRecord(BaseModel):
    ts: str
    permalink: str | None
    text: str
    kind: MessageKind


class SlackOutput(BaseModel):
    channel: str
    channel_id: str
    messages: list[SlackMessageRecord]
    posted: int
    summary: str
    item_kind: str
    items: int
    skipped_items: int
    connector: str


class SlackAgent(Agent[SlackConfig]):
    agent_type = "slack"
    name = "Slack Notification"
    description = (
        "Posts a summary of the upstream output (deals, tickets, issues, workers or any records) to a "
        "Slack channel with Block Kit formatting, optionally one message per record in the summary's "
        "thread, and returns each message's timestamp and permalink."
    )
    config_model = SlackConfig

    @classmethod
    def per_record_keys(cls, config: Any) -> tuple[str, ...] | None:
        # Only the per-record messages are per record; each batch also posts its own summary.
        return PREFERRED_KEYS if config.per_item else None

    def run(self, config: SlackConfig, data: Any, ctx: AgentContext) -> SlackOutput:
        key, items = upstream_items(data, PREFERRED_KEYS)
        text = upstream_text(data)
        if key is None and text is None:
            raise AgentError(
                "slack needs an upstream output with a list of records (deals, tickets, issues, "
                "workers, ...) or a text request to post"
            )
        if key is not None:
            summary = digest(key, items)
            title = config.title or f"AgentFlow: {summary.noun}"
        else:
            # A root node's request is the message itself.
            request = _clip(str(text), SECTION_LIMIT)
            summary = Digest(kind="items", noun="items", count=0, headline=request, lines=[], ranked=[])
            title = config.title or "AgentFlow"
        footer = f"Workflow {ctx.workflow_id} · execution {ctx.execution_id} · node {ctx.node_id}"
        slack: SlackConnector = ctx.connectors.open(config.connector, config.credentials_secret)
        # Messages an earlier attempt posted (by record key) are not posted again.
        earlier = set(ctx.progress.get("posted", {}))

        summary_text, blocks = summary_message(summary, title=title, mention=config.mention, footer=footer)
        posted, record = self._post(
            slack, ctx, "summary", "summary", config.channel, summary_text, blocks=blocks
        )
        records, used = [record], ["summary"]
        ctx.log.debug(f"Posted the summary to {config.channel} ({posted.ts})")

        skipped = 0
        if config.per_item:
            chosen = summary.ranked[: config.max_messages]
            skipped = len(summary.ranked) - len(chosen)
            if skipped:
                ctx.log.warning(
                    f"{summary.count} {summary.noun} upstream; max_messages={config.max_messages} "
                    f"leaves {skipped} without their own message"
                )
            thread = posted.ts if config.thread_items else None
            for line, key in zip(chosen, summary.keys, strict=False):
                item_text, item_blocks = item_message(line)
                reply, record = self._post(
                    slack, ctx, key, "item", posted.channel, item_text, blocks=item_blocks, thread_ts=thread
                )
                records.append(record)
                used.append(key)
                ctx.log.debug(f"Posted '{_clip(line.title, 80)}' ({reply.ts})")
        reused = len(earlier.intersection(used))
        if reused:
            ctx.log.info(f"{reused} messages were posted by an earlier attempt and are not posted again")

        ctx.log.info(
            f"Posted {len(records)} Slack message(s) to {config.channel} summarising "
            f"{summary.count} {summary.noun}: {_clip(summary.headline, 200)}"
        )
        return SlackOutput(
            channel=config.channel,
            channel_id=posted.channel,
            messages=records,
            posted=len(records),
            summary=summary.headline,
            item_kind=summary.kind,
            items=summary.count,
            skipped_items=skipped,
            connector=config.connector,
        )

    def _post(
        self,
        slack: SlackConnector,
        ctx: AgentContext,
        key: str,
        kind: MessageKind,
        channel: str,
        text: str,
        **options: Any,
    ) -> tuple[PostedMessage, SlackMessageRecord]:
        """Post one message and record it under ``key`` in the progress; or, when an earlier attempt
        posted it, answer what that attempt recorded."""
        posted_before = ctx.recorded("posted")
        if key in posted_before:
            channel_id, ts, link = (posted_before[key][field] for field in ("channel", "ts", "permalink"))
            record = SlackMessageRecord(ts=ts, permalink=link, text=text, kind=kind)
            return PostedMessage(channel=channel_id, ts=ts, text=text), record
        write_key = ctx.write_key(f"message:{key}")
        posted = self._posted_earlier(slack, ctx, channel, write_key, options.get("thread_ts"))
        if posted is None:
            posted = slack.post_message(channel, text, write_key=write_key, **options)
        record = self._record(slack, posted, kind, ctx)
        ctx.record("posted", key, {"channel": posted.channel, "ts": posted.ts, "permalink": record.permalink})
        return posted, record

    @staticmethod
    def _posted_earlier(
        slack: SlackConnector, ctx: AgentContext, channel: str, write_key: str, thread_ts: str | None
    ) -> PostedMessage | None:
        """On a retry, the message an earlier attempt posted but could not record (its answer lost)."""
        if not ctx.retried:
            return None
        try:
            found = slack.find_posted(channel, write_key, thread_ts=thread_ts)
        except AgentError as error:
            # Unchecked, the message may appear twice; not posting it could lose it.
            ctx.log.warning(f"Could not check for an earlier post to {channel}: {error.message}")
            return None
        if found is not None:
            ctx.log.info(f"Message {found.ts} in {channel} was posted by an earlier attempt")
        return found

    @staticmethod
    def _record(
        slack: SlackConnector, posted: PostedMessage, kind: MessageKind, ctx: AgentContext
    ) -> SlackMessageRecord:
        # The message is already in the channel: a failed permalink lookup must not fail the run
        # (a retry would post it again), so it is reported and left out.
        try:
            link = slack.permalink(posted.channel, posted.ts)
        except AgentError as error:
            ctx.log.warning(f"Posted message {posted.ts} but could not get its permalink: {error.message}")
            link = None
        return SlackMessageRecord(ts=posted.ts, permalink=link, text=posted.text, kind=kind)
