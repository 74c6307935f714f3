"""Event triggers: an EventBridge rule over AgentFlow's own events starts a workflow.

A tenant may only react to its own AgentFlow events: every rule's pattern is pinned to
``source: agentflow`` and to the tenant's id, whatever the caller's pattern says about them.
AgentFlow publishes "AgentFlow Execution Status Change" events when executions end, so one
workflow can start when another completes, and "AgentFlow Document Status Change" events when a
document is ready or failed, so a workflow can start when new knowledge arrives.
"""

from __future__ import annotations

import json
from typing import Any

from agentflow.clock import isoformat, utcnow
from agentflow.errors import InvalidInputError
from agentflow.ids import new_event_trigger_id
from agentflow.models import EventTrigger, EventTriggerCreate
from agentflow.settings import get_settings
from agentflow.store.event_triggers import EventTriggerRecord, EventTriggerRepository
from agentflow.store.events import EventRules, InvalidPatternError, put_event
from agentflow.store.workflows import WorkflowRepository

EVENT_SOURCE = "agentflow"
EXECUTION_STATUS_CHANGE = "AgentFlow Execution Status Change"
DOCUMENT_STATUS_CHANGE = "AgentFlow Document Status Change"


def scoped_pattern(pattern: dict[str, Any], tenant_id: str) -> dict[str, Any]:
    """``pattern`` limited to the tenant's own AgentFlow events."""
    detail = pattern.get("detail", {})
    if not isinstance(detail, dict):
        raise InvalidInputError("event_pattern.detail must be an object of field patterns.")
    return {**pattern, "source": [EVENT_SOURCE], "detail": {**detail, "tenant_id": [tenant_id]}}


def _may_match(patterns: Any, value: str) -> bool:
    """Whether an EventBridge field pattern (absent, or a list of values and matchers) may match ``value``.

    Matchers it does not model are taken to match: a refusal errs on the side of no loop.
    """
    if patterns is None:
        return True
    if not isinstance(patterns, list):
        return True
    for pattern in patterns:
        if isinstance(pattern, str) and pattern == value:
            return True
        if isinstance(pattern, dict):
            if "prefix" in pattern:
                if isinstance(pattern["prefix"], str) and value.startswith(pattern["prefix"]):
                    return True
            elif "anything-but" in pattern:
                excluded = pattern["anything-but"]
                if value not in (excluded if isinstance(excluded, list) else [excluded]):
                    return True
            else:
                return True
    return False


def starts_itself(pattern: dict[str, Any], workflow_id: str) -> bool:
    """Whether a trigger with ``pattern`` on ``workflow_id`` could start it from its own runs' events."""
    detail = pattern.get("detail", {})
    return _may_match(pattern.get("detail-type"), EXECUTION_STATUS_CHANGE) and _may_match(
        detail.get("workflow_id") if isinstance(detail, dict) else None, workflow_id
    )


def to_event_trigger(record: EventTriggerRecord) -> EventTrigger:
    return EventTrigger(
        id=record.id,
        workflow_id=record.workflow_id,
        event_pattern=record.event_pattern,
        enabled=record.enabled,
        created_at=record.created_at,
    )


def publish(detail_type: str, detail: dict[str, Any]) -> None:
    """Put one AgentFlow event on the default bus (what event triggers listen to).

    A failure raises :class:`~agentflow.errors.AwsServiceError`.
    """
    put_event(EVENT_SOURCE, detail_type, detail)


def publish_execution_status(tenant_id: str, execution_id: str, workflow_id: str, status: str) -> None:
    """Announce an ended execution."""
    detail = {
        "tenant_id": tenant_id,
        "execution_id": execution_id,
        "workflow_id": workflow_id,
        "status": status,
    }
    publish(EXECUTION_STATUS_CHANGE, detail)


class EventTriggerService:
    def __init__(
        self, workflows: WorkflowRepository | None = None, triggers: EventTriggerRepository | None = None
    ) -> None:
        self.workflows = workflows or WorkflowRepository()
        self.triggers = triggers or EventTriggerRepository()

    @property
    def rules(self) -> EventRules:
        return EventRules()

    def create(self, tenant_id: str, workflow_id: str, request: EventTriggerCreate) -> EventTrigger:
        self.workflows.get(tenant_id, workflow_id)
        if starts_itself(request.event_pattern, workflow_id):
            raise InvalidInputError(
                f"event_pattern would start workflow {workflow_id} from its own executions' events, "
                'a loop; narrow it, e.g. "detail": {"workflow_id": ["<another workflow id>"]}.'
            )
        trigger_id = new_event_trigger_id()
        record = EventTriggerRecord(
            tenant_id=tenant_id,
            id=trigger_id,
            workflow_id=workflow_id,
            event_pattern=scoped_pattern(request.event_pattern, tenant_id),
            enabled=request.enabled,
            created_at=isoformat(utcnow()),
            rule_name=f"{get_settings().state_machine_prefix}-{trigger_id}"[:64],
        )
        target_input = json.dumps(
            {
                "tenant_id": tenant_id,
                "workflow_id": workflow_id,
                "event_trigger_id": trigger_id,
                "event": "EVENT",
            }
        ).replace('"EVENT"', "<aws.events.event.json>")
        try:
            self.rules.put(
                record.rule_name,
                record.event_pattern,
                enabled=record.enabled,
                description=f"Starts AgentFlow workflow {workflow_id}",
                target_arn=get_settings().trigger_function_arn,
                input_template=target_input,
            )
        except InvalidPatternError as error:
            raise InvalidInputError(f"event_pattern is not a valid EventBridge pattern: {error}") from None
        self.triggers.put(record)
        return to_event_trigger(record)

    def list(self, tenant_id: str, workflow_id: str) -> list[EventTrigger]:
        self.workflows.get(tenant_id, workflow_id)
        return [to_event_trigger(record) for record in self.triggers.list(tenant_id, workflow_id)]

    def _remove(self, record: EventTriggerRecord) -> None:
        self.rules.delete(record.rule_name)

    def delete(self, tenant_id: str, workflow_id: str, trigger_id: str) -> None:
        self.workflows.get(tenant_id, workflow_id)
        record = self.triggers.get(tenant_id, workflow_id, trigger_id)
        self._remove(record)
        self.triggers.delete(tenant_id, workflow_id, trigger_id)

    def delete_all(self, tenant_id: str, workflow_id: str) -> None:
        for record in self.triggers.list(tenant_id, workflow_id):
            self._remove(record)
            self.triggers.delete(tenant_id, workflow_id, record.id)
