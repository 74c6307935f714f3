"""Cold import time of every Lambda handler in template.yaml: the part of a cold start we control.

Each measurement is a fresh interpreter that puts the function's code directory first on sys.path
(as Lambda does with /var/task) and times ``import <handler module>``; interpreter start-up is not
counted. The environment is the function's own (template.yaml) plus the variables the Lambda runtime
sets, so Powertools' Tracer is on, as deployed (it switches itself off outside Lambda).

Two more columns, for contrast: the same import with only the deployed dependencies visible (the
closure of pyproject.toml's ``[project] dependencies``; the dev venv also holds sam-cli, moto and
their dependencies, which some libraries import opportunistically when present), and with
POWERTOOLS_TRACE_DISABLED=true. The X-Ray SDK share comes from one ``-X importtime`` run. The reference
is the minimal Powertools handler of the function's kind (``bench/reference_handlers``: for the API a
resolver with validation + Logger + boto3, for the others Logger + boto3), imported the same way in the
same environment, interleaved with the function's runs. Run it alone with ``python -m bench.import_bench``.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import os
import re
import statistics
import subprocess
import sys
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from agentflow.local.template import FunctionSpec, StackTemplate

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
QUICK_RUNS = 3  # make bench; the medians of three still show each ratio to its reference
TARGET_MS = 400.0
TARGET_RATIO = 1.15  # cold import ÷ the minimal Powertools handler of its kind
REFERENCES = Path(__file__).with_name("reference_handlers")
API_FUNCTION = "ApiFunction"
TOP_IMPORTS = 5
TIMED_IMPORT = (
    "import time,sys; sys.path.insert(0, {code_dir!r}); t=time.perf_counter(); import {module}; "
    "print(time.perf_counter()-t)"
)
# Put first on sys.meta_path, it makes packages outside the deployed closure look not installed.
HIDE_PACKAGES = """import sys
class _NotDeployed:
    hidden = frozenset({hidden!r})
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name.partition(".")[0] in cls.hidden:
            raise ModuleNotFoundError(f"No module named {{name!r}} (not deployed)", name=name)
        return None
sys.meta_path.insert(0, _NotDeployed)
"""
IMPORTTIME_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( *)(\S+)\s*$")
XRAY_PACKAGE = "aws_xray_sdk"


class ImportFailedError(Exception):
    """A handler module did not import (reported, not raised past the benchmark)."""


def functions() -> dict[str, FunctionSpec]:
    return StackTemplate.load(ROOT / "template.yaml", "agentflow-local", "us-east-1").functions()


def lambda_environment(spec: FunctionSpec, tracing: bool = True) -> dict[str, str]:
    """The function's variables plus what the Lambda runtime sets; nothing inherited but PATH and HOME."""
    code_dir = str(spec.code_dir.resolve())
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        "AWS_LAMBDA_FUNCTION_NAME": spec.name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "LAMBDA_TASK_ROOT": code_dir,
        "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
        "AWS_XRAY_DAEMON_ADDRESS": "169.254.79.129:2000",
        # The layer, where Lambda puts it on sys.path (/opt/python): this checkout's, not whatever
        # the venv's editable install points at.
        "PYTHONPATH": str(ROOT / "layers" / "agentflow"),
        **spec.environment,
    }
    if not tracing:
        environment["POWERTOOLS_TRACE_DISABLED"] = "true"
    return environment


def deployed_distributions() -> set[str]:
    """The project and the closure of its ``[project] dependencies`` (extras followed), as installed."""
    roots = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    closure: dict[str, set[str]] = {canonicalize_name(roots["name"]): set()}
    pending = [Requirement(text) for text in roots["dependencies"]]
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        extras = set(requirement.extras)
        if name in closure and extras <= closure[name]:
            continue
        closure.setdefault(name, set()).update(extras)
        try:
            requires = importlib.metadata.distribution(name).requires or []
        except importlib.metadata.PackageNotFoundError:
            continue  # not installed here: nothing to hide or follow
        for text in requires:
            child = Requirement(text)
            markers = [{"extra": extra} for extra in extras or {""}]
            if child.marker is None or any(child.marker.evaluate(marker) for marker in markers):
                pending.append(child)
    return set(closure)


