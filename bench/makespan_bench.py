"""Makespan ÷ critical path on the local stack: does the compiled state machine overlap what can overlap?

Small workflows (a diamond, a 4-way fan-out, a 4-way fan-out with a fan-in) run through the HTTP API
of the local stack (moto's Step Functions engine, the handlers in-process, sandbox connectors with
SANDBOX_LATENCY_MS per call). For each run:

- makespan: the first agent's start to the last agent's end (the timeline's ISO timestamps);
- critical path: the longest path through the DAG, each node weighing its own measured duration;
- makespan ÷ critical path: ~1.0 when independent nodes really run at once (target ≤ 1.25);
- sequential ÷ critical path: what an engine running one node at a time would take, for contrast;
- Step Functions overhead: the execution's own start→end ÷ makespan (queueing, Parallel states,
  the finalizer);
- dispatch gap: how long a node starts after its last parent ended (state transitions, Parallel
  branch start-up, the Lambda call): the time makespan spends beyond the critical path.

Then random DAGs that are not series-parallel (the compiler runs them behind start gates), whose
sales_intelligence agents sleep for uneven times (200-800 ms, 500 on average) instead of querying:
the worst makespan ÷ critical path of them is the figure to read. AWS calls made by agent and gate
invocations are counted (a hook on botocore's API call, per service and operation) and reported
per node.

Run it alone with ``python -m bench.makespan_bench``.
"""

from __future__ import annotations

import contextlib
import graphlib
import random
import statistics
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from unittest import mock

from botocore.client import BaseClient

from agentflow.agents.sales_intelligence import SalesIntelligenceAgent, SalesIntelligenceOutput
from agentflow.client import AgentFlowClient
from agentflow.compiler import GATE_PREFIX, compile_workflow
from agentflow.local.gateway import Gateway, GatewayServer
from agentflow.local.stack import DEFAULT_API_KEY, LocalStack
from agentflow.models import WorkflowDefinition
from agentflow.services import gates
from agentflow.services.agent_runner import AgentRunner

LATENCY_MS = 500
RUNS = 3
TARGET_RATIO = 1.1
TARGET_DISPATCH_GAP_MS = 30.0
RANDOM_DAGS = 4
RANDOM_RUNS = 2
RANDOM_SEED = 20240611
UNEVEN_DELAYS_MS = (200, 350, 500, 650, 800)
EXECUTION_INPUT = "Find Q4 deals over $100K and send check-in emails"
SALES_CONFIG = {"stage": "Negotiation", "min_amount": 100000, "close_quarter": "Q4"}
EMAIL_CONFIG = {"max_emails": 1}


def _sales(node_id: str) -> dict[str, Any]:
    return {"id": node_id, "type": "sales_intelligence", "config": dict(SALES_CONFIG)}


def _email(node_id: str) -> dict[str, Any]:
    return {"id": node_id, "type": "email_outreach", "config": dict(EMAIL_CONFIG)}


def _workflow(name: str, agents: list[dict[str, Any]], edges: list[tuple[str, str]]) -> dict[str, Any]:
    return {"name": name, "agents": agents, "edges": [{"source": s, "target": t} for s, t in edges]}


