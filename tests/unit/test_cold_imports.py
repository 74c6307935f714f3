"""Cold imports: each handler module loads what every invocation uses, and nothing only some use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Loaded on first use, by the routes, events or agents that need them.
NEVER_COLD = (
    "agentflow.compiler",
    "agentflow.schedule_expressions",
    "agentflow.llm",
    "agentflow.rag",
    "agentflow.workflow_diff",
    "agentflow.services.fanout",
    "agentflow.services.workflows",
    "agentflow.services.schedules",
    "chromadb",
    "numpy",
)
EXTRA_NEVER_COLD = {
    # The API's routes build their service (and its data layer) on their first request.
    "api": ("agentflow.services", "agentflow.store", "agentflow.execution_log", "agentflow.sfn"),
    # An agent function loads its own agent and connector on first use, not all of them.
    "agent": ("agentflow.agents.zendesk", "agentflow.connectors.zendesk", "agentflow_sandbox"),
    "authorizer": ("agentflow.models", "agentflow.services"),
}
# What the same import must still load: the SDK, during init, for the first call not to pay for it.
ALWAYS = ("boto3", "aws_lambda_powertools.logging")
PROBE = """
import json, sys
sys.path.insert(0, {code_dir!r})
import {module}
from pydantic import BaseModel
models = sys.modules.get("agentflow.models")
built = [
    name for name, value in vars(models).items()
    if isinstance(value, type) and issubclass(value, BaseModel) and value.__pydantic_complete__
] if models else []
print(json.dumps({{"modules": sorted(sys.modules), "built": built}}))
"""


def cold_import(function: str) -> dict[str, list[str]]:
    environment = os.environ | {
        "AWS_LAMBDA_FUNCTION_NAME": f"agentflow-{function}",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        "AGENT_TYPE": "zendesk",
        "PYTHONPATH": os.pathsep.join(str(ROOT / "layers" / layer) for layer in ("agentflow", "sandbox")),
    }
    code = PROBE.format(code_dir=str(ROOT / "functions" / function), module=f"{function}_handler")
    result = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    loaded: dict[str, list[str]] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def _under(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


@pytest.mark.parametrize("function", ["agent", "api", "authorizer", "ingest", "status", "trigger"])
def test_a_cold_import_loads_only_what_every_invocation_uses(function: str) -> None:
    # When a handler module is imported in a fresh interpreter, as Lambda's init does
    loaded = cold_import(function)
    # Then nothing that only some routes, events or agents use was loaded
    unneeded = NEVER_COLD + EXTRA_NEVER_COLD.get(function, ())
    assert [module for module in loaded["modules"] if _under(module, unneeded)] == []
    # And no pydantic contract built its validator yet (each is built on first use)
    assert loaded["built"] == []
    # But the SDK and the logger were, during init
    assert [module for module in ALWAYS if module not in loaded["modules"]] == []


def test_a_deferred_contract_validates_as_before() -> None:
    # Given contracts whose validators are built on first use
    from agentflow.models import AgentNode, WorkflowDefinition

    # Then they validate, default and reject exactly as eagerly built ones
    definition = WorkflowDefinition.model_validate(
        {"name": "w", "agents": [{"id": "a", "type": "zendesk"}], "edges": []}
    )
    assert definition.agents[0] == AgentNode(id="a", type="zendesk")
    with pytest.raises(ValueError, match="Extra inputs are not permitted"):
        AgentNode.model_validate({"id": "a", "type": "zendesk", "unknown": 1})
    assert "properties" in WorkflowDefinition.model_json_schema()
