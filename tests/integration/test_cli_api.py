"""The ``agentflow`` API commands, run in-process against the local stack served over loopback HTTP.

Schedules are checked against the contract with a mock transport: the request each command sends.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agentflow import cli_api
from agentflow.cli import main
from agentflow.client import AgentFlowClient
from agentflow.local.gateway import Gateway, GatewayServer
from agentflow.local.stack import LocalStack, free_port
from agentflow.services.webhooks import sign
from tests import doc_fixtures
from tests.helpers import REFERENCE_INPUT, email, reference_workflow, sales, workflow

pytestmark = [pytest.mark.integration, pytest.mark.enable_socket]

KEY = "cli-key"


@pytest.fixture(scope="module")
def http_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    data_dir = tmp_path_factory.mktemp("cli")
    with LocalStack(
        data_dir=data_dir,
        api_keys={KEY: "cli-tenant", "examples-key": "examples-tenant"},
        function_log=data_dir / "f.log",
    ) as stack:
        yield stack


@pytest.fixture(scope="module")
def url(http_stack: LocalStack) -> Iterator[str]:
    server = GatewayServer(Gateway(http_stack.template, http_stack.lambdas), port=0).start()
    yield server.url
    server.stop()


@pytest.fixture(scope="module")
def client(url: str) -> Iterator[AgentFlowClient]:
    with AgentFlowClient(url, KEY) as api:
        yield api


@pytest.fixture(scope="module")
def completed(client: AgentFlowClient) -> dict[str, Any]:
    """A finished run of the reference workflow."""
    created = client.create_workflow(reference_workflow())
    return client.wait(client.start_execution(created["id"], REFERENCE_INPUT)["id"])


@pytest.fixture(scope="module")
def failed(client: AgentFlowClient) -> dict[str, Any]:
    """A finished run whose email agent fails: SES refuses an unverified sender."""
    created = client.create_workflow(bad_sender())
    return client.wait(client.start_execution(created["id"], REFERENCE_INPUT)["id"])


def bad_sender() -> dict[str, Any]:
    return workflow(
        "Bad sender",
        [sales("find"), email("send", connector="ses", from_address="nobody@unverified.example")],
        [("find", "send")],
    )


def write(tmp_path: Path, value: Any, name: str = "workflow.json") -> str:
    path = tmp_path / name
    path.write_text(value if isinstance(value, str) else json.dumps(value))
    return str(path)


def agentflow(url: str, *args: str, key: str = KEY) -> int:
    return main([*args, "--url", url, "--api-key", key])


def json_out(capsys: pytest.CaptureFixture[str]) -> Any:
    return json.loads(capsys.readouterr().out)


# Workflows


def test_workflows_create_prints_the_id_and_execution_order(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert agentflow(url, "workflows", "create", "-f", write(tmp_path, reference_workflow())) == 0
    out = capsys.readouterr().out
    assert out.startswith("Created workflow wf_") and "sales_agent_1 → email_agent_1" in out


def test_workflows_list_shows_a_created_workflow(
    url: str, client: AgentFlowClient, capsys: pytest.CaptureFixture[str]
) -> None:
    created = client.create_workflow(reference_workflow())
    assert agentflow(url, "workflows", "list", "--all") == 0
    row = next(line for line in capsys.readouterr().out.splitlines() if line.startswith(created["id"]))
    assert "Sales Outreach Workflow" in row


def test_workflows_list_pages_with_limit_and_all(
    url: str, client: AgentFlowClient, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):
        client.create_workflow(reference_workflow())
    assert agentflow(url, "workflows", "list", "--limit", "1", "--output", "json") == 0
    first = json_out(capsys)
    assert len(first["workflows"]) == 1 and first["next_token"]
    assert agentflow(url, "workflows", "list", "--all", "-o", "json") == 0
    every = json_out(capsys)
    assert len(every["workflows"]) >= 3 and every["next_token"] is None


def test_workflows_get_shows_agents_and_edges(
    url: str, client: AgentFlowClient, capsys: pytest.CaptureFixture[str]
) -> None:
    created = client.create_workflow(reference_workflow())
    assert agentflow(url, "workflows", "get", created["id"]) == 0
    out = capsys.readouterr().out
    assert "sales_intelligence" in out and "sales_agent_1 → email_agent_1" in out


def test_workflows_update_puts_the_next_version(
    url: str, client: AgentFlowClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    created = client.create_workflow(reference_workflow())
    changed = {**reference_workflow(), "name": "Renamed"}
    assert agentflow(url, "workflows", "update", created["id"], "-f", write(tmp_path, changed)) == 0
    assert "version 1 → 2" in capsys.readouterr().out
    assert client.workflow(created["id"])["name"] == "Renamed"


def test_workflows_update_from_a_stale_read_is_a_conflict(
    url: str, client: AgentFlowClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a file saved from `workflows get` at version 1, and a change stored since
    created = client.create_workflow(reference_workflow())
    stale = write(tmp_path, {**created, "name": "Mine"})
    client.update_workflow(created["id"], {**reference_workflow(), "name": "Theirs"}, version=1)
    # When it is sent back
    assert agentflow(url, "workflows", "update", created["id"], "-f", stale) == 2
    # Then the 409 says so and nothing is overwritten
    assert "version 2, not 1" in capsys.readouterr().err
    assert client.workflow(created["id"])["name"] == "Theirs"


def test_workflows_delete_then_get_is_not_found(
    url: str, client: AgentFlowClient, capsys: pytest.CaptureFixture[str]
) -> None:
    created = client.create_workflow(reference_workflow())
    assert agentflow(url, "workflows", "delete", created["id"]) == 0
    assert agentflow(url, "workflows", "get", created["id"]) == 2
    captured = capsys.readouterr()
    assert f"Deleted workflow {created['id']}" in captured.out
    assert captured.err.startswith("error: ") and "not found" in captured.err


def test_invalid_workflow_shows_the_api_message(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cycle = workflow("Loop", [sales("a"), sales("b")], [("a", "b"), ("b", "a")])
    assert agentflow(url, "workflows", "create", "-f", write(tmp_path, cycle)) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "cycle" in err and "a → b" in err


def test_a_file_that_is_not_json_is_a_clear_error(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert agentflow(url, "workflows", "create", "-f", write(tmp_path, '{"name": ')) == 2
    assert "is not valid JSON" in capsys.readouterr().err


# Runs


def test_run_follows_the_reference_workflow_to_completion(
    url: str, client: AgentFlowClient, capsys: pytest.CaptureFixture[str]
) -> None:
    created = client.create_workflow(reference_workflow())
    assert agentflow(url, "run", created["id"], "--input", REFERENCE_INPUT, "--poll-interval", "0.05") == 0
    out = capsys.readouterr().out
    assert "email_agent_1: completed in" in out
    assert "Deals found by sales_agent_1: 20" in out and "Emails sent by email_agent_1: 20" in out
    assert "Timeline" in out and "█" in out


def test_run_of_a_failing_workflow_exits_1_with_json(
    url: str, client: AgentFlowClient, capsys: pytest.CaptureFixture[str]
) -> None:
    created = client.create_workflow(bad_sender())
    assert agentflow(url, "run", created["id"], "--input", REFERENCE_INPUT, "-o", "json") == 1
    execution = json_out(capsys)
    assert execution["status"] == "failed" and execution["error"]["agent_id"] == "send"


# Executions


def test_executions_list_filters_by_workflow_and_status(
    url: str, completed: dict[str, Any], failed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ("executions", "list", "--workflow-id", failed["workflow_id"], "--status", "failed", "-o", "json")
    assert agentflow(url, *args) == 0
    assert [e["id"] for e in json_out(capsys)["executions"]] == [failed["id"]]


def test_executions_get_shows_each_agent(
    url: str, failed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert agentflow(url, "executions", "get", failed["id"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"Execution {failed['id']}: failed"
    assert any(line.startswith("send ") and "failed" in line for line in lines)


def test_executions_logs_keep_the_level_asked(
    url: str, failed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert agentflow(url, "executions", "logs", failed["id"], "--level", "ERROR") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines and all(" ERROR " in line for line in lines)


def test_executions_logs_of_one_agent(
    url: str, completed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        agentflow(url, "executions", "logs", completed["id"], "--agent", "sales_agent_1", "-o", "json") == 0
    )
    logs = json_out(capsys)["logs"]
    assert logs and {entry["agent_id"] for entry in logs} == {"sales_agent_1"}


def test_executions_timeline_is_a_gantt_chart(
    url: str, completed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert agentflow(url, "executions", "timeline", completed["id"]) == 0
    bars = [line for line in capsys.readouterr().out.splitlines() if "█" in line]
    assert [bar.split()[0] for bar in bars] == ["sales_agent_1", "email_agent_1"]


def test_stopping_an_ended_execution_is_refused(
    url: str, completed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    assert agentflow(url, "executions", "stop", completed["id"]) == 2
    assert "already ended" in capsys.readouterr().err


def test_resume_runs_a_failed_execution_again_as_attempt_two(
    url: str, client: AgentFlowClient, failed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a failed run (SES refuses its sender): resuming runs the email agent again, reusing the rest
    assert agentflow(url, "executions", "resume", failed["id"]) == 0
    out = capsys.readouterr().out
    assert f"Resumed execution {failed['id']} (attempt 2)" in out and "running again: send" in out
    again = client.wait(failed["id"])
    assert again["status"] == "failed" and [a["number"] for a in again["attempts"]] == [1, 2]
    assert agentflow(url, "executions", "get", failed["id"]) == 0
    shown = capsys.readouterr().out
    assert "attempt 2: failed, ran send" in shown and "(reused)" in shown and "sandbox" in shown


def test_approvals_are_listed_with_their_payload_and_approved_by_digest(
    url: str, client: AgentFlowClient, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a run of the outreach example waiting on its review
    definition = json.loads(
        (Path(__file__).parents[2] / "examples" / "outreach_with_approval.json").read_text()
    )
    execution_id = client.start_execution(client.create_workflow(definition)["id"], REFERENCE_INPUT)["id"]
    deadline = time.monotonic() + 30
    while not client.approvals()[0] and time.monotonic() < deadline:
        time.sleep(0.1)
    # When the approvals are listed
    assert agentflow(url, "approvals", "list") == 0
    listed = capsys.readouterr().out
    # Then the review shows with its payload and digest
    assert execution_id in listed and "review_deals" in listed and "sha256:" in listed and "deals" in listed
    # When it is approved from the command line
    assert agentflow(url, "approvals", "approve", execution_id, "review_deals", "--comment", "ok") == 0
    decided = capsys.readouterr().out
    # Then the payload was shown, the decision sent, and the run completes
    assert "payload:" in decided and "approved" in decided
    done = client.wait(execution_id)
    assert done["status"] == "completed" and done["output"]["emails_sent"] == 20
    assert agentflow(url, "approvals", "reject", execution_id, "review_deals") == 2
    assert "no pending approval" in capsys.readouterr().err


# Agent types, output and errors


def test_agent_types_lists_every_type(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert agentflow(url, "agent-types") == 0
    types = {line.split()[0] for line in capsys.readouterr().out.splitlines()[1:]}
    assert {"sales_intelligence", "email_outreach", "slack", "jira", "sap"} <= types


@pytest.mark.parametrize(
    "command",
    [
        ["workflows", "list"],
        ["workflows", "get", "{workflow_id}"],
        ["executions", "list"],
        ["executions", "get", "{execution_id}"],
        ["executions", "logs", "{execution_id}"],
        ["executions", "timeline", "{execution_id}"],
        ["agent-types"],
        ["agent-types", "email_outreach"],
    ],
)
def test_output_json_parses(
    url: str, completed: dict[str, Any], command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    ids = {"workflow_id": completed["workflow_id"], "execution_id": completed["id"]}
    assert agentflow(url, *[part.format(**ids) for part in command], "--output", "json") == 0
    assert isinstance(json_out(capsys), dict)


def test_url_and_key_come_from_the_environment(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AGENTFLOW_URL", url)
    monkeypatch.setenv("AGENTFLOW_API_KEY", KEY)
    assert main(["-o", "json", "agent-types"]) == 0
    assert json_out(capsys)["agent_types"]


def test_a_bad_key_is_a_clear_error(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert agentflow(url, "workflows", "list", key="not-a-key") == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: ") and "API key" in captured.err
    assert "Traceback" not in captured.err and captured.out == ""


def test_an_unreachable_api_exits_3(capsys: pytest.CaptureFixture[str]) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    assert agentflow(closed, "workflows", "list") == 3
    assert capsys.readouterr().err.startswith(f"error: cannot reach the AgentFlow API at {closed}: ")


# Webhooks


def test_webhooks_issue_prints_a_url_and_secret_that_start_the_workflow(
    url: str, client: AgentFlowClient, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a webhook issued from the command line
    workflow_id = client.create_workflow(reference_workflow())["id"]
    assert agentflow(url, "webhooks", "issue", workflow_id) == 0
    out = capsys.readouterr().out
    hook_url = re.search(r"^  url: +(\S+)$", out, re.MULTILINE)
    secret = re.search(r"^  secret: +(\S+)$", out, re.MULTILINE)
    assert hook_url and secret and "shown once" in out
    path = httpx.URL(hook_url[1]).path
    assert path == f"/api/v1/workflows/{workflow_id}/trigger"
    # When a call signed with the secret is sent to the trigger URL
    body = json.dumps({"request": "Find Q4 deals over $100K"}).encode()
    moment = str(int(time.time()))
    headers = {"X-AgentFlow-Timestamp": moment, "X-AgentFlow-Signature": sign(secret[1], moment, body)}
    response = httpx.post(f"{url}{path}", content=body, headers=headers)
    # Then the workflow starts
    assert response.status_code == 202, response.text
    assert response.json()["workflow_id"] == workflow_id


def test_webhooks_issue_again_rotates_and_prints_json(
    url: str, client: AgentFlowClient, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow_id = client.create_workflow(reference_workflow())["id"]
    assert agentflow(url, "webhooks", "issue", workflow_id, "-o", "json") == 0
    first = json_out(capsys)
    assert agentflow(url, "webhooks", "issue", workflow_id, "-o", "json") == 0
    second = json_out(capsys)
    assert first["url"] == second["url"] and first["secret"] != second["secret"]


def test_webhooks_issue_for_an_unknown_workflow_is_refused(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert agentflow(url, "webhooks", "issue", "wf_doesnotexist") == 2
    assert capsys.readouterr().err.startswith("error: ")


# Event triggers


def test_triggers_create_after_list_and_delete(
    url: str, client: AgentFlowClient, capsys: pytest.CaptureFixture[str]
) -> None:
    first = client.create_workflow(reference_workflow())["id"]
    second = client.create_workflow(reference_workflow())["id"]
    # When a trigger is created to start the second workflow after the first fails or times out
    args = ("triggers", "create", second, "--after", first, "--status", "failed", "--status", "timed_out")
    assert agentflow(url, *args, "-o", "json") == 0
    trigger = json_out(capsys)
    assert trigger["enabled"] is True
    assert trigger["event_pattern"]["detail-type"] == ["AgentFlow Execution Status Change"]
    assert trigger["event_pattern"]["detail"]["workflow_id"] == [first]
    assert trigger["event_pattern"]["detail"]["status"] == ["failed", "timed_out"]
    # Then the list shows it, summarised
    assert agentflow(url, "triggers", "list", second) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["ID", "ENABLED", "PATTERN", "CREATED"]
    (row,) = lines[1:]
    assert re.match(rf"{trigger['id']} +yes +after {first}: failed\|timed_out +\d{{4}}-", row)
    # And once deleted it is gone
    assert agentflow(url, "triggers", "delete", second, trigger["id"]) == 0
    assert capsys.readouterr().out == f"Deleted event trigger {trigger['id']}\n"
    assert agentflow(url, "triggers", "list", second) == 0
    assert capsys.readouterr().out == "(no event triggers)\n"


def test_triggers_create_from_a_pattern_disabled(
    url: str, client: AgentFlowClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow_id = client.create_workflow(reference_workflow())["id"]
    other = client.create_workflow(reference_workflow())["id"]
    # Any workflow's cancellations would include its own (a loop, refused): the other workflow's
    pattern = {
        "detail-type": ["AgentFlow Execution Status Change"],
        "detail": {"status": ["cancelled"], "workflow_id": [other]},
    }
    args = ("triggers", "create", workflow_id, "--pattern-file", write(tmp_path, pattern, "pattern.json"))
    assert agentflow(url, *args, "--disabled") == 0
    out = capsys.readouterr().out
    assert out.startswith("Created event trigger ") and re.search(rf" no +after {other}: cancelled ", out)
    (trigger,) = client.event_triggers(workflow_id)
    assert trigger["enabled"] is False and trigger["event_pattern"]["detail"]["status"] == ["cancelled"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--pattern", '{"detail-type": '], "error: --pattern is not valid JSON: "),
        (["--pattern", '["not", "an", "object"]'], "error: --pattern must be a JSON object"),
        (["--pattern", "{}", "--status", "failed"], "error: --status goes with --after"),
        (["--after", "wf_doesnotexist"], "error: --after wf_doesnotexist: "),
    ],
)
def test_triggers_create_refuses_bad_patterns(
    url: str, completed: dict[str, Any], extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    workflow_id = completed["workflow_id"]
    assert agentflow(url, "triggers", "create", workflow_id, *extra) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith(message) and "Traceback" not in captured.err and captured.out == ""
    assert client_triggers(url, workflow_id) == []


def test_triggers_create_after_itself_is_refused(
    url: str, completed: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    workflow_id = completed["workflow_id"]
    assert agentflow(url, "triggers", "create", workflow_id, "--after", workflow_id) == 2
    assert "itself" in capsys.readouterr().err


def test_triggers_create_needs_a_pattern(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["triggers", "create", "wf_1"])
    assert exit_.value.code == 2 and "--after" in capsys.readouterr().err


def client_triggers(url: str, workflow_id: str) -> list[dict[str, Any]]:
    with AgentFlowClient(url, KEY) as api:
        return api.event_triggers(workflow_id)


# Schedules: the requests sent, per API.md "Schedules and triggers"


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    """Requests the CLI sends, each answered like the contract (a schedule object, or 204)."""
    requests: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if request.method == "DELETE":
            return httpx.Response(204)
        schedule = {
            "id": "sch_12345678",
            "workflow_id": "wf_12345678",
            "expression": "rate(1 hour)",
            "timezone": "UTC",
            "input": None,
            "enabled": True,
            "next_run_at": "2030-01-01T10:00:00Z",
            "created_at": "2030-01-01T09:00:00Z",
        }
        if request.method == "GET" and request.url.path.endswith("/schedules"):
            return httpx.Response(200, json={"schedules": [schedule]})
        return httpx.Response(201 if request.method == "POST" else 200, json=schedule)

    opener: Callable[[str, str | None], AgentFlowClient] = lambda url, key: AgentFlowClient(  # noqa: E731
        url, key, transport=httpx.MockTransport(answer)
    )
    monkeypatch.setattr(cli_api, "open_client", opener)
    return requests


def sent_body(request: httpx.Request) -> Any:
    return json.loads(request.content) if request.content else None


def test_schedules_create_posts_expression_timezone_and_input(
    sent: list[httpx.Request], capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["schedules", "create", "wf_12345678", "--expression", "cron(0 9 ? * MON-FRI *)"]
    assert main([*args, "--timezone", "Europe/Berlin", "--input", '{"region": "EMEA"}']) == 0
    (request,) = sent
    assert (request.method, request.url.path) == ("POST", "/api/v1/workflows/wf_12345678/schedules")
    assert sent_body(request) == {
        "expression": "cron(0 9 ? * MON-FRI *)",
        "timezone": "Europe/Berlin",
        "input": {"region": "EMEA"},
        "enabled": True,
    }
    assert "sch_12345678" in capsys.readouterr().out


def test_schedules_create_sends_a_plain_input_as_a_string(sent: list[httpx.Request]) -> None:
    args = ["schedules", "create", "wf_1", "--expression", "rate(1 day)", "--input", REFERENCE_INPUT]
    assert main([*args, "--disabled"]) == 0
    assert sent_body(sent[0])["input"] == REFERENCE_INPUT and sent_body(sent[0])["enabled"] is False


@pytest.mark.parametrize(
    ("command", "method", "path", "body"),
    [
        (["list", "wf_1"], "GET", "/api/v1/workflows/wf_1/schedules", None),
        (["pause", "wf_1", "sch_1"], "PATCH", "/api/v1/workflows/wf_1/schedules/sch_1", {"enabled": False}),
        (["resume", "wf_1", "sch_1"], "PATCH", "/api/v1/workflows/wf_1/schedules/sch_1", {"enabled": True}),
        (["delete", "wf_1", "sch_1"], "DELETE", "/api/v1/workflows/wf_1/schedules/sch_1", None),
    ],
)
def test_schedules_commands_send_the_contract_request(
    sent: list[httpx.Request], command: list[str], method: str, path: str, body: Any
) -> None:
    assert main(["schedules", *command, "--api-key", "k"]) == 0
    (request,) = sent
    assert (request.method, request.url.path, sent_body(request)) == (method, path, body)
    assert request.headers["Authorization"] == "Bearer k"


def test_schedules_create_needs_an_expression(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["schedules", "create", "wf_1"])
    assert exit_.value.code == 2 and "--expression" in capsys.readouterr().err


# The live display on a terminal


def test_run_on_a_terminal_redraws_the_agent_lines_in_place(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an execution that is running on the first poll and completed on the second
    agents = [("find", "sales_intelligence"), ("send", "email_outreach")]

    def execution(status: str) -> dict[str, Any]:
        done = status == "completed"
        runs = [
            {
                "agent_id": agent_id,
                "agent_type": agent_type,
                "status": status if done or agent_id == "send" else "completed",
                "started_at": "2030-01-01T09:00:00Z",
                "completed_at": "2030-01-01T09:00:01Z" if done or agent_id == "find" else None,
                "duration_ms": 1000 if done or agent_id == "find" else None,
            }
            for agent_id, agent_type in agents
        ]
        metrics = {"total_tokens": 0, "total_cost_usd": 0.0, "duration_ms": 2000, "per_agent": {}}
        return {
            "id": "exec_1",
            "workflow_id": "wf_1",
            "status": status,
            "started_at": "2030-01-01T09:00:00Z",
            "error": None,
            "agent_executions": runs,
            "metrics": metrics,
        }

    polls = iter(["completed"])

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST":
            return httpx.Response(202, json=execution("running"))
        if path.endswith("/timeline"):
            return httpx.Response(200, json={"timeline": []})
        if path.endswith("/logs"):
            return httpx.Response(200, json={"logs": []})
        return httpx.Response(200, json=execution(next(polls)))

    monkeypatch.setattr(
        cli_api,
        "open_client",
        lambda url, key: AgentFlowClient(url, key, transport=httpx.MockTransport(answer)),
    )
    monkeypatch.setattr(cli_api.sys.stdout, "isatty", lambda: True)
    # When it is run on a terminal
    assert main(["run", "wf_1", "--poll-interval", "0.01"]) == 0
    # Then the second drawing moves back over the first (3 lines) and shows the final state
    out = capsys.readouterr().out
    first, second = out.split("\x1b[3F\x1b[J")
    assert re.search(r"send +email_outreach +running", first)
    assert re.search(r"send +email_outreach +completed +1\.0 s", second)


# Documents


def test_documents_upload_search_list_and_delete(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    notes = tmp_path / "vantage.md"
    notes.write_text("# Vantage Rail\n\nVantage Rail signs only after a security review of the SSO setup.\n")
    assert agentflow(url, "documents", "upload", str(notes), "--wait", "-o", "json") == 0
    (document,) = json_out(capsys)["documents"]
    assert (document["status"], document["content_type"], document["pages"]) == ("ready", "text/markdown", 1)
    assert agentflow(url, "documents", "search", "When will Vantage Rail sign?", "--top-k", "1") == 0
    out = capsys.readouterr().out
    assert out.startswith("[1] vantage.md, page 1  score 0.") and "security review" in out
    assert agentflow(url, "documents", "list") == 0
    assert document["id"] in capsys.readouterr().out
    assert agentflow(url, "documents", "delete", document["id"]) == 0
    assert agentflow(url, "documents", "get", document["id"]) == 2
    assert "was not found" in capsys.readouterr().err


def test_an_unreadable_upload_exits_nonzero_with_its_reason(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scan = tmp_path / "scan.pdf"
    scan.write_bytes(doc_fixtures.image_only_pdf())
    assert agentflow(url, "documents", "upload", str(scan), "--wait") == 1
    assert "scan.pdf: The PDF contains no extractable text" in capsys.readouterr().out


def test_large_files_go_through_a_presigned_upload(client: AgentFlowClient) -> None:
    client.DIRECT_UPLOAD_BYTES = 10  # type: ignore[misc]  # take the large-file path with a small file
    try:
        pdf = doc_fixtures.pdf_bytes(
            ["Cobalt Health renewal.", "Cobalt Health needs HIPAA terms in the MSA."]
        )
        document = client.wait_for_document(client.upload_document("cobalt.pdf", pdf)["id"], timeout=60)
    finally:
        del client.DIRECT_UPLOAD_BYTES
    assert (document["status"], document["pages"], document["size_bytes"]) == ("ready", 2, len(pdf))
    best = client.search_documents("Cobalt Health HIPAA terms in the MSA", top_k=1)[0]
    assert (best["document_id"], best["page"]) == (document["id"], 2)


def test_a_presigned_upload_of_another_size_or_type_fails(client: AgentFlowClient) -> None:
    ticket = client.request("POST", "/api/v1/documents/uploads", json={"filename": "a.txt", "size_bytes": 5})
    assert client.document(ticket["document_id"])["status"] == "awaiting_upload"
    response = httpx.put(
        ticket["upload_url"], content=b"more than five bytes", headers=ticket["upload_headers"]
    )
    assert response.status_code == 200
    failed = client.wait_for_document(ticket["document_id"], timeout=30)
    assert failed["status"] == "failed" and "not the 5 bytes declared" in failed["error"]
    image = doc_fixtures.png_bytes()
    body = {"filename": "photo.pdf", "size_bytes": len(image)}
    ticket = client.request("POST", "/api/v1/documents/uploads", json=body)
    assert httpx.put(ticket["upload_url"], content=image, headers=ticket["upload_headers"]).status_code == 200
    failed = client.wait_for_document(ticket["document_id"], timeout=30)
    assert failed["status"] == "failed" and "judged from its content" in failed["error"]


# Versions and diffs


def test_workflows_diff_lists_node_config_and_edge_changes(
    url: str, client: AgentFlowClient, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given version 2 raising the email cap and adding a Slack summary after the emails
    created = client.create_workflow(reference_workflow())
    changed = reference_workflow()
    changed["agents"][1]["config"]["max_emails"] = 5
    changed["agents"].append({"id": "notify", "type": "slack", "config": {"channel": "#sales"}})
    changed["edges"].append({"source": "email_agent_1", "target": "notify"})
    client.update_workflow(created["id"], changed, version=1)
    # When the versions are compared
    assert agentflow(url, "workflows", "diff", created["id"], "1", "2") == 0
    out = capsys.readouterr().out
    # Then every change is one line
    assert "+ node notify (slack)" in out
    assert "~ email_agent_1.config.max_emails: 25 → 5" in out
    assert "+ edge email_agent_1 → notify" in out
    assert agentflow(url, "workflows", "diff", created["id"], "2", "1", "-o", "json") == 0
    reverse = json_out(capsys)
    assert [node["id"] for node in reverse["nodes_removed"]] == ["notify"]
    assert reverse["edges_removed"] == [{"source": "email_agent_1", "target": "notify"}]


def test_workflows_versions_and_a_missing_version(
    url: str, client: AgentFlowClient, capsys: pytest.CaptureFixture[str]
) -> None:
    created = client.create_workflow(reference_workflow())
    client.update_workflow(created["id"], {**reference_workflow(), "name": "Renamed"}, version=1)
    assert agentflow(url, "workflows", "versions", created["id"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1].split()[0] == "2" and "Renamed" in lines[1] and lines[2].split()[0] == "1"
    assert agentflow(url, "workflows", "diff", created["id"], "1", "7") == 2
    assert "no version 7" in capsys.readouterr().err


# Examples of the local stack


def test_the_examples_are_registered_once(url: str) -> None:
    from agentflow.local.examples import example_definitions, register_examples

    # Given a tenant with no workflows yet
    with AgentFlowClient(url, "examples-key") as client:
        # When the examples are registered twice
        first = register_examples(client)
        second = register_examples(client)
        names = sorted(workflow["name"] for workflow in client.workflows(limit=None)[0])
    # Then each example exists once, the second time adding nothing
    expected = sorted(definition["name"] for definition in example_definitions())
    assert len(expected) >= 4 and sorted(workflow["name"] for workflow in first) == expected
    assert second == [] and names == expected
