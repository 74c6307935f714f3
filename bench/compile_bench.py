"""Compile-time benchmark: how fast the DAG compiler is, and how big its state machines get.

Random layered DAGs (a fixed seed, so runs compare) of 10, 100 and 1,000 nodes are validated
(graph and agent configs, as on registration) and compiled; each row reports the median times and
the definition's size against Step Functions' 1 MB quota. ``python -m bench`` reports it with the
other benchmarks; ``python -m bench.compile_bench`` runs it alone.
"""

from __future__ import annotations

import json
import math
import random
import statistics
import time
from itertools import pairwise
from typing import Any

from agentflow.compiler import MAX_DEFINITION_BYTES, check_quotas, compile_workflow
from agentflow.dag import validate_workflow
from agentflow.errors import InvalidInputError
from agentflow.models import WorkflowDefinition
from agentflow.registry import REGISTRY

SIZES = (10, 100, 1_000)
RUNS = 7
SEED = 20240601
# Realistic lengths matter here: every Task repeats its function ARN.
AGENT_FUNCTIONS = {
    "sales_intelligence": "arn:aws:lambda:us-east-1:123456789012:function:agentflow-sales-intelligence",
    "email_outreach": "arn:aws:lambda:us-east-1:123456789012:function:agentflow-email-outreach",
}
TARGET_MS = 50.0  # validate + compile of a 1,000-node DAG
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
            # An empty config is valid for sales_intelligence, so validation runs its full course.
            "agents": [{"id": node_id, "type": "sales_intelligence", "config": {}} for node_id in ids],
            "edges": edges,
        }
    )


def measure(definition: WorkflowDefinition) -> dict[str, Any]:
    """Median validate, compile and validate + compile times over RUNS runs, and the definition's size."""
    validate_ms: list[float] = []
    compile_ms: list[float] = []
    asl: dict[str, Any] | None = None
    error: str | None = None
    for _ in range(RUNS):
        started = time.perf_counter()
        validate_workflow(definition, REGISTRY)
        validated = time.perf_counter()
        try:
            asl = compile_workflow(definition, agent_functions=AGENT_FUNCTIONS, finalizer_arn=FINALIZER_ARN)
        except InvalidInputError as exc:  # the size quota: still worth timing and reporting
            error = exc.message
        validate_ms.append((validated - started) * 1000)
        compile_ms.append((time.perf_counter() - validated) * 1000)
    size = _size(asl) if asl is not None else None
    row: dict[str, Any] = {
        "nodes": len(definition.agents),
        "edges": len(definition.edges),
        "validate_ms": round(statistics.median(validate_ms), 2),
        "compile_ms": round(statistics.median(compile_ms), 2),
        # The median of the per-run sums, not the sum of the medians.
        "total_ms": round(statistics.median(map(sum, zip(validate_ms, compile_ms, strict=True))), 2),
        "definition_bytes": size,
        "fits_1mb": size is not None and size <= MAX_DEFINITION_BYTES,
    }
    if error:
        row["error"] = error
    return row


def _size(asl: dict[str, Any]) -> int:
    """The definition's size; over the quota, the size anyway (the benchmark reports, never fails)."""
    try:
        return check_quotas(asl)
    except InvalidInputError:
        return len(json.dumps(asl, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def run() -> list[dict[str, Any]]:
    """One row per DAG size: nodes, edges, validate_ms, compile_ms, total_ms (medians), definition_bytes,
    fits_1mb."""
    rng = random.Random(SEED)  # a fixed seed: runs stay comparable
    return [measure(layered_dag(size, rng)) for size in SIZES]


if __name__ == "__main__":
    print(f"{'nodes':>6} {'edges':>6} {'validate ms':>12} {'compile ms':>11} {'bytes':>10} {'fits 1 MB':>9}")
    for row in run():
        size = f"{row['definition_bytes']:,}" if row["definition_bytes"] is not None else "-"
        fits = str(row["fits_1mb"])
        print(
            f"{row['nodes']:>6} {row['edges']:>6} {row['validate_ms']:>12.2f} {row['compile_ms']:>11.2f}"
            f" {size:>10} {fits:>9}"
        )
