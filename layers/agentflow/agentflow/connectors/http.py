"""Shared HTTP plumbing for live connectors: address vetting and one vendor-call error mapping.

Every live connector speaks its vendor's REST API through :class:`VendorHttpClient`, so a 429 means
the same thing (retry later) for Salesforce as for Microsoft Graph, and no connector can be pointed
at the Lambda's own network (instance metadata, VPC hosts) through a URL stored in a secret.

The vetting has two halves. :func:`check_base_url` judges what a URL says (scheme, credentials, an
IP literal, ``localhost``). :class:`VettedNetworkBackend` judges where a host name leads: it
resolves the name when a connection opens, refuses it if any answer is non-public, and connects to
the vetted address itself, so a DNS answer that changes between a check and the connect (DNS
rebinding) cannot steer the request elsewhere.
"""

from __future__ import annotations

import ipaddress
import json
import math
import socket
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpcore
import httpx

from agentflow import __version__
from agentflow.errors import ConnectorError, TransientAgentError

# Vendors answer in well under a second; 30 s for a read still fits inside an agent's task timeout
# and leaves room for the state machine's retry.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)

_ERROR_TEXT_LIMIT = 300
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

Resolver = Callable[[str, int], Sequence[str]]
"""Names a host's addresses: ``(host, port)`` to address strings, the way getaddrinfo answers."""


def _redacted(url: str) -> str:
    """The URL without user info, query or fragment: fit for an error message."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = f"{host}:{port}" if port is not None else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host names literally, including the shorthand forms the C resolver accepts.

    ``socket.inet_aton`` accepts "127.1", "2130706433" and "0x7f.0.0.1", which getaddrinfo would
    connect to as 127.0.0.1 without asking DNS, so they are addresses too, not hostnames.
    """
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    try:
        return ipaddress.IPv4Address(socket.inet_aton(host))
    except OSError:
        return None


