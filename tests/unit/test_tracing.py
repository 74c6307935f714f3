"""Tracing: no X-Ray SDK on the cold path unless the stack asks for its subsegments."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agentflow import tracing
from agentflow.settings import function_environment

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("function", ["agent", "api", "status", "trigger"])
def test_a_cold_import_of_a_handler_loads_no_xray_sdk(function: str) -> None:
    # Given a fresh interpreter with the environment Lambda gives a function
    environment = os.environ | {
        "AWS_LAMBDA_FUNCTION_NAME": f"agentflow-{function}",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        "_X_AMZN_TRACE_ID": "Root=1-00000000-000000000000000000000000",
        "PYTHONPATH": str(ROOT / "layers" / "agentflow"),
    }
    environment.pop("POWERTOOLS_TRACE_DISABLED", None)
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT / 'functions' / function)!r}); "
        f"import {function}_handler; print('aws_xray_sdk' in sys.modules)"
    )
    # When the handler module is imported
    result = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=True
    )
    # Then the X-Ray SDK was not
    assert result.stdout.strip() == "False", result.stderr


def test_with_xray_sdk_on_the_handler_runs_inside_the_powertools_tracer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[str] = []

    class FakeTracer:
        def capture_lambda_handler(self, handler: Any) -> Any:
            def traced(event: Any, context: Any) -> Any:
                calls.append("traced")
                return handler(event, context)

            return traced

    monkeypatch.setattr(tracing, "tracer", FakeTracer)
    handler = tracing.capture_lambda_handler(lambda event, context: event["n"] + 1)
    with function_environment({"XRAY_SDK": "true"}):
        assert handler({"n": 1}, None) == 2
        assert handler({"n": 2}, None) == 3
    assert calls == ["traced", "traced"]


def test_with_xray_sdk_off_the_handler_runs_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_tracer() -> Any:
        raise AssertionError("the Tracer must not be built")

    monkeypatch.setattr(tracing, "tracer", no_tracer)
    handler = tracing.capture_lambda_handler(lambda event, context: event["n"] * 2)
    with function_environment({}):
        assert handler({"n": 4}, None) == 8
