"""The Slack sandbox (a local message log) and Slack's error-code mapping (no sockets)."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from agentflow.connectors.factory import ConnectorFactory
from agentflow.connectors.slack import raise_for_slack_error
from agentflow.errors import ConnectorError, TransientAgentError
from agentflow.settings import Settings
from agentflow_sandbox.slack import SlackSandbox, sandbox_channel_id

FROZEN = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*3 deals worth $1,200,000 in total*"}}]


@pytest.fixture
def slack(tmp_path: Path) -> SlackSandbox:
    return SlackSandbox(sandbox_dir=tmp_path, tenant_id="t")


def test_a_post_is_logged_with_its_channel_id_blocks_and_tenant(slack: SlackSandbox, tmp_path: Path) -> None:
    # When a message is posted to a channel name
    posted = slack.post_message("#sales-alerts", "3 deals worth $1,200,000 in total", blocks=BLOCKS)
    # Then the log holds it under the channel's id, and the answer names that id and the ts
    [record] = [json.loads(line) for line in (tmp_path / "slack" / "messages.jsonl").read_text().splitlines()]
    assert posted.channel == record["channel"] == sandbox_channel_id("#sales-alerts")
    assert (record["ts"], record["channel_name"], record["tenant_id"]) == (posted.ts, "sales-alerts", "t")
    assert record["blocks"] == BLOCKS and record["text"] == posted.text


def test_channel_names_map_to_stable_ids_and_ids_pass_through() -> None:
    assert sandbox_channel_id("#sales-alerts") == sandbox_channel_id("sales-alerts")
    assert sandbox_channel_id("#sales-alerts").startswith("C0") and len(sandbox_channel_id("#x")) == 11
    assert sandbox_channel_id("C024BE91L") == "C024BE91L"


def test_timestamps_increase_even_when_the_clock_stands_still(tmp_path: Path) -> None:
    slack = SlackSandbox(sandbox_dir=tmp_path, tenant_id="t", now=lambda: FROZEN)
    stamps = [slack.post_message("#general", f"message {n}").ts for n in range(3)]
    assert stamps == [
        f"{FROZEN.timestamp():.6f}",
        f"{FROZEN.timestamp() + 0.000001:.6f}",
        f"{FROZEN.timestamp() + 0.000002:.6f}",
    ]


def test_concurrent_posts_get_distinct_timestamps(tmp_path: Path) -> None:
    def post() -> None:
        SlackSandbox(sandbox_dir=tmp_path, tenant_id="t", now=lambda: FROZEN).post_message("#general", "hi")

    threads = [threading.Thread(target=post) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stamps = [record["ts"] for record in SlackSandbox(sandbox_dir=tmp_path, tenant_id="t").messages()]
    assert len(set(stamps)) == 10 and stamps == sorted(stamps, key=Decimal)


def test_permalinks_follow_slacks_shape(slack: SlackSandbox) -> None:
    parent = slack.post_message("#sales-alerts", "summary")
    reply = slack.post_message(parent.channel, "one deal", thread_ts=parent.ts)
    archive = f"https://agentflow-sandbox.slack.com/archives/{parent.channel}"
    assert slack.permalink(parent.channel, parent.ts) == f"{archive}/p{parent.ts.replace('.', '')}"
    assert slack.permalink(reply.channel, reply.ts) == (
        f"{archive}/p{reply.ts.replace('.', '')}?thread_ts={parent.ts}&cid={parent.channel}"
    )


@pytest.mark.parametrize(
    ("channel", "text", "blocks", "code"),
    [
        ("Sales Alerts", "hi", None, "channel_not_found"),
        ("#sales-alerts", "  ", None, "no_text"),
        ("#sales-alerts", "x" * 40_001, None, "msg_too_long"),
        ("#sales-alerts", "hi", BLOCKS * 51, "invalid_blocks"),
    ],
)
def test_messages_slack_would_refuse_are_refused(
    slack: SlackSandbox, channel: str, text: str, blocks: list | None, code: str
) -> None:
    with pytest.raises(ConnectorError, match=code):
        slack.post_message(channel, text, blocks=blocks)
    assert slack.messages() == []


def test_a_permalink_for_an_unknown_message_is_message_not_found(slack: SlackSandbox) -> None:
    with pytest.raises(ConnectorError, match="message_not_found"):
        slack.permalink("C024BE91L", "1732540000.000100")


def test_tenants_read_only_their_own_messages(tmp_path: Path) -> None:
    SlackSandbox(sandbox_dir=tmp_path, tenant_id="a").post_message("#general", "for a")
    SlackSandbox(sandbox_dir=tmp_path, tenant_id="b").post_message("#general", "for b")
    assert [
        record["text"] for record in SlackSandbox(sandbox_dir=tmp_path, tenant_id="b").messages("#general")
    ] == ["for b"]


def test_every_call_waits_the_sandbox_latency(tmp_path: Path) -> None:
    slack = SlackSandbox(sandbox_dir=tmp_path, tenant_id="t", latency_ms=40)
    started = time.perf_counter()
    posted = slack.post_message("#general", "hi")
    slack.permalink(posted.channel, posted.ts)
    assert time.perf_counter() - started >= 0.08


def test_the_factory_opens_the_sandbox_in_sandbox_mode(tmp_path: Path) -> None:
    settings = Settings.model_validate({"CONNECTOR_MODE": "sandbox", "SANDBOX_DIR": str(tmp_path)})
    slack = ConnectorFactory(settings, "tenant-a").open("slack")
    assert isinstance(slack, SlackSandbox) and slack.tenant_id == "tenant-a"


# --- Slack's error codes -----------------------------------------------------------------------


def test_ok_answers_raise_nothing() -> None:
    raise_for_slack_error("chat.postMessage", {"ok": True, "ts": "1.2"}, credentials_secret="prod/slack")


def test_ratelimited_is_transient_with_the_retry_after_given() -> None:
    with pytest.raises(TransientAgentError) as raised:
        raise_for_slack_error(
            "chat.postMessage", {"ok": False, "error": "ratelimited"}, credentials_secret="s", retry_after=3
        )
    assert raised.value.retry_after == 3


def test_token_errors_name_the_secret() -> None:
    with pytest.raises(
        ConnectorError, match="slack rejected the bot token in secret 'prod/slack' \\(token_revoked\\)"
    ):
        raise_for_slack_error(
            "chat.postMessage", {"ok": False, "error": "token_revoked"}, credentials_secret="prod/slack"
        )
