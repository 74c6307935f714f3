"""Schedules: EventBridge Scheduler schedules whose target starts a workflow through the trigger function."""

from __future__ import annotations

import json
from datetime import datetime

from agentflow.clock import isoformat, utcnow
from agentflow.errors import InvalidInputError
from agentflow.ids import new_schedule_id
from agentflow.models import Schedule, ScheduleCreate, SchedulePatch
from agentflow.schedule_expressions import (
    ScheduleExpressionError,
    check_timezone,
    next_fire,
    parse_expression,
    validate_new,
)
from agentflow.settings import get_settings
from agentflow.store.scheduler import ScheduledTarget, Scheduler, SchedulerSchedule
from agentflow.store.schedules import ScheduleRecord, ScheduleRepository
from agentflow.store.workflows import WorkflowRepository

# EventBridge Scheduler fills this in with the time the delivery was scheduled for.
SCHEDULED_TIME = "<aws.scheduler.scheduled-time>"


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def checked(expression: str, timezone: str, now: datetime) -> None:
    """422 naming the expression or timezone when EventBridge Scheduler would refuse it."""
    try:
        check_timezone(timezone)
        validate_new(parse_expression(expression), timezone, now)
    except ScheduleExpressionError as error:
        raise InvalidInputError(str(error)) from None


def next_run_at(record: ScheduleRecord, now: datetime) -> str | None:
    if not record.enabled:
        return None
    expression = parse_expression(record.expression)
    moment = next_fire(expression, record.timezone, now, anchor=_moment(record.anchor))
    return isoformat(moment) if moment else None


def to_schedule(record: ScheduleRecord, now: datetime | None = None) -> Schedule:
    return Schedule(
        id=record.id,
        workflow_id=record.workflow_id,
        expression=record.expression,
        timezone=record.timezone,
        input=record.input,
        enabled=record.enabled,
        next_run_at=next_run_at(record, now or utcnow()),
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


class ScheduleService:
    def __init__(
        self, workflows: WorkflowRepository | None = None, schedules: ScheduleRepository | None = None
    ) -> None:
        self.workflows = workflows or WorkflowRepository()
        self.schedules = schedules or ScheduleRepository()

    @property
    def scheduler(self) -> Scheduler:
        return Scheduler()

    def _target(self, record: ScheduleRecord) -> ScheduledTarget:
        settings = get_settings()
        payload = {
            "tenant_id": record.tenant_id,
            "workflow_id": record.workflow_id,
            "schedule_id": record.id,
            "scheduled_time": SCHEDULED_TIME,
        }
        return ScheduledTarget(
            arn=settings.trigger_function_arn, role_arn=settings.scheduler_role_arn, input=json.dumps(payload)
        )

    def _deploy(self, record: ScheduleRecord, create: bool) -> None:
        schedule = SchedulerSchedule(
            name=record.scheduler_name,
            group=get_settings().schedule_group,
            expression=record.expression,
            timezone=record.timezone,
            enabled=record.enabled,
            target=self._target(record),
            description=f"AgentFlow workflow {record.workflow_id}",
        )
        self.scheduler.put(schedule, create=create)

    def create(self, tenant_id: str, workflow_id: str, request: ScheduleCreate) -> Schedule:
        self.workflows.get(tenant_id, workflow_id)
        now = utcnow()
        checked(request.expression, request.timezone, now)
        schedule_id = new_schedule_id()
        record = ScheduleRecord(
            tenant_id=tenant_id,
            id=schedule_id,
            workflow_id=workflow_id,
            expression=request.expression,
            timezone=request.timezone,
            input=request.input,
            enabled=request.enabled,
            created_at=isoformat(now),
            updated_at=isoformat(now),
            anchor=isoformat(now),
            scheduler_name=f"{get_settings().state_machine_prefix}-{schedule_id}"[:64],
        )
        self._deploy(record, create=True)
        try:
            self.schedules.put(record)
        except Exception:
            self._remove(record)  # nothing half-written: no live schedule without its record
            raise
        return to_schedule(record, now)

    def list(self, tenant_id: str, workflow_id: str) -> list[Schedule]:
        self.workflows.get(tenant_id, workflow_id)
        now = utcnow()
        return [to_schedule(record, now) for record in self.schedules.list(tenant_id, workflow_id)]

    def get(self, tenant_id: str, workflow_id: str, schedule_id: str) -> Schedule:
        self.workflows.get(tenant_id, workflow_id)
        return to_schedule(self.schedules.get(tenant_id, workflow_id, schedule_id))

    def update(self, tenant_id: str, workflow_id: str, schedule_id: str, patch: SchedulePatch) -> Schedule:
        self.workflows.get(tenant_id, workflow_id)
        record = self.schedules.get(tenant_id, workflow_id, schedule_id)
        now = utcnow()
        changes = {name: getattr(patch, name) for name in patch.model_fields_set}
        if changes.get("expression") is None:
            changes.pop("expression", None)
        if changes.get("timezone") is None:
            changes.pop("timezone", None)
        if changes.get("enabled") is None:
            changes.pop("enabled", None)
        updated = record.model_copy(update={**changes, "updated_at": isoformat(now)})
        if updated.enabled and (not record.enabled or "expression" in changes):
            updated.anchor = isoformat(now)  # a rate() counts from when it was (re)enabled or changed
        checked(updated.expression, updated.timezone, now)
        self._deploy(updated, create=False)
        self.schedules.put(updated)
        return to_schedule(updated, now)

    def _remove(self, record: ScheduleRecord) -> None:
        self.scheduler.delete(record.scheduler_name, get_settings().schedule_group)

    def delete(self, tenant_id: str, workflow_id: str, schedule_id: str) -> None:
        self.workflows.get(tenant_id, workflow_id)
        record = self.schedules.get(tenant_id, workflow_id, schedule_id)
        self._remove(record)
        self.schedules.delete(tenant_id, workflow_id, schedule_id)

    def delete_all(self, tenant_id: str, workflow_id: str) -> None:
        """Remove every schedule of a workflow (it is being deleted)."""
        for record in self.schedules.list(tenant_id, workflow_id):
            self._remove(record)
            self.schedules.delete(tenant_id, workflow_id, record.id)