def _is_loopback(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


def _is_internal(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv4 address carried in IPv6 (::ffff:a.b.c.d, or 6to4's 2002:aabb:ccdd::) is judged
        # as the IPv4 address it reaches.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is not None:
            return _is_internal(embedded)
    # not is_global also covers ranges with no flag of their own (100.64.0.0/10 carrier-grade NAT,
    # documentation and benchmarking nets); multicast counts as global, so it is named separately.
    return (
        not address.is_global
        or address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
    )


def check_base_url(url: str, *, allow_loopback: bool) -> str:
    """Vet a vendor base URL before any request goes to it; return it without a trailing slash.

    The URL must be ``https`` and must not name a private, loopback, link-local, reserved or
    multicast address literally (``localhost`` counts as loopback). With ``allow_loopback`` (tests
    against a local fake vendor only), ``http`` and loopback hosts are accepted too; private and
    link-local addresses never are. Hostnames are not resolved here: DNS answers can change
    between this check and the request, so the check is about what the configuration says; where
    a name leads is judged when a connection opens (:class:`VettedNetworkBackend`).

    Raises :class:`ConnectorError` naming the (redacted) URL.
    """
    parts = urlsplit(url.strip())
    shown = _redacted(url.strip())
    if parts.scheme not in ("https", "http"):
        raise ConnectorError(f"connector URL '{shown}' must use https")
    if parts.scheme == "http" and not allow_loopback:
        raise ConnectorError(f"connector URL '{shown}' must use https, not http")
    if parts.username is not None or parts.password is not None:
        raise ConnectorError(f"connector URL '{shown}' must not carry credentials; keep them in the secret")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise ConnectorError(f"connector URL '{shown}' has no host")
    try:
        parts.port  # noqa: B018 - evaluated for its validation: a bad port raises ValueError
    except ValueError as exc:
        raise ConnectorError(f"connector URL '{shown}' has an invalid port") from exc

    address = _ip_literal(host)
    loopback = host in _LOOPBACK_NAMES or host.endswith(".localhost")
    if address is not None:
        loopback = _is_loopback(address)
        if _is_internal(address) and not (loopback and allow_loopback):
            raise ConnectorError(f"connector URL '{shown}' points at a non-public address ({address})")
    elif loopback and not allow_loopback:
        raise ConnectorError(f"connector URL '{shown}' points at a loopback host")
    return url.strip().rstrip("/")


def system_resolve(host: str, port: int) -> list[str]:
    """The host's TCP addresses from the system resolver (getaddrinfo), each once, in its order."""
    answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(sockaddr[0]) for *_, sockaddr in answers))


def vetted_addresses(
    host: str, port: int, *, allow_loopback: bool, resolve: Resolver = system_resolve
) -> list[IPAddress]:
    """Resolve a connector host and return its addresses, refusing it if any of them is non-public.

    Non-public is what :func:`check_base_url` refuses in a literal: private, loopback, link-local
    (instance metadata), shared (100.64.0.0/10), reserved, multicast and unspecified addresses, and
    IPv4-mapped or 6to4 IPv6 forms of those. One such answer refuses the whole name, so a name that
    answers a public and a private address cannot reach the private one by round-robin. With
    ``allow_loopback`` loopback answers pass too; private ones still do not.

    A resolver that says "try again" (EAI_AGAIN: no answer from the DNS server, SERVFAIL) raises
    :class:`TransientAgentError`, since the next attempt may well succeed; a name that does not
    exist or has no address raises :class:`ConnectorError`, since the configuration is wrong and a
    retry would fail the same way. Messages name the host, never a URL's path or query.
    """
    try:
        answers = resolve(host, port)
    except socket.gaierror as exc:
        reason = exc.strerror or str(exc)
        if exc.errno == socket.EAI_AGAIN:
            raise TransientAgentError(
                f"connector host '{host}' could not be resolved for now ({reason})"
            ) from exc
        raise ConnectorError(f"connector host '{host}' does not resolve ({reason})") from exc
    except UnicodeError as exc:  # a label the IDNA codec refuses (empty, longer than 63 characters)
        raise ConnectorError(f"connector host '{host}' is not a valid host name") from exc
    addresses: list[IPAddress] = []
    for answer in answers:
        try:
            addresses.append(ipaddress.ip_address(answer))
        except ValueError as exc:
            raise ConnectorError(f"connector host '{host}' resolved to '{answer}', not an address") from exc
    if not addresses:
        raise ConnectorError(f"connector host '{host}' resolves to no address")
    refused = [
        address
        for address in addresses
        if _is_internal(address) and not (allow_loopback and _is_loopback(address))
    ]
    if refused:
        shown = ", ".join(str(address) for address in refused)
        raise ConnectorError(f"connector host '{host}' resolves to a non-public address ({shown})")
    return addresses


class VettedNetworkBackend(httpcore.NetworkBackend):
    """An httpcore network backend that connects only to the addresses :func:`vetted_addresses` passes.

    httpcore asks the backend for a TCP connection to the URL's host name. This backend resolves
    the name once, vets every answer, and hands the inner backend the vetted address as an IP
    literal, so nothing resolves the name a second time: the address checked is the address
    connected to, whatever the DNS answers next (rebinding). Each new connection resolves afresh;
    a pooled connection stays with the address it was vetted for. Once connected, the socket's
    peer must be that address, or the stream is closed and refused.

    TLS starts afterwards, in httpcore, with the URL's host name as ``server_hostname``, so SNI and
    certificate checks still concern the vendor's name, and the Host header comes from the URL.
    ``resolve`` and ``backend`` stand in for the system resolver and sockets in tests.
    """

    def __init__(
        self,
        *,
        allow_loopback: bool,
        resolve: Resolver = system_resolve,
        backend: httpcore.NetworkBackend | None = None,
    ) -> None:
        self.allow_loopback = allow_loopback
        self._resolve = resolve
        self._backend = backend or httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = vetted_addresses(host, port, allow_loopback=self.allow_loopback, resolve=self._resolve)
        failure: httpcore.ConnectError | httpcore.ConnectTimeout | None = None
        for address in addresses:  # in the resolver's order, as socket.create_connection tries them
            try:
                stream = self._backend.connect_tcp(
                    str(address),
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
                continue
            _check_peer(stream, host, address)
            return stream
        assert failure is not None  # vetted_addresses never returns an empty list  # nosec B101
        raise failure

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def _check_peer(stream: httpcore.NetworkStream, host: str, address: IPAddress) -> None:
    """Refuse (and close) a stream whose peer is not the vetted address it was opened for."""
    peer = stream.get_extra_info("server_addr")
    try:
        connected = ipaddress.ip_address(peer[0]) if peer else None
    except (TypeError, ValueError):
        connected = None
    if connected != address:
        stream.close()
        shown = connected if connected is not None else "an unknown address"
        raise ConnectorError(f"connector host '{host}' reached {shown}, not its vetted address {address}")


class VettedTransport(httpx.HTTPTransport):
    """httpx's own HTTP transport, its connection pool on the given :class:`VettedNetworkBackend`.

    httpx 0.28 takes no network backend, so the pool it builds is replaced by an equivalent one
    (httpx's default limits and TLS context) on the vetting backend; httpx's request conversion
    and exception mapping stay as they are. A transport given to ``httpx.Client`` also turns off
    the HTTP(S)_PROXY variables, as it should here: a proxy would resolve the names itself, out of
    this check's sight.
    """

    def __init__(self, vetting: VettedNetworkBackend) -> None:
        ssl_context = httpx.create_ssl_context()
        super().__init__(verify=ssl_context)
        if not isinstance(getattr(self, "_pool", None), httpcore.ConnectionPool):
            # Fail loudly rather than send requests through a pool that does not vet addresses.
            raise RuntimeError("httpx.HTTPTransport keeps its pool elsewhere now; update VettedTransport")
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            # httpx's DEFAULT_LIMITS, as the pool it built had them
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=vetting,
        )


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delay-seconds or an HTTP-date), or None."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


