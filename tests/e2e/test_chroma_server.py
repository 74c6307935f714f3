"""The deployed shape of the vector store: VectorStore.http against a real `chroma run` server."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from agentflow.errors import TransientAgentError
from agentflow.rag.chunking import Chunk
from agentflow.rag.vectorstore import VectorStore

pytestmark = [pytest.mark.e2e, pytest.mark.enable_socket]

START_TIMEOUT_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def chroma_server(data: Path) -> Iterator[str]:
    """A `chroma run` server on a free loopback port, stopped on exit; yields its URL."""
    port = free_port()
    chroma = Path(sys.executable).parent / "chroma"
    log_path = data / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [str(chroma), "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + START_TIMEOUT_SECONDS
            while not _answers_heartbeat(url):
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"chroma run did not start: {log_path.read_text(errors='replace')[-2000:]}")
                time.sleep(0.1)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait(timeout=10)


def _answers_heartbeat(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/v2/heartbeat", timeout=1.0).status_code == 200
    except httpx.TransportError:
        return False


def chunk(index: int, text: str, page: int = 1) -> Chunk:
    return Chunk(index=index, page=page, text=text, token_count=len(text.split()))


def test_upsert_query_and_delete_through_the_server(tmp_path: Path) -> None:
    with chroma_server(tmp_path) as url:
        store = VectorStore.http(url)
        # Given two tenants' documents stored through the server
        store.upsert(
            "acme",
            "e2e-model",
            "doc_1",
            [chunk(0, "Refunds take 14 days."), chunk(1, "Shipping is free.", page=2)],
            [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]],
            filename="policy.pdf",
            workflow_id="wf_1",
        )
        store.upsert(
            "globex",
            "e2e-model",
            "doc_9",
            [chunk(0, "Other.")],
            [[1.0, 0.0, 0.0]],
            filename="x",
            workflow_id=None,
        )
        # When acme searches within the workflow
        hits = store.query("acme", "e2e-model", [0.0, 1.0, 0.0], top_k=5, workflow_id="wf_1")
        # Then it finds its own chunks, best first, with their pages
        assert [(hit.document_id, hit.page, hit.excerpt) for hit in hits] == [
            ("doc_1", 2, "Shipping is free."),
            ("doc_1", 1, "Refunds take 14 days."),
        ]
        assert hits[0].score == pytest.approx(1.0)
        # And after the delete nothing of the document is left, and the other tenant is untouched
        store.delete_document("acme", "e2e-model", "doc_1")
        assert (store.count("acme", "e2e-model"), store.count("globex", "e2e-model")) == (0, 1)


def test_a_server_that_went_away_is_a_transient_error(tmp_path: Path) -> None:
    # Given a store that worked against a server which then stopped
    with chroma_server(tmp_path) as url:
        store = VectorStore.http(url)
        assert store.count("acme", "e2e-model") == 0
    # When it is used again
    # Then the failure is one the state machine retries, naming the server
    with pytest.raises(TransientAgentError, match=r"Chroma at http://127\.0\.0\.1"):
        store.query("acme", "e2e-model", [1.0, 0.0, 0.0], top_k=3)
