"""A local API Gateway: HTTP requests → REST proxy events, the TOKEN authorizer first, then the API.

Routes, which of them need the authorizer, and the gateway's own error responses are read from
template.yaml, as API Gateway would configure them. Other GET paths serve the web console's static
files from ``console/`` (CloudFront and S3 serve them when deployed), so it stays same-origin.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from agentflow.local.runtime import FunctionFailedError, InProcessLambdas
from agentflow.local.template import ACCOUNT_ID, RouteSpec, StackTemplate

API_ID = "local"
# API Gateway refuses requests above 10 MB before the function sees them.
MAX_REQUEST_BYTES = 10 * 1000 * 1000
# Connections the kernel holds while every thread is busy accepting (Python's default is 5).
LISTEN_QUEUE = 1024
KEEP_ALIVE_SECONDS = 30

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
}


def _is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/") or path == "/docs" or path.startswith("/docs/")


class ConsoleFiles:
    """The web console's static files: ``/`` is index.html; nothing outside the directory is served."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def find(self, path: str) -> Path | None:
        """The file a URL path names, or None (missing, a directory, or outside the console)."""
        relative = unquote(path).lstrip("/") or "index.html"
        if "\x00" in relative or "\\" in relative:
            return None
        candidate = (self.root / relative).resolve()
        if not candidate.is_relative_to(self.root) or not candidate.is_file():
            return None
        return candidate

    def response(self, path: str) -> dict[str, Any] | None:
        """A proxy-style response with the file's bytes (base64) and content type, or None."""
        found = self.find(path)
        if found is None:
            return None
        return {
            "statusCode": 200,
            "headers": {
                "Content-Type": CONTENT_TYPES.get(found.suffix.lower(), "application/octet-stream"),
                "Cache-Control": "no-cache",
                "X-Content-Type-Options": "nosniff",
            },
            "body": base64.b64encode(found.read_bytes()).decode(),
            "isBase64Encoded": True,
        }


def _pattern(path: str) -> re.Pattern[str]:
    regex = re.sub(r"\\\{(\w+)\\\+\\\}", r"(?P<\1>.+)", re.escape(path))
    regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", regex)
    return re.compile(f"^{regex}$")


