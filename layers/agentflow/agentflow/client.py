"""A small client of the AgentFlow HTTP API (used by the demo, the CLI and end-to-end tests)."""

from __future__ import annotations

import time
from typing import Any

import httpx


class ApiError(Exception):
    """The API answered with an error body."""

    def __init__(self, status: int, body: Any) -> None:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        self.status = status
        self.code = error.get("code", "http_error")
        self.message = error.get("message", str(body))
        self.details = error.get("details", [])
        super().__init__(f"{status} {self.code}: {self.message}")


class AgentFlowClient:
    def __init__(self, base_url: str, api_key: str | None, timeout: float = 30.0) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, path, **kwargs)
        body = response.json() if response.content else None
        if response.status_code >= 400:
            raise ApiError(response.status_code, body)
        return body

    def create_workflow(self, definition: dict[str, Any]) -> dict[str, Any]:
        return dict(self.request("POST", "/api/v1/workflows/", json=definition))

    def start_execution(
        self, workflow_id: str, data: Any, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        body = {"workflow_id": workflow_id, "input": data}
        return dict(self.request("POST", "/api/v1/executions/", json=body, headers=headers))

    def execution(self, execution_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"/api/v1/executions/{execution_id}"))

    def wait(self, execution_id: str, timeout: float = 120.0, interval: float = 0.25) -> dict[str, Any]:
        """Poll until the execution is terminal (or ``timeout`` seconds pass)."""
        deadline = time.monotonic() + timeout
        while True:
            execution = self.execution(execution_id)
            if execution["status"] not in ("pending", "running") or time.monotonic() > deadline:
                return execution
            time.sleep(interval)

    def logs(self, execution_id: str, **params: str) -> list[dict[str, Any]]:
        return list(self.request("GET", f"/api/v1/executions/{execution_id}/logs", params=params)["logs"])

    def timeline(self, execution_id: str) -> list[dict[str, Any]]:
        return list(self.request("GET", f"/api/v1/executions/{execution_id}/timeline")["timeline"])

    def close(self) -> None:
        self.http.close()
