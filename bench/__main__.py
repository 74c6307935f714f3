"""``make bench``: compile time, parallelism on the local stack, handler import time and retrieval, in one
report. ``make bench`` is the quick default (retrieval over 500 chunks); ``make bench-full``
(``python -m bench --full``) fills the retrieval collection to 10,000 chunks.

Prints one table per section as it finishes, then writes the same figures to
``bench-results/bench.json``. Benchmarks are measured and reported against their targets, never
asserted: a missed target shows as MISSED, and the run still succeeds.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import compile_bench, fanout_bench, import_bench, makespan_bench, rag_bench
from bench.table import ms, ratio, render, verdict

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench-results" / "bench.json"
MB = 1_048_576
TARGET_NODES = 1_000  # the compile target is stated for this size
ROUTE_OVER_EMBEDDING_PLUS_CHROMA = 1.2
WARM_INGESTION_OVER_BARE = 0.8
CPU_REFERENCE_LOOPS = 1_000_000


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
    }


def cpu_reference_ms(runs: int = 5) -> dict[str, float]:
    """A fixed pure-Python loop: compares machine speed between reports (shared VMs drift)."""
    timings = []
    for _ in range(runs):
        clock = time.perf_counter()
        total = 0
        for value in range(CPU_REFERENCE_LOOPS):
            total += value
        timings.append((time.perf_counter() - clock) * 1000)
    return {"median_ms": round(statistics.median(timings), 1), "min_ms": round(min(timings), 1)}


def header(started: datetime, host: dict[str, Any]) -> str:
    reference = host["cpu_reference_start"]
    return "\n".join(
        [
            "AgentFlow benchmarks",
            f"  date:    {started:%Y-%m-%d %H:%M:%S} UTC",
            f"  machine: {host['cores']} cores, {host['machine']}, {host['platform']}",
            f"  python:  {host['implementation']} {host['python']} ({sys.executable})",
            f"  cpu ref: a {CPU_REFERENCE_LOOPS:,}-step Python loop takes {reference['median_ms']:.0f} ms "
            f"(median; min {reference['min_ms']:.0f} ms); repeated per section and at the end: "
            "this VM's speed drifts",
        ]
    )


def compile_table(rows: list[dict[str, Any]]) -> str:
    table = []
    for row in rows:
        targeted = row["nodes"] == TARGET_NODES
        size = row["definition_bytes"]
        table.append(
            [
                f"{row['nodes']:,}",
                f"{row['edges']:,}",
                ms(row["validate_ms"], 2),
                ms(row["compile_ms"], 2),
                ms(row["total_ms"], 2),
                f"< {compile_bench.TARGET_MS:.0f}" if targeted else "-",
                verdict(row["total_ms"] < compile_bench.TARGET_MS) if targeted else "-",
                "-" if size is None else f"{size:,}",
                "-" if size is None else f"{size / MB:.1%}",
                verdict(row["fits_1mb"]),
            ]
        )
    return render(
        "1. Compile + validate (random layered DAGs, fixed seed)",
        [
            "nodes",
            "edges",
            "validate ms",
            "compile ms",
            "total ms",
            "target ms",
            "met",
            "definition bytes",
            "of 1 MB",
            "fits",
        ],
        table,
        [
            f"Medians of {compile_bench.RUNS} runs each; total = validate_workflow + compile_workflow.",
            "Size = check_quotas (compact UTF-8 JSON); Step Functions accepts at most 1,048,576 bytes.",
        ],
    )


def makespan_table(result: dict[str, Any]) -> str:
    table = [
        [
            row["workflow"],
            str(row["nodes"]),
            f"{row['runs_completed']}/{len(row['runs'])}",
            ms(row["makespan_ms"], 0),
            ms(row["critical_path_ms"], 0),
            ratio(row["makespan_over_critical_path"]),
            verdict(row["meets_target"]),
            ratio(row["sequential_over_critical_path"]),
            ms(row["execution_wall_ms"], 0),
            ratio(row["sfn_overhead"]),
            ms(row["median_dispatch_gap_ms"], 0),
        ]
        for row in result["workflows"]
    ]
    return render(
        f"2. Makespan ÷ critical path on the local stack (sandbox latency {result['sandbox_latency_ms']} ms; "
        "fan-in branches are sales_intelligence)",
        [
            "workflow",
            "nodes",
            "runs ok",
            "makespan ms",
            "crit. path ms",
            "makespan/CP",
            f"≤ {makespan_bench.TARGET_RATIO}",
            "sequential/CP",
            "execution ms",
            "SFN overhead",
            "dispatch gap ms",
        ],
        table,
        [
            f"Medians of {result['runs_per_workflow']} runs each, after one unreported warm-up execution "
            "(handlers import in-process on first use).",
            "CP = longest path, each node weighing its measured duration_ms. sequential/CP = sum of "
            "durations ÷ CP (a one-node-at-a-time engine).",
            "SFN overhead = execution started_at→completed_at ÷ makespan "
            "(Parallel states, finalizer, polling).",
            "dispatch gap = a node's start - its last parent's end (median over nodes, then over runs).",
        ],
    )


def random_dags_table(result: dict[str, Any]) -> str:
    rows = result["random_non_series_parallel"]
    table = [
        [
            row["workflow"],
            str(row["nodes"]),
            str(row["edges"]),
            f"{row['runs_completed']}/{len(row['runs'])}",
            ms(row["makespan_ms"], 0),
            ms(row["critical_path_ms"], 0),
            ratio(row["makespan_over_critical_path"]),
            verdict(row["meets_target"]),
            ratio(row["sequential_over_critical_path"]),
            ms(row["median_dispatch_gap_ms"], 0),
            ms(
                max((max(run.get("dispatch_gaps_ms", {0: 0}).values()) for run in row["runs"]), default=None),
                0,
            ),
        ]
        for row in rows
    ]
    calls = result["aws_calls"]
    notes = [
        f"Random DAGs that are not series-parallel (start gates), agents sleeping "
        f"{'/'.join(map(str, makespan_bench.UNEVEN_DELAYS_MS))} ms; medians of "
        f"{result['random_runs_per_workflow']} runs. Worst makespan/CP: "
        f"{ratio(result['worst_random_makespan_over_critical_path'])}.",
        f"AWS calls inside agent runs and gate calls: {calls['total_calls']} for {calls['agent_runs']} runs "
        f"and {calls['gate_calls']} gate calls = {calls['calls_per_node']} per node. By operation: "
        + ", ".join(f"{name} {count}" for name, count in calls["calls"].items()),
    ]
    return render(
        "2b. Makespan ÷ critical path on DAGs that are not series-parallel (uneven agent times)",
        [
            "workflow",
            "nodes",
            "edges",
            "runs ok",
            "makespan ms",
            "crit. path ms",
            "makespan/CP",
            f"≤ {makespan_bench.TARGET_RATIO}",
            "sequential/CP",
            "median gap ms",
            "max gap ms",
        ],
        table,
        notes,
    )


def targets_table(report: dict[str, Any]) -> str:
    """Every target of the issue with its measured figure, ratio and verdict."""
    rows: list[list[str]] = []

    def add(target: str, measured: str, ratio_text: str, met: bool | None) -> None:
        rows.append([target, measured, ratio_text, verdict(met)])

    makespan = report["makespan"]
    sp = [
        row["makespan_over_critical_path"]
        for row in makespan["workflows"]
        if row["makespan_over_critical_path"]
    ]
    worst_sp = max(sp) if sp else None
    worst_random = makespan["worst_random_makespan_over_critical_path"]
    for label, value in (("series-parallel", worst_sp), ("not series-parallel", worst_random)):
        add(
            f"makespan ÷ critical path ≤ {makespan_bench.TARGET_RATIO} ({label}, worst)",
            ratio(value),
            ratio(value),
            None if value is None else value <= makespan_bench.TARGET_RATIO,
        )
    gap = makespan["median_dispatch_gap_ms"]
    add(
        f"dispatch gap ≤ {makespan_bench.TARGET_DISPATCH_GAP_MS:.0f} ms per node (median)",
        f"{ms(gap, 0)} ms",
        ratio(None if gap is None else gap / makespan_bench.TARGET_DISPATCH_GAP_MS),
        None if gap is None else gap <= makespan_bench.TARGET_DISPATCH_GAP_MS,
    )
    add("AWS calls per node (reported)", str(makespan["aws_calls"]["calls_per_node"]), "-", None)
    big = next((row for row in report["compile"]["rows"] if row["nodes"] == TARGET_NODES), None)
    if big:
        add(
            f"1,000-node compile < {compile_bench.TARGET_MS:.0f} ms",
            f"{ms(big['total_ms'], 1)} ms",
            ratio(big["total_ms"] / compile_bench.TARGET_MS),
            big["total_ms"] < compile_bench.TARGET_MS,
        )
        size = big["definition_bytes"]
        add(
            "1,000-node definition < 1 MB",
            "-" if size is None else f"{size:,} B",
            "-" if size is None else ratio(size / MB),
            big["fits_1mb"],
        )
    for row in report["imports"]["functions"]:
        reference = row.get("reference_ms")
        value = row["median_ms"]
        share = None if not reference or value is None else value / reference
        add(
            f"cold import {row['function']} ≤ {import_bench.TARGET_RATIO}x minimal handler",
            f"{ms(value, 0)} ms vs {ms(reference, 0)} ms",
            ratio(share),
            None if share is None else share <= import_bench.TARGET_RATIO,
        )
    rag = report["rag"]
    for search in rag["search"]["rows"]:
        reference = search["embedding"]["p50_ms"] + search["bare"]["p50_ms"]
        share = search["route"]["p50_ms"] / reference
        add(
            f"retrieval route ≤ {ROUTE_OVER_EMBEDDING_PLUS_CHROMA}x (embedding + Chroma), "
            f"{search['chunks']:,} chunks, p50",
            f"{ms(search['route']['p50_ms'], 1)} ms vs {ms(reference, 1)} ms",
            ratio(share),
            share <= ROUTE_OVER_EMBEDDING_PLUS_CHROMA,
        )
    warm = rag["ingestion"][-1]
    add(
        f"warm ingestion ≥ {WARM_INGESTION_OVER_BARE}x bare embedding throughput",
        f"{warm['chunks_per_s']:.1f} chunks/s",
        ratio(warm["pipeline_over_bare"]),
        warm["pipeline_over_bare"] >= WARM_INGESTION_OVER_BARE,
    )
    fan_out = report.get("fan_out")
    if fan_out:
        large = fan_out["fan_out"][-1]
        add(
            f"for_each over {large['records']:,} records: records/s ({large['status']}; ratio to one "
            "invocation)",
            f"{large['records_per_s']:.1f} records/s",
            ratio(fan_out["records_per_s_over_single_invocation"]),
            None,
        )
        add(
            f"for_each peak heap at {large['records']:,} ÷ at {fan_out['fan_out'][0]['records']:,} "
            f"records ({fan_out['records_growth']:.0f}x records)",
            f"{large['peak_heap_mb']:.0f} MB heap, {large['peak_rss_mb']:.0f} MB RSS",
            ratio(fan_out["peak_heap_growth"]),
            None,
        )
    return render("Targets (measured in this run)", ["target", "measured", "ratio", "met"], rows)


def import_tables(result: dict[str, Any]) -> str:
    target = f"{import_bench.TARGET_MS:.0f}"
    table = [
        [
            row["function"],
            row["handler"],
            ms(row["median_ms"], 0),
            "-" if row["min_ms"] is None else f"{row['min_ms']:,.0f}-{row['max_ms']:,.0f}",
            verdict(row["meets_target"]),
            ms(row["median_deployed_deps_ms"], 0),
            verdict(row["deployed_deps_meets_target"]),
            ms(row["median_tracing_disabled_ms"], 0),
            ms(row["xray_sdk_self_importtime_ms"], 0),
            ms(row["xray_sdk_importtime_ms"], 0),
        ]
        for row in result["functions"]
    ]
    runs = result["functions"][0]["runs"] if result["functions"] else 0
    notes = [
        f"Medians of {runs} runs (min-max of the same runs). Environment as deployed: template variables + "
        "Lambda runtime variables, so Powertools tracing is on.",
        "deployed deps = only pyproject's [project] dependencies and their closure visible (the dev venv "
        f"also holds sam-cli, moto, ...: {len(result['hidden_in_deployed_deps_runs'])} packages hidden).",
        "tracing off = POWERTOOLS_TRACE_DISABLED=true (no patch_all; the X-Ray SDK is still imported).",
        "X-Ray (one -X importtime run): own = the SDK's modules alone; +deps = with what they import first "
        "(patch_all pulls in botocore, httpx, requests).",
    ]
    notes += [f"ERROR {error}" for row in result["functions"] for error in row["errors"]]
    functions = render(
        "3. Cold import time of the handlers (fresh interpreter each run)",
        [
            "function",
            "handler",
            "median ms",
            "min-max ms",
            f"< {target}",
            "deployed deps ms",
            f"< {target}",
            "tracing off ms",
            "X-Ray own ms",
            "X-Ray +deps ms",
        ],
        table,
        notes,
    )
    slowest = result["slowest"]
    top = render(
        f"   Slowest handler ({slowest['function']}): top {len(slowest['top_imports'])} cumulative imports, "
        f"as a tree (-X importtime, {slowest['importtime_total_ms']:,.0f} ms in all)",
        ["import (indented by depth)", "cumulative ms", "self ms"],
        [
            ["  " * (row["depth"] - 1) + row["module"], ms(row["cumulative_ms"]), ms(row["self_ms"])]
            for row in slowest["top_imports"]
        ],
    )
    packages = render(
        f"   Slowest handler ({slowest['function']}): self time by top-level package",
        ["package", "self ms"],
        [[row["package"], ms(row["self_ms"])] for row in slowest["top_packages"]],
        ["-X importtime adds its own overhead: read these as shares of the whole, not exact costs."],
    )
    return "\n\n".join([functions, top, packages])


def section(title: str, work: Any) -> dict[str, Any]:
    """Run one benchmark; its result, duration and the machine's speed just before it."""
    reference = cpu_reference_ms()
    print(f"\n[{title} … cpu ref {reference['median_ms']:.0f} ms]", flush=True)
    clock = time.perf_counter()
    result = work()
    return {"result": result, "seconds": round(time.perf_counter() - clock, 1), "cpu_reference": reference}


