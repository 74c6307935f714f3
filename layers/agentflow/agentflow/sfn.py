"""Step Functions: deploy compiled workflows and run, describe and stop their executions.

The data layer's adapter for Step Functions: the one module that calls it, through the typed client.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from agentflow.aws import client
from agentflow.settings import Settings, get_settings

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient


@dataclass(frozen=True)
class Deployment:
    state_machine_arn: str
    version_arn: str | None


@dataclass(frozen=True)
class SfnExecution:
    status: str  # RUNNING | SUCCEEDED | FAILED | TIMED_OUT | ABORTED | PENDING_REDRIVE
    error: str | None
    cause: str | None
    stop_date: Any


class StateMachines:
    """One state machine per workflow; every update publishes a new version."""

    @property
    def settings(self) -> Settings:
        return get_settings()

    @property
    def sfn(self) -> SFNClient:
        return client("stepfunctions")

    def name_for(self, workflow_id: str) -> str:
        return f"{self.settings.state_machine_prefix}-{workflow_id}"[:80]

    def create(self, workflow_id: str, tenant_id: str, definition: dict[str, Any]) -> Deployment:
        response = self.sfn.create_state_machine(
            name=self.name_for(workflow_id),
            definition=json.dumps(definition, separators=(",", ":")),
            roleArn=self.settings.state_machine_role_arn,
            type="STANDARD",
            publish=True,
            versionDescription="version 1",
            tags=[
                {"key": "agentflow:tenant", "value": tenant_id},
                {"key": "agentflow:workflow", "value": workflow_id},
            ],
        )
        return Deployment(response["stateMachineArn"], response.get("stateMachineVersionArn"))

    def update(self, state_machine_arn: str, definition: dict[str, Any], version: int) -> Deployment:
        response = self.sfn.update_state_machine(
            stateMachineArn=state_machine_arn,
            definition=json.dumps(definition, separators=(",", ":")),
            publish=True,
            versionDescription=f"version {version}",
        )
        return Deployment(state_machine_arn, response.get("stateMachineVersionArn"))

    def delete(self, state_machine_arn: str) -> None:
        """Delete the state machine (one already gone is fine)."""
        with contextlib.suppress(self.sfn.exceptions.StateMachineDoesNotExist):
            self.sfn.delete_state_machine(stateMachineArn=state_machine_arn)

    def start_once(self, state_machine_arn: str, name: str, payload: dict[str, Any]) -> bool:
        """Start an execution called ``name``; False when one of that name already ran or runs."""
        try:
            self.sfn.start_execution(stateMachineArn=state_machine_arn, name=name, input=json.dumps(payload))
        except self.sfn.exceptions.ExecutionAlreadyExists:
            return False
        return True

    def start(self, deployment: Deployment, execution_id: str, payload: dict[str, Any]) -> str:
        """Start an execution named after ``execution_id`` (names are unique: a repeat starts nothing)."""
        target = deployment.state_machine_arn
        if self.settings.start_published_version and deployment.version_arn:
            target = deployment.version_arn
        try:
            response = self.sfn.start_execution(
                stateMachineArn=target, name=execution_id, input=json.dumps(payload)
            )
        except self.sfn.exceptions.ExecutionAlreadyExists:
            return self.execution_arn(deployment.state_machine_arn, execution_id)
        return str(response["executionArn"])

    @staticmethod
    def execution_arn(state_machine_arn: str, execution_id: str) -> str:
        prefix, name = state_machine_arn.split(":stateMachine:", 1)
        return f"{prefix}:execution:{name.split(':')[0]}:{execution_id}"

    def describe(self, execution_arn: str) -> SfnExecution | None:
        """The execution's status; None when Step Functions has no such execution (yet)."""
        try:
            response = self.sfn.describe_execution(executionArn=execution_arn)
        except self.sfn.exceptions.ExecutionDoesNotExist:
            return None
        return SfnExecution(
            status=response["status"],
            error=response.get("error"),
            cause=response.get("cause"),
            stop_date=response.get("stopDate"),
        )

    def send_task_success(self, task_token: str, output: dict[str, Any]) -> None:
        """Let a ``.waitForTaskToken`` task go on with ``output``."""
        self.sfn.send_task_success(taskToken=task_token, output=json.dumps(output))

    def send_task_failure(self, task_token: str, error: str, cause: str) -> bool:
        """Fail a ``.waitForTaskToken`` task with ``error`` (the name its Catch sees); False when
        the task is already over (finished, timed out, or ended with its execution)."""
        try:
            self.sfn.send_task_failure(taskToken=task_token, error=error, cause=cause[:32768])
        except (
            self.sfn.exceptions.TaskTimedOut,
            self.sfn.exceptions.InvalidToken,
            self.sfn.exceptions.TaskDoesNotExist,
        ):
            return False
        return True

    def stop(self, execution_arn: str) -> None:
        self.sfn.stop_execution(
            executionArn=execution_arn, error="Cancelled", cause="Stopped through the API."
        )


def send_task_success(task_token: str) -> bool:
    """Complete the ``.waitForTaskToken`` task holding ``task_token``; False when it is already over.

    A token whose task finished, timed out or was cancelled with its execution answers
    TaskTimedOut or InvalidToken: for a gate that only means someone else opened it first.
    """
    sfn = client("stepfunctions")
    try:
        sfn.send_task_success(taskToken=task_token, output="{}")
    except (sfn.exceptions.TaskTimedOut, sfn.exceptions.InvalidToken, sfn.exceptions.TaskDoesNotExist):
        return False
    return True
