"""Starting workflows from outside the API: EventBridge Scheduler deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from agentflow.errors import NotFoundError
from agentflow.ids import derived_execution_id
from agentflow.models import StartExecutionRequest, Trigger
from agentflow.observability import logger
from agentflow.services.executions import ExecutionService
from agentflow.store.schedules import ScheduleRepository


class ScheduledDelivery(BaseModel):
    """What a schedule's target receives (the scheduled time filled in by EventBridge Scheduler)."""

    tenant_id: str
    workflow_id: str
    schedule_id: str
    scheduled_time: str


class TriggerService:
    def __init__(
        self, executions: ExecutionService | None = None, schedules: ScheduleRepository | None = None
    ) -> None:
        self.executions = executions or ExecutionService()
        self.schedules = schedules or ScheduleRepository()

    def fire(self, delivery: ScheduledDelivery) -> dict[str, Any]:
        """Start the schedule's workflow once per scheduled time, however often it is delivered."""
        try:
            schedule = self.schedules.get(delivery.tenant_id, delivery.workflow_id, delivery.schedule_id)
        except NotFoundError:
            logger.info("Delivery for a deleted schedule; nothing started", extra=delivery.model_dump())
            return {"started": False, "reason": "schedule deleted"}
        if not schedule.enabled:
            return {"started": False, "reason": "schedule paused"}
        moment = datetime.fromisoformat(delivery.scheduled_time.replace("Z", "+00:00"))
        execution, created = self.executions.start(
            delivery.tenant_id,
            StartExecutionRequest(workflow_id=delivery.workflow_id, input=schedule.input),
            trigger=Trigger(type="schedule", schedule_id=schedule.id, scheduled_time=delivery.scheduled_time),
            execution_id=derived_execution_id(int(moment.timestamp() * 1000), schedule.id),
        )
        return {"execution_id": execution.id, "started": created}
