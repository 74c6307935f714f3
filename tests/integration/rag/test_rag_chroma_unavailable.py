"""A Chroma server that is down or failing makes searches retry later (TransientAgentError); the
server here is a local fake that fails the way a server or its proxy does."""

from __future__ import annotations

import re
import socket

import pytest
from pytest_httpserver import HTTPServer

from agentflow.errors import TransientAgentError
from agentflow.rag.vectorstore import VectorStore

pytestmark = pytest.mark.enable_socket

API = "/api/v2"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_chroma_handshake(httpserver: HTTPServer) -> None:
    """What chromadb's HttpClient asks while it connects, answered as Chroma 1.5 answers."""
    httpserver.expect_request(f"{API}/heartbeat").respond_with_json({"nanosecond heartbeat": 1})
    httpserver.expect_request(f"{API}/auth/identity").respond_with_json(
        {"user_id": "", "tenant": "default_tenant", "databases": ["default_database"]}
    )
    httpserver.expect_request(f"{API}/tenants/default_tenant").respond_with_json(
        {"name": "default_tenant", "resource_name": None}
    )
    httpserver.expect_request(f"{API}/tenants/default_tenant/databases/default_database").respond_with_json(
        {"id": "00000000-0000-0000-0000-000000000000", "name": "default_database", "tenant": "default_tenant"}
    )


def test_a_server_that_refuses_connections_is_transient() -> None:
    store = VectorStore.http(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(TransientAgentError, match="could not be reached"):
        store.query("acme", "m", [1.0, 0.0], top_k=3)


def test_a_heartbeat_answering_503_is_transient(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"{API}/heartbeat").respond_with_data("upstream down", status=503)
    with pytest.raises(TransientAgentError, match="HTTP 503"):
        VectorStore.http(httpserver.url_for("/")).count("acme", "m")


def test_a_proxy_502_in_the_middle_of_work_is_transient_with_retry_after(httpserver: HTTPServer) -> None:
    # Given a server that connects fine, then its proxy answers 502 with an HTML page
    serve_chroma_handshake(httpserver)
    httpserver.expect_request(
        re.compile(f"{API}/tenants/default_tenant/databases/default_database/collections/.+")
    ).respond_with_data("<html>502 Bad Gateway</html>", status=502, headers={"Retry-After": "3"})
    store = VectorStore.http(httpserver.url_for("/"), token="chroma-token")
    # When the store is searched
    with pytest.raises(TransientAgentError) as caught:
        store.query("acme", "m", [1.0, 0.0], top_k=3)
    # Then the failure is transient and the token went along as a bearer token
    assert "HTTP 502" in caught.value.message and caught.value.retry_after == 3.0
    first = httpserver.log[0][0]
    assert first.headers.get("Authorization") == "Bearer chroma-token"


def test_urls_other_than_http_are_refused() -> None:
    with pytest.raises(ValueError, match="http"):
        VectorStore.http("ftp://chroma.example.com")
