"""Where a connector host name leads: resolved at connect time, vetted, and pinned (no sockets).

A fake resolver stands in for DNS and a fake httpcore backend for sockets, so these tests cover the
whole path (httpx → httpcore pool → the vetting backend) without opening a connection.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import httpcore
import pytest

from agentflow.connectors.http import (
    VendorHttpClient,
    VettedNetworkBackend,
    VettedTransport,
    vetted_addresses,
)
from agentflow.errors import ConnectorError, TransientAgentError

HOST = "api.vendor.example"
PUBLIC = "93.184.215.14"
PUBLIC_V6 = "2606:2800:21f:cb07:6820:80da:af6b:8b2c"
OK_RESPONSE = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 12\r\n\r\n{"ok": true}'


class FakeResolver:
    """A resolver that answers every name with these addresses and records what it was asked."""

    def __init__(self, *addresses: str) -> None:
        self.addresses = list(addresses)
        self.asked: list[tuple[str, int]] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.asked.append((host, port))
        return list(self.addresses)


def failing(errno: int, text: str) -> Callable[[str, int], list[str]]:
    """A resolver that fails the way getaddrinfo does."""

    def resolve(host: str, port: int) -> list[str]:
        raise socket.gaierror(errno, text)

    return resolve


class FakeStream(httpcore.NetworkStream):
    """A connected stream that reports ``peer`` as its server address and answers with ``reply``."""

    def __init__(self, peer: str | None, port: int, reply: bytes) -> None:
        self.peer = peer
        self.port = port
        self.reply = [reply]
        self.written = b""
        self.server_hostname: str | None = None
        self.closed = False

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.reply.pop(0) if self.reply else b""

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.written += buffer

    def close(self) -> None:
        self.closed = True

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        self.server_hostname = server_hostname
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "server_addr" and self.peer is not None:
            return (self.peer, self.port)
        return None


class FakeBackend(httpcore.NetworkBackend):
    """Sockets stand-in: records each connect; ``peer`` overrides the address a stream reports."""

    def __init__(
        self, *, reply: bytes = OK_RESPONSE, peer: str | None = "", unreachable: Sequence[str] = ()
    ) -> None:
        self.reply = reply
        self.peer = peer
        self.unreachable = set(unreachable)
        self.connects: list[tuple[str, int]] = []
        self.streams: list[FakeStream] = []

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        self.connects.append((host, port))
        if host in self.unreachable:
            raise httpcore.ConnectError("[Errno 101] Network is unreachable")
        stream = FakeStream(host if self.peer == "" else self.peer, port, self.reply)
        self.streams.append(stream)
        return stream


# --- the resolution check -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",  # EC2 instance metadata
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "100.64.0.1",  # shared address space (carrier-grade NAT)
        "100.100.100.200",  # Alibaba Cloud metadata, inside 100.64.0.0/10
        "127.0.0.1",
        "0.0.0.0",
        "224.0.0.251",
        "240.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fd00:ec2::254",  # EC2 instance metadata over IPv6
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "ff02::1",
    ],
)
def test_a_name_that_resolves_to_a_non_public_address_is_refused(address: str) -> None:
    with pytest.raises(ConnectorError) as raised:
        vetted_addresses(HOST, 443, allow_loopback=False, resolve=FakeResolver(address))
    assert raised.value.message == (
        f"connector host '{HOST}' resolves to a non-public address ({ipaddress.ip_address(address)})"
    )


def test_a_public_answer_is_returned_in_the_resolver_order() -> None:
    resolve = FakeResolver(PUBLIC_V6, PUBLIC)
    addresses = vetted_addresses(HOST, 443, allow_loopback=False, resolve=resolve)
    assert [str(address) for address in addresses] == [PUBLIC_V6, PUBLIC]
    assert resolve.asked == [(HOST, 443)]


def test_one_private_address_among_public_ones_refuses_the_name() -> None:
    with pytest.raises(ConnectorError, match=r"non-public address \(10\.0\.0\.7\)"):
        vetted_addresses(HOST, 443, allow_loopback=False, resolve=FakeResolver(PUBLIC, "10.0.0.7", PUBLIC_V6))


@pytest.mark.parametrize("address", ["127.0.0.1", "::1", "::ffff:127.0.0.1"])
def test_loopback_answers_pass_only_when_loopback_is_allowed(address: str) -> None:
    with pytest.raises(ConnectorError):
        vetted_addresses("localhost", 8080, allow_loopback=False, resolve=FakeResolver(address))
    allowed = vetted_addresses("localhost", 8080, allow_loopback=True, resolve=FakeResolver(address))
    assert allowed == [ipaddress.ip_address(address)]


@pytest.mark.parametrize("address", ["10.0.0.5", "169.254.169.254", "fd00::1", "::ffff:192.168.0.1"])
def test_allowing_loopback_still_refuses_private_answers(address: str) -> None:
    with pytest.raises(ConnectorError, match="non-public address"):
        vetted_addresses(HOST, 443, allow_loopback=True, resolve=FakeResolver("127.0.0.1", address))


def test_a_name_that_does_not_exist_is_a_connector_error() -> None:
    with pytest.raises(ConnectorError) as raised:
        vetted_addresses(
            HOST, 443, allow_loopback=False, resolve=failing(socket.EAI_NONAME, "Name or service not known")
        )
    assert raised.value.message == f"connector host '{HOST}' does not resolve (Name or service not known)"
    assert not isinstance(raised.value, TransientAgentError)


def test_a_resolver_that_says_try_again_is_transient() -> None:
    with pytest.raises(TransientAgentError) as raised:
        vetted_addresses(
            HOST,
            443,
            allow_loopback=False,
            resolve=failing(socket.EAI_AGAIN, "Temporary failure in name resolution"),
        )
    assert raised.value.message == (
        f"connector host '{HOST}' could not be resolved for now (Temporary failure in name resolution)"
    )


def test_an_empty_or_garbled_answer_is_refused() -> None:
    with pytest.raises(ConnectorError, match="resolves to no address"):
        vetted_addresses(HOST, 443, allow_loopback=False, resolve=FakeResolver())
    with pytest.raises(ConnectorError, match="not an address"):
        vetted_addresses(HOST, 443, allow_loopback=False, resolve=FakeResolver("not-an-ip"))


# --- the connect-time check in the network backend ------------------------------------------------


def test_the_backend_connects_to_the_vetted_address_not_the_name() -> None:
    sockets = FakeBackend()
    resolve = FakeResolver(PUBLIC)
    backend = VettedNetworkBackend(allow_loopback=False, resolve=resolve, backend=sockets)

    stream = backend.connect_tcp(HOST, 443, timeout=1.0)

    assert sockets.connects == [(PUBLIC, 443)]
    assert stream is sockets.streams[0]
    assert resolve.asked == [(HOST, 443)]


def test_the_backend_refuses_before_connecting_when_an_answer_is_private() -> None:
    sockets = FakeBackend()
    backend = VettedNetworkBackend(
        allow_loopback=False, resolve=FakeResolver("169.254.169.254"), backend=sockets
    )
    with pytest.raises(ConnectorError, match=r"non-public address \(169\.254\.169\.254\)"):
        backend.connect_tcp(HOST, 443)
    assert sockets.connects == []


def test_the_backend_refuses_and_closes_a_stream_whose_peer_is_not_the_vetted_address() -> None:
    # An inner backend that resolves again (or is redirected) lands somewhere else
    sockets = FakeBackend(peer="169.254.169.254")
    backend = VettedNetworkBackend(allow_loopback=False, resolve=FakeResolver(PUBLIC), backend=sockets)
    with pytest.raises(ConnectorError) as raised:
        backend.connect_tcp(HOST, 443)
    assert raised.value.message == (
        f"connector host '{HOST}' reached 169.254.169.254, not its vetted address {PUBLIC}"
    )
    assert sockets.streams[0].closed


def test_the_backend_refuses_a_stream_that_cannot_name_its_peer() -> None:
    sockets = FakeBackend(peer=None)
    backend = VettedNetworkBackend(allow_loopback=False, resolve=FakeResolver(PUBLIC), backend=sockets)
    with pytest.raises(ConnectorError, match="reached an unknown address"):
        backend.connect_tcp(HOST, 443)
    assert sockets.streams[0].closed


def test_the_backend_tries_the_next_vetted_address_when_one_is_unreachable() -> None:
    sockets = FakeBackend(unreachable=[PUBLIC_V6])
    backend = VettedNetworkBackend(
        allow_loopback=False, resolve=FakeResolver(PUBLIC_V6, PUBLIC), backend=sockets
    )
    backend.connect_tcp(HOST, 443)
    assert sockets.connects == [(PUBLIC_V6, 443), (PUBLIC, 443)]


def test_the_backend_raises_the_connect_error_when_no_address_is_reachable() -> None:
    sockets = FakeBackend(unreachable=[PUBLIC])
    backend = VettedNetworkBackend(allow_loopback=False, resolve=FakeResolver(PUBLIC), backend=sockets)
    with pytest.raises(httpcore.ConnectError):
        backend.connect_tcp(HOST, 443)


def test_each_new_connection_resolves_afresh_so_a_rebound_name_is_caught() -> None:
    # Given a name whose second answer is the metadata service (DNS rebinding)
    replies = iter([[PUBLIC], ["169.254.169.254"]])
    sockets = FakeBackend()
    backend = VettedNetworkBackend(
        allow_loopback=False, resolve=lambda host, port: next(replies), backend=sockets
    )

    backend.connect_tcp(HOST, 443)
    with pytest.raises(ConnectorError, match=r"169\.254\.169\.254"):
        backend.connect_tcp(HOST, 443)

    assert sockets.connects == [(PUBLIC, 443)]


# --- through httpx and VendorHttpClient -----------------------------------------------------------


def vendor_client(
    resolve: Callable[[str, int], list[str]], sockets: FakeBackend, *, allow_loopback: bool = False
) -> VendorHttpClient:
    transport = VettedTransport(
        VettedNetworkBackend(allow_loopback=allow_loopback, resolve=resolve, backend=sockets)
    )
    return VendorHttpClient(
        "acme-crm", credentials_secret="prod/crm", allow_loopback=allow_loopback, transport=transport
    )


def test_a_request_goes_to_the_vetted_address_with_the_hostname_for_tls_and_host() -> None:
    sockets = FakeBackend()
    with vendor_client(FakeResolver(PUBLIC), sockets) as http:
        response = http.request("GET", f"https://{HOST}/v1/things?limit=5")

    assert response.json() == {"ok": True}
    assert sockets.connects == [(PUBLIC, 443)]
    stream = sockets.streams[0]
    assert stream.server_hostname == HOST  # SNI and certificate checks concern the vendor's name
    assert stream.written.startswith(b"GET /v1/things?limit=5 HTTP/1.1\r\n")
    assert f"\r\nHost: {HOST}\r\n".encode() in stream.written


def test_a_request_to_a_name_resolving_to_metadata_is_refused_before_any_byte_is_sent() -> None:
    sockets = FakeBackend()
    with (
        vendor_client(FakeResolver("169.254.169.254"), sockets) as http,
        pytest.raises(ConnectorError) as raised,
    ):
        http.request("POST", f"https://{HOST}/v1/things?token=secret", json={"a": 1})

    assert raised.value.message == (
        f"acme-crm: POST https://{HOST}/v1/things: "
        f"connector host '{HOST}' resolves to a non-public address (169.254.169.254)"
    )
    assert "secret" not in raised.value.message
    assert sockets.connects == []


def test_a_dns_failure_keeps_its_kind_through_the_client() -> None:
    sockets = FakeBackend()
    again = failing(socket.EAI_AGAIN, "Temporary failure in name resolution")
    with vendor_client(again, sockets) as http, pytest.raises(TransientAgentError) as transient:
        http.send("GET", f"https://{HOST}/x")
    assert transient.value.message.startswith(f"acme-crm: GET https://{HOST}/x: connector host '{HOST}'")
    unknown = failing(socket.EAI_NONAME, "Name or service not known")
    with vendor_client(unknown, sockets) as http, pytest.raises(ConnectorError, match="does not resolve"):
        http.send("GET", f"https://{HOST}/x")
    assert sockets.connects == []


def test_a_loopback_vendor_is_reached_only_when_loopback_is_allowed() -> None:
    sockets = FakeBackend()
    with vendor_client(FakeResolver("127.0.0.1"), sockets, allow_loopback=True) as http:
        assert http.request("GET", "http://fake-vendor.localhost:8080/ping").status_code == 200
    assert sockets.connects == [("127.0.0.1", 8080)]

    with vendor_client(FakeResolver("127.0.0.1"), sockets) as http, pytest.raises(ConnectorError):
        http.request("GET", f"https://{HOST}/ping")
    assert len(sockets.connects) == 1


def test_without_a_transport_the_client_vets_what_the_system_resolver_answers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The default wiring: no transport given, the system resolver answers the metadata address
    def getaddrinfo(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("169.254.169.254", port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    http = VendorHttpClient("acme-crm", credentials_secret=None, allow_loopback=False)
    with (
        http,
        pytest.raises(ConnectorError, match=r"resolves to a non-public address \(169\.254\.169\.254\)"),
    ):
        http.send("GET", f"https://{HOST}/v1/things")


def test_literal_urls_keep_their_own_check_and_message() -> None:
    sockets = FakeBackend()
    with vendor_client(FakeResolver(PUBLIC), sockets) as http, pytest.raises(ConnectorError) as raised:
        http.send("GET", "https://169.254.169.254/latest/meta-data")
    assert raised.value.message == (
        "connector URL 'https://169.254.169.254/latest/meta-data' "
        "points at a non-public address (169.254.169.254)"
    )
    assert sockets.connects == []


def test_httpx_transport_errors_are_still_mapped() -> None:
    sockets = FakeBackend(unreachable=[PUBLIC])
    with (
        vendor_client(FakeResolver(PUBLIC), sockets) as http,
        pytest.raises(TransientAgentError, match="ConnectError"),
    ):
        http.send("GET", f"https://{HOST}/x")
    assert sockets.connects == [(PUBLIC, 443)]
