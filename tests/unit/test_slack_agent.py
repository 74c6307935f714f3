"""The Slack agent on its sandbox, fed real upstream outputs (CRM deals, Jira issues, workers)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from agentflow.agents.base import AgentContext
from agentflow.agents.jira import JiraAgent, JiraConfig
from agentflow.agents.slack import SlackAgent, SlackConfig, SlackOutput, digest, item_keys, priority_rank
from agentflow.errors import AgentError, TransientAgentError
from agentflow_sandbox.slack import SlackSandbox
from tests.unit.agent_support import RecordingLog, reference_deals, sandbox_context

WORKERS = {
    "workers": [
        {
            "name": "Omar Petit",
            "title": "Support Engineer",
            "start_date": "2026-12-14",
            "manager": "Owen Gallagher",
        },
        {
            "name": "Ava Lindholm",
            "title": "Account Executive",
            "start_date": "2026-12-01",
            "manager": "Maria Chen",
        },
        {
            "name": "Kofi Mensah",
            "title": "Solutions Engineer",
            "start_date": "2026-12-07",
            "manager": "Tom Whitaker",
        },
    ]
}


@pytest.fixture
def ctx(tmp_path: Path) -> AgentContext:
    return sandbox_context(tmp_path, node_id="notify")


def logged_messages(tmp_path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (tmp_path / "slack" / "messages.jsonl").read_text().splitlines()]


def log_lines(ctx: AgentContext, level: str) -> list[str]:
    assert isinstance(ctx.log, RecordingLog)
    return [message for logged_level, message in ctx.log.lines if logged_level == level]


def test_deals_summary_states_count_total_and_the_five_largest(ctx: AgentContext, tmp_path: Path) -> None:
    # Given the sales agent's 20 reference deals
    deals = reference_deals(ctx)
    total = sum(deal["amount"] for deal in deals["deals"])
    largest = sorted(deals["deals"], key=lambda deal: -deal["amount"])[:5]
    # When the Slack agent posts them
    output = SlackAgent().run(
        SlackConfig(channel="#sales-alerts", title="Q4 deals in negotiation"), deals, ctx
    )
    # Then one message carries the count, the total and the five largest deals in order
    assert output.posted == 1 and output.summary == f"20 deals worth ${total:,.0f} in total"
    [message] = logged_messages(tmp_path)
    listed = message["blocks"][2]["text"]["text"]
    positions = [listed.index(deal["name"].replace("&", "&amp;")) for deal in largest]
    assert positions == sorted(positions) and listed.count("• ") == 5
    assert f"owner {largest[0]['owner_name']}" in listed and f"${largest[0]['amount']:,.0f}" in listed
    assert message["blocks"][0]["text"]["text"] == "Q4 deals in negotiation"
    assert "…and 15 more deals" in message["blocks"][-1]["elements"][0]["text"]


def test_the_output_names_each_message_with_ts_and_permalink(ctx: AgentContext) -> None:
    output = SlackAgent().run(SlackConfig(channel="#sales-alerts"), reference_deals(ctx), ctx)
    [message] = output.messages
    assert output.channel == "#sales-alerts" and output.channel_id.startswith("C")
    assert message.permalink == (
        f"https://agentflow-sandbox.slack.com/archives/{output.channel_id}/p{message.ts.replace('.', '')}"
    )


def test_per_item_posts_threaded_replies_up_to_max_messages(ctx: AgentContext, tmp_path: Path) -> None:
    # Given 20 deals and room for 3 per-deal messages
    config = SlackConfig(channel="#sales-alerts", per_item=True, max_messages=3)
    # When the agent posts
    output = SlackAgent().run(config, reference_deals(ctx), ctx)
    # Then the summary and 3 replies in its thread are posted, and the 17 left out are reported
    logged = logged_messages(tmp_path)
    assert output.posted == len(logged) == 4 and output.skipped_items == 17
    assert [record["thread_ts"] for record in logged] == [None] + [output.messages[0].ts] * 3
    assert any("leaves 17" in line for line in log_lines(ctx, "WARN"))
    assert len(log_lines(ctx, "DEBUG")) >= 4


def test_one_info_line_says_what_was_posted(ctx: AgentContext) -> None:
    SlackAgent().run(SlackConfig(channel="#sales-alerts"), reference_deals(ctx), ctx)
    assert log_lines(ctx, "INFO")[-1].startswith(
        "Posted 1 Slack message(s) to #sales-alerts summarising 20 deals"
    )
    assert ctx.usage.tokens == 0


def test_a_mention_is_slack_markup_in_the_text_and_blocks(ctx: AgentContext, tmp_path: Path) -> None:
    SlackAgent().run(SlackConfig(channel="#sales-alerts", mention="@here"), reference_deals(ctx), ctx)
    [message] = logged_messages(tmp_path)
    assert message["text"].startswith("<!here> ") and message["blocks"][1]["text"]["text"].startswith(
        "<!here> "
    )


def test_workers_are_listed_by_start_date(ctx: AgentContext, tmp_path: Path) -> None:
    output = SlackAgent().run(SlackConfig(channel="#people-ops"), WORKERS, ctx)
    text = logged_messages(tmp_path)[0]["text"]
    assert output.item_kind == "workers" and "3 workers, starting Dec 1, 2026 to Dec 14, 2026" in text
    assert text.index("Ava Lindholm") < text.index("Kofi Mensah") < text.index("Omar Petit")
    assert "Account Executive · starts Dec 1, 2026 · manager Maria Chen" in text


def test_jira_issues_are_listed_with_keys_and_links(ctx: AgentContext, tmp_path: Path) -> None:
    # Given the Jira agent's search output (its sandbox)
    jql = "project = SUP AND priority = Highest ORDER BY key"
    issues = JiraAgent().run(JiraConfig(mode="search", jql=jql), None, ctx).model_dump(mode="json")
    # When the Slack agent posts it
    SlackAgent().run(SlackConfig(channel="#support"), issues, ctx)
    # Then each listed issue is its key and summary, linked to Jira
    listed = logged_messages(tmp_path)[0]["blocks"][2]["text"]["text"]
    first = issues["issues"][0]
    assert f"<{first['url']}|{first['key']} {first['summary'].replace('&', '&amp;')}>" in listed


def test_tickets_are_counted_and_listed_by_priority(ctx: AgentContext) -> None:
    tickets = {
        "tickets": [
            {"id": 1, "subject": "Invoice question", "priority": "low", "status": "open"},
            {"id": 2, "subject": "Outage in EU", "priority": "urgent", "status": "open"},
            {"id": 3, "subject": "SSO broken", "priority": "high", "status": "pending"},
        ]
    }
    summary = digest("tickets", tickets["tickets"])
    assert summary.headline == "3 tickets: 1 urgent, 1 high, 1 low"
    assert [line.title for line in summary.lines] == ["Outage in EU", "SSO broken", "Invoice question"]
    assert SlackAgent().run(SlackConfig(channel="#support"), tickets, ctx).item_kind == "tickets"


@pytest.mark.parametrize(
    ("priority", "rank"),
    [("urgent", 0), ("1 - Critical", 0), ("Highest", 0), ("High", 1), ("normal", 2), ("Low", 3)],
)
def test_priorities_of_each_vendor_rank_alike(priority: str, rank: int) -> None:
    assert priority_rank(priority) == rank


def test_other_records_are_listed_by_their_name_up_to_ten(ctx: AgentContext, tmp_path: Path) -> None:
    records = {"accounts": [{"id": f"A{n}", "name": f"Account {n}", "tier": "gold"} for n in range(12)]}
    output = SlackAgent().run(SlackConfig(channel="#general"), records, ctx)
    text = logged_messages(tmp_path)[0]["text"]
    assert output.item_kind == "items" and output.summary == "12 accounts"
    assert (
        "Account 9 — id: A9 · tier: gold" in text
        and "Account 10" not in text
        and "…and 2 more accounts" in text
    )


def test_upstream_text_cannot_smuggle_a_mention(ctx: AgentContext, tmp_path: Path) -> None:
    workers = {
        "workers": [{"name": "<!channel> Eve", "title": "x", "start_date": "2026-12-01", "manager": ""}]
    }
    SlackAgent().run(SlackConfig(channel="#people-ops"), workers, ctx)
    message = logged_messages(tmp_path)[0]
    assert "<!channel>" not in json.dumps(message) and "&lt;!channel&gt; Eve" in message["text"]


def test_no_deals_upstream_is_still_reported(ctx: AgentContext) -> None:
    output = SlackAgent().run(SlackConfig(channel="#sales-alerts"), {"deals": [], "count": 0}, ctx)
    assert output.summary == "No deals" and output.posted == 1


def test_a_root_request_is_posted_as_it_is(ctx: AgentContext, tmp_path: Path) -> None:
    SlackAgent().run(SlackConfig(channel="#general"), "Quarterly review starts at 3 pm", ctx)
    assert "Quarterly review starts at 3 pm" in logged_messages(tmp_path)[0]["text"]


def test_input_without_records_or_text_fails_clearly(ctx: AgentContext) -> None:
    with pytest.raises(AgentError, match="list of records"):
        SlackAgent().run(SlackConfig(channel="#general"), {"count": 3}, ctx)


def test_a_retried_run_posts_no_message_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a Slack that answers "ratelimited" to the fifth message of the first attempt
    real = SlackSandbox.post_message
    calls: list[str] = []

    def flaky(self: SlackSandbox, channel: str, text: str, **options: Any) -> Any:
        calls.append(text)
        if len(calls) == 5:
            raise TransientAgentError("slack: chat.postMessage failed with ratelimited")
        return real(self, channel, text, **options)

    monkeypatch.setattr(SlackSandbox, "post_message", flaky)
    first = sandbox_context(tmp_path, node_id="notify")
    saved: list[str] = []
    first.progress_saver = lambda progress: saved.append(json.dumps(progress))
    deals = reference_deals(first)
    config = SlackConfig(channel="#sales-alerts", per_item=True, max_messages=10)
    with pytest.raises(TransientAgentError):
        SlackAgent().run(config, deals, first)
    assert len(logged_messages(tmp_path)) == 4
    # When the step is retried with the progress the first attempt saved
    retry = sandbox_context(tmp_path, node_id="notify")
    retry.progress = json.loads(saved[-1])
    output = SlackAgent().run(config, deals, retry)
    # Then the summary and its 10 replies are each posted once, all in the summary's thread
    logged = logged_messages(tmp_path)
    assert len(logged) == output.posted == 11 and len({record["text"] for record in logged}) == 11
    assert [message.ts for message in output.messages] == [record["ts"] for record in logged]
    assert [record["thread_ts"] for record in logged[1:]] == [output.messages[0].ts] * 10
    assert "4 messages were posted by an earlier attempt" in log_lines(retry, "INFO")[0]
    # And the output is the one a single attempt returns, but for timestamps and links
    single = SlackAgent().run(config, deals, sandbox_context(tmp_path / "single", node_id="notify"))

    def untimed(output: SlackOutput) -> dict[str, Any]:
        return output.model_dump(exclude={"messages": {"__all__": {"ts", "permalink"}}})

    assert untimed(output) == untimed(single)
    assert all(f"/p{message.ts.replace('.', '')}" in str(message.permalink) for message in output.messages)


def test_records_are_keyed_by_their_ids_in_the_digests_order(ctx: AgentContext) -> None:
    deals = reference_deals(ctx)["deals"]
    largest = sorted(deals, key=lambda deal: -deal["amount"])
    assert digest("deals", deals).keys == tuple(f"id={deal['id']}" for deal in largest)
    # A repeated id is numbered; a record without one is known by its position
    records: list[dict[str, Any]] = [
        {"id": 7, "name": "a"},
        {"key": "SUP-1"},
        {"id": 7, "name": "b"},
        {"name": "c"},
    ]
    assert item_keys(records) == ["id=7", "key=SUP-1", "id=7#2", "#3"]


@pytest.mark.parametrize(
    "bad",
    [
        {"channel": "Sales Alerts"},
        {"channel": "#ok", "max_messages": 51},
        {"channel": "#ok", "max_messages": 0},
        {"channel": "#ok", "mention": "@maria"},
        {"channel": "#ok", "title": "x" * 151},
    ],
)
def test_config_limits(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        SlackConfig.model_validate(bad)