class Gateway:
    """Turns (method, path, headers, body) into the API function's response, as API Gateway does."""

    def __init__(self, template: StackTemplate, lambdas: InProcessLambdas, stage: str | None = None) -> None:
        self.lambdas = lambdas
        self.stage = stage or template.parameters.get("StageName", "prod")
        self.authorizer = template.authorizer_function()
        # Literal paths win over greedy ones, as in API Gateway.
        self.routes = sorted(template.routes(), key=lambda route: "{" in route.path)
        self.patterns = [(route, _pattern(route.path)) for route in self.routes]
        self.responses = self._gateway_responses(template)
        # BinaryMediaTypes ("multipart~1form-data" in the template) reach the function base64-encoded.
        self.binary_media_types = [
            kind.replace("~1", "/").lower()
            for spec in template.of_type("AWS::Serverless::Api").values()
            for kind in spec["Properties"].get("BinaryMediaTypes") or []
        ]
        self.console = ConsoleFiles(template.root / "console")

    @staticmethod
    def _gateway_responses(template: StackTemplate) -> dict[str, tuple[int, str]]:
        responses = {}
        for spec in template.of_type("AWS::Serverless::Api").values():
            for name, response in (spec["Properties"].get("GatewayResponses") or {}).items():
                body = (response.get("ResponseTemplates") or {}).get("application/json", "")
                responses[name] = (int(response.get("StatusCode", 500)), body)
        return responses

    def _gateway_error(self, name: str, default_status: int) -> dict[str, Any]:
        status, body = self.responses.get(name, (default_status, json.dumps({"message": name})))
        return {"statusCode": status, "headers": {"Content-Type": "application/json"}, "body": body}

    def _match(self, method: str, path: str) -> tuple[RouteSpec, dict[str, str]] | None:
        for route, pattern in self.patterns:
            found = pattern.match(path)
            if found and route.method in (method, "ANY"):
                return route, found.groupdict()
        return None

    def handle(self, method: str, raw_path: str, headers: dict[str, str], body: bytes) -> dict[str, Any]:
        """The proxy response (statusCode, headers, body) for one HTTP request."""
        url = urlsplit(raw_path)
        path = url.path or "/"
        if method == "GET" and not _is_api_path(path):
            return self.console.response(path) or self._gateway_error("MISSING_AUTHENTICATION_TOKEN", 404)
        matched = self._match(method, path)
        if matched is None:
            return self._gateway_error("MISSING_AUTHENTICATION_TOKEN", 403)
        route, path_parameters = matched
        request_id = str(uuid.uuid4())
        authorizer_context: dict[str, Any] = {}
        if route.authorized and self.authorizer:
            token = next((value for key, value in headers.items() if key.lower() == "authorization"), "")
            if not token:
                return self._gateway_error("UNAUTHORIZED", 401)
            method_arn = f"arn:aws:execute-api:us-east-1:{ACCOUNT_ID}:{API_ID}/{self.stage}/{method}{path}"
            try:
                decision = self.lambdas.call(
                    self.authorizer, {"type": "TOKEN", "authorizationToken": token, "methodArn": method_arn}
                )
            except FunctionFailedError:
                return self._gateway_error("UNAUTHORIZED", 401)
            statements = decision.get("policyDocument", {}).get("Statement", [])
            if not statements or any(statement.get("Effect") != "Allow" for statement in statements):
                return self._gateway_error("ACCESS_DENIED", 403)
            authorizer_context = {**decision.get("context", {}), "principalId": decision.get("principalId")}

        query = parse_qs(url.query, keep_blank_values=True)
        content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
        binary = any(content_type.lower().startswith(kind) for kind in self.binary_media_types)
        try:
            text_body: str | None = body.decode() if body and not binary else None
            encoded = False
        except UnicodeDecodeError:
            binary = True
        if binary and body:
            text_body, encoded = base64.b64encode(body).decode(), True
        event = {
            "resource": route.path,
            "path": path,
            "httpMethod": method,
            "headers": headers,
            "multiValueHeaders": {key: [value] for key, value in headers.items()},
            "queryStringParameters": {key: values[-1] for key, values in query.items()} or None,
            "multiValueQueryStringParameters": query or None,
            "pathParameters": path_parameters or None,
            "stageVariables": None,
            "requestContext": {
                "resourcePath": route.path,
                "httpMethod": method,
                "path": f"/{self.stage}{path}",
                "stage": self.stage,
                "requestId": request_id,
                "accountId": ACCOUNT_ID,
                "apiId": API_ID,
                "requestTimeEpoch": int(time.time() * 1000),
                "identity": {"sourceIp": "127.0.0.1"},
                "authorizer": authorizer_context or None,
            },
            "body": text_body,
            "isBase64Encoded": encoded,
        }
        try:
            return dict(self.lambdas.call(route.function, event))
        except FunctionFailedError:
            return {
                "statusCode": 502,
                "headers": {"Content-Type": "application/json"},
                "body": json.dumps({"message": "Internal server error"}),
            }


def _json_error(status: int, code: str, message: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps({"error": {"code": code, "message": message}}),
    }


RequestLog = Callable[[str, str, int, float], None]


