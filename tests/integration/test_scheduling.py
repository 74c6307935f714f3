"""Exact scheduling through the state machine on moto: a node starts once its own parents finished.

The agents sleep for uneven times chosen per node, so a node that waited for anything but its own
parents (a whole topological level, say) would start long after its last parent ended.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from agentflow.agents.sales_intelligence import SalesIntelligenceAgent, SalesIntelligenceOutput
from agentflow.compiler import GATE_PREFIX, compile_workflow
from agentflow.models import WorkflowDefinition
from tests.helpers import GatewayApi, sales, workflow

# Far above the dispatch overhead measured by `make bench` (tens of ms), far below the uneven
# agent times (a node that waited for an unrelated one would start 150 ms to 1 s late, or more).
DISPATCH_BOUND_S = 1.5


@contextmanager
def agents_sleeping(delays_ms: dict[str, int]) -> Iterator[None]:
    """sales_intelligence agents that sleep for their node's delay and return no deals."""

    def run(self: SalesIntelligenceAgent, config: Any, data: Any, ctx: Any) -> SalesIntelligenceOutput:
        time.sleep(delays_ms[ctx.node_id] / 1000)
        return SalesIntelligenceOutput(
            deals=[], count=0, total_amount=0.0, connector="sandbox", filters={}, use_rag=False
        )

    with mock.patch.object(SalesIntelligenceAgent, "run", run):
        yield


def has_gates(definition: dict[str, Any]) -> bool:
    asl = compile_workflow(
        WorkflowDefinition.model_validate(definition),
        agent_functions={"sales_intelligence": "arn:aws:lambda:us-east-1:1:function:f"},
        finalizer_arn="arn:aws:lambda:us-east-1:1:function:g",
    )
    return GATE_PREFIX in str(asl)


@st.composite
def non_series_parallel_dags(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, int]]:
    """5 to 8 nodes, edges from lower to higher index, uneven delays (50-900 ms); gates required."""
    count = draw(st.integers(5, 8))
    pairs = [(f"n{i}", f"n{j}") for i in range(count) for j in range(i + 1, count)]
    edges = draw(st.lists(st.sampled_from(pairs), unique=True, min_size=count - 1, max_size=2 * count))
    nodes = [f"n{i}" for i in range(count)]
    delays = {node: draw(st.sampled_from([50, 150, 300, 600, 900])) for node in nodes}
    definition = workflow("Random DAG", [sales(node) for node in nodes], edges)
    assume(has_gates(definition))
    return definition, delays


def _instant(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp)


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)
@given(non_series_parallel_dags())
def test_every_node_starts_right_after_its_own_last_parent_on_any_dag(
    api: GatewayApi, dag: tuple[dict[str, Any], dict[str, int]]
) -> None:
    # Given a random DAG that is not series-parallel, whose agents take uneven times
    definition, delays = dag
    status, created = api.post("/api/v1/workflows", definition)
    assert status == 201, created

    # When it runs through the state machine
    with agents_sleeping(delays):
        status, started = api.post("/api/v1/executions/", {"workflow_id": created["id"], "input": {}})
        assert status == 202, started
        execution = api.wait(started["id"])

    # Then every node started after all of its parents completed, and within the dispatch bound
    # of the last of them
    assert execution["status"] == "completed", execution["error"]
    runs = {run["agent_id"]: run for run in execution["agent_executions"]}
    for node in runs.values():
        parents = [edge["source"] for edge in definition["edges"] if edge["target"] == node["agent_id"]]
        if not parents:
            continue
        last_parent_end = max(_instant(runs[parent]["completed_at"]) for parent in parents)
        gap = (_instant(node["started_at"]) - last_parent_end).total_seconds()
        assert 0 <= gap <= DISPATCH_BOUND_S, (node["agent_id"], parents, gap)


def test_an_n_shape_runs_its_short_branch_without_waiting_for_the_long_one(api: GatewayApi) -> None:
    # Given the N shape slow → join, fast → join, fast → after, with slow taking 1.5 s
    definition = workflow(
        "N shape",
        [sales("slow"), sales("fast"), sales("join"), sales("after")],
        [("slow", "join"), ("fast", "join"), ("fast", "after")],
    )
    status, created = api.post("/api/v1/workflows", definition)
    assert status == 201, created

    # When it runs
    with agents_sleeping({"slow": 1500, "fast": 50, "join": 50, "after": 50}):
        status, started = api.post("/api/v1/executions/", {"workflow_id": created["id"], "input": {}})
        execution = api.wait(started["id"])

    # Then "after" finished before "slow" did (levels would have held it behind slow), and "join"
    # started only once slow had completed
    assert execution["status"] == "completed", execution["error"]
    runs = {run["agent_id"]: run for run in execution["agent_executions"]}
    assert _instant(runs["after"]["completed_at"]) < _instant(runs["slow"]["completed_at"])
    assert _instant(runs["join"]["started_at"]) >= _instant(runs["slow"]["completed_at"])
