"""Compile a workflow DAG into an Amazon States Language (ASL) state machine.

The graph becomes nested sequences and Parallel states: series-parallel structure maps onto them
exactly. A part that is not series-parallel (an N shape, say) cannot: Parallel branches cannot wait
on each other in ASL. Such a part runs as one Parallel with a branch per chain of nodes, and a node
whose parents lie in other branches starts behind a start gate (a ``.waitForTaskToken`` state)
that the last of its parents to finish opens (:mod:`agentflow.services.gates`). Either way a node
starts when its own parents have finished, and waits for nothing else. The output is classic
JSONPath ASL (no JSONata, no variables) because that is all moto's interpreter runs.

Agents exchange data by reference through the results store, so every state passes the execution
input through unchanged (``ResultPath: null``) and fan-in needs no data plumbing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from agentflow.dag import topological_order
from agentflow.errors import InvalidInputError
from agentflow.models import AgentNode, WorkflowDefinition

MAX_DEFINITION_BYTES = 1_048_576
MAX_STATE_NAME_LENGTH = 80
# Beyond this many nested Parallels a part is compiled with start gates instead: still exact, and
# it keeps the recursion that builds (and later serialises) the machine far from Python's
# recursion limit on adversarial graphs.
MAX_PARALLEL_NESTING = 40

# Node ids cannot contain a dot, so these names never collide with a node's state.
RECORD_FAILURE = "agentflow.record_failure"
FAILED = "agentflow.failed"
FINALIZE = "agentflow.finalize"
SUCCEEDED = "agentflow.succeeded"
PARALLEL_PREFIX = "parallel."
GATE_PREFIX = "gate."
# The states of a for_each node, inside the Parallel named by the node id.
PLAN_PREFIX = "plan."
BATCHES_PREFIX = "batches."
BATCH_PREFIX = "batch."
MERGE_PREFIX = "merge."
# An Inline Map runs at most 40 iterations at a time (a Step Functions quota): a for_each node
# asking for more concurrency compiles to a Distributed Map, which also keeps its iterations out
# of the execution's 25,000-event history.
INLINE_MAP_MAX_CONCURRENCY = 40
S3_GET_OBJECT = "arn:aws:states:::s3:getObject"

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
LAMBDA_INVOKE_WAIT = "arn:aws:states:::lambda:invoke.waitForTaskToken"
APPROVAL_TYPE = "approval"
BUDGET_GATE_PREFIX = "budget."
RELEASE_PREFIX = "release."
# Matches agentflow.errors.BudgetPauseError: the node goes to its budget gate, then runs again.
BUDGET_PAUSE_ERROR = "BudgetPauseError"
# The sweep expires approvals on time; the task's own timeout is only the backstop if it did not.
APPROVAL_TIMEOUT_GRACE_SECONDS = 600
BUDGET_DECISION_SECONDS = 86400
LAMBDA_SERVICE_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]
# Matches the errorType of agentflow.errors.TransientAgentError raised inside an agent Lambda.
TRANSIENT_AGENT_ERROR = "TransientAgentError"


def compile_workflow(
    definition: WorkflowDefinition,
    *,
    agent_functions: Mapping[str, str],
    finalizer_arn: str,
    task_timeout_seconds: int = 300,
    execution_timeout_seconds: int = 3600,
    retry_interval_seconds: int = 2,
    retry_max_attempts: int = 3,
    fan_out_map: Literal["auto", "inline", "distributed"] = "auto",
) -> dict[str, Any]:
    """Compile a validated workflow definition into an ASL state machine definition.

    One Task per node, named by the node id; independent nodes run in Parallel branches. Any
    failure is recorded by the finalizer (``agentflow.record_failure``) before the machine fails;
    success runs ``agentflow.finalize``. The machine's input (tenant, execution and workflow ids,
    workflow version) reaches every state unchanged.

    A ``for_each`` node runs as plan → Map over its batches → merge (:func:`fan_out_state`);
    ``fan_out_map`` picks the Map: ``inline``, ``distributed``, or ``auto`` (distributed when the
    node asks for more than 40 batches at a time, which an Inline Map cannot run).

    The definition must already be valid (unique ids, known nodes, no cycles). Raises
    :class:`InvalidInputError` when an agent type has no function in ``agent_functions`` or when
    the result breaks a Step Functions quota (see :func:`check_quotas`).
    """
    missing = [node for node in definition.agents if node.type not in agent_functions]
    if missing:
        raise InvalidInputError(
            f"Node '{missing[0].id}' has agent type '{missing[0].type}', which has no Lambda function.",
            details=[{"node_id": node.id, "type": node.type} for node in missing],
        )

    graph = _Graph(definition)
    planner = _Planner(graph)
    steps = planner.plan(graph.order, depth=0)
    options = _TaskOptions(
        agent_functions=agent_functions,
        task_timeout_seconds=task_timeout_seconds,
        retry_interval_seconds=retry_interval_seconds,
        retry_max_attempts=retry_max_attempts,
        fan_out_map=fan_out_map,
    )

    if definition.budget is not None and APPROVAL_TYPE not in agent_functions:
        raise InvalidInputError("A workflow budget needs the approval agent's function for its gates.")
    budget_gates = definition.budget is not None

    def states_of(index: int) -> NodeStates:
        node = definition.agents[index]
        release = [graph.ids[child] for child in planner.releases[index]]
        waits = [graph.ids[parent] for parent in planner.waits.get(index, [])]
        return node_states(node, options, release=release, waits=waits, budget_gate=budget_gates)

    def render(sequence: list[_Step], states: dict[str, Any], *, top_level: bool) -> str:
        """Chain ``sequence`` into ``states``; return the name of its first state."""
        chained: list[tuple[str, dict[str, Any]]] = []
        for step in sequence:
            if isinstance(step, int):
                own = states_of(step)
                chained += own.chain
                for name, side in own.sides:
                    if top_level:
                        side["Catch"] = _catch_all()
                    states[name] = side
                continue
            branches = []
            for branch in step.branches:
                branch_states: dict[str, Any] = {}
                start = render(branch, branch_states, top_level=False)
                branches.append({"StartAt": start, "States": branch_states})
            chained.append((step.name, {"Type": "Parallel", "Branches": branches, "ResultPath": None}))
        for position, (name, state) in enumerate(chained):
            # Inside a branch an error propagates to the top-level Parallel, which cancels the
            # sibling branches before its own Catch records the failure.
            if top_level:
                state["Catch"] = [*state.get("Catch", []), *_catch_all()]
            if position + 1 < len(chained):
                state["Next"] = chained[position + 1][0]
            elif top_level:
                state["Next"] = FINALIZE
            else:
                state["End"] = True
            states[name] = state
        return chained[0][0] if chained else FINALIZE

    states: dict[str, Any] = {}
    start_at = render(steps, states, top_level=True)
    states[FINALIZE] = {
        **_finalizer_task(finalizer_arn, {"status": "completed"}),
        "Catch": _catch_all(),
        "Next": SUCCEEDED,
    }
    states[SUCCEEDED] = {"Type": "Succeed"}
    states[RECORD_FAILURE] = {
        **_finalizer_task(finalizer_arn, {"status": "failed", "error.$": "$.error"}),
        "Next": FAILED,
    }
    states[FAILED] = {
        "Type": "Fail",
        "Error": "WorkflowFailed",
        "Cause": "An agent failed; see the execution's error.",
    }
    asl: dict[str, Any] = {
        "Comment": f"AgentFlow workflow: {definition.name}",
        "StartAt": start_at,
        "States": states,
        "TimeoutSeconds": execution_timeout_seconds,
    }
    check_quotas(asl)
    return asl


@dataclass(frozen=True)
class _TaskOptions:
    agent_functions: Mapping[str, str]
    task_timeout_seconds: int
    retry_interval_seconds: int
    retry_max_attempts: int
    fan_out_map: Literal["auto", "inline", "distributed"] = "auto"


class NodeStates(NamedTuple):
    """The states of one node: ``chain`` runs in order (without ``Next``/``End``); ``sides`` stand
    beside the chain and lead back into it (a budget gate returns to its node)."""

    chain: list[tuple[str, dict[str, Any]]]
    sides: list[tuple[str, dict[str, Any]]]


def node_states(
    node: AgentNode,
    options: _TaskOptions,
    *,
    release: list[str],
    waits: list[str],
    budget_gate: bool = False,
) -> NodeStates:
    """The states that run one node.

    The node's Task (named by the node id) invokes its agent function with the execution input
    and its node id; ``release`` names the gated children it may open once done. A node that
    waits for parents in other branches (``waits``) is preceded by its start gate,
    ``gate.<node id>``. Payloads carry the execution input as one path (``execution``) rather
    than its ids: per node that is what keeps 1,000 nodes inside the 1 MB quota.

    An approval node's Task waits for the decision's token; since the decision, not the agent
    run, completes it, a ``release.<node id>`` step after it opens its children's gates. With
    ``budget_gate`` a node that pauses on the budget waits at ``budget.<node id>`` and runs again.
    """
    function = options.agent_functions[node.type]
    payload: dict[str, Any] = {"execution.$": "$", "node_id": node.id}
    chain: list[tuple[str, dict[str, Any]]] = []
    sides: list[tuple[str, dict[str, Any]]] = []
    if waits:
        gate = {
            "Type": "Task",
            "Resource": LAMBDA_INVOKE_WAIT,
            "Parameters": {
                "FunctionName": function,
                "Payload": {**payload, "gate": {"task_token.$": "$$.Task.Token", "parents": list(waits)}},
            },
            "ResultPath": None,
            "Retry": [_lambda_service_retry()],
        }
        chain.append((f"{GATE_PREFIX}{node.id}", gate))
    if node.type == APPROVAL_TYPE:
        chain.append((node.id, _approval_task(node, function, payload)))
        if release:
            opener = _invoke(function, {**payload, "release": list(release)})
            chain.append((f"{RELEASE_PREFIX}{node.id}", opener))
        return NodeStates(chain, sides)
    if release:
        payload["release"] = list(release)
    task = {
        **_invoke(function, payload),
        "TimeoutSeconds": node.timeout_seconds or options.task_timeout_seconds,
        "Retry": [
            _lambda_service_retry(),
            {
                "ErrorEquals": [TRANSIENT_AGENT_ERROR],
                "IntervalSeconds": options.retry_interval_seconds,
                "MaxAttempts": options.retry_max_attempts,
                # BackoffRate: Step Functions' default, 2.
                "MaxDelaySeconds": 60,
                "JitterStrategy": "FULL",
            },
        ],
    }
    if node.for_each is not None:
        task = fan_out_state(node, options, task)
    chain.append((node.id, task))
    if budget_gate:
        name = BUDGET_GATE_PREFIX + node.id
        task["Catch"] = [{"ErrorEquals": [BUDGET_PAUSE_ERROR], "ResultPath": None, "Next": name}]
        sides.append((name, _budget_gate(node.id, options.agent_functions[APPROVAL_TYPE])))
    return NodeStates(chain, sides)


def _invoke(function: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A Task that invokes ``function`` with ``payload`` and passes the execution input on."""
    return {
        "Type": "Task",
        "Resource": LAMBDA_INVOKE,
        "Parameters": {"FunctionName": function, "Payload": payload},
        "ResultPath": None,
        "Retry": [_lambda_service_retry()],
    }


