"""The local gateway's HTTP server over loopback: bursts, odd methods and malformed requests."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from agentflow.local.gateway import GatewayServer

BURST = 200


def _open(server: GatewayServer) -> socket.socket:
    host, port = server.httpd.server_address[:2]
    connection = socket.create_connection((str(host), int(port)), timeout=60)
    return connection


def _read_response(connection: socket.socket) -> tuple[int, dict[str, str], bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = connection.recv(65536)
        if not chunk:
            raise ConnectionError("closed before an answer")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in header_lines)}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = connection.recv(65536)
        if not chunk:
            break
        body += chunk
    return int(status_line.split()[1]), headers, body


def raw_request(server: GatewayServer, request: bytes) -> tuple[int, dict[str, str], bytes]:
    with _open(server) as connection:
        connection.sendall(request)
        return _read_response(connection)


def contract_error(status: int, headers: dict[str, str], body: bytes) -> str:
    assert 400 <= status < 500 and headers["content-type"].startswith("application/json"), (status, body)
    return str(json.loads(body)["error"]["code"])


@pytest.fixture
def connections(server: GatewayServer) -> Iterator[list[socket.socket]]:
    opened: list[socket.socket] = []
    yield opened
    for connection in opened:
        connection.close()


def test_a_burst_of_simultaneous_connections_is_answered_in_full(
    server: GatewayServer, connections: list[socket.socket]
) -> None:
    # Given 200 clients that all connect before any is answered (Python's default queue holds 5)
    for _ in range(BURST):
        connections.append(_open(server))
    # When each sends its request
    request = b"GET /api/v1/health HTTP/1.1\r\nHost: local\r\nConnection: close\r\n\r\n"
    for connection in connections:
        connection.sendall(request)
    # Then every one gets its answer: none is reset or dropped
    with ThreadPoolExecutor(max_workers=32) as pool:
        answers = list(pool.map(_read_response, connections))
    assert [status for status, _, _ in answers] == [200] * BURST
    assert all(json.loads(body)["status"] == "ok" for _, _, body in answers)


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "MKCOL", "BREW"])
def test_unknown_methods_are_answered_with_json_not_an_html_501(server: GatewayServer, method: str) -> None:
    request = f"{method} /api/v1/workflows HTTP/1.1\r\nHost: local\r\nConnection: close\r\n\r\n"
    status, headers, body = raw_request(server, request.encode())
    assert status != 501 and contract_error(status, headers, body) == "unauthorized"


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /api/v1/health HTTP/9.9\r\n\r\n",
        b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n",
        b"POST /api/v1/workflows HTTP/1.1\r\nHost: l\r\nContent-Length: abc\r\n\r\n{}",
        b"POST /api/v1/workflows HTTP/1.1\r\nHost: l\r\nContent-Length: -5\r\n\r\n{}",
        b"POST /api/v1/workflows HTTP/1.1\r\nHost: l\r\nContent-Length: 99999999999\r\n\r\n{}",
        b"POST /api/v1/workflows HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
    ids=["request-line", "version", "uri-too-long", "length-text", "length-negative", "length-huge", "chunk"],
)
def test_malformed_requests_get_a_json_4xx(server: GatewayServer, request_bytes: bytes) -> None:
    status, headers, body = raw_request(server, request_bytes)
    contract_error(status, headers, body)


def test_a_chunked_body_is_read_like_any_other(server: GatewayServer) -> None:
    payload = b'{"query": "Coho Winery"}'
    request = (
        b"POST /api/v1/documents/search HTTP/1.1\r\nHost: l\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: application/json\r\nConnection: close\r\n\r\n"
        + f"{len(payload):x}\r\n".encode()
        + payload
        + b"\r\n0\r\n\r\n"
    )
    status, headers, body = raw_request(server, request)
    # No key: the authorizer refuses it, which proves the body was consumed and the request parsed
    assert contract_error(status, headers, body) == "unauthorized"
