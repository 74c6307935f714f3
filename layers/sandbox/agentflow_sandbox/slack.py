"""The slack sandbox: slack's emulator over bundled data, for CONNECTOR_MODE=sandbox."""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agentflow.connectors.base import sandbox_pause

if TYPE_CHECKING:
    from agentflow.settings import Settings
from agentflow.connectors.slack import (
    BLOCKS_LIMIT,
    CHANNEL_ID,
    CHANNEL_NAME,
    SANDBOX_WORKSPACE_URL,
    TEXT_LIMIT,
    PostedMessage,
    keyed_message,
    slack_error,
    write_metadata,
)

# --- sandbox -----------------------------------------------------------------------------------

_log_lock = threading.Lock()


def sandbox_channel_id(channel: str) -> str:
    """The id the sandbox gives a channel: ids pass through, names get a stable Slack-like id."""
    if CHANNEL_ID.match(channel):
        return channel
    digest = hashlib.sha256(channel.lstrip("#").encode("utf-8")).digest()
    return "C0" + base64.b32encode(digest).decode("ascii")[:9]


class SlackSandbox:
    """Slack without the network: an append-only log of JSON lines, one per message.

    Timestamps increase strictly across threads and processes (the log is appended under a process
    lock and a file lock), as a channel's ``ts`` values do in Slack. Like Slack, the sandbox refuses
    unusable channel names (``channel_not_found``), messages without text or blocks (``no_text``),
    text over 40,000 characters (``msg_too_long``) and more than 50 blocks (``invalid_blocks``).
    """

    name = "slack"

    def __init__(
        self,
        *,
        sandbox_dir: str | Path,
        latency_ms: int = 0,
        tenant_id: str | None = None,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.log_path = Path(sandbox_dir) / "slack" / "messages.jsonl"
        self.latency_ms = latency_ms
        self.tenant_id = tenant_id
        self._now = now or (lambda: datetime.now(UTC))

    def _read(self) -> list[dict[str, Any]]:
        if not self.log_path.exists():
            return []
        with self.log_path.open(encoding="utf-8") as log:
            return [json.loads(line) for line in log if line.strip()]

    def messages(self, channel: str | None = None) -> list[dict[str, Any]]:
        """This tenant's messages, oldest first; only ``channel``'s (a name or id) when given."""
        wanted = sandbox_channel_id(channel) if channel else None
        return [
            record
            for record in self._read()
            if record.get("tenant_id") == self.tenant_id and (wanted is None or record["channel"] == wanted)
        ]

    def post_message(
        self,
        channel: str,
        text: str,
        *,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        write_key: str | None = None,
    ) -> PostedMessage:
        """Append the message to the log and return its channel id and a fresh, increasing ts."""
        sandbox_pause(self.latency_ms)
        if not (CHANNEL_ID.match(channel) or CHANNEL_NAME.match(channel)):
            raise slack_error("chat.postMessage", "channel_not_found", credentials_secret=None)
        error = None
        if not text.strip() and not blocks:
            error = "no_text"
        elif len(text) > TEXT_LIMIT:
            error = "msg_too_long"
        elif blocks is not None and len(blocks) > BLOCKS_LIMIT:
            error = "invalid_blocks"
        if error:
            raise slack_error("chat.postMessage", error, credentials_secret=None)
        channel_id = sandbox_channel_id(channel)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with _log_lock, self.log_path.open("a+", encoding="utf-8") as log:
            fcntl.flock(log, fcntl.LOCK_EX)
            try:
                log.seek(0)
                last = max((Decimal(json.loads(line)["ts"]) for line in log if line.strip()), default=None)
                now = self._now()
                ts = Decimal(int(now.timestamp())) + Decimal(now.microsecond) / Decimal(1_000_000)
                if last is not None and ts <= last:
                    ts = last + Decimal("0.000001")
                ts_text = f"{ts:.6f}"
                record = {
                    "ts": ts_text,
                    "channel": channel_id,
                    "channel_name": None if CHANNEL_ID.match(channel) else channel.lstrip("#"),
                    "tenant_id": self.tenant_id,
                    "thread_ts": thread_ts,
                    "posted_at": now.astimezone(UTC).isoformat(),
                    "text": text,
                    "blocks": blocks or [],
                    "metadata": write_metadata(write_key) if write_key else None,
                }
                log.write(json.dumps(record, ensure_ascii=False) + "\n")
                log.flush()
            finally:
                fcntl.flock(log, fcntl.LOCK_UN)
        return PostedMessage(channel=channel_id, ts=ts_text, text=text)

    def find_posted(
        self, channel: str, write_key: str, *, thread_ts: str | None = None
    ) -> PostedMessage | None:
        """The tenant's message in ``channel`` (or in its thread) whose metadata carries ``write_key``."""
        sandbox_pause(self.latency_ms)
        channel_id = sandbox_channel_id(channel)
        messages = [
            message
            for message in self.messages(channel_id)
            if message.get("tenant_id") == self.tenant_id
            and (thread_ts is None or message.get("thread_ts") == thread_ts)
        ]
        found = keyed_message(messages, write_key)
        if found is None:
            return None
        return PostedMessage(channel=channel_id, ts=str(found["ts"]), text=str(found.get("text") or ""))

    def permalink(self, channel: str, ts: str) -> str:
        """The message's URL in the sandbox workspace, shaped as Slack's (``p`` + ts without the dot)."""
        sandbox_pause(self.latency_ms)
        record = next(
            (item for item in self.messages() if item["channel"] == channel and item["ts"] == ts), None
        )
        if record is None:
            raise slack_error("chat.getPermalink", "message_not_found", credentials_secret=None)
        link = f"{SANDBOX_WORKSPACE_URL}/archives/{channel}/p{ts.replace('.', '')}"
        if record.get("thread_ts"):
            link += f"?thread_ts={record['thread_ts']}&cid={channel}"
        return link


def sandbox(settings: Settings, tenant_id: str) -> SlackSandbox:
    """The sandbox Slack for one tenant, under the stack's sandbox directory."""
    return SlackSandbox(
        sandbox_dir=settings.sandbox_dir, latency_ms=settings.sandbox_latency_ms, tenant_id=tenant_id
    )
