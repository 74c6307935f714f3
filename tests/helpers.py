"""Shared test helpers: workflow definitions and API calls through the local gateway."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
REFERENCE_INPUT = "Find Q4 deals over $100K and send check-in emails"


def reference_workflow() -> dict[str, Any]:
    return json.loads((ROOT / "examples" / "sales_outreach.json").read_text())


def sales(node_id: str, **config: Any) -> dict[str, Any]:
    base = {"stage": "Negotiation", "min_amount": 100000, "close_quarter": "Q4"}
    return {"id": node_id, "type": "sales_intelligence", "config": {**base, **config}}


def email(node_id: str, **config: Any) -> dict[str, Any]:
    return {"id": node_id, "type": "email_outreach", "config": {"max_emails": 2, **config}}


def workflow(name: str, agents: list[dict[str, Any]], edges: list[tuple[str, str]]) -> dict[str, Any]:
    return {"name": name, "agents": agents, "edges": [{"source": s, "target": t} for s, t in edges]}


def diamond() -> dict[str, Any]:
    return workflow(
        "Diamond",
        [sales("a"), sales("b"), sales("c"), email("d")],
        [("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")],
    )


def fan_out(width: int = 4) -> dict[str, Any]:
    branches = [email(f"mail_{index}") for index in range(width)]
    return workflow("Fan-out", [sales("deals"), *branches], [("deals", b["id"]) for b in branches])


def overlaps(first: dict[str, Any], second: dict[str, Any]) -> bool:
    """Whether two timeline entries ran at the same time."""
    return first["started_at"] < second["completed_at"] and second["started_at"] < first["completed_at"]


class GatewayApi:
    """Calls the API through the local gateway in-process (authorizer, then API handler): no sockets."""

    def __init__(self, gateway: Any, api_key: str | None) -> None:
        self.gateway = gateway
        self.api_key = api_key

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, Any]:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        if self.api_key:
            all_headers["Authorization"] = f"Bearer {self.api_key}"
        payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        response = self.gateway.handle(method, path, all_headers, payload)
        text = response.get("body") or ""
        return int(response["statusCode"]), json.loads(text) if text else None

    def get(self, path: str) -> tuple[int, Any]:
        return self.call("GET", path)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        return self.call("POST", path, body, **kwargs)

    def wait(self, execution_id: str, timeout: float = 60.0) -> dict[str, Any]:
        import time

        deadline = time.monotonic() + timeout
        while True:
            status, execution = self.get(f"/api/v1/executions/{execution_id}")
            assert status == 200, execution
            if execution["status"] not in ("pending", "running") or time.monotonic() > deadline:
                return execution
            time.sleep(0.1)


@contextmanager
def serving(stack: Any) -> Iterator[Any]:
    """A local stack's gateway on a free loopback port, for tests over real HTTP."""
    from agentflow.local.gateway import Gateway, GatewayServer

    server = GatewayServer(Gateway(stack.template, stack.lambdas), port=0).start()
    try:
        yield server
    finally:
        server.stop()


def load_event(name: str) -> dict[str, Any]:
    """A real event fixture (from `sam local generate-event`) under tests/events/."""
    return json.loads((ROOT / "tests" / "events" / f"{name}.json").read_text())


def proxy_event(
    method: str,
    path: str,
    body: Any = None,
    tenant_id: str | None = "tenant-a",
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST proxy event for ``method path`` as the authorizer passed it."""
    event = load_event("apigateway_aws_proxy")
    event.update(
        httpMethod=method,
        path=path,
        body=body if isinstance(body, str) or body is None else json.dumps(body),
        isBase64Encoded=False,
        queryStringParameters=query,
        multiValueQueryStringParameters={key: [value] for key, value in (query or {}).items()} or None,
    )
    event["headers"] = {"Content-Type": "application/json"}
    event["multiValueHeaders"] = {"Content-Type": ["application/json"]}
    event["requestContext"] = {
        **event["requestContext"],
        "authorizer": {"tenant_id": tenant_id} if tenant_id else None,
    }
    return event


def lambda_context(name: str = "test-function") -> Any:
    from agentflow.local.runtime import LambdaContext

    return LambdaContext(
        function_name=name, invoked_function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
    )


def gateway_client(gateway: Any, api_key: str) -> Any:
    """An AgentFlowClient whose requests go through the local gateway in-process (no sockets)."""
    import httpx

    from agentflow.client import AgentFlowClient

    def answer(request: httpx.Request) -> httpx.Response:
        url = request.url.raw_path.decode()
        response = gateway.handle(request.method, url, dict(request.headers.items()), request.read())
        body = response.get("body") or ""
        content = base64.b64decode(body) if response.get("isBase64Encoded") else str(body).encode()
        return httpx.Response(
            int(response["statusCode"]), headers=response.get("headers") or {}, content=content
        )

    return AgentFlowClient("http://gateway.local", api_key, transport=httpx.MockTransport(answer))


def fail_the_nth_email(monkeypatch: Any, nth: int = 8) -> list[int]:
    """Make the outlook sandbox refuse the ``nth`` email it is asked to send (a permanent error), once.

    The stacks the tests run execute their functions in the test's process, so the patch reaches the
    email agent. Returns the list of send calls, one entry each.
    """
    from agentflow.errors import ConnectorError
    from agentflow_sandbox.outlook import OutlookSandbox

    real = OutlookSandbox.send
    calls: list[int] = []

    def flaky(self: OutlookSandbox, email: Any) -> Any:
        calls.append(1)
        if len(calls) == nth:
            raise ConnectorError("outlook: the mailbox is temporarily disabled")
        return real(self, email)

    monkeypatch.setattr(OutlookSandbox, "send", flaky)
    return calls


def start(api: Any, definition: dict[str, Any], input: Any = REFERENCE_INPUT) -> str:
    """Register ``definition`` and start it with ``input``; the new execution's id."""
    status, created = api.post("/api/v1/workflows", definition)
    assert status == 201, created
    status, started = api.post("/api/v1/executions/", {"workflow_id": created["id"], "input": input})
    assert status == 202, started
    return str(started["id"])