def _request_handler(gateway: Gateway, on_request: RequestLog | None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # A request line too broken to name its version is answered with a status line and headers
        # (http.server would assume HTTP/0.9 and send the bare body).
        default_request_version = "HTTP/1.0"
        # An idle keep-alive connection gives its thread back after this long.
        timeout = KEEP_ALIVE_SECONDS

        def _read_body(self) -> bytes | dict[str, Any]:
            """The request's body, or the error response that refuses it (as API Gateway would)."""
            if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
                return self._read_chunked()
            declared = self.headers.get("Content-Length") or "0"
            if not declared.isdigit():
                self.close_connection = True
                return _json_error(400, "bad_request", "Content-Length must be a number of bytes.")
            length = int(declared)
            if length > MAX_REQUEST_BYTES:
                self.close_connection = True  # the unread body must not be taken for the next request
                return _json_error(413, "payload_too_large", "The request is larger than 10 MB.")
            return self.rfile.read(length) if length else b""

        def _read_chunked(self) -> bytes | dict[str, Any]:
            body = bytearray()
            while True:
                size_line = self.rfile.readline(65537).split(b";", 1)[0].strip()
                try:
                    size = int(size_line, 16)
                except ValueError:
                    self.close_connection = True
                    return _json_error(400, "bad_request", "The chunked request body is malformed.")
                if size == 0:
                    while self.rfile.readline(65537).strip():
                        pass  # trailer fields
                    return bytes(body)
                if len(body) + size > MAX_REQUEST_BYTES:
                    self.close_connection = True
                    return _json_error(413, "payload_too_large", "The request is larger than 10 MB.")
                body += self.rfile.read(size)
                self.rfile.readline(65537)

        def _serve(self) -> None:
            started = time.perf_counter()
            body = self._read_body()
            if isinstance(body, dict):
                response = body
            else:
                try:
                    response = gateway.handle(self.command, self.path, dict(self.headers.items()), body)
                except Exception:  # a defect here must still answer, as API Gateway's 5xx does
                    response = _json_error(502, "bad_gateway", "The gateway could not process the request.")
            self._respond(response)
            if on_request is not None:
                status = int(response.get("statusCode", 200))
                on_request(self.command, self.path, status, (time.perf_counter() - started) * 1000)

        def _respond(self, response: dict[str, Any]) -> None:
            payload = response.get("body") or ""
            if isinstance(payload, bytes):
                data = payload
            else:
                data = base64.b64decode(payload) if response.get("isBase64Encoded") else str(payload).encode()
            self.send_response(int(response.get("statusCode", 200)))
            headers = {**(response.get("headers") or {})}
            for key, values in (response.get("multiValueHeaders") or {}).items():
                headers[key] = values[-1]
            for key, value in headers.items():
                if key.lower() not in ("content-length", "connection"):
                    self.send_header(key, str(value))
            self.send_header("Content-Length", str(len(data)))
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        def __getattr__(self, name: str) -> Any:
            # Every method reaches the gateway, which answers unknown ones with JSON like API
            # Gateway does; http.server would answer 501 with an HTML page.
            if name.startswith("do_"):
                return self._serve
            raise AttributeError(name)

        def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
            """Malformed requests (bad request line, headers too long) get JSON, not an HTML page."""
            self.close_connection = True
            text = message or self.responses.get(code, ("Bad request",))[0]
            if code >= 500:
                code = 400  # http.server's 505 (an unknown HTTP version) is the client's mistake too
            response = _json_error(code, "bad_request", f"{text.rstrip('.')}.")
            with contextlib.suppress(OSError):  # the client went away
                self._respond(response)
            if on_request is not None:
                on_request(getattr(self, "command", None) or "-", getattr(self, "path", "-"), code, 0.0)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # one line per request goes to on_request instead

    return Handler


class _BurstServer(ThreadingHTTPServer):
    """One thread per connection, and a listen queue deep enough for a burst of clients.

    Python's default queue of 5 reset most connections of a 60-request burst before any answer.
    Threads are not pooled: a fixed pool would let idle keep-alive connections starve new ones.
    """

    request_queue_size = LISTEN_QUEUE
    daemon_threads = True
    block_on_close = False


class GatewayServer:
    """The gateway on an HTTP port, served from a background thread.

    ``on_request(method, path, status, milliseconds)`` hears of every answered request.
    """

    def __init__(
        self,
        gateway: Gateway,
        host: str = "127.0.0.1",
        port: int = 8000,
        on_request: RequestLog | None = None,
    ) -> None:
        self.httpd = _BurstServer((host, port), _request_handler(gateway, on_request))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> GatewayServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
