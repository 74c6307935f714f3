"""The reference workflow with use_rag on the sandbox documents: every email cites its account's notes.

The sandbox documents are uploaded through the API and ingested for real (state machine, offline
MiniLM, embedded Chroma), as `agentflow local` and the demo do.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from agentflow.client import AgentFlowClient
from agentflow.local.documents import sandbox_documents, seed_sandbox_documents
from agentflow.local.gateway import Gateway
from tests.helpers import REFERENCE_INPUT, gateway_client, reference_workflow


@pytest.fixture(scope="module")
def client(gateway: Gateway) -> Iterator[AgentFlowClient]:
    with gateway_client(gateway, "key-tenant-a") as api:
        yield api


@pytest.fixture(scope="module")
def seeded(client: AgentFlowClient) -> list[dict[str, Any]]:
    return seed_sandbox_documents(client)


@pytest.fixture(scope="module")
def emails(client: AgentFlowClient, seeded: list[dict[str, Any]]) -> list[dict[str, Any]]:
    workflow = client.create_workflow(reference_workflow())
    execution = client.wait(client.start_execution(workflow["id"], REFERENCE_INPUT)["id"])
    assert execution["status"] == "completed", execution
    return list(execution["output"]["emails"])


def test_the_sandbox_documents_are_all_indexed_once(
    client: AgentFlowClient, seeded: list[dict[str, Any]]
) -> None:
    assert sorted(document["filename"] for document in seeded) == sorted(
        name for name, _ in sandbox_documents()
    )
    assert all(document["status"] == "ready" and document["chunks"] > 0 for document in seeded), seeded
    assert seed_sandbox_documents(client) == []  # seeding again uploads nothing


def test_every_reference_email_cites_its_accounts_notes(emails: list[dict[str, Any]]) -> None:
    assert len(emails) == 20
    for email in emails:
        citations = email["citations"]
        assert citations, email["account_name"]
        best = citations[0]
        assert email["account_name"] in best["excerpt"]
        assert best["filename"].startswith("account_notes") and best["page"] >= 1
        assert 0 < best["score"] <= 1
        assert f"From our notes on {email['account_name']}: \u201c" in email["body"]
        assert f"[1] {best['filename']}, page {best['page']}" in email["body"]


def test_citations_point_at_the_page_that_covers_the_account(emails: list[dict[str, Any]]) -> None:
    from importlib import resources

    folder = resources.files("agentflow_sandbox") / "data" / "documents"
    manifest = json.loads((folder / "manifest.json").read_text())
    pages = {
        account["name"]: (entry["filename"], account["page"])
        for entry in manifest["documents"]
        for account in entry.get("accounts", [])
    }
    for email in emails:
        best = email["citations"][0]
        assert (best["filename"], best["page"]) == pages[email["account_name"]], email["account_name"]