def vendor_error_text(response: httpx.Response) -> str:
    """The vendor's own words for an error, from the JSON shapes Salesforce, Graph and OAuth use."""
    try:
        body: Any = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    text = ""
    if isinstance(body, list) and body and isinstance(body[0], dict):  # Salesforce REST
        first = body[0]
        text = ": ".join(str(first[key]) for key in ("errorCode", "message") if first.get(key))
    elif isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):  # Microsoft Graph
            text = ": ".join(str(error[key]) for key in ("code", "message") if error.get(key))
        elif isinstance(error, str):  # OAuth 2.0 token endpoints
            description = body.get("error_description")
            text = f"{error}: {description}" if description else error
        elif body.get("message"):
            text = str(body["message"])
    if not text:
        text = response.text.strip()
    text = " ".join(text.split())
    if len(text) > _ERROR_TEXT_LIMIT:
        text = text[: _ERROR_TEXT_LIMIT - 1] + "…"
    return text or response.reason_phrase


class VendorHttpClient:
    """An ``httpx.Client`` for one connector that turns vendor failures into AgentFlow errors.

    429, 5xx, timeouts and dropped connections become :class:`TransientAgentError` (the state
    machine retries those, honouring ``retry_after``); 401/403 and other 4xx become
    :class:`ConnectorError`. Messages name the connector and the credentials secret, never a token,
    and show URLs without their query strings.

    Without a ``transport`` (tests pass one), requests go through a :class:`VettedTransport`: a host
    name that resolves to a non-public address is refused when the connection opens.
    """

    def __init__(
        self,
        connector: str,
        *,
        credentials_secret: str | None,
        allow_loopback: bool,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.connector = connector
        self.credentials_secret = credentials_secret
        self.allow_loopback = allow_loopback
        if transport is None:
            transport = VettedTransport(VettedNetworkBackend(allow_loopback=allow_loopback))
        self._client = httpx.Client(
            timeout=timeout,
            transport=transport,
            # A redirect could lead anywhere, past check_base_url: vendors' APIs do not need them.
            follow_redirects=False,
            headers={"User-Agent": f"agentflow/{__version__}", "Accept": "application/json"},
        )

    def close(self) -> None:
        """Release pooled connections."""
        self._client.close()

    def __enter__(self) -> VendorHttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request; map transport failures, but hand back any HTTP status unchecked.

        For callers that react to a status themselves (a 401 that means "refresh the token")
        before :meth:`raise_for_status`.
        """
        check_base_url(url, allow_loopback=self.allow_loopback)
        shown = f"{method.upper()} {_redacted(url)}"
        try:
            return self._client.request(method, url, **kwargs)
        except ConnectorError as exc:  # the host resolved to a non-public address, or not at all
            raise ConnectorError(f"{self.connector}: {shown}: {exc.message}") from exc
        except TransientAgentError as exc:  # the resolver said "try again"
            raise TransientAgentError(f"{self.connector}: {shown}: {exc.message}") from exc
        except httpx.TimeoutException as exc:
            raise TransientAgentError(f"{self.connector}: {shown} timed out") from exc
        except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
            raise TransientAgentError(
                f"{self.connector}: {shown} failed ({type(exc).__name__}); the vendor may be unreachable"
            ) from exc
        except httpx.HTTPError as exc:
            raise ConnectorError(f"{self.connector}: {shown} failed ({type(exc).__name__})") from exc

    def raise_for_status(self, response: httpx.Response, *, token_request: bool = False) -> None:
        """Raise the AgentFlow error a non-2xx response means; return quietly on 2xx.

        ``token_request`` marks an OAuth token call, where a 400 (``invalid_client``,
        ``invalid_grant``) is how vendors say the credentials are wrong.
        """
        status = response.status_code
        if 200 <= status < 300:
            return
        shown = f"{response.request.method} {_redacted(str(response.request.url))}"
        if status == 429 or status >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            hint = f", retry after {retry_after:g} s" if retry_after is not None else ""
            raise TransientAgentError(
                f"{self.connector}: {shown} answered HTTP {status}{hint}: {vendor_error_text(response)}",
                retry_after=retry_after,
            )
        if status in (401, 403) or (token_request and status == 400):
            where = f" in secret '{self.credentials_secret}'" if self.credentials_secret else ""
            reason = f"HTTP {status}"
            if token_request and status == 400:
                reason += f", {vendor_error_text(response)}"
            raise ConnectorError(f"{self.connector} rejected the credentials{where} ({reason})")
        if 300 <= status < 400:
            raise ConnectorError(f"{self.connector}: {shown} answered an unexpected redirect (HTTP {status})")
        raise ConnectorError(
            f"{self.connector}: {shown} answered HTTP {status}: {vendor_error_text(response)}"
        )

    def request(self, method: str, url: str, *, token_request: bool = False, **kwargs: Any) -> httpx.Response:
        """Send a request and return its 2xx response, or raise the mapped AgentFlow error."""
        response = self.send(method, url, **kwargs)
        self.raise_for_status(response, token_request=token_request)
        return response
