"""EventBridge: AgentFlow's events on the default bus, and the rules that start workflows on events."""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from agentflow.aws import client
from agentflow.errors import AwsServiceError, InvalidInputError

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient

TARGET_ID = "trigger"


class InvalidPatternError(InvalidInputError):
    """EventBridge refused an event pattern (its message says why)."""


def events() -> EventBridgeClient:
    return client("events")


def put_event(source: str, detail_type: str, detail: dict[str, Any]) -> None:
    """Put one event on the default bus; a failure raises :class:`AwsServiceError`."""
    try:
        events().put_events(
            Entries=[{"Source": source, "DetailType": detail_type, "Detail": json.dumps(detail)}]
        )
    except (BotoCoreError, ClientError) as error:
        raise AwsServiceError(f"EventBridge did not take the {detail_type} event ({error})") from error


class EventRules:
    """Rules on the default bus, each with one target (the trigger function) fed a fixed template."""

    def put(
        self,
        name: str,
        pattern: dict[str, Any],
        *,
        enabled: bool,
        description: str,
        target_arn: str,
        input_template: str,
    ) -> None:
        """Create or replace rule ``name`` and its target; a pattern EventBridge refuses raises
        :class:`InvalidPatternError` before anything is created."""
        try:
            events().put_rule(
                Name=name,
                EventPattern=json.dumps(pattern),
                State="ENABLED" if enabled else "DISABLED",
                Description=description,
            )
        except events().exceptions.InvalidEventPatternException as error:
            raise InvalidPatternError(str(error)) from None
        events().put_targets(
            Rule=name,
            Targets=[
                {
                    "Id": TARGET_ID,
                    "Arn": target_arn,
                    "InputTransformer": {"InputPathsMap": {}, "InputTemplate": input_template},
                }
            ],
        )

    def delete(self, name: str) -> None:
        """Remove rule ``name`` and its target (one already gone is fine)."""
        with contextlib.suppress(events().exceptions.ResourceNotFoundException):
            events().remove_targets(Rule=name, Ids=[TARGET_ID])
            events().delete_rule(Name=name)
