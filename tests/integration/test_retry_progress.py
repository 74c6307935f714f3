"""Agents retried by the state machine after a transient vendor error repeat no external write."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.helpers import ROOT, GatewayApi


def onboarding_with_a_message_per_issue() -> dict[str, Any]:
    """The new-hire example (Workday → Jira → Slack), Slack also posting one message per issue."""
    definition: dict[str, Any] = json.loads((ROOT / "examples" / "new_hire_onboarding.json").read_text())
    slack = next(agent for agent in definition["agents"] if agent["type"] == "slack")
    slack["config"] |= {"per_item": True, "max_messages": 50}
    return definition


def test_a_retried_slack_agent_posts_no_message_twice(
    api: GatewayApi, stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a Slack that answers "ratelimited" to the third message of the first attempt
    from agentflow.errors import TransientAgentError
    from agentflow_sandbox.slack import SlackSandbox

    real = SlackSandbox.post_message
    calls: list[int] = []

    def flaky(self: SlackSandbox, channel: str, text: str, **options: Any) -> Any:
        calls.append(1)
        if len(calls) == 3:
            raise TransientAgentError("slack: chat.postMessage failed with ratelimited")
        return real(self, channel, text, **options)

    monkeypatch.setattr(SlackSandbox, "post_message", flaky)
    status, created = api.post("/api/v1/workflows", onboarding_with_a_message_per_issue())
    assert status == 201, created
    # When the workflow runs and Step Functions retries the Slack agent
    status, started = api.post("/api/v1/executions/", {"workflow_id": created["id"], "input": {}})
    assert status == 202, started
    execution = api.wait(started["id"])
    # Then it completes with the summary and one reply per issue, each posted exactly once
    assert execution["status"] == "completed", execution["error"]
    issues_run, slack_run = execution["agent_executions"][1:]
    assert slack_run["attempts"] == 2 and slack_run["error"] is None
    issues = issues_run["output"]["issues"]
    assert issues and execution["output"]["posted"] == 1 + len(issues)
    log = stack.data_dir / "sandbox" / "slack" / "messages.jsonl"
    posted = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(posted) == 1 + len(issues) and len({message["ts"] for message in posted}) == len(posted)
    assert [message["ts"] for message in execution["output"]["messages"]] == [m["ts"] for m in posted]
    assert all(issue["key"] in message["text"] for issue, message in zip(issues, posted[1:], strict=True))


def test_progress_larger_than_an_item_is_kept_in_s3(stack: Any) -> None:
    # Given an unfinished run whose recorded writes outgrow a DynamoDB item (500 long emails)
    from agentflow.models import AgentRun, AgentRunStatus
    from agentflow.settings import function_environment
    from agentflow.store.runs import AgentRunRepository

    progress = {"sent": {f"deal-{n}": {"body": "x" * 1000, "message_id": f"m-{n}"} for n in range(500)}}
    run = AgentRun(
        agent_id="mail", agent_type="email_outreach", status=AgentRunStatus.RUNNING, progress=progress
    )
    environment = stack.lambdas.environment(stack.template.functions()["EmailOutreachAgentFunction"])
    with function_environment(environment):
        runs = AgentRunRepository()
        # When it is saved and read back
        runs.save("tenant-a", "exec_big", run)
        stored = runs.get("tenant-a", "exec_big", "mail")
    # Then every recorded write is there
    assert stored is not None and stored.progress == progress
