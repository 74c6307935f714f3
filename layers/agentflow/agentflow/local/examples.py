"""The example workflows of ``examples/`` that the local stack registers, so the console opens on real
workflows instead of an empty list."""

from __future__ import annotations

import json
from typing import Any

from agentflow.client import AgentFlowClient
from agentflow.local.stack import project_root


def example_definitions() -> list[dict[str, Any]]:
    """Every workflow definition in the checkout's ``examples/`` folder, by file name."""
    return [json.loads(path.read_text()) for path in sorted((project_root() / "examples").glob("*.json"))]


def register_examples(client: AgentFlowClient) -> list[dict[str, Any]]:
    """Create each example the tenant has no workflow of the same name for; returns those created.

    Matching by name makes a restart on the same data, or a user who already imported one, add
    nothing twice.
    """
    present = {workflow["name"] for workflow in client.workflows(limit=None)[0]}
    return [
        client.create_workflow(definition)
        for definition in example_definitions()
        if definition["name"] not in present
    ]