def main(argv: list[str]) -> int:
    full = "--full" in argv
    started = datetime.now(UTC)
    clock = time.perf_counter()
    host = {**machine(), "cpu_reference_start": cpu_reference_ms()}
    print(header(started, host), flush=True)

    compiled = section("compile + validate", compile_bench.run)
    print(compile_table(compiled["result"]), flush=True)
    makespan = section("local stack: makespan ÷ critical path", makespan_bench.run)
    print(makespan_table(makespan["result"]), flush=True)
    print(random_dags_table(makespan["result"]), flush=True)
    sizes = fanout_bench.SIZES if full else fanout_bench.QUICK_SIZES
    fan_out = section(
        f"local stack: for_each over {', '.join(f'{size:,}' for size in sizes)} records",
        lambda: fanout_bench.run(sizes),
    )
    print(fanout_bench.table(fan_out["result"]), flush=True)
    # Three cold imports a function (and its reference) in the quick run, five in the full one.
    runs = import_bench.RUNS if full else import_bench.QUICK_RUNS
    imports = section("handler cold imports", lambda: import_bench.run(runs))
    print(import_tables(imports["result"]), flush=True)
    chunks = rag_bench.TOTAL_CHUNKS if full else rag_bench.QUICK_TOTAL_CHUNKS
    rag = section(
        f"retrieval: ingestion, search latency at {chunks:,} chunks, recall",
        lambda: rag_bench.run(total_chunks=chunks),
    )
    print(rag_bench.tables(rag["result"]), flush=True)

    host["cpu_reference_end"] = end = cpu_reference_ms()
    print(f"\ncpu ref at the end: {end['median_ms']:.0f} ms (median; min {end['min_ms']:.0f} ms)")
    elapsed = time.perf_counter() - clock
    report = {
        "generated_at": started.isoformat(timespec="seconds"),
        "machine": host,
        "elapsed_s": round(elapsed, 1),
        "compile": {
            "target_ms": compile_bench.TARGET_MS,
            "target_nodes": TARGET_NODES,
            "max_definition_bytes": MB,
            "runs": compile_bench.RUNS,
            "seconds": compiled["seconds"],
            "cpu_reference": compiled["cpu_reference"],
            "rows": compiled["result"],
        },
        "makespan": {
            **makespan["result"],
            "seconds": makespan["seconds"],
            "cpu_reference": makespan["cpu_reference"],
        },
        "imports": {
            **imports["result"],
            "target_ms": import_bench.TARGET_MS,
            "seconds": imports["seconds"],
            "cpu_reference": imports["cpu_reference"],
        },
        "rag": {**rag["result"], "seconds": rag["seconds"], "cpu_reference": rag["cpu_reference"]},
        "fan_out": {
            **fan_out["result"],
            "seconds": fan_out["seconds"],
            "cpu_reference": fan_out["cpu_reference"],
        },
    }
    print("\n" + targets_table(report), flush=True)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nDone in {elapsed:.0f} s. Figures written to {RESULTS.relative_to(ROOT)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
