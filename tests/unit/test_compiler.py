"""The DAG → Amazon States Language compiler: structure, exactness, retries, failure path, quotas."""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agentflow.compiler import (
    FAILED,
    FINALIZE,
    MAX_DEFINITION_BYTES,
    RECORD_FAILURE,
    SUCCEEDED,
    check_quotas,
    compile_workflow,
)
from agentflow.errors import InvalidInputError
from agentflow.models import WorkflowDefinition

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
FUNCTIONS = {
    "sales_intelligence": "arn:aws:lambda:us-east-1:123456789012:function:sales",
    "email_outreach": "arn:aws:lambda:us-east-1:123456789012:function:email",
}
FINALIZER = "arn:aws:lambda:us-east-1:123456789012:function:finalizer"
LAMBDA_SERVICE_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]


# --- helpers ----------------------------------------------------------------------------------


def workflow(
    nodes: Sequence[str], edges: Sequence[tuple[str, str]] = (), **node_fields: Any
) -> WorkflowDefinition:
    return WorkflowDefinition.model_validate(
        {
            "name": "Test workflow",
            "agents": [{"id": node, "type": "sales_intelligence", **node_fields} for node in nodes],
            "edges": [{"source": source, "target": target} for source, target in edges],
        }
    )


def compile_(definition: WorkflowDefinition, **options: Any) -> dict[str, Any]:
    return compile_workflow(definition, agent_functions=FUNCTIONS, finalizer_arn=FINALIZER, **options)


def is_node(name: str) -> bool:
    return not name.startswith(("agentflow.", "parallel."))


def chain_of(machine: dict[str, Any]) -> list[str]:
    """The states of one sequence, from StartAt until the chain ends or leaves the workflow's nodes."""
    names, name = [], machine["StartAt"]
    while name in machine["States"] and not name.startswith("agentflow."):
        names.append(name)
        state = machine["States"][name]
        if state.get("End"):
            break
        name = state["Next"]
    return names


def nodes_in(name: str, state: dict[str, Any]) -> set[str]:
    if state["Type"] == "Parallel":
        return {node for branch in state["Branches"] for node in all_nodes(branch)}
    return {name}


def all_nodes(machine: dict[str, Any]) -> set[str]:
    return {node for name in chain_of(machine) for node in nodes_in(name, machine["States"][name])}


def must_precede(machine: dict[str, Any]) -> set[tuple[str, str]]:
    """Pairs (a, b) of node ids such that the ASL forces a to finish before b starts.

    In a sequence, everything in an earlier state precedes everything in a later one; the branches
    of a Parallel are mutually unordered.
    """
    return {(a, b) for a, later in forced_successors(machine).items() for b in later}


def forced_successors(machine: dict[str, Any]) -> dict[str, set[str]]:
    """{node: the nodes the ASL forces to start only after it finished}, for must_precede."""
    states = machine["States"]
    successors: dict[str, set[str]] = {}
    later: set[str] = set()
    for name in reversed(chain_of(machine)):
        nodes = nodes_in(name, states[name])
        for node in nodes:
            successors[node] = set(later)
        for branch in states[name].get("Branches", []):
            for node, inside in forced_successors(branch).items():
                successors[node] |= inside
        later |= nodes
    return successors


def transitive_closure(edges: list[tuple[str, str]]) -> set[tuple[str, str]]:
    children: dict[str, set[str]] = {}
    for source, target in edges:
        children.setdefault(source, set()).add(target)
    closure: set[tuple[str, str]] = set()
    for start in children:
        stack, seen = list(children[start]), set()
        while stack:
            node = stack.pop()
            if node not in seen:
                seen.add(node)
                stack.extend(children.get(node, ()))
        closure |= {(start, node) for node in seen}
    return closure


