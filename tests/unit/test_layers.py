"""The agent layer holds what production runs; the vendor emulators and their data are the sandbox layer's."""

from __future__ import annotations

import ast
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AGENT_LAYER = ROOT / "layers/agentflow"
SANDBOX_LAYER = ROOT / "layers/sandbox"


def _modules(layer: Path) -> list[Path]:
    return [path for path in layer.rglob("*.py") if "__pycache__" not in path.parts]


def test_the_agent_layer_ships_no_bundled_vendor_data() -> None:
    shipped = {
        path.relative_to(AGENT_LAYER).as_posix()
        for path in AGENT_LAYER.rglob("*")
        if path.is_file()
        and path.suffix != ".py"
        and not any(part == "__pycache__" or part.endswith(".egg-info") for part in path.parts)
    }
    assert shipped == {"requirements.txt", "agentflow/py.typed"}


def test_no_agent_layer_module_defines_or_imports_an_emulator() -> None:
    for path in _modules(AGENT_LAYER):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                assert not node.name.endswith("Sandbox"), f"{path}: class {node.name}"
            if isinstance(node, ast.ImportFrom):
                assert not (node.module or "").startswith("agentflow_sandbox"), (
                    f"{path} imports {node.module}"
                )
            if isinstance(node, ast.Import):
                assert all(not alias.name.startswith("agentflow_sandbox") for alias in node.names), path


def test_every_vendor_with_a_live_client_has_its_emulator_in_the_sandbox_layer() -> None:
    from agentflow.connectors.factory import CRM_CONNECTORS, MAIL_CONNECTORS, VENDOR_CONNECTORS

    vendors = (set(VENDOR_CONNECTORS) | set(CRM_CONNECTORS) | set(MAIL_CONNECTORS)) - {"ses"}
    emulators = {path.stem for path in (SANDBOX_LAYER / "agentflow_sandbox").glob("*.py")} - {"__init__"}
    assert emulators == vendors
    data = {path.name for path in (SANDBOX_LAYER / "agentflow_sandbox/data").glob("*.json")}
    assert "jira_issues.json" in data and "hubspot_crm.json" in data


def test_the_installed_package_data_follows_the_split() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert setuptools["package-data"]["agentflow"] == ["py.typed"]
    assert "data/*.json" in setuptools["package-data"]["agentflow_sandbox"]
    assert setuptools["packages"]["find"]["where"] == ["layers/agentflow", "layers/sandbox"]


def test_a_sandbox_on_a_stack_without_the_sandbox_layer_fails_plainly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from agentflow.connectors.factory import ConnectorFactory
    from agentflow.errors import ConnectorError
    from agentflow.settings import Settings

    # Given a deployed function without the sandbox layer (agentflow_sandbox cannot be imported)
    monkeypatch.setitem(sys.modules, "agentflow_sandbox", None)
    monkeypatch.delitem(sys.modules, "agentflow_sandbox.jira", raising=False)
    factory = ConnectorFactory(Settings.model_validate({"CONNECTOR_MODE": "sandbox"}), "t")
    # When an agent opens its connector in sandbox mode, Then the error says what is missing
    with pytest.raises(ConnectorError, match="needs the sandbox layer"):
        factory.open("jira")
