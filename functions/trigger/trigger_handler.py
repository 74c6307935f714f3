"""Entry point of schedule deliveries (EventBridge Scheduler) and event-trigger deliveries (rules)."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from agentflow.observability import logger
from agentflow.services.triggers import EventDelivery, ScheduledDelivery, TriggerService
from agentflow.tracing import capture_lambda_handler


@cache
def service() -> TriggerService:
    return TriggerService()


@logger.inject_lambda_context(clear_state=True)
@capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "event_trigger_id" in event:
        from_rule = EventDelivery.model_validate(event)
        logger.append_keys(event_trigger_id=from_rule.event_trigger_id, workflow_id=from_rule.workflow_id)
        return service().fire_event(from_rule)
    delivery = ScheduledDelivery.model_validate(event)
    logger.append_keys(schedule_id=delivery.schedule_id, workflow_id=delivery.workflow_id)
    return service().fire(delivery)
