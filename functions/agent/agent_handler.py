"""Entry point of every agent Lambda; AGENT_TYPE (from template.yaml) names the agent it runs."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from agentflow.observability import logger
from agentflow.services import gates
from agentflow.services.agent_runner import AgentRunner, AgentTask
from agentflow.tracing import capture_lambda_handler


@cache
def runner() -> AgentRunner:
    return AgentRunner()


@logger.inject_lambda_context(clear_state=True)
@capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "gate" in event:
        # A start gate of this node (see agentflow.services.gates), not the node's run.
        gate = gates.GateTask.model_validate(event)
        logger.append_keys(
            execution_id=gate.execution_id, workflow_id=gate.workflow_id, agent_id=gate.node_id
        )
        return gates.hold(gate)
    if "fan_out" in event:
        # A step of a for_each node (see agentflow.services.fanout): plan, one batch, or merge. Only
        # for_each nodes take this path, so the other nodes' cold starts do not load it.
        from agentflow.services import fanout

        step = fanout.FanOutTask.model_validate(event)
        logger.append_keys(
            execution_id=step.execution_id, workflow_id=step.workflow_id, agent_id=step.node_id
        )
        return fanout.handle(runner(), step)
    task = AgentTask.model_validate(event)
    logger.append_keys(execution_id=task.execution_id, workflow_id=task.workflow_id, agent_id=task.node_id)
    return runner().run(task)
