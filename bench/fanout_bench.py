"""``for_each`` over many records on the local stack: records/s and peak memory.

An email node fanned out over the N deals of its parent (a sales_intelligence node that returns
N generated deals: the API takes at most 1 MiB of execution input), 25 deals a batch (the
default), 10 batches at a time, sending through the Outlook sandbox, runs through the HTTP API of
an in-process local stack (moto's Step Functions engine runs the Inline Map; every batch is its own
agent invocation). For each N: wall-clock from start to terminal status, records/s, the Python
heap's peak while the run lasted (tracemalloc, everything in the process: moto's tables and
objects, the handlers, the merge) and the process's peak RSS.

References measured in the same run, after a warm-up: the same node without ``for_each`` over 100
deals, for records/s; and the smaller fan-out, for memory growth: peak heap at the larger size ÷ at
the smaller grows with the records ratio when memory grows with the records (the merged output and
moto's copy of every stored item), and less where something is bounded.

Run it alone with ``python -m bench.fanout_bench``.
"""

from __future__ import annotations

import contextlib
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock

from agentflow.agents.sales_intelligence import SalesIntelligenceAgent, SalesIntelligenceOutput
from agentflow.client import AgentFlowClient
from agentflow.connectors.base import Opportunity
from agentflow.local.gateway import Gateway, GatewayServer
from agentflow.local.stack import DEFAULT_API_KEY, LocalStack
from bench.table import render

SIZES = (1_000, 10_000)  # make bench-full
QUICK_SIZES = (100, 400)  # make bench: well under a minute (bench-full: 1,000 and 10,000)
REFERENCE_RECORDS = 100
BATCH_SIZE = 25
MAX_CONCURRENCY = 10
MB = 1_048_576


def deals(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": f"D-{n:05d}",
            "name": f"Renewal {n}",
            "account_name": f"Account {n % 97}",
            "amount": 100_000 + n,
            "stage": "Negotiation",
            "close_date": "2026-11-30",
            "owner_name": f"Owner {n}",
            "owner_email": f"owner{n}@example.com",
        }
        for n in range(count)
    ]


@contextlib.contextmanager
def generated_deals() -> Iterator[None]:
    """sales_intelligence returns as many generated deals as the request (its input) says."""

    def run(self: SalesIntelligenceAgent, config: Any, data: Any, ctx: Any) -> SalesIntelligenceOutput:
        found = [Opportunity.model_validate(deal) for deal in deals(int(data))]
        return SalesIntelligenceOutput(
            deals=found, count=len(found), total_amount=0.0, connector="sandbox", filters={}, use_rag=False
        )

    with mock.patch.object(SalesIntelligenceAgent, "run", run):
        yield


def workflow(fan_out: bool) -> dict[str, Any]:
    node: dict[str, Any] = {
        "id": "mail",
        "type": "email_outreach",
        "config": {"connector": "outlook", "max_emails": BATCH_SIZE if fan_out else REFERENCE_RECORDS},
    }
    if fan_out:
        node["for_each"] = {"batch_size": BATCH_SIZE, "max_concurrency": MAX_CONCURRENCY}
    return {
        "name": f"bench for_each={fan_out}",
        "agents": [{"id": "sales", "type": "sales_intelligence"}, node],
        "edges": [{"source": "sales", "target": "mail"}],
    }


def measure(client: AgentFlowClient, workflow_id: str, count: int) -> dict[str, Any]:
    tracemalloc.reset_peak()
    heap_before, _ = tracemalloc.get_traced_memory()
    clock = time.perf_counter()
    started = client.start_execution(workflow_id, str(count))
    execution = client.wait(started["id"], timeout=1800, interval=1.0)
    seconds = time.perf_counter() - clock
    _, heap_peak = tracemalloc.get_traced_memory()
    run = next((run for run in execution["agent_executions"] if run["agent_id"] == "mail"), {})
    output = run.get("output") or {}
    return {
        "records": count,
        "status": execution["status"],
        "batches": run.get("batches"),
        "emails_sent": output.get("emails_sent"),
        "seconds": round(seconds, 2),
        "records_per_s": round(count / seconds, 1),
        "peak_heap_mb": round((heap_peak - heap_before) / MB, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def run(sizes: tuple[int, ...] = SIZES) -> dict[str, Any]:
    """Start an in-process local stack and run the reference, then each size of fan-out."""
    with tempfile.TemporaryDirectory(prefix="agentflow-fanout-") as tmp:
        data_dir = Path(tmp)
        function_log = data_dir / "functions.log"
        with LocalStack(data_dir=data_dir, mode="server", function_log=function_log) as stack:
            server = GatewayServer(Gateway(stack.template, stack.lambdas), port=0).start()
            client = AgentFlowClient(server.url, DEFAULT_API_KEY)
            tracemalloc.start()
            try:
                with function_log.open("a") as sink, contextlib.redirect_stdout(sink), generated_deals():
                    single = client.create_workflow(workflow(fan_out=False))["id"]
                    fanned = client.create_workflow(workflow(fan_out=True))["id"]
                    measure(client, fanned, BATCH_SIZE * 2)  # warm-up: cold imports, first calls
                    reference = measure(client, single, REFERENCE_RECORDS)
                    rows = [measure(client, fanned, count) for count in sizes]
            finally:
                tracemalloc.stop()
                client.close()
                server.stop()
    small, large = rows[0], rows[-1]
    return {
        "batch_size": BATCH_SIZE,
        "max_concurrency": MAX_CONCURRENCY,
        "reference_single_invocation": reference,
        "fan_out": rows,
        "records_per_s_over_single_invocation": round(large["records_per_s"] / reference["records_per_s"], 2),
        "peak_heap_growth": round(large["peak_heap_mb"] / small["peak_heap_mb"], 2)
        if small["peak_heap_mb"]
        else None,
        "records_growth": large["records"] / small["records"],
    }


def table(result: dict[str, Any]) -> str:
    reference = result["reference_single_invocation"]
    rows = [
        [
            f"for_each, {row['records']:,} records"
            if row.get("batches")
            else f"one invocation, {row['records']:,}",
            row["status"],
            "-" if not row.get("batches") else f"{row['batches']['completed']}/{row['batches']['total']}",
            f"{row['seconds']:,.1f}",
            f"{row['records_per_s']:,.1f}",
            f"{row['peak_heap_mb']:,.1f}",
            f"{row['peak_rss_mb']:,.0f}",
        ]
        for row in [reference, *result["fan_out"]]
    ]
    return render(
        f"for_each on the local stack ({result['batch_size']} a batch, "
        f"{result['max_concurrency']} at a time)",
        ["run", "status", "batches", "seconds", "records/s", "peak heap MB", "peak RSS MB"],
        rows,
        [
            "Peak heap: tracemalloc over the whole process (moto's stored items and objects included) "
            "while the run lasted; RSS: the process's peak so far.",
        ],
    )


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
