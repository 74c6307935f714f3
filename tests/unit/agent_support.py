"""What agent unit tests share: a recording execution log and a sandbox agent context."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agentflow.agents.base import AgentContext
from agentflow.agents.sales_intelligence import SalesIntelligenceAgent, SalesIntelligenceConfig
from agentflow.connectors.factory import ConnectorFactory
from agentflow.settings import Settings


class RecordingLog:
    """Keeps the lines an agent writes (the execution log's interface)."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def debug(self, message: str) -> None:
        self.lines.append(("DEBUG", message))

    def info(self, message: str) -> None:
        self.lines.append(("INFO", message))

    def warning(self, message: str) -> None:
        self.lines.append(("WARN", message))

    def error(self, message: str) -> None:
        self.lines.append(("ERROR", message))


def sandbox_context(sandbox_dir: Path, node_id: str = "node", **environment: str) -> AgentContext:
    """An agent context on sandbox connectors writing under ``sandbox_dir``."""
    settings = Settings.model_validate(
        {"CONNECTOR_MODE": "sandbox", "SANDBOX_DIR": str(sandbox_dir), **environment}
    )
    return AgentContext(
        tenant_id="t",
        execution_id="exec_1",
        workflow_id="wf_1",
        node_id=node_id,
        settings=settings,
        log=RecordingLog(),
        connectors=ConnectorFactory(settings, "t"),
    )


def reference_deals(ctx: AgentContext) -> dict[str, Any]:
    """The sales agent's output for the reference workflow's filters (20 deals)."""
    config = SalesIntelligenceConfig(stage="Negotiation", min_amount=100000, close_quarter="Q4")
    return SalesIntelligenceAgent().run(config, "Find Q4 deals", ctx).model_dump(mode="json")
