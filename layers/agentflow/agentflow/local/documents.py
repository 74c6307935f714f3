"""The sandbox documents (account plans, product, pricing and support sheets) the local stack indexes.

They ship in the sandbox layer, ``agentflow_sandbox/data/documents`` (written by
tools/generate_documents.py, listed in its manifest) and are uploaded through the API like any
user's files, so the reference workflow's emails cite real passages locally.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from agentflow.client import AgentFlowClient


def sandbox_documents() -> list[tuple[str, bytes]]:
    """(filename, bytes) of every sandbox document, in manifest order."""
    folder = resources.files("agentflow_sandbox") / "data" / "documents"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return [(entry["filename"], (folder / entry["filename"]).read_bytes()) for entry in manifest["documents"]]


def seed_sandbox_documents(client: AgentFlowClient, timeout: float = 300.0) -> list[dict[str, Any]]:
    """Upload the sandbox documents the tenant does not have yet, and wait until each is settled."""
    present = {
        document["filename"] for document in client.documents(limit=None)[0] if document["status"] != "failed"
    }
    uploaded = [
        client.upload_document(name, data) for name, data in sandbox_documents() if name not in present
    ]
    return [client.wait_for_document(document["id"], timeout) for document in uploaded]