@cache
def hidden_packages() -> tuple[str, ...]:
    """Top-level import names installed in this venv that no deployed distribution provides."""
    deployed = deployed_distributions()
    return tuple(
        sorted(
            name
            for name, distributions in importlib.metadata.packages_distributions().items()
            if name not in sys.stdlib_module_names
            and not any(canonicalize_name(distribution) in deployed for distribution in distributions)
        )
    )


def _module(spec: FunctionSpec) -> str:
    return spec.handler.rsplit(".", 1)[0]


def timed_import_ms(spec: FunctionSpec, tracing: bool = True, deployed_only: bool = False) -> float:
    """One cold import of the handler module in a fresh interpreter, in milliseconds."""
    code_dir = str(spec.code_dir.resolve())
    script = TIMED_IMPORT.format(code_dir=code_dir, module=_module(spec))
    if deployed_only:
        script = HIDE_PACKAGES.format(hidden=hidden_packages()) + script
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=code_dir,
        env=lambda_environment(spec, tracing),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        raise ImportFailedError(f"{spec.logical_id}: import {_module(spec)} failed: {last}")
    return float(result.stdout.strip().splitlines()[-1]) * 1000


def reference_spec(spec: FunctionSpec) -> FunctionSpec:
    """The minimal handler of the function's kind, with the function's own environment."""
    kind = "api" if spec.logical_id == API_FUNCTION else "plain"
    return dataclasses.replace(spec, code_dir=REFERENCES / kind, handler="handler.lambda_handler")


def _median_of(runs: list[float]) -> float | None:
    return round(statistics.median(runs), 1) if runs else None


def importtime(spec: FunctionSpec) -> list[dict[str, Any]]:
    """``-X importtime`` of the handler module: one row per import (self and cumulative ms, depth)."""
    code_dir = str(spec.code_dir.resolve())
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {_module(spec)}"],
        cwd=code_dir,
        env=lambda_environment(spec),
        capture_output=True,
        text=True,
    )  # a failed import still leaves its timings up to the failure on stderr
    rows = []
    for line in result.stderr.splitlines():
        found = IMPORTTIME_LINE.match(line)
        if found:
            self_us, cumulative_us, indent, module = found.groups()
            rows.append(
                {
                    "module": module,
                    "depth": len(indent) // 2,
                    "self_ms": int(self_us) / 1000,
                    "cumulative_ms": int(cumulative_us) / 1000,
                }
            )
    return rows


def _is_xray(module: str) -> bool:
    return module == XRAY_PACKAGE or module.startswith(XRAY_PACKAGE + ".")


def xray_share_ms(rows: list[dict[str, Any]]) -> float:
    """Cumulative time of the X-Ray SDK imports whose importer is not itself part of the SDK.

    ``-X importtime`` prints an import after its children, so an import's importer is the next
    row with a smaller depth.
    """
    total = 0.0
    for index, row in enumerate(rows):
        if not _is_xray(row["module"]):
            continue
        importer = next((later for later in rows[index + 1 :] if later["depth"] < row["depth"]), None)
        if importer is None or not _is_xray(importer["module"]):
            total += row["cumulative_ms"]
    return total


def xray_self_ms(rows: list[dict[str, Any]]) -> float:
    """Time spent in the X-Ray SDK's own modules, not counting what they import."""
    return sum(row["self_ms"] for row in rows if _is_xray(row["module"]))


