"""Executions end to end on moto: Step Functions runs the compiled machine, agents run in-process."""

from __future__ import annotations

import json
import re

import pytest

from agentflow.models import ExecutionStatus
from agentflow.settings import function_environment
from tests.helpers import REFERENCE_INPUT, GatewayApi, email, reference_workflow, sales, workflow


def create(api: GatewayApi, definition: dict) -> str:
    status, body = api.post("/api/v1/workflows", definition)
    assert status == 201, body
    return str(body["id"])


def run(api: GatewayApi, workflow_id: str, data: object = REFERENCE_INPUT) -> dict:
    status, started = api.post("/api/v1/executions/", {"workflow_id": workflow_id, "input": data})
    assert status == 202, started
    assert started["status"] in ("pending", "running")
    return api.wait(started["id"])


def store_running_record(stack, execution_id: str, execution_arn: str | None = None) -> None:
    """An execution record that says running, written as the API function would."""
    from agentflow.store.executions import ExecutionRecord, ExecutionRepository

    record = ExecutionRecord(
        tenant_id="tenant-a",
        id=execution_id,
        workflow_id="wf_x",
        workflow_version=1,
        status=ExecutionStatus.RUNNING,
        execution_arn=execution_arn,
        created_at="2026-01-01T00:00:00.000Z",
    )
    with function_environment(stack.lambdas.environment(stack.template.functions()["ApiFunction"])):
        ExecutionRepository().create(record, idempotency_key=None, fingerprint="", now_epoch=0)


@pytest.fixture(scope="module")
def reference_run(gateway) -> dict:
    api = GatewayApi(gateway, "key-tenant-a")
    return run(api, create(api, reference_workflow()))


def test_reference_workflow_completes_with_20_deals_and_20_emails(reference_run: dict) -> None:
    assert reference_run["status"] == "completed", reference_run["error"]
    sales_run, email_run = reference_run["agent_executions"]
    assert sales_run["agent_id"] == "sales_agent_1" and email_run["agent_id"] == "email_agent_1"
    deals = sales_run["output"]["deals"]
    assert len(deals) == 20
    assert all(deal["stage"].startswith("Negotiation") and deal["amount"] > 100_000 for deal in deals)
    assert all(deal["close_date"][5:7] in ("10", "11", "12") for deal in deals)
    assert {
        "id",
        "name",
        "account_name",
        "amount",
        "stage",
        "close_date",
        "owner_name",
        "owner_email",
    } <= set(deals[0])
    assert reference_run["output"] == email_run["output"]
    assert reference_run["output"]["emails_sent"] == 20


def test_each_email_is_personalised_from_its_deal(reference_run: dict) -> None:
    deals = {deal["id"]: deal for deal in reference_run["agent_executions"][0]["output"]["deals"]}
    emails = reference_run["output"]["emails"]
    assert len({email["message_id"] for email in emails}) == 20
    for message in emails:
        deal = deals[message["deal_id"]]
        assert message["recipient"] == deal["owner_email"] and message["status"] == "sent"
        assert deal["owner_name"].split()[0] in message["body"]
        assert deal["account_name"] in message["body"]
        assert f"${deal['amount']:,.0f}" in message["body"]
        assert re.search(
            r"(January|February|March|April|May|June|July|August|September|October|November|December)"
            r" \d+, \d{4}",
            message["body"],
        )


def test_metrics_per_agent_and_total(reference_run: dict) -> None:
    metrics = reference_run["metrics"]
    assert set(metrics["per_agent"]) == {"sales_agent_1", "email_agent_1"}
    # No model is called yet: honest zeros, not a per-email constant.
    assert metrics["total_tokens"] == 0 and metrics["total_cost_usd"] == 0
    assert metrics["duration_ms"] >= max(agent["duration_ms"] for agent in metrics["per_agent"].values())
    for agent in reference_run["agent_executions"]:
        assert agent["started_at"] <= agent["completed_at"] and agent["duration_ms"] >= 0


def test_logs_tell_the_story_in_order(api: GatewayApi, reference_run: dict) -> None:
    status, body = api.get(f"/api/v1/executions/{reference_run['id']}/logs")
    assert status == 200
    messages = [entry["message"] for entry in body["logs"]]
    expected = [
        "started (version",
        "Execution order determined",
        "Agent sales_agent_1 (sales_intelligence) started",
        "Agent sales_agent_1 completed",
        "Agent email_agent_1 (email_outreach) started",
        "Agent email_agent_1 completed",
        "Workflow completed",
    ]
    positions = [next(i for i, m in enumerate(messages) if fragment in m) for fragment in expected]
    assert positions == sorted(positions)
    assert [entry["timestamp"] for entry in body["logs"]] == sorted(
        entry["timestamp"] for entry in body["logs"]
    )


