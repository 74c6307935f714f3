"""Starting workflows from outside the API: EventBridge Scheduler deliveries."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from agentflow.errors import NotFoundError
from agentflow.execution_log import ExecutionLog
from agentflow.ids import derived_execution_id
from agentflow.models import StartExecutionRequest, Trigger, TriggerChain
from agentflow.observability import logger
from agentflow.services.executions import ExecutionService
from agentflow.store.event_triggers import EventTriggerRepository
from agentflow.store.schedules import ScheduleRepository

# How many event-triggered runs may follow one another from one run that was not event-triggered.
MAX_CHAIN_DEPTH = 5


class ScheduledDelivery(BaseModel):
    """What a schedule's target receives (the scheduled time filled in by EventBridge Scheduler)."""

    tenant_id: str
    workflow_id: str
    schedule_id: str
    scheduled_time: str


def event_time(value: Any) -> datetime:
    """An event's time: ISO-8601 from EventBridge (epoch seconds from some emulators)."""
    if isinstance(value, int | float) or (isinstance(value, str) and value.replace(".", "", 1).isdigit()):
        return datetime.fromtimestamp(float(value), UTC)
    return datetime.fromisoformat(str(value or "1970-01-01T00:00:00Z").replace("Z", "+00:00"))


class EventDelivery(BaseModel):
    """What an event trigger's rule delivers: the matched event, with whose trigger it is."""

    tenant_id: str
    workflow_id: str
    event_trigger_id: str
    event: dict[str, Any]


class TriggerService:
    def __init__(
        self,
        executions: ExecutionService | None = None,
        schedules: ScheduleRepository | None = None,
        event_triggers: EventTriggerRepository | None = None,
    ) -> None:
        self.executions = executions or ExecutionService()
        self.schedules = schedules or ScheduleRepository()
        self.event_triggers = event_triggers or EventTriggerRepository()

    def fire_event(self, delivery: EventDelivery) -> dict[str, Any]:
        """Start the trigger's workflow with the event as input, once per event id."""
        try:
            trigger = self.event_triggers.get(
                delivery.tenant_id, delivery.workflow_id, delivery.event_trigger_id
            )
        except NotFoundError:
            return {"started": False, "reason": "event trigger deleted"}
        # The rule's pattern pins the tenant; checking again costs nothing and guards a stray delivery.
        if not trigger.enabled or delivery.event.get("detail", {}).get("tenant_id") != delivery.tenant_id:
            return {"started": False, "reason": "not for this trigger"}
        event_id = str(delivery.event.get("id") or "")
        chain = self._chain(delivery)
        if chain is not None and chain.depth > MAX_CHAIN_DEPTH:
            return {"started": False, "reason": "trigger chain too deep"}
        moment = event_time(delivery.event.get("time"))
        execution, created = self.executions.start(
            delivery.tenant_id,
            StartExecutionRequest(workflow_id=delivery.workflow_id, input=delivery.event),
            trigger=Trigger(type="event", event_trigger_id=trigger.id, event_id=event_id, chain=chain),
            execution_id=derived_execution_id(int(moment.timestamp() * 1000), f"{trigger.id}:{event_id}"),
        )
        return {"execution_id": execution.id, "started": created}

    def _chain(self, delivery: EventDelivery) -> TriggerChain | None:
        """Where the chain of the run that sent the event began, one step deeper; None for other events.

        A start that would go deeper than :data:`MAX_CHAIN_DEPTH` is logged on the sending run.
        """
        source_id = delivery.event.get("detail", {}).get("execution_id")
        if not isinstance(source_id, str):
            return None
        try:
            source = self.executions.executions.get(delivery.tenant_id, source_id)
        except NotFoundError:
            return None
        parent = source.trigger.chain
        chain = (
            TriggerChain(root_execution_id=parent.root_execution_id, depth=parent.depth + 1)
            if parent is not None
            else TriggerChain(root_execution_id=source.id, depth=1)
        )
        if chain.depth > MAX_CHAIN_DEPTH:
            log = ExecutionLog(delivery.tenant_id, source.id, source.workflow_id, component="trigger")
            log.warning(
                f"Event trigger {delivery.event_trigger_id} did not start workflow {delivery.workflow_id}: "
                f"the chain from {chain.root_execution_id} would be {chain.depth} runs deep "
                f"(at most {MAX_CHAIN_DEPTH})"
            )
            log.flush()
        return chain

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
