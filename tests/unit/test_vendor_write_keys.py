"""A write whose answer was lost happens once: each vendor write carries a key the retry checks.

Each test plays the worst case for progress-based retries: the first attempt's writes reached the
vendor (its sandbox) but nothing was recorded as progress (the answer, or the Lambda, was lost).
The retry (attempt 2, no progress) must find those writes by their keys instead of repeating them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from agentflow.agents.base import AgentContext
from agentflow.agents.jira import JiraAgent, JiraConfig
from agentflow.agents.servicenow import ServiceNowAgent, ServiceNowConfig
from agentflow.agents.slack import SlackAgent, SlackConfig
from agentflow.agents.zendesk import ZendeskAgent, ZendeskConfig
from agentflow.connectors.base import write_key
from agentflow.connectors.zendesk import NewTicket
from agentflow.errors import ConnectorError
from agentflow_sandbox.zendesk import ZendeskSandbox
from tests.unit.agent_support import reference_deals, sandbox_context


def retry_of(tmp_path: Path, node_id: str) -> AgentContext:
    """The context of a retry of ``node_id`` whose first attempt recorded nothing."""
    ctx = sandbox_context(tmp_path, node_id=node_id)
    ctx.attempt = 2
    return ctx


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


TICKETS = {
    "tickets": [
        {"id": f"T-{n}", "subject": f"Shipment API failing for customer {n}", "priority": "high"}
        for n in range(1, 6)
    ]
}


def test_the_key_is_stable_per_record_and_differs_across_records_nodes_and_executions() -> None:
    key = write_key("t", "exec_1", "node", "ticket:T-1")
    assert key == write_key("t", "exec_1", "node", "ticket:T-1")
    assert key.startswith("agentflow-") and len(key) == 42
    others = {
        write_key("t", "exec_1", "node", "ticket:T-2"),
        write_key("t", "exec_1", "other", "ticket:T-1"),
        write_key("t", "exec_2", "node", "ticket:T-1"),
        write_key("u", "exec_1", "node", "ticket:T-1"),
    }
    assert key not in others and len(others) == 4


def test_zendesk_answers_a_repeated_ticket_request_with_the_first_ticket(tmp_path: Path) -> None:
    # Given five tickets created by a first attempt that recorded nothing
    config = ZendeskConfig(mode="create")
    first = ZendeskAgent().run(config, TICKETS, sandbox_context(tmp_path, node_id="open"))
    # When the retry runs
    again = ZendeskAgent().run(config, TICKETS, retry_of(tmp_path, "open"))
    # Then Zendesk replayed each Idempotency-Key: the same five tickets, no sixth
    assert [t.id for t in again.tickets] == [t.id for t in first.tickets]
    created = lines(tmp_path / "zendesk" / "tickets.jsonl")
    assert len(created) == 5
    assert len({line["idempotency_key"] for line in created}) == 5


def test_zendesk_refuses_a_key_reused_for_another_ticket(tmp_path: Path) -> None:
    zendesk = ZendeskSandbox(sandbox_dir=tmp_path, tenant_id="t")
    zendesk.create_ticket(NewTicket(subject="One", body="b", idempotency_key="agentflow-k"))
    with pytest.raises(ConnectorError, match="IdempotentRequestError"):
        zendesk.create_ticket(NewTicket(subject="Two", body="b", idempotency_key="agentflow-k"))


def test_servicenow_finds_the_incident_by_correlation_id_before_creating(tmp_path: Path) -> None:
    first = ServiceNowAgent().run(ServiceNowConfig(), TICKETS, sandbox_context(tmp_path, node_id="sn"))
    retry = retry_of(tmp_path, "sn")
    again = ServiceNowAgent().run(ServiceNowConfig(), TICKETS, retry)
    assert [r.number for r in again.records] == [r.number for r in first.records]
    assert len(lines(tmp_path / "servicenow" / "incident.jsonl")) == 5
    assert sum("already existed" in message for _, message in retry.log.lines) == 5


def test_servicenow_without_a_retry_does_not_look_up(tmp_path: Path) -> None:
    # A first attempt trusts that nothing was written yet: one request per record, no lookup.
    ServiceNowAgent().run(ServiceNowConfig(), TICKETS, sandbox_context(tmp_path, node_id="sn"))
    # Another execution's keys differ, so its records are its own.
    other = sandbox_context(tmp_path, node_id="sn")
    other.execution_id, other.attempt = "exec_2", 2
    ServiceNowAgent().run(ServiceNowConfig(), TICKETS, other)
    assert len(lines(tmp_path / "servicenow" / "incident.jsonl")) == 10


def test_slack_finds_the_message_by_its_metadata_before_posting(tmp_path: Path) -> None:
    deals = reference_deals(sandbox_context(tmp_path))
    config = SlackConfig(channel="#sales-alerts", per_item=True, max_messages=4)
    first = SlackAgent().run(config, deals, sandbox_context(tmp_path, node_id="notify"))
    again = SlackAgent().run(config, deals, retry_of(tmp_path, "notify"))
    posted = lines(tmp_path / "slack" / "messages.jsonl")
    assert len(posted) == len(first.messages) == len(again.messages)
    assert [m.ts for m in again.messages] == [m.ts for m in first.messages]
    assert all(m["metadata"]["event_type"] == "agentflow_write" for m in posted)


def test_jira_finds_the_issues_by_their_label_before_creating(tmp_path: Path) -> None:
    config = JiraConfig(project_key="SUP", summary_template="Follow up {subject}")
    first = JiraAgent().run(config, TICKETS, sandbox_context(tmp_path, node_id="issues"))
    retry = retry_of(tmp_path, "issues")
    again = JiraAgent().run(config, TICKETS, retry)
    assert [i.key for i in again.issues] == [i.key for i in first.issues]
    assert len(lines(tmp_path / "jira" / "issues.jsonl")) == 5
    assert again == first  # the retry's output is the first attempt's
