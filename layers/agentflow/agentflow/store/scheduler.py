"""EventBridge Scheduler: the schedules that start workflows, one per AgentFlow schedule."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agentflow.aws import client

if TYPE_CHECKING:
    from mypy_boto3_scheduler import EventBridgeSchedulerClient

# EventBridge Scheduler retries a failed target invocation this often, within this hour.
RETRIES = 3
MAX_EVENT_AGE_SECONDS = 3600


@dataclass(frozen=True)
class ScheduledTarget:
    """What a schedule invokes: a function, as a role, with a fixed JSON input."""

    arn: str
    role_arn: str
    input: str


@dataclass(frozen=True)
class SchedulerSchedule:
    """One EventBridge Scheduler schedule, as AgentFlow deploys it."""

    name: str
    group: str
    expression: str
    timezone: str
    enabled: bool
    target: ScheduledTarget
    description: str


class Scheduler:
    """Creates, replaces and deletes schedules (the typed EventBridge Scheduler client)."""

    @property
    def scheduler(self) -> EventBridgeSchedulerClient:
        return client("scheduler")

    def put(self, schedule: SchedulerSchedule, *, create: bool) -> None:
        """Create the schedule, or replace the one of that name (``create=False``)."""
        deploy = self.scheduler.create_schedule if create else self.scheduler.update_schedule
        deploy(
            Name=schedule.name,
            GroupName=schedule.group,
            ScheduleExpression=schedule.expression,
            ScheduleExpressionTimezone=schedule.timezone,
            State="ENABLED" if schedule.enabled else "DISABLED",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={
                "Arn": schedule.target.arn,
                "RoleArn": schedule.target.role_arn,
                "Input": schedule.target.input,
                "RetryPolicy": {
                    "MaximumRetryAttempts": RETRIES,
                    "MaximumEventAgeInSeconds": MAX_EVENT_AGE_SECONDS,
                },
            },
            Description=schedule.description,
        )

    def delete(self, name: str, group: str) -> None:
        """Delete the schedule (one already gone is fine)."""
        with contextlib.suppress(self.scheduler.exceptions.ResourceNotFoundException):
            self.scheduler.delete_schedule(Name=name, GroupName=group)
