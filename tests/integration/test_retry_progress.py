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


def test_a_slack_post_whose_answer_was_lost_is_found_not_posted_again(
    api: GatewayApi, stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a Slack that posts the third message of the first attempt but whose answer is lost
    from agentflow.errors import TransientAgentError
    from agentflow_sandbox.slack import SlackSandbox

    real = SlackSandbox.post_message
    calls: list[int] = []

    def lost(self: SlackSandbox, channel: str, text: str, **options: Any) -> Any:
        calls.append(1)
        posted = real(self, channel, text, **options)
        if len(calls) == 3:
            raise TransientAgentError("slack: chat.postMessage timed out")
        return posted

    monkeypatch.setattr(SlackSandbox, "post_message", lost)
    log = stack.data_dir / "sandbox" / "slack" / "messages.jsonl"
    before = len(log.read_text().splitlines()) if log.exists() else 0
    status, created = api.post("/api/v1/workflows", onboarding_with_a_message_per_issue())
    assert status == 201, created
    # When Step Functions retries the agent
    status, started = api.post("/api/v1/executions/", {"workflow_id": created["id"], "input": {}})
    execution = api.wait(started["id"])
    # Then the retry found the third message by its metadata: every message is in the channel once
    assert execution["status"] == "completed", execution["error"]
    issues_run, slack_run = execution["agent_executions"][1:]
    assert slack_run["attempts"] == 2
    posted = [json.loads(line) for line in log.read_text().splitlines()[before:]]
    assert len(posted) == 1 + len(issues_run["output"]["issues"]) == execution["output"]["posted"]
    assert len({message["text"] for message in posted}) == len(posted)
    assert [message["ts"] for message in execution["output"]["messages"]] == [m["ts"] for m in posted]


def test_a_servicenow_record_whose_answer_was_lost_is_found_not_created_again(
    api: GatewayApi, stack: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a ServiceNow that stores the second incident of the first attempt but whose answer is lost
    from agentflow.errors import TransientAgentError
    from agentflow_sandbox.servicenow import ServiceNowSandbox

    real = ServiceNowSandbox.create_record
    calls: list[int] = []

    def lost(self: ServiceNowSandbox, table: str, values: Any, **options: Any) -> Any:
        calls.append(1)
        record = real(self, table, values, **options)
        if len(calls) == 2:
            raise TransientAgentError("servicenow: POST /api/now/table/incident timed out")
        return record

    monkeypatch.setattr(ServiceNowSandbox, "create_record", lost)
    log = stack.data_dir / "sandbox" / "servicenow" / "incident.jsonl"
    before = len(log.read_text().splitlines()) if log.exists() else 0
    definition = json.loads((ROOT / "examples" / "support_escalation.json").read_text())
    status, created = api.post("/api/v1/workflows", definition)
    assert status == 201, created
    # When the support escalation runs and Step Functions retries the ServiceNow agent
    status, started = api.post("/api/v1/executions/", {"workflow_id": created["id"], "input": {}})
    execution = api.wait(started["id"])
    # Then each ticket has exactly one incident: the lost one was found by its correlation_id
    assert execution["status"] == "completed", execution["error"]
    servicenow_run = next(run for run in execution["agent_executions"] if run["agent_type"] == "servicenow")
    assert servicenow_run["attempts"] == 2
    stored = [json.loads(line)["record"] for line in log.read_text().splitlines()[before:]]
    records = servicenow_run["output"]["records"]
    # (one create call per record: the retry created the records after the lost one, not it again)
    assert len(stored) == len(records) == len(calls)
    assert [r["sys_id"] for r in records] == [s["sys_id"] for s in stored]
    assert len({s["correlation_id"] for s in stored}) == len(stored)