def all_states(machine: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name, state in machine["States"].items():
        found.append((name, state))
        for branch in state.get("Branches", []):
            found.extend(all_states(branch))
    return found


def top_level_workflow_states(asl: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: state for name, state in asl["States"].items() if not name.startswith("agentflow.")}


def assert_structurally_valid(machine: dict[str, Any]) -> None:
    """Every Next resolves in its own States, every state ends or continues, all are reachable."""
    states = machine["States"]
    assert machine["StartAt"] in states
    for state in states.values():
        terminal = state["Type"] in ("Succeed", "Fail") or state.get("End") is True
        assert terminal != ("Next" in state)
        targets = [state.get("Next")] + [catch["Next"] for catch in state.get("Catch", [])]
        assert all(target in states for target in targets if target is not None)
        for branch in state.get("Branches", []):
            assert_structurally_valid(branch)
    reachable, stack = set(), [machine["StartAt"]]
    while stack:
        name = stack.pop()
        if name not in reachable:
            reachable.add(name)
            state = states[name]
            stack.extend([state["Next"]] if "Next" in state else [])
            stack.extend(catch["Next"] for catch in state.get("Catch", []))
    assert reachable == set(states)


def assert_compiled_correctly(definition: WorkflowDefinition, asl: dict[str, Any]) -> None:
    names = [name for name, _ in all_states(asl)]
    assert len(names) == len(set(names)), "state names must be unique across the machine"
    tasks = [name for name, state in all_states(asl) if state["Type"] == "Task" and is_node(name)]
    assert sorted(tasks) == sorted(node.id for node in definition.agents)
    assert_structurally_valid(asl)


# --- shapes -----------------------------------------------------------------------------------


def test_a_single_node_compiles_to_one_task_then_finalize() -> None:
    # Given a one-node workflow
    definition = workflow(["solo"])

    # When it is compiled
    asl = compile_(definition)

    # Then the machine starts at the node's Task, which continues to the finalizer
    assert asl["StartAt"] == "solo"
    assert asl["States"]["solo"]["Next"] == FINALIZE
    assert list(top_level_workflow_states(asl)) == ["solo"]


def test_a_chain_compiles_to_a_sequence_of_tasks() -> None:
    # Given a → b → c
    definition = workflow(["a", "b", "c"], [("a", "b"), ("b", "c")])

    # When it is compiled
    asl = compile_(definition)

    # Then the tasks follow each other in that order, with no Parallel
    assert chain_of(asl) == ["a", "b", "c"]
    assert all(state["Type"] == "Task" for state in top_level_workflow_states(asl).values())


def test_the_reference_sales_outreach_workflow_runs_sales_then_email() -> None:
    # Given the reference two-node workflow
    definition = WorkflowDefinition.model_validate_json((EXAMPLES / "sales_outreach.json").read_text())

    # When it is compiled
    asl = compile_(definition)

    # Then the sales agent runs first, then the email agent, each on its own function
    assert chain_of(asl) == ["sales_agent_1", "email_agent_1"]
    assert asl["States"]["sales_agent_1"]["Parameters"]["FunctionName"] == FUNCTIONS["sales_intelligence"]
    assert asl["States"]["email_agent_1"]["Parameters"]["FunctionName"] == FUNCTIONS["email_outreach"]
    assert asl["Comment"] == "AgentFlow workflow: Sales Outreach Workflow"


def test_a_diamond_compiles_to_task_parallel_task_exactly() -> None:
    # Given the diamond a → (b, c) → d
    edges = [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")]
    definition = workflow(["a", "b", "c", "d"], edges)

    # When it is compiled
    asl = compile_(definition)

    # Then it is a → Parallel(b | c) → d, with no dependency the edges do not imply
    assert chain_of(asl) == ["a", "parallel.1", "d"]
    branches = asl["States"]["parallel.1"]["Branches"]
    assert [chain_of(branch) for branch in branches] == [["b"], ["c"]]
    assert must_precede(asl) == transitive_closure(edges)


def test_a_four_way_fan_out_and_fan_in_runs_the_middle_in_one_parallel() -> None:
    # Given start → w1..w4 → end
    workers = ["w1", "w2", "w3", "w4"]
    edges = [("start", w) for w in workers] + [(w, "end") for w in workers]
    definition = workflow(["start", *workers, "end"], edges)

    # When it is compiled
    asl = compile_(definition)

    # Then the four workers are the four branches of a single Parallel between start and end
    assert chain_of(asl) == ["start", "parallel.1", "end"]
    assert [chain_of(b) for b in asl["States"]["parallel.1"]["Branches"]] == [[w] for w in workers]
    assert must_precede(asl) == transitive_closure(edges)


def test_disconnected_components_run_as_parallel_branches_in_declaration_order() -> None:
    # Given two independent chains, declared interleaved: x1 → x2 and y1 → y2
    edges = [("y1", "y2"), ("x1", "x2")]
    definition = workflow(["y2", "x1", "y1", "x2"], edges)

    # When it is compiled
    asl = compile_(definition)

    # Then one Parallel holds each chain as a branch, ordered by each chain's earliest declared node
    assert chain_of(asl) == ["parallel.1"]
    assert [chain_of(b) for b in asl["States"]["parallel.1"]["Branches"]] == [["y1", "y2"], ["x1", "x2"]]
    assert must_precede(asl) == transitive_closure(edges)


def test_a_complete_bipartite_k22_is_two_parallels_in_sequence_exactly() -> None:
    # Given a, b → c, d (every source feeds every sink)
    edges = [("a", "c"), ("a", "d"), ("b", "c"), ("b", "d")]
    definition = workflow(["a", "b", "c", "d"], edges)

    # When it is compiled
    asl = compile_(definition)

    # Then Parallel(a | b) is followed by Parallel(c | d), and that is exactly the edges' order
    assert chain_of(asl) == ["parallel.1", "parallel.2"]
    assert [chain_of(b) for b in asl["States"]["parallel.1"]["Branches"]] == [["a"], ["b"]]
    assert [chain_of(b) for b in asl["States"]["parallel.2"]["Branches"]] == [["c"], ["d"]]
    assert must_precede(asl) == transitive_closure(edges)


def test_a_non_series_parallel_n_shape_falls_back_to_levels_and_keeps_every_edge() -> None:
    # Given the N shape a → c, b → c, b → d (not series-parallel)
    edges = [("a", "c"), ("b", "c"), ("b", "d")]
    definition = workflow(["a", "b", "c", "d"], edges)

    # When it is compiled
    asl = compile_(definition)

    # Then it runs by levels, (a | b) then (c | d): every edge is respected, at the price of a → d
    assert chain_of(asl) == ["parallel.1", "parallel.2"]
    precede = must_precede(asl)
    assert set(edges) <= precede
    assert precede == set(edges) | {("a", "d")}


# --- task details -----------------------------------------------------------------------------


def test_every_task_invokes_its_lambda_with_the_execution_ids_and_its_node_id() -> None:
    # Given a diamond
    definition = workflow(["a", "b", "c", "d"], [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])

    # When it is compiled
    asl = compile_(definition)

    # Then every node's Task (nested or not) invokes the agent Lambda with the same payload shape
    tasks = {name: state for name, state in all_states(asl) if is_node(name)}
    assert sorted(tasks) == ["a", "b", "c", "d"]
    for name, state in tasks.items():
        assert state["Resource"] == "arn:aws:states:::lambda:invoke"
        assert state["Parameters"] == {
            "FunctionName": FUNCTIONS["sales_intelligence"],
            "Payload": {
                "tenant_id.$": "$.tenant_id",
                "execution_id.$": "$.execution_id",
                "workflow_id.$": "$.workflow_id",
                "workflow_version.$": "$.workflow_version",
                "node_id": name,
                "attempt.$": "$$.Execution.Name",
            },
        }


def test_every_task_retries_lambda_service_errors_and_transient_agent_errors() -> None:
    # Given a diamond and custom retry settings
    definition = workflow(["a", "b", "c", "d"], [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])

    # When it is compiled
    asl = compile_(definition, retry_interval_seconds=5, retry_max_attempts=7)

    # Then every node's Task carries both retriers, the second with the custom settings
    for name, state in all_states(asl):
        if is_node(name):
            assert state["Retry"] == [
                {
                    "ErrorEquals": LAMBDA_SERVICE_ERRORS,
                    "IntervalSeconds": 1,
                    "MaxAttempts": 3,
                    "BackoffRate": 2.0,
                },
                {
                    "ErrorEquals": ["TransientAgentError"],
                    "IntervalSeconds": 5,
                    "MaxAttempts": 7,
                    "BackoffRate": 2.0,
                    "MaxDelaySeconds": 60,
                    "JitterStrategy": "FULL",
                },
            ]


def test_tasks_time_out_after_the_default_unless_the_node_overrides_it() -> None:
    # Given one node with its own timeout and one without
    definition = WorkflowDefinition.model_validate(
        {
            "name": "Timeouts",
            "agents": [
                {"id": "slow", "type": "sales_intelligence", "timeout_seconds": 900},
                {"id": "default", "type": "sales_intelligence"},
            ],
            "edges": [{"source": "slow", "target": "default"}],
        }
    )

    # When it is compiled with a default task timeout of 120 s
    asl = compile_(definition, task_timeout_seconds=120)

    # Then the node's own timeout wins where set, the default applies elsewhere
    assert asl["States"]["slow"]["TimeoutSeconds"] == 900
    assert asl["States"]["default"]["TimeoutSeconds"] == 120


def test_the_machine_has_the_execution_timeout() -> None:
    # Given any workflow
    definition = workflow(["a"])

    # When it is compiled with an execution timeout
    asl = compile_(definition, execution_timeout_seconds=1800)

    # Then the machine itself times out then
    assert asl["TimeoutSeconds"] == 1800


def test_every_task_and_parallel_leaves_the_execution_input_unchanged() -> None:
    # Given a workflow with nested Parallels
    definition = workflow(["a", "b", "c", "d", "e"], [("a", "b"), ("b", "d"), ("a", "c"), ("c", "d")])

    # When it is compiled
    asl = compile_(definition)

    # Then every Task and every Parallel discards its result
    for _name, state in all_states(asl):
        if state["Type"] in ("Task", "Parallel"):
            assert "ResultPath" in state and state["ResultPath"] is None


def test_task_state_names_are_the_node_ids() -> None:
    # Given nodes with varied ids
    ids = ["Fetch-Deals", "score_1", "x"]
    definition = workflow(ids, [("Fetch-Deals", "score_1")])

    # When it is compiled
    asl = compile_(definition)

    # Then the Task states are named exactly by the node ids
    tasks = sorted(name for name, state in all_states(asl) if state["Type"] == "Task" and is_node(name))
    assert tasks == sorted(ids)


# --- failure and success paths ----------------------------------------------------------------


def test_every_top_level_state_catches_all_errors_into_record_failure() -> None:
    # Given a workflow whose top level has Tasks and a Parallel
    definition = workflow(["a", "b", "c", "d"], [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])

    # When it is compiled
    asl = compile_(definition)

    # Then each top-level workflow state catches States.ALL into $.error and records the failure
    catch_all = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": RECORD_FAILURE}]
    for state in top_level_workflow_states(asl).values():
        assert state["Catch"] == catch_all
    assert asl["States"][FINALIZE]["Catch"] == catch_all


def test_tasks_inside_parallel_branches_have_no_catch() -> None:
    # Given a diamond (b and c run inside a Parallel)
    definition = workflow(["a", "b", "c", "d"], [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])

    # When it is compiled
    asl = compile_(definition)

    # Then the nested tasks let errors reach the enclosing Parallel, which cancels its siblings
    for branch in asl["States"]["parallel.1"]["Branches"]:
        assert all("Catch" not in state for state in branch["States"].values())


def test_record_failure_invokes_the_finalizer_with_the_error_then_fails() -> None:
    # Given any workflow
    asl = compile_(workflow(["a"]))

    # When reading its failure path
    record = asl["States"][RECORD_FAILURE]

    # Then the finalizer records status failed with the caught error, and the machine then fails
    assert record["Parameters"] == {
        "FunctionName": FINALIZER,
        "Payload": {
            "tenant_id.$": "$.tenant_id",
            "execution_id.$": "$.execution_id",
            "workflow_id.$": "$.workflow_id",
            "workflow_version.$": "$.workflow_version",
            "status": "failed",
            "error.$": "$.error",
        },
    }
    assert record["ResultPath"] is None
    assert record["Retry"][0]["ErrorEquals"] == LAMBDA_SERVICE_ERRORS
    assert record["Next"] == FAILED
    assert asl["States"][FAILED] == {
        "Type": "Fail",
        "Error": "WorkflowFailed",
        "Cause": "An agent failed; see the execution's error.",
    }


def test_finalize_records_completion_then_succeeds() -> None:
    # Given any workflow
    asl = compile_(workflow(["a"]))

    # When reading its success path
    finalize = asl["States"][FINALIZE]

    # Then the finalizer records status completed, and the machine then succeeds
    assert finalize["Parameters"]["FunctionName"] == FINALIZER
    assert finalize["Parameters"]["Payload"]["status"] == "completed"
    assert "error.$" not in finalize["Parameters"]["Payload"]
    assert finalize["Retry"][0]["ErrorEquals"] == LAMBDA_SERVICE_ERRORS
    assert finalize["Next"] == SUCCEEDED
    assert asl["States"][SUCCEEDED] == {"Type": "Succeed"}


# --- errors and quotas ------------------------------------------------------------------------


def test_an_agent_type_without_a_function_is_rejected_naming_the_node() -> None:
    # Given a node whose type has no Lambda function
    definition = WorkflowDefinition.model_validate(
        {"name": "w", "agents": [{"id": "mystery", "type": "crystal_ball"}], "edges": []}
    )

    # When it is compiled, Then it is rejected naming the node and its type
    with pytest.raises(InvalidInputError, match=r"mystery.*crystal_ball"):
        compile_(definition)


def test_check_quotas_returns_the_compact_utf8_size() -> None:
    # Given a small machine with a non-ASCII comment
    asl = {"Comment": "é", "StartAt": "a", "States": {"a": {"Type": "Succeed"}}}

    # When its quotas are checked
    size = check_quotas(asl)

    # Then the size is that of its compact UTF-8 JSON
    assert size == len(json.dumps(asl, separators=(",", ":"), ensure_ascii=False).encode())


def test_check_quotas_rejects_a_definition_over_one_megabyte() -> None:
    # Given a machine whose definition exceeds 1 MB
    asl = {"Comment": "x" * MAX_DEFINITION_BYTES, "StartAt": "a", "States": {"a": {"Type": "Succeed"}}}

    # When its quotas are checked, Then the size limit is named
    with pytest.raises(
        InvalidInputError, match=r"1,048,6\d\d bytes; Step Functions accepts at most 1,048,576"
    ):
        check_quotas(asl)


def test_check_quotas_rejects_a_state_name_over_80_characters_even_inside_a_branch() -> None:
    # Given a Parallel whose branch holds an 81-character state name
    long_name = "n" * 81
    branch = {"StartAt": long_name, "States": {long_name: {"Type": "Succeed"}}}
    asl = {"StartAt": "p", "States": {"p": {"Type": "Parallel", "Branches": [branch], "End": True}}}

    # When its quotas are checked, Then the name length limit is named
    with pytest.raises(InvalidInputError, match="81 characters; Step Functions accepts at most 80"):
        check_quotas(asl)


# --- properties -------------------------------------------------------------------------------


@st.composite
def random_dags(draw: st.DrawFn) -> tuple[WorkflowDefinition, list[tuple[str, str]]]:
    """1 to 25 nodes, edges only from lower to higher index (acyclic), declared in a random order."""
    count = draw(st.integers(1, 25))
    pairs = [(f"n{i}", f"n{j}") for i in range(count) for j in range(i + 1, count)]
    edges = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=60)) if pairs else []
    order = draw(st.permutations([f"n{i}" for i in range(count)]))
    return workflow(list(order), edges), edges