def diamond() -> dict[str, Any]:
    return _workflow(
        "Diamond",
        [_sales("a"), _sales("b"), _sales("c"), _email("d")],
        [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")],
    )


def fan_out(width: int = 4) -> dict[str, Any]:
    branches = [f"mail_{index}" for index in range(width)]
    return _workflow(
        f"Fan-out {width}",
        [_sales("deals"), *(_email(branch) for branch in branches)],
        [("deals", branch) for branch in branches],
    )


def fan_out_fan_in(width: int = 4) -> dict[str, Any]:
    """A root, ``width`` parallel branches, one join. The branches are sales_intelligence: the join is
    an email_outreach node, which needs a parent's ``deals`` and cannot read other emails' output."""
    branches = [f"deals_{index}" for index in range(width)]
    return _workflow(
        f"Fan-out {width} + fan-in",
        [_sales("deals"), *(_sales(branch) for branch in branches), _email("mail")],
        [("deals", branch) for branch in branches] + [(branch, "mail") for branch in branches],
    )


WORKFLOWS = {
    "diamond": diamond(),
    "fan-out 4": fan_out(4),
    "fan-out 4 + fan-in": fan_out_fan_in(4),
}


def _instant(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp)


def _span_ms(start: str, end: str) -> float:
    return (_instant(end) - _instant(start)).total_seconds() * 1000


def _parents(definition: dict[str, Any]) -> dict[str, list[str]]:
    parents: dict[str, list[str]] = {agent["id"]: [] for agent in definition["agents"]}
    for edge in definition["edges"]:
        parents[edge["target"]].append(edge["source"])
    return parents


def critical_path_ms(definition: dict[str, Any], duration_ms: dict[str, float]) -> float:
    """The longest path through the DAG, each node weighing its own duration."""
    parents = _parents(definition)
    finish: dict[str, float] = {}
    for node in graphlib.TopologicalSorter(parents).static_order():
        finish[node] = duration_ms[node] + max((finish[parent] for parent in parents[node]), default=0.0)
    return max(finish.values())


def dispatch_gaps_ms(definition: dict[str, Any], timeline: list[dict[str, Any]]) -> dict[str, float]:
    """{node: its start - its last parent's end} for every node with parents."""
    entries = {entry["agent_id"]: entry for entry in timeline}
    gaps = {}
    for node, parents in _parents(definition).items():
        if parents:
            last_parent_end = max((entries[parent]["completed_at"] for parent in parents), key=_instant)
            gaps[node] = round(_span_ms(last_parent_end, entries[node]["started_at"]), 1)
    return gaps


def measure_run(client: AgentFlowClient, workflow_id: str, definition: dict[str, Any]) -> dict[str, Any]:
    """Run the workflow once; its makespan, critical path, sum of durations and execution wall time."""
    started = client.start_execution(workflow_id, EXECUTION_INPUT)
    execution = client.wait(started["id"], interval=0.1)
    timeline = client.timeline(started["id"])
    run: dict[str, Any] = {"execution_id": started["id"], "status": execution["status"]}
    finished = [entry for entry in timeline if entry.get("started_at") and entry.get("completed_at")]
    if execution["status"] != "completed" or len(finished) != len(definition["agents"]):
        return run | {"error": execution.get("error") or f"{len(finished)} of the agents finished"}
    durations = {entry["agent_id"]: float(entry["duration_ms"]) for entry in finished}
    first_start = min((entry["started_at"] for entry in finished), key=_instant)
    makespan = _span_ms(first_start, max((entry["completed_at"] for entry in finished), key=_instant))
    critical = critical_path_ms(definition, durations)
    wall = _span_ms(execution["started_at"], execution["completed_at"])
    gaps = dispatch_gaps_ms(definition, finished)
    return run | {
        "timeline": [
            {key: entry[key] for key in ("agent_id", "started_at", "completed_at", "duration_ms")}
            for entry in finished
        ],
        "dispatch_gaps_ms": gaps,
        "median_dispatch_gap_ms": statistics.median(gaps.values()),
        "makespan_ms": round(makespan, 1),
        "critical_path_ms": round(critical, 1),
        "sum_of_durations_ms": round(sum(durations.values()), 1),
        "execution_wall_ms": round(wall, 1),
        "makespan_over_critical_path": round(makespan / critical, 3),
        "sequential_over_critical_path": round(sum(durations.values()) / critical, 3),
        "sfn_overhead": round(wall / makespan, 3),
    }


def _median(runs: list[dict[str, Any]], key: str) -> float | None:
    values = [run[key] for run in runs if key in run]
    return round(statistics.median(values), 3) if values else None


def summarise(name: str, definition: dict[str, Any], runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the runs that completed; every run is kept for the JSON file."""
    ratio = _median(runs, "makespan_over_critical_path")
    return {
        "workflow": name,
        "nodes": len(definition["agents"]),
        "edges": len(definition["edges"]),
        "runs_completed": sum(1 for run in runs if "makespan_ms" in run),
        "runs": runs,
        "makespan_ms": _median(runs, "makespan_ms"),
        "critical_path_ms": _median(runs, "critical_path_ms"),
        "execution_wall_ms": _median(runs, "execution_wall_ms"),
        "makespan_over_critical_path": ratio,
        "sequential_over_critical_path": _median(runs, "sequential_over_critical_path"),
        "sfn_overhead": _median(runs, "sfn_overhead"),
        "median_dispatch_gap_ms": _median(runs, "median_dispatch_gap_ms"),
        "target_ratio": TARGET_RATIO,
        "meets_target": None if ratio is None else ratio <= TARGET_RATIO,
    }


def _is_gated(definition: dict[str, Any]) -> bool:
    asl = compile_workflow(
        WorkflowDefinition.model_validate(definition),
        agent_functions={"sales_intelligence": "arn:aws:lambda:us-east-1:1:function:f"},
        finalizer_arn="arn:aws:lambda:us-east-1:1:function:g",
    )
    return GATE_PREFIX in str(asl)


def random_non_sp_dags(
    count: int = RANDOM_DAGS, seed: int = RANDOM_SEED
) -> list[tuple[str, dict[str, Any], dict[str, int]]]:
    """``count`` random DAGs of 6-8 nodes that are not series-parallel, with uneven agent delays."""
    rng = random.Random(seed)
    found: list[tuple[str, dict[str, Any], dict[str, int]]] = []
    while len(found) < count:
        size = rng.randint(6, 8)
        nodes = [f"n{index}" for index in range(size)]
        pairs = [(a, b) for i, a in enumerate(nodes) for b in nodes[i + 1 :]]
        edges = rng.sample(pairs, k=rng.randint(size, 2 * size - 2))
        definition = _workflow(f"Random non-SP {len(found) + 1}", [_sales(node) for node in nodes], edges)
        if _is_gated(definition):
            delays = {node: rng.choice(UNEVEN_DELAYS_MS) for node in nodes}
            found.append((f"random non-SP {len(found) + 1}", definition, delays))
    return found


@contextlib.contextmanager
def sleeping_agents(delays_ms: dict[str, int]) -> Iterator[None]:
    """sales_intelligence agents that sleep for their node's delay (uneven agent times)."""

    def run(self: SalesIntelligenceAgent, config: Any, data: Any, ctx: Any) -> SalesIntelligenceOutput:
        time.sleep(delays_ms[ctx.node_id] / 1000)
        return SalesIntelligenceOutput(
            deals=[], count=0, total_amount=0.0, connector="sandbox", filters={}, use_rag=False
        )

    with mock.patch.object(SalesIntelligenceAgent, "run", run):
        yield


class AwsCallCounter:
    """Counts the AWS API calls made inside agent runs and gate calls, by service and operation."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.runs = 0
        self.gates = 0
        self._inside = threading.local()
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        counter = self
        real_call = BaseClient._make_api_call
        real_run, real_hold = AgentRunner.run, gates.hold

        def make_api_call(client: Any, operation: str, params: Any) -> Any:
            if getattr(counter._inside, "active", False):
                with counter._lock:
                    counter.calls[f"{client.meta.service_model.service_name}:{operation}"] += 1
            return real_call(client, operation, params)

        def counted(kind: str, function: Any) -> Any:
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                with counter._lock:
                    setattr(counter, kind, getattr(counter, kind) + 1)
                counter._inside.active = True
                try:
                    return function(*args, **kwargs)
                finally:
                    counter._inside.active = False

            return wrapper

        with (
            mock.patch.object(BaseClient, "_make_api_call", make_api_call),
            mock.patch.object(AgentRunner, "run", counted("runs", real_run)),
            mock.patch.object(gates, "hold", counted("gates", real_hold)),
        ):
            yield

    def report(self) -> dict[str, Any]:
        total = sum(self.calls.values())
        return {
            "agent_runs": self.runs,
            "gate_calls": self.gates,
            "calls": dict(self.calls.most_common()),
            "total_calls": total,
            "calls_per_node": round(total / self.runs, 1) if self.runs else None,
        }


def _measure_random(client: AgentFlowClient) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    rows = []
    counter = AwsCallCounter()
    with counter.installed():
        for name, definition, delays in random_non_sp_dags():
            workflow_id = client.create_workflow(definition)["id"]
            with sleeping_agents(delays):
                results = [measure_run(client, workflow_id, definition) for _ in range(RANDOM_RUNS)]
            row = summarise(name, definition, results)
            row["delays_ms"] = delays
            rows.append(row)
    return rows, counter.report()


def _measure_all(client: AgentFlowClient, runs: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A warm-up execution (the first call of each handler imports it in-process: keep that out of the
    figures), then every workflow ``runs`` times."""
    ids = {name: client.create_workflow(definition)["id"] for name, definition in WORKFLOWS.items()}
    warmup = measure_run(client, ids["fan-out 4 + fan-in"], WORKFLOWS["fan-out 4 + fan-in"])
    rows = []
    for name, definition in WORKFLOWS.items():
        results = [measure_run(client, ids[name], definition) for _ in range(runs)]
        rows.append(summarise(name, definition, results))
    return warmup, rows


def run(latency_ms: int = LATENCY_MS, runs: int = RUNS) -> dict[str, Any]:
    """Start the local stack once and measure every workflow on it."""
    with tempfile.TemporaryDirectory(prefix="agentflow-bench-") as tmp:
        data_dir = Path(tmp)
        function_log = data_dir / "functions.log"
        with LocalStack(
            data_dir=data_dir, sandbox_latency_ms=latency_ms, mode="server", function_log=function_log
        ) as stack:
            server = GatewayServer(Gateway(stack.template, stack.lambdas), port=0).start()
            client = AgentFlowClient(server.url, DEFAULT_API_KEY)
            try:
                # EMF metric lines go to stdout, as in Lambda: keep them with the function logs.
                with function_log.open("a") as sink, contextlib.redirect_stdout(sink):
                    warmup, rows = _measure_all(client, runs)
                    random_rows, calls = _measure_random(client)
            finally:
                client.close()
                server.stop()
    ratios = [row["makespan_over_critical_path"] for row in random_rows if row["makespan_over_critical_path"]]
    gaps = [row["median_dispatch_gap_ms"] for row in rows + random_rows if row["median_dispatch_gap_ms"]]
    worst = max(ratios) if ratios else None
    return {
        "sandbox_latency_ms": latency_ms,
        "runs_per_workflow": runs,
        "warmup": warmup,
        "workflows": rows,
        "random_non_series_parallel": random_rows,
        "random_runs_per_workflow": RANDOM_RUNS,
        "worst_random_makespan_over_critical_path": worst,
        "median_dispatch_gap_ms": round(statistics.median(gaps), 1) if gaps else None,
        "target_dispatch_gap_ms": TARGET_DISPATCH_GAP_MS,
        "aws_calls": calls,
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
