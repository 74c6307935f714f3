"""A small client of the AgentFlow HTTP API (used by the demo, the CLI and end-to-end tests)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import httpx

API = "/api/v1"


# Statuses in which an execution may still change (waiting_approval: until someone decides).
ACTIVE = ("pending", "running", "waiting_approval")


def _id(value: str) -> str:
    """An id as one path segment, so that no argument can point a request at another route."""
    return quote(value, safe="")


class ApiError(Exception):
    """The API answered with an error body (or with something that is not the API's JSON)."""

    def __init__(self, status: int, body: Any) -> None:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        self.status = status
        self.code = error.get("code", "http_error")
        self.message = error.get("message", str(body))
        self.details = error.get("details", [])
        super().__init__(f"{status} {self.code}: {self.message}")


class AgentFlowClient:
    """Calls the API at ``base_url`` (a local stack or a deployed stage URL) with one API key.

    ``transport`` replaces the network (tests pass an ``httpx.MockTransport``).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        timeout: float = 30.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.base_url = base_url.rstrip("/")
        self.http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send one request; the decoded JSON body, or ``ApiError`` for any status of 400 and above."""
        response = self.http.request(method, path, **kwargs)
        try:
            body = response.json() if response.content else None
        except ValueError:
            # A proxy's HTML page or a server that is not AgentFlow: say so instead of failing to decode.
            reason = response.reason_phrase or "unexpected response"
            raise ApiError(
                response.status_code,
                {
                    "error": {
                        "code": "not_agentflow",
                        "message": f"{response.url} answered HTTP {response.status_code} {reason} "
                        "without a JSON body; is this the AgentFlow API?",
                    }
                },
            ) from None
        if response.status_code >= 400:
            raise ApiError(response.status_code, body)
        return body

    def page(
        self, path: str, key: str, limit: int | None = None, **params: Any
    ) -> tuple[list[Any], str | None]:
        """Items of a paged list, following ``next_token`` until ``limit`` items (``None``: all of them).

        Returns the items and the token of what remains (``None`` when nothing does).
        """
        items: list[Any] = []
        token = params.pop("next_token", None)
        query = {name: value for name, value in params.items() if value is not None}
        while True:
            query["limit"] = 100 if limit is None else min(100, limit - len(items))
            if token:
                query["next_token"] = token
            body = self.request("GET", path, params=query)
            items += body[key]
            token = body.get("next_token")
            if not token or (limit is not None and len(items) >= limit):
                return items, token

    # Workflows

    def create_workflow(self, definition: dict[str, Any]) -> dict[str, Any]:
        return dict(self.request("POST", f"{API}/workflows/", json=definition))

    def workflows(
        self, limit: int | None = 50, next_token: str | None = None
    ) -> tuple[list[Any], str | None]:
        return self.page(f"{API}/workflows/", "workflows", limit, next_token=next_token)

    def workflow(self, workflow_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"{API}/workflows/{_id(workflow_id)}"))

    def workflow_versions(self, workflow_id: str) -> list[dict[str, Any]]:
        """The workflow's versions (version, created_at, name), newest first."""
        return list(self.request("GET", f"{API}/workflows/{_id(workflow_id)}/versions")["versions"])

    def workflow_version(self, workflow_id: str, version: int) -> dict[str, Any]:
        return dict(self.request("GET", f"{API}/workflows/{_id(workflow_id)}/versions/{int(version)}"))

    def update_workflow(self, workflow_id: str, definition: dict[str, Any], version: int) -> dict[str, Any]:
        """Replace the definition if ``version`` is still the stored one (else ``ApiError`` 409)."""
        body = {**definition, "version": version}
        return dict(self.request("PUT", f"{API}/workflows/{_id(workflow_id)}", json=body))

    def delete_workflow(self, workflow_id: str) -> None:
        self.request("DELETE", f"{API}/workflows/{_id(workflow_id)}")

    # Executions

    def start_execution(
        self, workflow_id: str, data: Any, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        body = {"workflow_id": workflow_id, "input": data}
        return dict(self.request("POST", f"{API}/executions/", json=body, headers=headers))

    def execution(self, execution_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"{API}/executions/{_id(execution_id)}"))

    def executions(
        self, limit: int | None = 50, next_token: str | None = None, **filters: str | None
    ) -> tuple[list[Any], str | None]:
        """Executions newest first; ``filters``: ``workflow_id``, ``status``, ``schedule_id``."""
        return self.page(f"{API}/executions/", "executions", limit, next_token=next_token, **filters)

    def wait(self, execution_id: str, timeout: float = 120.0, interval: float = 0.25) -> dict[str, Any]:
        """Poll until the execution is terminal (or ``timeout`` seconds pass)."""
        deadline = time.monotonic() + timeout
        while True:
            execution = self.execution(execution_id)
            if execution["status"] not in ACTIVE or time.monotonic() > deadline:
                return execution
            time.sleep(interval)

    def logs(self, execution_id: str, **params: str) -> list[dict[str, Any]]:
        return list(self.request("GET", f"{API}/executions/{_id(execution_id)}/logs", params=params)["logs"])

    def timeline(self, execution_id: str) -> list[dict[str, Any]]:
        return list(self.request("GET", f"{API}/executions/{_id(execution_id)}/timeline")["timeline"])

    def stop_execution(self, execution_id: str) -> dict[str, Any]:
        return dict(self.request("POST", f"{API}/executions/{_id(execution_id)}/stop"))

    def resume_execution(self, execution_id: str, workflow_version: int | None = None) -> dict[str, Any]:
        """Run what did not complete again, as a new attempt (on ``workflow_version`` if given)."""
        body = {"workflow_version": workflow_version} if workflow_version else {}
        return dict(self.request("POST", f"{API}/executions/{_id(execution_id)}/resume", json=body))

    # Approvals

    def approvals(
        self,
        status: str | None = "pending",
        workflow_id: str | None = None,
        limit: int | None = 50,
        next_token: str | None = None,
    ) -> tuple[list[Any], str | None]:
        """Approvals oldest first (pending ones unless ``status`` says otherwise)."""
        return self.page(
            f"{API}/approvals",
            "approvals",
            limit,
            next_token=next_token,
            status=status,
            workflow_id=workflow_id,
        )

    def decide_approval(
        self,
        execution_id: str,
        node_id: str,
        decision: str,
        payload_digest: str,
        comment: str | None = None,
        raise_budget: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Approve or reject what the approver saw: ``payload_digest`` binds the decision to it."""
        body: dict[str, Any] = {"decision": decision, "payload_digest": payload_digest}
        if comment:
            body["comment"] = comment
        if raise_budget:
            body["raise_budget"] = raise_budget
        path = f"{API}/executions/{_id(execution_id)}/approvals/{_id(node_id)}"
        return dict(self.request("POST", path, json=body))

    # Agents

    def agent_types(self) -> list[dict[str, Any]]:
        return list(self.request("GET", f"{API}/agents/types")["agent_types"])

    # Schedules

    def create_schedule(
        self,
        workflow_id: str,
        expression: str,
        timezone: str = "UTC",
        data: Any = None,
        enabled: bool = True,
    ) -> dict[str, Any]:
        body = {"expression": expression, "timezone": timezone, "input": data, "enabled": enabled}
        return dict(self.request("POST", f"{API}/workflows/{_id(workflow_id)}/schedules", json=body))

    def schedules(self, workflow_id: str) -> list[dict[str, Any]]:
        return list(self.request("GET", f"{API}/workflows/{_id(workflow_id)}/schedules")["schedules"])

    def schedule(self, workflow_id: str, schedule_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"{API}/workflows/{_id(workflow_id)}/schedules/{_id(schedule_id)}"))

    def update_schedule(self, workflow_id: str, schedule_id: str, **changes: Any) -> dict[str, Any]:
        """PATCH any of ``expression``, ``timezone``, ``input``, ``enabled``."""
        path = f"{API}/workflows/{_id(workflow_id)}/schedules/{_id(schedule_id)}"
        return dict(self.request("PATCH", path, json=changes))

    def delete_schedule(self, workflow_id: str, schedule_id: str) -> None:
        self.request("DELETE", f"{API}/workflows/{_id(workflow_id)}/schedules/{_id(schedule_id)}")

    # Webhooks and event triggers

    def issue_webhook(self, workflow_id: str) -> dict[str, Any]:
        """A new signing secret and the trigger URL it guards (the previous secret stops working)."""
        return dict(self.request("POST", f"{API}/workflows/{_id(workflow_id)}/webhook"))

    def create_event_trigger(
        self, workflow_id: str, event_pattern: dict[str, Any], enabled: bool = True
    ) -> dict[str, Any]:
        body = {"event_pattern": event_pattern, "enabled": enabled}
        return dict(self.request("POST", f"{API}/workflows/{_id(workflow_id)}/event-triggers", json=body))

    def event_triggers(self, workflow_id: str) -> list[dict[str, Any]]:
        path = f"{API}/workflows/{_id(workflow_id)}/event-triggers"
        return list(self.request("GET", path)["event_triggers"])

    def delete_event_trigger(self, workflow_id: str, trigger_id: str) -> None:
        self.request("DELETE", f"{API}/workflows/{_id(workflow_id)}/event-triggers/{_id(trigger_id)}")

    # Documents

    DIRECT_UPLOAD_BYTES = 4 * 1024 * 1024

    def upload_document(self, filename: str, data: bytes, workflow_id: str | None = None) -> dict[str, Any]:
        """Upload a file: through the API up to 4 MiB, else through a presigned S3 PUT."""
        if len(data) > self.DIRECT_UPLOAD_BYTES:
            body: dict[str, Any] = {"filename": filename, "size_bytes": len(data), "workflow_id": workflow_id}
            ticket = self.request("POST", f"{API}/documents/uploads", json=body)
            response = httpx.put(
                ticket["upload_url"], content=data, headers=ticket["upload_headers"], timeout=300
            )
            if response.status_code >= 300:
                raise ApiError(
                    response.status_code, {"error": {"code": "upload_failed", "message": response.text}}
                )
            return self.document(ticket["document_id"])
        files = {"file": (filename, data)}
        form = {"workflow_id": workflow_id} if workflow_id else None
        return dict(self.request("POST", f"{API}/documents", files=files, data=form))

    def document(self, document_id: str) -> dict[str, Any]:
        return dict(self.request("GET", f"{API}/documents/{_id(document_id)}"))

    def documents(
        self, limit: int | None = 50, next_token: str | None = None, workflow_id: str | None = None
    ) -> tuple[list[Any], str | None]:
        return self.page(
            f"{API}/documents", "documents", limit, next_token=next_token, workflow_id=workflow_id
        )

    def delete_document(self, document_id: str) -> None:
        self.request("DELETE", f"{API}/documents/{_id(document_id)}")

    def search_documents(
        self, query: str, top_k: int = 5, workflow_id: str | None = None
    ) -> list[dict[str, Any]]:
        body = {"query": query, "top_k": top_k, "workflow_id": workflow_id}
        return list(self.request("POST", f"{API}/documents/search", json=body)["results"])

    def wait_for_document(
        self, document_id: str, timeout: float = 300.0, interval: float = 0.25
    ) -> dict[str, Any]:
        """Poll until the document is ``ready`` or ``failed`` (or ``timeout`` seconds pass)."""
        deadline = time.monotonic() + timeout
        while True:
            document = self.document(document_id)
            if document["status"] in ("ready", "failed") or time.monotonic() > deadline:
                return document
            time.sleep(interval)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> AgentFlowClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