# A series-parallel shape: a leaf (one node) or ("series" | "parallel", left, right).
sp_shapes = st.recursive(
    st.just("leaf"),
    lambda inner: st.tuples(st.sampled_from(["series", "parallel"]), inner, inner),
    max_leaves=25,
)


def build_series_parallel(shape: Any) -> tuple[list[str], list[tuple[str, str]]]:
    """Nodes and edges of a shape: series joins every sink of the left to every source of the right."""
    nodes: list[str] = []

    def build(part: Any) -> tuple[list[str], list[str], list[tuple[str, str]]]:
        if part == "leaf":
            node = f"n{len(nodes)}"
            nodes.append(node)
            return [node], [node], []
        kind, left, right = part
        l_sources, l_sinks, l_edges = build(left)
        r_sources, r_sinks, r_edges = build(right)
        if kind == "parallel":
            return l_sources + r_sources, l_sinks + r_sinks, l_edges + r_edges
        joins = [(sink, source) for sink in l_sinks for source in r_sources]
        return l_sources, r_sinks, l_edges + r_edges + joins

    _, _, edges = build(shape)
    return nodes, edges


@settings(max_examples=120, deadline=None)
@given(random_dags())
def test_any_dag_compiles_to_a_valid_machine_that_respects_every_edge(
    dag: tuple[WorkflowDefinition, list[tuple[str, str]]],
) -> None:
    # Given a random DAG
    definition, edges = dag

    # When it is compiled
    asl = compile_(definition)

    # Then the machine is well formed and forces every edge's order
    assert_compiled_correctly(definition, asl)
    assert set(edges) <= must_precede(asl)


