"""Compile-time benchmark: how fast the DAG compiler is, and how big its state machines get.

Random layered DAGs (a fixed seed, so runs compare) of 10, 100 and 1,000 nodes are compiled
without validation; each row reports the median compile time and the definition's size against
Step Functions' 1 MB quota. Run it with ``python -m bench.compile_bench``.
"""

from __future__ import annotations

import math
import random
import statistics
import time
from itertools import pairwise
from typing import Any

from agentflow.compiler import MAX_DEFINITION_BYTES, check_quotas, compile_workflow
from agentflow.errors import InvalidInputError
from agentflow.models import WorkflowDefinition

SIZES = (10, 100, 1_000)
RUNS = 7
SEED = 20240601
# Realistic lengths matter here: every Task repeats its function ARN.
AGENT_FUNCTIONS = {
    "sales_intelligence": "arn:aws:lambda:us-east-1:123456789012:function:agentflow-sales-intelligence"
}
FINALIZER_ARN = "arn:aws:lambda:us-east-1:123456789012:function:agentflow-finalizer"


def layered_dag(node_count: int, rng: random.Random) -> WorkflowDefinition:
    """About sqrt(n) layers of sqrt(n) nodes; each node depends on 1-3 nodes of the layer before."""
    ids = [f"agent_{index:04d}" for index in range(node_count)]
    width = max(2, round(math.sqrt(node_count)))
    layers = [ids[start : start + width] for start in range(0, node_count, width)]
    edges = [
        {"source": parent, "target": node}
        for previous, layer in pairwise(layers)
        for node in layer
        for parent in rng.sample(previous, k=min(len(previous), rng.randint(1, 3)))
    ]
    return WorkflowDefinition.model_validate(
        {
            "name": f"Layered benchmark, {node_count} nodes",
            "agents": [{"id": node_id, "type": "sales_intelligence"} for node_id in ids],
            "edges": edges,
        }
    )


def measure(definition: WorkflowDefinition) -> dict[str, Any]:
    """Median compile time over RUNS runs, and the definition's size."""
    timings_ms: list[float] = []
    asl: dict[str, Any] | None = None
    error: str | None = None
    for _ in range(RUNS):
        started = time.perf_counter()
        try:
            asl = compile_workflow(definition, agent_functions=AGENT_FUNCTIONS, finalizer_arn=FINALIZER_ARN)
        except InvalidInputError as exc:  # the size quota: still worth timing and reporting
            error = exc.message
        timings_ms.append((time.perf_counter() - started) * 1000)
    size = check_quotas(asl) if asl is not None else None
    row: dict[str, Any] = {
        "nodes": len(definition.agents),
        "edges": len(definition.edges),
        "compile_ms": round(statistics.median(timings_ms), 2),
        "definition_bytes": size,
        "fits_1mb": size is not None and size <= MAX_DEFINITION_BYTES,
    }
    if error:
        row["error"] = error
    return row


def run() -> list[dict[str, Any]]:
    """One row per DAG size: nodes, edges, compile_ms (median), definition_bytes, fits_1mb."""
    rng = random.Random(SEED)  # a fixed seed: runs stay comparable
    return [measure(layered_dag(size, rng)) for size in SIZES]


if __name__ == "__main__":
    print(f"{'nodes':>6} {'edges':>6} {'compile ms':>11} {'bytes':>10} {'fits 1 MB':>9}")
    for row in run():
        size = f"{row['definition_bytes']:,}" if row["definition_bytes"] is not None else "-"
        fits = str(row["fits_1mb"])
        print(f"{row['nodes']:>6} {row['edges']:>6} {row['compile_ms']:>11.2f} {size:>10} {fits:>9}")