def test_logs_filter_by_level_and_agent(api: GatewayApi, reference_run: dict) -> None:
    path = f"/api/v1/executions/{reference_run['id']}/logs"
    warnings = api.get(path + "?level=WARN")[1]["logs"]
    assert warnings and all(entry["level"] in ("WARN", "ERROR") for entry in warnings)
    assert api.get(path + "?level=ERROR")[1]["logs"] == []
    mine = api.get(path + "?agent_id=email_agent_1")[1]["logs"]
    assert mine and {entry["agent_id"] for entry in mine} == {"email_agent_1"}
    assert api.get(path + "?level=LOUD")[0] == 422


def test_timeline_is_ordered_by_start(api: GatewayApi, reference_run: dict) -> None:
    status, body = api.get(f"/api/v1/executions/{reference_run['id']}/timeline/")
    assert status == 200
    assert [entry["agent_id"] for entry in body["timeline"]] == ["sales_agent_1", "email_agent_1"]
    assert body["timeline"][0]["completed_at"] <= body["timeline"][1]["started_at"]


def test_idempotency_key_returns_the_same_execution(api: GatewayApi) -> None:
    workflow_id = create(api, reference_workflow())
    body = {"workflow_id": workflow_id, "input": REFERENCE_INPUT}
    first_status, first = api.post("/api/v1/executions", body, headers={"Idempotency-Key": "abc-123"})
    again_status, again = api.post("/api/v1/executions", body, headers={"Idempotency-Key": "abc-123"})
    assert (first_status, again_status) == (202, 200) and first["id"] == again["id"]
    other = api.post(
        "/api/v1/executions", {**body, "input": "something else"}, headers={"Idempotency-Key": "abc-123"}
    )
    assert other[0] == 409
    api.wait(first["id"])
    listed = api.get(f"/api/v1/executions?workflow_id={workflow_id}")[1]["executions"]
    assert [item["id"] for item in listed] == [first["id"]]


def test_unknown_or_foreign_workflow_is_404(api: GatewayApi, other_tenant: GatewayApi) -> None:
    assert api.post("/api/v1/executions", {"workflow_id": "wf_doesnotexist", "input": None})[0] == 404
    workflow_id = create(api, reference_workflow())
    assert other_tenant.post("/api/v1/executions", {"workflow_id": workflow_id, "input": None})[0] == 404


def test_foreign_execution_is_404_everywhere(
    api: GatewayApi, other_tenant: GatewayApi, reference_run: dict
) -> None:
    execution_id = reference_run["id"]
    for suffix in ("", "/logs", "/timeline"):
        assert other_tenant.get(f"/api/v1/executions/{execution_id}{suffix}")[0] == 404
    assert other_tenant.post(f"/api/v1/executions/{execution_id}/stop")[0] == 404


def test_failure_keeps_partial_results(api: GatewayApi) -> None:
    # Given an email agent whose sender SES has not verified
    definition = workflow(
        "Unverified sender",
        [sales("find"), email("send", connector="ses", from_address="nobody@unverified.example")],
        [("find", "send")],
    )
    execution = run(api, create(api, definition))
    # Then the run fails at the email agent, naming it, and the sales agent's deals stay readable
    assert execution["status"] == "failed"
    assert execution["error"]["agent_id"] == "send" and "ses" in execution["error"]["message"].lower()
    runs = {run["agent_id"]: run for run in execution["agent_executions"]}
    assert runs["find"]["status"] == "completed" and len(runs["find"]["output"]["deals"]) == 20
    assert runs["send"]["status"] == "failed" and runs["send"]["output"] is None
    errors = api.get(f"/api/v1/executions/{execution['id']}/logs?level=ERROR")[1]["logs"]
    assert any(entry["agent_id"] == "send" for entry in errors)
    assert any("Workflow failed" in entry["message"] for entry in errors)


def test_stopping_a_finished_execution_is_409(api: GatewayApi, reference_run: dict) -> None:
    status, body = api.post(f"/api/v1/executions/{reference_run['id']}/stop")
    assert status == 409 and body["error"]["code"] == "conflict"


def test_list_is_newest_first_and_filters_by_status(api: GatewayApi) -> None:
    workflow_id = create(api, reference_workflow())
    first, second = run(api, workflow_id), run(api, workflow_id)
    listed = api.get(f"/api/v1/executions?workflow_id={workflow_id}")[1]["executions"]
    assert [item["id"] for item in listed] == [second["id"], first["id"]]
    failed = api.get("/api/v1/executions?status=failed&limit=100")[1]["executions"]
    assert all(item["status"] == "failed" for item in failed)
    assert api.get("/api/v1/executions?status=sleeping")[0] == 422


def test_agent_with_a_stored_result_does_not_run_again(stack, reference_run: dict) -> None:
    # Given the reference run's completed email agent, When Step Functions delivers its task again
    task = {
        "tenant_id": "tenant-a",
        "execution_id": reference_run["id"],
        "workflow_id": reference_run["workflow_id"],
        "workflow_version": 1,
        "node_id": "email_agent_1",
    }
    outbox = stack.data_dir / "sandbox" / "outbox" / "outlook.jsonl"
    sent_before = outbox.read_text().count("\n")
    result = stack.lambdas.call("EmailOutreachAgentFunction", task)
    # Then it answers from the store and sends nothing
    assert result["reused"] is True
    assert outbox.read_text().count("\n") == sent_before


