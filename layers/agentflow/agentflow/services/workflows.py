"""Register, read, change and delete workflows; each is compiled to its own state machine."""

from __future__ import annotations

from typing import Any

from agentflow.compiler import compile_workflow
from agentflow.dag import validate_workflow
from agentflow.errors import ConflictError
from agentflow.ids import new_workflow_id
from agentflow.models import (
    Workflow,
    WorkflowDefinition,
    WorkflowUpdate,
    WorkflowVersion,
    isoformat,
    utcnow,
)
from agentflow.registry import REGISTRY, AgentRegistry
from agentflow.services.event_triggers import EventTriggerService
from agentflow.services.schedules import ScheduleService
from agentflow.services.webhooks import WebhookService
from agentflow.settings import get_settings
from agentflow.sfn import StateMachines
from agentflow.store.workflows import StoredWorkflow, WorkflowRepository


def compile_for_stack(definition: WorkflowDefinition) -> dict[str, Any]:
    """The ASL of ``definition`` for this stack's agent functions and finalizer."""
    settings = get_settings()
    return compile_workflow(
        definition,
        agent_functions=settings.agent_function_map(),
        finalizer_arn=settings.finalizer_function_arn,
        task_timeout_seconds=settings.task_timeout_seconds,
        execution_timeout_seconds=settings.execution_timeout_seconds,
        retry_interval_seconds=settings.retry_interval_seconds,
        retry_max_attempts=settings.retry_max_attempts,
        fan_out_map=settings.fan_out_map,
    )


class WorkflowService:
    def __init__(
        self,
        repository: WorkflowRepository | None = None,
        machines: StateMachines | None = None,
        registry: AgentRegistry = REGISTRY,
    ) -> None:
        self.repository = repository or WorkflowRepository()
        self.machines = machines or StateMachines()
        self.registry = registry

    def create(self, tenant_id: str, definition: WorkflowDefinition) -> Workflow:
        """Validate, compile, deploy and store a new workflow (version 1)."""
        order = validate_workflow(definition, self.registry)
        asl = compile_for_stack(definition)
        now = isoformat(utcnow())
        workflow = Workflow(
            **definition.model_dump(),
            id=new_workflow_id(),
            version=1,
            created_at=now,
            updated_at=now,
            execution_order=order,
        )
        deployment = self.machines.create(workflow.id, tenant_id, asl)
        stored = StoredWorkflow(
            workflow=workflow,
            state_machine_arn=deployment.state_machine_arn,
            state_machine_version_arn=deployment.version_arn,
        )
        try:
            self.repository.create(tenant_id, stored)
        except Exception:
            # Nothing half-written: a state machine without its record would be an orphan.
            self.machines.delete(deployment.state_machine_arn)
            raise
        return workflow

    def update(self, tenant_id: str, workflow_id: str, update: WorkflowUpdate) -> Workflow:
        """Store ``update`` as the next version if the caller read the current one (else 409)."""
        current = self.repository.get(tenant_id, workflow_id)
        if current.workflow.version != update.version:
            raise ConflictError(
                f"Workflow '{workflow_id}' is at version {current.workflow.version}, not {update.version}; "
                "read it again and retry with its current version."
            )
        definition = WorkflowDefinition.model_validate(update.model_dump(exclude={"version"}))
        order = validate_workflow(definition, self.registry)
        asl = compile_for_stack(definition)
        workflow = Workflow(
            **definition.model_dump(),
            id=workflow_id,
            version=update.version + 1,
            created_at=current.workflow.created_at,
            updated_at=isoformat(utcnow()),
            execution_order=order,
        )
        deployment = self.machines.update(current.state_machine_arn, asl, workflow.version)
        self.repository.update(
            tenant_id,
            StoredWorkflow(
                workflow=workflow,
                state_machine_arn=current.state_machine_arn,
                state_machine_version_arn=deployment.version_arn,
            ),
            expected_version=update.version,
        )
        return workflow

    def get(self, tenant_id: str, workflow_id: str) -> Workflow:
        return self.repository.get(tenant_id, workflow_id).workflow

    def versions(self, tenant_id: str, workflow_id: str) -> list[WorkflowVersion]:
        """The workflow's versions, newest first; each was created when it was saved."""
        return [
            WorkflowVersion(version=stored.version, created_at=stored.updated_at, name=stored.name)
            for stored in self.repository.versions(tenant_id, workflow_id)
        ]

    def version(self, tenant_id: str, workflow_id: str, version: int) -> Workflow:
        """The workflow as it was at ``version`` (404 for a version it never had)."""
        return self.repository.get_version(tenant_id, workflow_id, version).workflow

    def list(self, tenant_id: str, limit: int, next_token: str | None) -> tuple[list[Workflow], str | None]:
        return self.repository.list(tenant_id, limit, next_token)

    def delete(self, tenant_id: str, workflow_id: str) -> None:
        """Delete the workflow, its versions, schedules, triggers, documents and state machine."""
        from agentflow.services.documents import DocumentService

        stored = self.repository.get(tenant_id, workflow_id)
        DocumentService(workflows=self.repository).delete_for_workflow(tenant_id, workflow_id)
        ScheduleService(workflows=self.repository).delete_all(tenant_id, workflow_id)
        WebhookService(workflows=self.repository).remove(tenant_id, workflow_id)
        EventTriggerService(workflows=self.repository).delete_all(tenant_id, workflow_id)
        self.repository.delete(tenant_id, workflow_id)
        self.machines.delete(stored.state_machine_arn)  # already gone is as good as deleted
