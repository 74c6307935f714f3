"""No runaway and no stranded executions: trigger chains end, crashed starts are started or failed."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from agentflow.clock import isoformat, utcnow
from tests.helpers import REFERENCE_INPUT, GatewayApi, sales, workflow

COMPLETED = {"detail-type": ["AgentFlow Execution Status Change"], "detail": {"status": ["completed"]}}


def create(api: GatewayApi, name: str) -> str:
    status, created = api.post("/api/v1/workflows", workflow(name, [sales("deals")], []))
    assert status == 201, created
    return str(created["id"])


def on_completion_of(api: GatewayApi, listener: str, source: str) -> tuple[int, Any]:
    pattern = {**COMPLETED, "detail": {**COMPLETED["detail"], "workflow_id": [source]}}
    return api.post(f"/api/v1/workflows/{listener}/event-triggers", {"event_pattern": pattern})


def executions(api: GatewayApi, workflow_id: str) -> list[dict[str, Any]]:
    return list(api.get(f"/api/v1/executions?workflow_id={workflow_id}&limit=100")[1]["executions"])


def test_a_trigger_on_its_own_workflow_s_events_is_refused(api: GatewayApi) -> None:
    workflow_id = create(api, "Loop")
    for pattern in (
        COMPLETED,
        {"detail": {"workflow_id": [workflow_id]}},
        {"detail-type": [{"prefix": "AgentFlow"}]},
    ):
        status, body = api.post(f"/api/v1/workflows/{workflow_id}/event-triggers", {"event_pattern": pattern})
        assert status == 422 and "its own" in body["error"]["message"], pattern
    documents = {"detail-type": ["AgentFlow Document Status Change"]}
    assert api.post(f"/api/v1/workflows/{workflow_id}/event-triggers", {"event_pattern": documents})[0] == 201


def test_a_two_workflow_trigger_cycle_ends_at_the_depth_cap(api: GatewayApi) -> None:
    # Given A starts when B completes and B when A completes
    first, second = create(api, "Ping"), create(api, "Pong")
    assert on_completion_of(api, second, first)[0] == 201
    assert on_completion_of(api, first, second)[0] == 201
    # When A is started once
    status, root = api.post("/api/v1/executions", {"workflow_id": first, "input": REFERENCE_INPUT})
    assert status == 202
    # Then the chain runs 5 triggered executions deep and stops
    deadline, seen = time.monotonic() + 60, -1
    while time.monotonic() < deadline:
        found = executions(api, first) + executions(api, second)
        active = [e for e in found if e["status"] in ("pending", "running")]
        if len(found) == seen and not active:
            break
        seen = len(found)
        time.sleep(1.0)
    found = executions(api, first) + executions(api, second)
    assert len(found) == 6
    chained = sorted(
        (e for e in found if e["id"] != root["id"]), key=lambda e: e["trigger"]["chain"]["depth"]
    )
    assert [e["trigger"]["chain"]["depth"] for e in chained] == [1, 2, 3, 4, 5]
    assert {e["trigger"]["chain"]["root_execution_id"] for e in chained} == {root["id"]}
    # And the last one's log says why nothing followed it
    last = chained[-1]["id"]
    logs = api.get(f"/api/v1/executions/{last}/logs?level=WARN")[1]["logs"]
    assert any("would be 6 runs deep" in line["message"] for line in logs)


def stranded(stack: Any, workflow_id: str, version: int, key: str | None = None, age: int = 120) -> str:
    """An execution recorded as pending whose start crashed ``age`` seconds ago (as if the API died)."""
    from agentflow.ids import new_execution_id
    from agentflow.models import StartExecutionRequest
    from agentflow.settings import function_environment
    from agentflow.store.executions import ExecutionRecord, ExecutionRepository, request_fingerprint

    then = isoformat(utcnow() - timedelta(seconds=age))
    execution_id = new_execution_id()
    record = ExecutionRecord(
        tenant_id="tenant-a",
        id=execution_id,
        workflow_id=workflow_id,
        workflow_version=version,
        plan=[("deals", "sales_intelligence")],
        sinks=["deals"],
        created_at=then,
        start_claimed_at=then,
        input_inline='"go"',
    )
    body = StartExecutionRequest(workflow_id=workflow_id, input="go").model_dump(mode="json")
    with function_environment(stack.lambdas.environment(stack.template.functions()["ApiFunction"])):
        ExecutionRepository().create(record, key, request_fingerprint(body), int(time.time()))
    return execution_id


def test_a_retry_with_the_same_key_starts_a_crashed_start(api: GatewayApi, stack: Any) -> None:
    # Given an execution recorded under an Idempotency-Key whose start never happened
    workflow_id = create(api, "Crashed")
    execution_id = stranded(stack, workflow_id, 1, key="crash-1")
    # When the client retries with the same key and body
    status, replay = api.post(
        "/api/v1/executions",
        {"workflow_id": workflow_id, "input": "go"},
        headers={"Idempotency-Key": "crash-1"},
    )
    # Then it is that execution, now started, and it completes; a second retry starts nothing new
    assert status == 200 and replay["id"] == execution_id and replay["status"] == "running"
    assert api.wait(execution_id)["status"] == "completed"
    again = api.post(
        "/api/v1/executions",
        {"workflow_id": workflow_id, "input": "go"},
        headers={"Idempotency-Key": "crash-1"},
    )
    assert again[1]["id"] == execution_id and len(executions(api, workflow_id)) == 1


def test_the_periodic_repair_starts_or_fails_what_is_stranded(api: GatewayApi, stack: Any) -> None:
    # Given a stranded execution of a workflow, one of a deleted version, and one just recorded
    workflow_id = create(api, "Repair")
    startable = stranded(stack, workflow_id, 1)
    orphan = stranded(stack, workflow_id, 7)
    fresh = stranded(stack, workflow_id, 1, age=0)
    # When the repair runs (the schedule's event)
    result = stack.lambdas.call("StatusFunction", {"repair": True})
    # Then the first is started and completes, the second failed with the reason, the fresh one waits
    assert {startable, orphan} <= set(result["stranded"]) and fresh not in result["stranded"]
    assert api.wait(startable)["status"] == "completed"
    failed = api.get(f"/api/v1/executions/{orphan}")[1]
    assert failed["status"] == "failed" and failed["error"]["type"] == "StartFailed"
    assert "deleted" in failed["error"]["message"]
    assert api.get(f"/api/v1/executions/{fresh}")[1]["status"] == "pending"


def test_the_local_loop_fires_the_minute_repair_from_the_template(api: GatewayApi, stack: Any) -> None:
    # Given the local schedule loop with the template's scheduled rules, and a stranded execution
    from agentflow.local.scheduler import LocalScheduler

    rules = stack.template.schedule_events()
    assert [(name.endswith("-status"), expression) for name, expression, _ in rules] == [
        (True, "rate(1 minute)")
    ]
    loop = LocalScheduler(stack.client("scheduler"), stack.lambdas, rules=rules)
    execution_id = stranded(stack, create(api, "Looped"), 1)
    # When a minute passes
    fired = [r for r in loop.tick(utcnow() + timedelta(seconds=61)) if "rule" in r]
    # Then the repair ran and started it
    assert len(fired) == 1 and execution_id in fired[0]["result"]["stranded"]
    assert api.wait(execution_id)["status"] == "completed"


def test_a_status_change_of_an_earlier_attempt_is_ignored(stack: Any) -> None:
    # Given an execution running its second attempt
    import json

    from agentflow.models import ExecutionStatus
    from agentflow.settings import function_environment
    from agentflow.store.executions import ExecutionRecord, ExecutionRepository

    arn = "arn:aws:states:us-east-1:123456789012:execution:agentflow-local-wf_x:exec_resumed"
    record = ExecutionRecord(
        tenant_id="tenant-a",
        id="exec_resumed",
        workflow_id="wf_x",
        workflow_version=1,
        status=ExecutionStatus.RUNNING,
        execution_arn=f"{arn}-a2",
        created_at=isoformat(utcnow()),
    )
    with function_environment(stack.lambdas.environment(stack.template.functions()["ApiFunction"])):
        ExecutionRepository().create(record, idempotency_key=None, fingerprint="", now_epoch=0)

    def aborted(execution_arn: str) -> dict[str, Any]:
        started_with = json.dumps({"tenant_id": "tenant-a", "execution_id": "exec_resumed"})
        name = execution_arn.rsplit(":", 1)[-1]
        detail = {"status": "ABORTED", "name": name, "executionArn": execution_arn, "input": started_with}
        return {"detail-type": "Step Functions Execution Status Change", "detail": detail}

    # When Step Functions reports the first attempt aborted, then the second
    first = stack.lambdas.call("StatusFunction", aborted(arn))
    second = stack.lambdas.call("StatusFunction", aborted(f"{arn}-a2"))
    # Then only the current attempt's ending counts
    assert first == {"changed": False} and second["changed"] is True and second["status"] == "cancelled"
