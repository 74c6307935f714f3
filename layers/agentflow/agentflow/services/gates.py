"""Start gates: exact scheduling of the parts of a DAG that are not series-parallel.

The compiler runs such a part as one Parallel with a branch per chain of nodes. A node that must
wait for parents in other branches starts behind a ``.waitForTaskToken`` gate state, which invokes
its own agent function with a :class:`GateTask` (that call also warms the function the node runs
on). The gate is opened by whichever comes last:

- the gate call, which stores the token and then finds every parent already completed;
- the last parent, whose run (once its completed result is stored) finds the token stored and
  every other parent completed.

Both write first and read after, with consistent reads, so at least one of them sees both facts;
a conditional claim on the gate item lets exactly one of them send SendTaskSuccess.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field, model_validator

from agentflow.observability import logger
from agentflow.sfn import send_task_success
from agentflow.store.gates import GateRepository


class NodeEvent(BaseModel):
    """What the state machine sends about one node of one execution.

    Compiled states send ``{"execution": <the execution input>, "node_id": ...}`` (one path
    instead of four keeps a 1,000-node machine inside the 1 MB quota); the ids may also come flat.
    The execution input also names the attempt (its Step Functions execution name), which agents
    of a superseded attempt use to stop.
    """

    tenant_id: str
    execution_id: str
    workflow_id: str
    workflow_version: int
    node_id: str

    @model_validator(mode="before")
    @classmethod
    def _flatten_execution(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("execution"), dict):
            ids = ("tenant_id", "execution_id", "workflow_id", "workflow_version", "attempt")
            execution = data["execution"]
            data = {key: value for key, value in data.items() if key != "execution"}
            data |= {key: execution[key] for key in ids if key in execution}
        return data


class Gate(BaseModel):
    """The gate part of a gate call: its token and the parents the node waits for."""

    task_token: str = Field(min_length=1)
    parents: list[str] = Field(min_length=1)


class GateTask(NodeEvent):
    """What a gate state sends the node's agent function."""

    gate: Gate


def hold(task: GateTask, gates: GateRepository | None = None) -> dict[str, str]:
    """Store the gate's token; open the gate at once when every parent has already completed."""
    gates = gates or GateRepository()
    gates.store_token(task.tenant_id, task.execution_id, task.node_id, task.gate.task_token)
    opened = _open_if_ready(gates, task.tenant_id, task.execution_id, task.node_id, task.gate.parents)
    return {"node_id": task.node_id, "gate": "opened" if opened else "waiting"}


def release(
    tenant_id: str,
    execution_id: str,
    children: Mapping[str, Sequence[str]],
    gates: GateRepository | None = None,
) -> list[str]:
    """After a node completed: open the gate of each child ({child: parents}) whose parents are all done.

    Returns the children this call opened.
    """
    if not children:
        return []
    gates = gates or GateRepository()
    return [
        child
        for child, parents in children.items()
        if _open_if_ready(gates, tenant_id, execution_id, child, parents)
    ]


def _open_if_ready(
    gates: GateRepository, tenant_id: str, execution_id: str, node_id: str, parents: Sequence[str]
) -> bool:
    state = gates.state(tenant_id, execution_id, node_id, parents)
    if not state.parents_completed or state.task_token is None:
        return False
    if not gates.claim(tenant_id, execution_id, node_id, state.task_token):
        return False
    opened = send_task_success(state.task_token)
    logger.info("Gate opened" if opened else "Gate already closed", extra={"node_id": node_id})
    return opened
