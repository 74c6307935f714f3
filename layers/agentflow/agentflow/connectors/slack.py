"""Slack: the live Web API client (bot token) and the sandbox (a local message log).

Both implement :class:`SlackConnector`: post a message (text plus Block Kit blocks, optionally in a
thread) and fetch a message's permalink. Slack answers most failures with HTTP 200 and
``{"ok": false, "error": "<code>"}``; the live client maps those codes onto AgentFlow's errors the
same way :class:`~agentflow.connectors.http.VendorHttpClient` maps HTTP statuses. The sandbox
appends every message to ``{sandbox_dir}/slack/messages.jsonl``.

The sandbox emulator lives in ``agentflow_sandbox.slack`` (the sandbox layer, never deployed with
``ConnectorMode=live``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from agentflow.connectors.http import VendorHttpClient, check_base_url, parse_retry_after
from agentflow.errors import AgentError, ConnectorError, TransientAgentError

if TYPE_CHECKING:
    import httpx

    from agentflow.settings import Settings

API_BASE_URL = "https://slack.com/api"
SANDBOX_WORKSPACE_URL = "https://agentflow-sandbox.slack.com"
# Slack's documented limits for chat.postMessage.
TEXT_LIMIT = 40_000
BLOCKS_LIMIT = 50

# Error codes that mean the token is wrong, gone or not allowed to act.
_AUTH_ERRORS = frozenset(
    {"invalid_auth", "not_authed", "token_revoked", "token_expired", "account_inactive", "no_permission"}
)
# Error codes that mean "try again later"; everything else is permanent.
_TRANSIENT_ERRORS = frozenset(
    {"ratelimited", "rate_limited", "internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)
CHANNEL_ID = re.compile(r"^[CGDU][A-Z0-9]{8,}$")
CHANNEL_NAME = re.compile(r"^#?[a-z0-9][a-z0-9_-]{0,79}$")
# Message metadata marks AgentFlow's posts with their write key, for the lookup after a lost answer.
METADATA_EVENT_TYPE = "agentflow_write"
# How far back a retry reads a channel's history for an earlier attempt's message.
LOOKUP_HISTORY_LIMIT = 100


def write_metadata(write_key: str) -> dict[str, Any]:
    """The ``metadata`` of a message posted under ``write_key`` (Slack's message metadata shape)."""
    return {"event_type": METADATA_EVENT_TYPE, "event_payload": {"write_key": write_key}}


def keyed_message(messages: Any, write_key: str) -> Mapping[str, Any] | None:
    """The message among ``messages`` whose metadata carries ``write_key``."""
    for message in messages if isinstance(messages, list) else []:
        metadata = message.get("metadata") if isinstance(message, Mapping) else None
        if not isinstance(metadata, Mapping) or metadata.get("event_type") != METADATA_EVENT_TYPE:
            continue
        payload = metadata.get("event_payload")
        if isinstance(payload, Mapping) and payload.get("write_key") == write_key:
            return message
    return None


class PostedMessage(BaseModel):
    """A message Slack accepted: the channel id it landed in and its timestamp (Slack's message id)."""

    channel: str
    ts: str
    text: str


class SlackConnector(Protocol):
    name: str

    def post_message(
        self,
        channel: str,
        text: str,
        *,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        write_key: str | None = None,
    ) -> PostedMessage:
        """Post ``text`` (the notification and fallback) with ``blocks`` to a channel name or id.

        ``write_key`` goes into the message's metadata, where :meth:`find_posted` finds it.
        """
        ...

    def find_posted(
        self, channel: str, write_key: str, *, thread_ts: str | None = None
    ) -> PostedMessage | None:
        """The message an earlier attempt posted under ``write_key`` (its answer lost), or None.

        Reads the channel's recent history (a thread's replies with ``thread_ts``); ``channel``
        must be a channel id for the live API.
        """
        ...

    def permalink(self, channel: str, ts: str) -> str:
        """The message's permanent URL; ``channel`` is the id :meth:`post_message` returned."""
        ...


def slack_error(
    method: str,
    code: str,
    *,
    credentials_secret: str | None,
    retry_after: float | None = None,
    needed: str | None = None,
) -> AgentError:
    """The AgentFlow error a Slack error code means (transient, credentials, or permanent)."""
    where = f" in secret '{credentials_secret}'" if credentials_secret else ""
    if code in _TRANSIENT_ERRORS:
        hint = f", retry after {retry_after:g} s" if retry_after is not None else ""
        return TransientAgentError(f"slack: {method} failed with {code}{hint}", retry_after=retry_after)
    if code in _AUTH_ERRORS:
        return ConnectorError(f"slack rejected the bot token{where} ({code})")
    if code == "missing_scope":
        return ConnectorError(
            f"slack: the bot token{where} lacks {needed or 'a scope'} for {method} (missing_scope)"
        )
    return ConnectorError(f"slack: {method} failed with {code}")


def raise_for_slack_error(
    method: str, body: Any, *, credentials_secret: str | None, retry_after: float | None = None
) -> None:
    """Raise the error an ``{"ok": false, "error": ...}`` answer means; return quietly on ``ok``."""
    if not isinstance(body, Mapping):
        raise ConnectorError(f"slack: {method} answered with something other than a JSON object")
    if body.get("ok") is True:
        return
    needed = body.get("needed")
    raise slack_error(
        method,
        str(body.get("error") or "unknown_error"),
        credentials_secret=credentials_secret,
        retry_after=retry_after,
        needed=str(needed) if needed else None,
    )


class SlackClient:
    """The live Slack connector: the Web API with a bot token (scope ``chat:write``).

    Endpoints: ``POST {api}/chat.postMessage`` (JSON body) and ``GET {api}/chat.getPermalink``
    (``channel``, ``message_ts`` query parameters), both with ``Authorization: Bearer <bot token>``.
    The bot must be a member of private channels it posts to (``not_in_channel`` otherwise).
    """

    name = "slack"

    def __init__(
        self,
        *,
        bot_token: str,
        api_base_url: str = API_BASE_URL,
        credentials_secret: str | None = None,
        allow_loopback: bool = False,
        http: VendorHttpClient | None = None,
    ) -> None:
        self.api_base_url = check_base_url(api_base_url, allow_loopback=allow_loopback)
        self._token = bot_token
        self._credentials_secret = credentials_secret
        self._http = http or VendorHttpClient(
            self.name, credentials_secret=credentials_secret, allow_loopback=allow_loopback
        )

    def close(self) -> None:
        """Release pooled connections."""
        self._http.close()

    def _call(self, method: str, http_method: str, **kwargs: Any) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {self._token}", **kwargs.pop("headers", {})}
        response: httpx.Response = self._http.send(
            http_method, f"{self.api_base_url}/{method}", headers=headers, **kwargs
        )
        self._http.raise_for_status(response)
        try:
            body = response.json()
        except ValueError:
            body = None
        raise_for_slack_error(
            method,
            body,
            credentials_secret=self._credentials_secret,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
        return dict(body)

    def post_message(
        self,
        channel: str,
        text: str,
        *,
        blocks: list[dict[str, Any]] | None = None,
        thread_ts: str | None = None,
        write_key: str | None = None,
    ) -> PostedMessage:
        """``chat.postMessage``; link unfurling is off so alerts stay compact."""
        payload: dict[str, Any] = {
            "channel": channel,
            "text": text,
            "unfurl_links": False,
            "unfurl_media": False,
        }
        if blocks:
            payload["blocks"] = blocks
        if thread_ts:
            payload["thread_ts"] = thread_ts
        if write_key:
            payload["metadata"] = write_metadata(write_key)
        body = self._call(
            "chat.postMessage",
            "POST",
            # Slack wants the charset spelled out for JSON bodies (it warns "missing_charset" otherwise).
            headers={"Content-Type": "application/json; charset=utf-8"},
            content=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        )
        ts, channel_id = body.get("ts"), body.get("channel")
        if not isinstance(ts, str) or not isinstance(channel_id, str):
            raise ConnectorError("slack: chat.postMessage answered ok without ts and channel")
        return PostedMessage(channel=channel_id, ts=ts, text=text)

    def find_posted(
        self, channel: str, write_key: str, *, thread_ts: str | None = None
    ) -> PostedMessage | None:
        """``conversations.history`` (or ``conversations.replies`` in a thread) with metadata.

        Slack limits these reads (Tier 3; 1 a minute for apps outside the Marketplace), so agents
        call this only on a retry, once per message whose outcome is unknown.
        """
        if not CHANNEL_ID.match(channel):
            raise ConnectorError(
                f"slack: looking up an earlier post needs a channel id (C0...), not '{channel}'"
            )
        params: dict[str, Any] = {
            "channel": channel,
            "include_all_metadata": "true",
            "limit": LOOKUP_HISTORY_LIMIT,
        }
        method = "conversations.history"
        if thread_ts:
            method, params["ts"] = "conversations.replies", thread_ts
        body = self._call(method, "GET", params=params)
        found = keyed_message(body.get("messages"), write_key)
        if found is None or not isinstance(found.get("ts"), str):
            return None
        return PostedMessage(channel=channel, ts=found["ts"], text=str(found.get("text") or ""))

    def permalink(self, channel: str, ts: str) -> str:
        """``chat.getPermalink`` for a posted message."""
        body = self._call("chat.getPermalink", "GET", params={"channel": channel, "message_ts": ts})
        link = body.get("permalink")
        if not isinstance(link, str) or not link:
            raise ConnectorError("slack: chat.getPermalink answered ok without a permalink")
        return link


def live(secret: Mapping[str, Any], secret_name: str, settings: Settings) -> SlackClient:
    """The live client from a Secrets Manager secret's JSON.

    Required: ``bot_token`` (an ``xoxb-`` token with ``chat:write``). Optional ``api_base_url``
    (for example ``https://slack-gov.com/api`` for GovSlack).
    """
    token = secret.get("bot_token")
    if not isinstance(token, str) or not token:
        raise ConnectorError(f"secret '{secret_name}' lacks bot_token (a Slack bot token)")
    return SlackClient(
        bot_token=token,
        api_base_url=str(secret.get("api_base_url") or API_BASE_URL),
        credentials_secret=secret_name,
        allow_loopback=settings.connector_allow_loopback,
    )
