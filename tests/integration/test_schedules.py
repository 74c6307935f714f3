"""Schedules: the API, EventBridge Scheduler (moto) and the local loop that fires them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agentflow.local.scheduler import LocalScheduler
from tests.helpers import GatewayApi, reference_workflow


@pytest.fixture
def workflow_id(api: GatewayApi) -> str:
    status, body = api.post("/api/v1/workflows", reference_workflow())
    assert status == 201
    return str(body["id"])


def schedules_path(workflow_id: str) -> str:
    return f"/api/v1/workflows/{workflow_id}/schedules"


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_create_returns_the_schedule_with_its_next_run(api: GatewayApi, workflow_id: str) -> None:
    status, schedule = api.post(
        schedules_path(workflow_id), {"expression": "cron(0 8 ? * MON-FRI *)", "timezone": "Europe/Berlin"}
    )
    assert status == 201, schedule
    assert schedule["id"].startswith("sch_") and schedule["enabled"] is True
    next_run = moment(schedule["next_run_at"])
    assert next_run > datetime.now(UTC) and next_run.weekday() < 5
    assert next_run.hour in (6, 7)  # 08:00 in Berlin is 07:00Z in winter, 06:00Z in summer
    assert api.get(schedules_path(workflow_id))[1]["schedules"] == [schedule]


def test_the_schedule_lives_in_eventbridge_scheduler(api: GatewayApi, workflow_id: str, stack) -> None:
    schedule = api.post(schedules_path(workflow_id), {"expression": "rate(5 minutes)", "input": {"q": 1}})[1]
    scheduler = stack.client("scheduler")
    group = stack.template.physical_name("ScheduleGroup")
    names = [item["Name"] for item in scheduler.list_schedules(GroupName=group)["Schedules"]]
    assert any(name.endswith(schedule["id"]) for name in names)


@pytest.mark.parametrize(
    ("body", "quoted"),
    [
        ({"expression": "cron(0 8 * * *)"}, "cron(0 8 * * *)"),
        ({"expression": "rate(1 minutes)"}, "rate(1 minutes)"),
        ({"expression": "every day"}, "every day"),
        ({"expression": "at(2001-01-01T00:00:00)"}, "at(2001-01-01T00:00:00)"),
        ({"expression": "rate(1 hour)", "timezone": "Mars/Olympus_Mons"}, "Mars/Olympus_Mons"),
    ],
)
def test_invalid_expressions_and_timezones_are_422_quoting_them(
    api: GatewayApi, workflow_id: str, body: dict, quoted: str
) -> None:
    status, error = api.post(schedules_path(workflow_id), body)
    assert status == 422 and quoted in error["error"]["message"]


def test_pause_resume_and_change(api: GatewayApi, workflow_id: str) -> None:
    schedule = api.post(schedules_path(workflow_id), {"expression": "rate(1 hour)"})[1]
    path = f"{schedules_path(workflow_id)}/{schedule['id']}"
    paused = api.call("PATCH", path, {"enabled": False})[1]
    assert paused["enabled"] is False and paused["next_run_at"] is None
    resumed = api.call("PATCH", path, {"enabled": True, "expression": "rate(2 hours)"})[1]
    assert resumed["expression"] == "rate(2 hours)" and resumed["next_run_at"] is not None
    assert api.call("PATCH", path, {"expression": "rate(0 hours)"})[0] == 422
    assert api.get(path)[1]["expression"] == "rate(2 hours)"


def test_delete_and_foreign_access(api: GatewayApi, other_tenant: GatewayApi, workflow_id: str) -> None:
    schedule = api.post(schedules_path(workflow_id), {"expression": "rate(1 day)"})[1]
    path = f"{schedules_path(workflow_id)}/{schedule['id']}"
    assert other_tenant.get(path)[0] == 404
    assert other_tenant.get(schedules_path(workflow_id))[0] == 404
    assert api.call("DELETE", path)[0] == 204
    assert api.get(path)[0] == 404


def test_deleting_the_workflow_deletes_its_schedules(api: GatewayApi, workflow_id: str, stack) -> None:
    schedule = api.post(schedules_path(workflow_id), {"expression": "rate(1 day)"})[1]
    assert api.call("DELETE", f"/api/v1/workflows/{workflow_id}")[0] == 204
    group = stack.template.physical_name("ScheduleGroup")
    names = [item["Name"] for item in stack.client("scheduler").list_schedules(GroupName=group)["Schedules"]]
    assert not any(name.endswith(schedule["id"]) for name in names)


def test_the_local_loop_fires_a_rate_schedule_once_per_period(
    api: GatewayApi, workflow_id: str, stack
) -> None:
    # Given a rate(1 minute) schedule, and a clock the test drives
    created = datetime.now(UTC)
    body = {"expression": "rate(1 minute)", "input": "Find Q4 deals"}
    schedule = api.post(schedules_path(workflow_id), body)[1]
    loop = LocalScheduler(stack.client("scheduler"), stack.lambdas)
    # When no period has passed, nothing fires; after 2 periods, two deliveries start two executions
    assert [r for r in loop.tick(created + timedelta(seconds=30)) if schedule["id"] in r["schedule"]] == []
    fired = [r for r in loop.tick(created + timedelta(seconds=125)) if schedule["id"] in r["schedule"]]
    assert [r["result"]["started"] for r in fired] == [True, True]
    # Then the executions carry the schedule trigger and can be listed by schedule
    listed = api.get(f"/api/v1/executions?schedule_id={schedule['id']}")[1]["executions"]
    assert len(listed) == 2
    assert all(item["trigger"]["type"] == "schedule" for item in listed)
    assert all(item["trigger"]["schedule_id"] == schedule["id"] for item in listed)
    for item in listed:
        assert api.wait(item["id"])["status"] == "completed"


def test_a_duplicate_delivery_starts_nothing_twice(api: GatewayApi, workflow_id: str, stack) -> None:
    schedule = api.post(schedules_path(workflow_id), {"expression": "rate(1 hour)"})[1]
    delivery = {
        "tenant_id": "tenant-a",
        "workflow_id": workflow_id,
        "schedule_id": schedule["id"],
        "scheduled_time": "2026-11-25T09:00:00Z",
    }
    first = stack.lambdas.call("TriggerFunction", delivery)
    again = stack.lambdas.call("TriggerFunction", delivery)
    assert first["started"] is True and again["started"] is False
    assert first["execution_id"] == again["execution_id"]
    api.wait(first["execution_id"])


def test_the_local_loop_keeps_local_time_across_a_dst_change(
    api: GatewayApi, workflow_id: str, stack
) -> None:
    # Given only a weekday 08:00 New York schedule (earlier tests' schedules would fire for days)
    scheduler, group = stack.client("scheduler"), stack.template.physical_name("ScheduleGroup")
    for item in scheduler.list_schedules(GroupName=group)["Schedules"]:
        scheduler.delete_schedule(Name=item["Name"], GroupName=group)
    body = {"expression": "cron(0 8 ? * MON-FRI *)", "timezone": "America/New_York"}
    schedule = api.post(schedules_path(workflow_id), body)[1]
    loop = LocalScheduler(
        stack.client("scheduler"), stack.lambdas, start=datetime(2027, 3, 12, 10, 0, tzinfo=UTC)
    )
    # When it ticks across Friday 12 → Tuesday 16 March 2027 (clocks go forward on Sunday 14 March)
    fired = [
        r["scheduled_time"]
        for r in loop.tick(datetime(2027, 3, 16, 14, 0, tzinfo=UTC))
        if schedule["id"] in r["schedule"]
    ]
    # Then it fired at 08:00 local each weekday: 13:00Z (EST) before, 12:00Z (EDT) after
    assert fired == ["2027-03-12T13:00:00.000Z", "2027-03-15T12:00:00.000Z", "2027-03-16T12:00:00.000Z"]