def fan_out_state(node: AgentNode, options: _TaskOptions, task: dict[str, Any]) -> dict[str, Any]:
    """The state that runs a ``for_each`` node: a one-branch Parallel named by the node id.

    Inside it, ``plan.<id>`` splits the node's records into stored batches and returns their
    indexes; ``batches.<id>``, a Map, runs ``batch.<id>`` once per batch, at most
    ``max_concurrency`` at a time; ``merge.<id>`` writes the node's merged output and opens its
    children's gates. All three are ``task`` (the node's own Task: function, timeout, retries)
    with a ``fan_out`` step in the payload. The Parallel discards what the steps add to the state,
    so the next states see the execution input unchanged, as after any node.
    """
    if node.for_each is None:
        raise ValueError(f"Node '{node.id}' has no for_each.")
    distributed = options.fan_out_map == "distributed" or (
        options.fan_out_map == "auto" and node.for_each.max_concurrency > INLINE_MAP_MAX_CONCURRENCY
    )
    mode = "distributed" if distributed else "inline"
    payload_in = task["Parameters"]["Payload"]
    payload = {key: value for key, value in payload_in.items() if key != "release"}

    def step(fan_out: dict[str, Any], **fields: Any) -> dict[str, Any]:
        parameters = {**task["Parameters"], "Payload": {**payload, **fields, "fan_out": fan_out}}
        return {**task, "Parameters": parameters}

    plan = {
        **step({"phase": "plan", "map": mode}),
        "ResultSelector": {"result.$": "$.Payload"},
        "ResultPath": "$.fan_out",
        "Next": f"{BATCHES_PREFIX}{node.id}",
    }
    batch = {
        **step({"phase": "batch", "batch.$": "$.batch"}, **{"execution.$": "$.execution"}),
        # Each iteration's output is its index alone: the Map's result stays small at any count.
        "OutputPath": "$.batch",
        "End": True,
    }
    batches: dict[str, Any] = {
        "Type": "Map",
        # The execution input from the context, not the Map's input (which holds the plan's result).
        "ItemSelector": {"execution.$": "$$.Execution.Input", "batch.$": "$$.Map.Item.Value"},
        "MaxConcurrency": node.for_each.max_concurrency,
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": f"{BATCH_PREFIX}{node.id}",
            "States": {f"{BATCH_PREFIX}{node.id}": batch},
        },
        "ResultPath": None,
        "Next": f"{MERGE_PREFIX}{node.id}",
    }
    if distributed:
        batches["ItemReader"] = {
            "Resource": S3_GET_OBJECT,
            "ReaderConfig": {"InputType": "JSON"},
            "Parameters": {"Bucket.$": "$.fan_out.result.bucket", "Key.$": "$.fan_out.result.key"},
        }
        batches["ItemProcessor"]["ProcessorConfig"] = {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"}
        batches["ToleratedFailurePercentage"] = 0
    else:
        batches["ItemsPath"] = "$.fan_out.result.batches"
    # Only the merge opens the gates of children waiting for the node.
    release = {"release": payload_in["release"]} if "release" in payload_in else {}
    merge = {**step({"phase": "merge"}, **release), "ResultPath": None, "End": True}
    return {
        "Type": "Parallel",
        "Branches": [
            {
                "StartAt": f"{PLAN_PREFIX}{node.id}",
                "States": {
                    f"{PLAN_PREFIX}{node.id}": plan,
                    f"{BATCHES_PREFIX}{node.id}": batches,
                    f"{MERGE_PREFIX}{node.id}": merge,
                },
            }
        ],
        "ResultPath": None,
    }


def check_quotas(asl: Mapping[str, Any]) -> int:
    """Check the Step Functions quotas moto does not enforce; return the definition's size in bytes.

    Raises :class:`InvalidInputError` when the compact UTF-8 JSON exceeds 1,048,576 bytes or a
    state name (at any depth) exceeds 80 characters.
    """
    for name in _state_names(asl):
        if len(name) > MAX_STATE_NAME_LENGTH:
            raise InvalidInputError(
                f"The state name '{name[:MAX_STATE_NAME_LENGTH]}…' is {len(name)} characters; "
                f"Step Functions accepts at most {MAX_STATE_NAME_LENGTH}."
            )
    size = len(json.dumps(asl, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
    if size > MAX_DEFINITION_BYTES:
        raise InvalidInputError(
            f"The compiled state machine is {size:,} bytes; "
            f"Step Functions accepts at most {MAX_DEFINITION_BYTES:,} (1 MB)."
        )
    return size


# --- planning: which nodes run in sequence and which in parallel ------------------------------


@dataclass
class _Parallel:
    name: str
    branches: list[list[_Step]]


# A step of a sequence: a node (by declaration index) or a Parallel of sequences.
_Step = int | _Parallel


class _Graph:
    """The DAG over node indices (declaration order), with ancestor sets as int bitsets."""

    def __init__(self, definition: WorkflowDefinition) -> None:
        self.ids = [node.id for node in definition.agents]
        index = {node_id: position for position, node_id in enumerate(self.ids)}
        self.order = [index[node_id] for node_id in topological_order(self.ids, definition.edges)]
        self.parents: list[list[int]] = [[] for _ in self.ids]
        self.neighbours: list[list[int]] = [[] for _ in self.ids]
        for edge in definition.edges:
            source, target = index[edge.source], index[edge.target]
            self.parents[target].append(source)
            self.neighbours[source].append(target)
            self.neighbours[target].append(source)
        self.ancestors = [0] * len(self.ids)
        for node in self.order:
            for parent in self.parents[node]:
                self.ancestors[node] |= self.ancestors[parent] | (1 << parent)


class _Planner:
    """Decomposes the graph into nested sequences and Parallels.

    Every part it handles is convex (a path between two of its nodes stays inside it), so the
    global ancestor sets, masked to the part, are the ancestor sets within the part.
    """

    def __init__(self, graph: _Graph) -> None:
        self.graph = graph
        self.parallels = 0
        # Start gates: {node: its parents inside its gated part}, and each parent's gated children.
        self.waits: dict[int, list[int]] = {}
        self.releases: list[list[int]] = [[] for _ in graph.ids]

    def plan(self, nodes: list[int], depth: int) -> list[_Step]:
        """The sequence of steps that runs ``nodes`` (given in topological order)."""
        if len(nodes) <= 1:
            return list(nodes)
        if depth >= MAX_PARALLEL_NESTING:
            return self._gated(nodes)
        components = self._components(nodes)
        if len(components) > 1:
            return [self._parallel(components, depth)]
        factors = self._series_factors(nodes)
        if len(factors) > 1:
            return [step for factor in factors for step in self.plan(factor, depth)]
        return self._gated(nodes)

    def _parallel(self, groups: list[list[int]], depth: int) -> _Parallel:
        # Numbered before its branches are planned, so names follow emission order (pre-order).
        self.parallels += 1
        parallel = _Parallel(f"{PARALLEL_PREFIX}{self.parallels}", [])
        parallel.branches = [self.plan(group, depth + 1) for group in groups]
        return parallel

    def _components(self, nodes: list[int]) -> list[list[int]]:
        """Weakly connected components (edges inside ``nodes`` only), by earliest declared node."""
        members = set(nodes)
        label: dict[int, int] = {}
        count = 0
        for seed in sorted(nodes):
            if seed in label:
                continue
            label[seed] = count
            stack = [seed]
            while stack:
                for neighbour in self.graph.neighbours[stack.pop()]:
                    if neighbour in members and neighbour not in label:
                        label[neighbour] = count
                        stack.append(neighbour)
            count += 1
        components: list[list[int]] = [[] for _ in range(count)]
        for node in nodes:
            components[label[node]].append(node)
        return components

    def _series_factors(self, nodes: list[int]) -> list[list[int]]:
        """Cut ``nodes`` wherever every later node depends on every earlier one.

        A set A with that property must come first in every topological order, so all such cuts
        are prefixes of ``nodes``: one backward pass (intersecting ancestor sets) and one forward
        pass find them all. This yields the same split as repeatedly growing the minimal prefix
        from the sources to its fixpoint, in linear rather than quadratic time on long chains.
        """
        ancestors = self.graph.ancestors
        common_after = [0] * len(nodes)
        common = 0
        for node in nodes:
            common |= 1 << node
        for position in range(len(nodes) - 1, 0, -1):
            common &= ancestors[nodes[position]]
            common_after[position] = common
        factors: list[list[int]] = []
        start, before = 0, 0
        for position in range(1, len(nodes)):
            before |= 1 << nodes[position - 1]
            if before & ~common_after[position] == 0:
                factors.append(nodes[start:position])
                start = position
        factors.append(nodes[start:])
        return factors

    def _gated(self, nodes: list[int]) -> list[_Step]:
        """A part that is not series-parallel: one Parallel with a branch per chain, and start gates.

        A node with a single parent in the part follows it in its branch while that parent has
        no follower yet; any other node with parents in the part opens a branch of its own behind
        a start gate that its parents open. Every node then starts when its own parents finished.
        """
        members = set(nodes)
        branch_of: dict[int, int] = {}
        followed: set[int] = set()
        branches: list[list[_Step]] = []
        for node in nodes:  # topological order: parents are placed first
            inside = [parent for parent in self.graph.parents[node] if parent in members]
            if len(inside) == 1 and inside[0] not in followed:
                followed.add(inside[0])
                branch_of[node] = branch_of[inside[0]]
                branches[branch_of[node]].append(node)
                continue
            branch_of[node] = len(branches)
            branches.append([node])
            if inside:
                self.waits[node] = inside
                for parent in inside:
                    self.releases[parent].append(node)
        self.parallels += 1
        return [_Parallel(f"{PARALLEL_PREFIX}{self.parallels}", branches)]


# --- ASL building blocks ----------------------------------------------------------------------


def _execution_fields() -> dict[str, str]:
    return {
        "tenant_id.$": "$.tenant_id",
        "execution_id.$": "$.execution_id",
        "workflow_id.$": "$.workflow_id",
        "workflow_version.$": "$.workflow_version",
    }


def _approval_task(node: AgentNode, function_arn: str, payload: dict[str, Any]) -> dict[str, Any]:
    """An approval node: its Lambda stores the request and the task waits for the decision's token."""
    timeout = int(node.config.get("timeout_seconds", 86400))
    return {
        "Type": "Task",
        "Resource": LAMBDA_INVOKE_WAIT,
        "Parameters": {
            "FunctionName": function_arn,
            "Payload": {**payload, "task_token.$": "$$.Task.Token"},
        },
        "TimeoutSeconds": timeout + APPROVAL_TIMEOUT_GRACE_SECONDS,
        "ResultPath": None,
        "Retry": [_lambda_service_retry()],
    }


def _budget_gate(node_id: str, function_arn: str) -> dict[str, Any]:
    """Where a node that paused on its budget waits for a decision, then runs again."""
    return {
        "Type": "Task",
        "Resource": LAMBDA_INVOKE_WAIT,
        "Parameters": {
            "FunctionName": function_arn,
            "Payload": {
                "execution.$": "$",
                "node_id": node_id,
                "budget_gate": True,
                "task_token.$": "$$.Task.Token",
            },
        },
        "TimeoutSeconds": BUDGET_DECISION_SECONDS + APPROVAL_TIMEOUT_GRACE_SECONDS,
        "ResultPath": None,
        "Retry": [_lambda_service_retry()],
        "Next": node_id,
    }


def _lambda_service_retry() -> dict[str, Any]:
    # Step Functions' defaults (1 s, 3 attempts, backoff rate 2) are this retrier's settings;
    # leaving them implicit saves ~50 bytes per node against the 1 MB quota.
    return {"ErrorEquals": list(LAMBDA_SERVICE_ERRORS)}


def _catch_all() -> list[dict[str, Any]]:
    return [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": RECORD_FAILURE}]


def _finalizer_task(finalizer_arn: str, extra: dict[str, str]) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": LAMBDA_INVOKE,
        "Parameters": {"FunctionName": finalizer_arn, "Payload": {**_execution_fields(), **extra}},
        "ResultPath": None,
        "Retry": [_lambda_service_retry()],
    }


def _state_names(machine: Mapping[str, Any]) -> Iterator[str]:
    """Every state name in a machine, including those inside Parallel branches and Map processors."""
    for name, state in machine.get("States", {}).items():
        yield name
        for branch in state.get("Branches", []):
            yield from _state_names(branch)
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from _state_names(state[key])