def test_large_outputs_go_to_s3_and_read_back(stack) -> None:
    from agentflow.models import AgentRun, AgentRunStatus
    from agentflow.store.runs import AgentRunRepository

    env = stack.lambdas.environment(stack.template.functions()["ApiFunction"])
    big = {"rows": ["x" * 1000] * 600}  # ~600 KB: beyond one DynamoDB item
    with function_environment(env):
        runs = AgentRunRepository()
        run = AgentRun(
            agent_id="node", agent_type="sales_intelligence", status=AgentRunStatus.COMPLETED, output=big
        )
        runs.save("tenant-a", "exec_big", run)
        assert runs.get("tenant-a", "exec_big", "node").output == big
    keys = stack.client("s3").list_objects_v2(
        Bucket=stack.template.buckets()[0], Prefix="results/tenant-a/exec_big/"
    )
    assert keys["KeyCount"] == 1


def test_status_change_event_marks_an_aborted_execution_cancelled(stack) -> None:
    from agentflow.store.executions import ExecutionRepository

    store_running_record(stack, "exec_aborted")
    env = stack.lambdas.environment(stack.template.functions()["StatusFunction"])
    event = {
        "source": "aws.states",
        "detail-type": "Step Functions Execution Status Change",
        "detail": {
            "name": "exec_aborted",
            "status": "ABORTED",
            "input": json.dumps({"tenant_id": "tenant-a"}),
        },
    }
    result = stack.lambdas.call("StatusFunction", event)
    assert result["changed"] is True
    with function_environment(env):
        record = ExecutionRepository().get("tenant-a", "exec_aborted")
    assert record.status is ExecutionStatus.CANCELLED and record.error.type == "Cancelled"
    # And a repeated event changes nothing
    assert stack.lambdas.call("StatusFunction", event)["changed"] is False


def test_read_reconciles_with_step_functions(stack, api: GatewayApi) -> None:
    # Given a record that still says running while its Step Functions execution has succeeded
    sfn = stack.client("stepfunctions")
    role = stack.client("iam").get_role(RoleName=stack.template.physical_name("StateMachineRole"))["Role"][
        "Arn"
    ]
    machine = sfn.create_state_machine(
        name="agentflow-local-reconcile",
        roleArn=role,
        definition=json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}),
    )
    arn = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="exec_reconcile")[
        "executionArn"
    ]
    stack.wait_for_executions()
    store_running_record(stack, "exec_reconcile", execution_arn=arn)
    # When it is read, Then it reports what Step Functions knows
    status, body = api.get("/api/v1/executions/exec_reconcile")
    assert status == 200 and body["status"] == "completed"


def test_a_transient_agent_error_is_retried_by_the_state_machine(api: GatewayApi, monkeypatch) -> None:
    # Given a CRM that is busy on the first call only
    from agentflow.errors import TransientAgentError
    from agentflow_sandbox.salesforce import SalesforceSandbox

    real = SalesforceSandbox.find_opportunities
    calls: list[int] = []

    def busy_once(self, query):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            raise TransientAgentError("salesforce answered 503; try again")
        return real(self, query)

    monkeypatch.setattr(SalesforceSandbox, "find_opportunities", busy_once)
    # When the reference workflow runs
    execution = run(api, create(api, reference_workflow()))
    # Then Step Functions' Retry ran the agent again and the run completed
    assert execution["status"] == "completed", execution["error"]
    sales_run = execution["agent_executions"][0]
    assert sales_run["attempts"] == 2 and sales_run["error"] is None
    warnings = api.get(f"/api/v1/executions/{execution['id']}/logs?level=WARN&agent_id=sales_agent_1")[1][
        "logs"
    ]
    assert any("transient" in entry["message"] for entry in warnings)


def test_a_retried_email_agent_sends_no_email_twice(api: GatewayApi, stack, monkeypatch) -> None:
    # Given an Outlook that fails (transiently) on the third message of the first attempt
    from agentflow.errors import TransientAgentError
    from agentflow_sandbox.outlook import OutlookSandbox

    real = OutlookSandbox.send
    calls: list[int] = []

    def flaky(self, email):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 3:
            raise TransientAgentError("Graph answered 503; try again")
        return real(self, email)

    monkeypatch.setattr(OutlookSandbox, "send", flaky)
    outbox = stack.data_dir / "sandbox" / "outbox" / "outlook.jsonl"
    before = outbox.read_text().count("\n") if outbox.exists() else 0
    # When the reference workflow runs and Step Functions retries the email agent
    execution = run(api, create(api, reference_workflow()))
    # Then it completes with 20 emails, each sent exactly once
    assert execution["status"] == "completed", execution["error"]
    email_run = execution["agent_executions"][1]
    assert email_run["attempts"] == 2 and execution["output"]["emails_sent"] == 20
    lines = outbox.read_text().splitlines()[before:]
    assert len(lines) == 20 and len({json.loads(line)["subject"] for line in lines}) == 20
    assert len({message["message_id"] for message in execution["output"]["emails"]}) == 20