@settings(max_examples=120, deadline=None)
@given(sp_shapes, st.randoms(use_true_random=False))
def test_a_series_parallel_dag_compiles_exactly(shape: Any, rng: Any) -> None:
    # Given a random series-parallel DAG, declared in a random order
    nodes, edges = build_series_parallel(shape)
    rng.shuffle(nodes)
    definition = workflow(nodes, edges)

    # When it is compiled
    asl = compile_(definition)

    # Then the machine orders exactly the pairs the edges imply, no more and no fewer
    assert_compiled_correctly(definition, asl)
    assert must_precede(asl) == transitive_closure(edges)


def test_a_long_chain_compiles_without_deep_recursion() -> None:
    # Given a chain of 1,000 nodes (as deep as Python's default recursion limit)
    ids = [f"n{i}" for i in range(1000)]
    definition = workflow(ids, list(pairwise(ids)))

    # When it is compiled
    asl = compile_(definition)

    # Then it is one flat sequence
    assert chain_of(asl) == ids


def test_deeply_nested_series_parallel_structure_compiles_and_keeps_every_edge() -> None:
    # Given G_i = x_i | (y_i → G_i+1), nested 300 deep: exact compilation would nest 300 Parallels
    depth = 300
    nodes = [f"{kind}{i}" for i in range(depth) for kind in ("x", "y")] + [f"x{depth}", f"y{depth}"]
    edges = [(f"y{i}", f"{kind}{i + 1}") for i in range(depth) for kind in ("x", "y")]
    definition = workflow(nodes, edges)

    # When it is compiled
    asl = compile_(definition)

    # Then it compiles (the deepest part falls back to levels) and still forces every edge
    assert_compiled_correctly(definition, asl)
    successors = forced_successors(asl)
    assert all(target in successors[source] for source, target in edges)