def measure(spec: FunctionSpec, runs: int) -> dict[str, Any]:
    # One untimed import first: it rewrites any stale bytecode cache (others edit the sources), as a
    # deployed package ships compiled dependencies.
    errors: list[str] = []
    try:
        timed_import_ms(spec)
    except ImportFailedError as error:
        errors.append(str(error))
    variants = {"traced": {}, "deployed": {"deployed_only": True}, "untraced": {"tracing": False}}
    reference = reference_spec(spec)
    specs = {"traced": spec, "deployed": spec, "untraced": spec, "reference": reference}
    variants["reference"] = {}
    timings: dict[str, list[float]] = {variant: [] for variant in variants}
    for _ in range(runs):  # interleaved, so a noisy neighbour slows every column alike
        for variant, options in variants.items():
            try:
                timings[variant].append(timed_import_ms(specs[variant], **options))
            except ImportFailedError as error:
                if str(error) not in errors:
                    errors.append(str(error))
    traced = timings["traced"]
    profile = importtime(spec) if traced else []
    median = _median_of(traced)
    deployed = _median_of(timings["deployed"])
    reference_ms = _median_of(timings["reference"])
    over = None if median is None or not reference_ms else round(median / reference_ms, 3)
    return {
        "function": spec.logical_id,
        "handler": spec.handler,
        "code_dir": str(spec.code_dir.relative_to(ROOT)),
        "runs": runs,
        "median_ms": median,
        "min_ms": round(min(traced), 1) if traced else None,
        "max_ms": round(max(traced), 1) if traced else None,
        "median_deployed_deps_ms": deployed,
        "median_tracing_disabled_ms": _median_of(timings["untraced"]),
        # -X importtime inflates every figure a little: read this as a share, not an exact cost.
        "xray_sdk_importtime_ms": round(xray_share_ms(profile), 1),
        "xray_sdk_self_importtime_ms": round(xray_self_ms(profile), 1),
        "importtime_total_ms": round(max((row["cumulative_ms"] for row in profile), default=0.0), 1),
        "target_ms": TARGET_MS,
        "meets_target": None if median is None else median < TARGET_MS,
        "reference": str(reference.code_dir.relative_to(ROOT)),
        "reference_ms": reference_ms,
        "over_reference": over,
        "meets_reference_target": None if over is None else over <= TARGET_RATIO,
        "deployed_deps_meets_target": None if deployed is None else deployed < TARGET_MS,
        "errors": errors,
        "_profile": profile,
    }


def top_imports(profile: list[dict[str, Any]], count: int = TOP_IMPORTS) -> list[dict[str, Any]]:
    """The slowest imports by cumulative time (the handler module itself, depth 0, left out), in tree order.

    ``-X importtime`` prints an import after its children, so reversed order puts importers first.
    """
    ranked = sorted(
        (index for index, row in enumerate(profile) if row["depth"] > 0),
        key=lambda index: profile[index]["cumulative_ms"],
        reverse=True,
    )
    return [profile[index] for index in sorted(ranked[:count], reverse=True)]


def by_package(profile: list[dict[str, Any]], count: int = TOP_IMPORTS) -> list[dict[str, Any]]:
    """Self time summed per top-level package: a partition of the whole import, largest first."""
    totals: dict[str, float] = {}
    for row in profile:
        package = row["module"].split(".")[0]
        totals[package] = totals.get(package, 0.0) + row["self_ms"]
    ranked = sorted(totals.items(), key=lambda item: item[1], reverse=True)
    return [{"package": package, "self_ms": round(total, 1)} for package, total in ranked[:count]]


def run(runs: int = RUNS) -> dict[str, Any]:
    """One row per function, and where the slowest handler's import time goes."""
    rows = [measure(spec, runs) for spec in functions().values()]
    slowest = max(rows, key=lambda row: row["median_ms"] or 0.0)
    profile = slowest["_profile"]
    for row in rows:
        del row["_profile"]
    return {
        "hidden_in_deployed_deps_runs": list(hidden_packages()),
        "functions": rows,
        "slowest": {
            "function": slowest["function"],
            "importtime_total_ms": slowest["importtime_total_ms"],
            "top_imports": top_imports(profile),
            "top_packages": by_package(profile),
        },
    }


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
