"""Fuzzing the served OpenAPI with schemathesis, in-process through the local gateway on moto.

Every operation of /api/v1/openapi.json gets generated requests, valid and invalid (wrong types,
missing fields, odd strings, absurd numbers); every answer must be no server error, with a status
and a body the document declares.
"""

from __future__ import annotations

import base64
import importlib
import importlib.util
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks

from agentflow.local.gateway import Gateway
from tests.helpers import GatewayApi, reference_workflow

API_KEY = "key-tenant-a"
EXAMPLES_PER_OPERATION = 12
CALLS: Counter[str] = Counter()

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def wsgi_app(gateway: Gateway) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The local gateway as a WSGI application, for schemathesis to call without a socket."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        # RAW_URI keeps the path's percent-encoding as a client sent it; the query comes separately.
        raw = environ.get("RAW_URI") or quote(environ.get("PATH_INFO", "/").encode("latin-1"), safe="/")
        path = raw.split("?", 1)[0]
        if environ.get("QUERY_STRING"):
            path += "?" + environ["QUERY_STRING"]
        request_headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            request_headers["Content-Type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        response = gateway.handle(environ["REQUEST_METHOD"], path, request_headers, body)
        payload = response.get("body") or ""
        data = base64.b64decode(payload) if response.get("isBase64Encoded") else str(payload).encode()
        status = int(response["statusCode"])
        CALLS["requests"] += 1
        CALLS["server_errors"] += status >= 500
        CALLS[f"status_{status}"] += 1
        headers = dict(response.get("headers") or {})
        for key, values in (response.get("multiValueHeaders") or {}).items():
            headers[key] = values[-1]
        start_response(f"{status} -", list(headers.items()))
        yield data

    return app


def _operations() -> list[tuple[str, str]]:
    """(METHOD, path) of every operation the served document lists, read from the API's own app."""
    import api_handler

    document = api_handler.app.get_openapi_schema().model_dump(by_alias=True, exclude_none=True)
    return [(method.upper(), path) for path, ops in document["paths"].items() for method in ops]


@pytest.fixture(scope="module")
def api_schema(gateway: Gateway) -> Iterator[Any]:
    # Ingestion in background threads imports numpy; hypothesis peeks at a half-imported one.
    if importlib.util.find_spec("numpy") is not None:
        importlib.import_module("numpy")
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app(gateway))
    # For the record (shown with -s): how much the fuzz sent and how many answers were 5xx.
    print(
        f"\nfuzz: {CALLS['examples']} examples, {CALLS['requests']} requests, "
        f"{CALLS['server_errors']} server errors; statuses "
        + ", ".join(f"{key[7:]}: {n}" for key, n in sorted(CALLS.items()) if key.startswith("status_"))
    )


@pytest.fixture(scope="module")
def existing(gateway: Gateway) -> dict[str, str]:
    """Ids of real resources, for requests that reach past the lookup (one of each kind)."""
    api = GatewayApi(gateway, API_KEY)
    workflow = api.post("/api/v1/workflows", reference_workflow())[1]
    path = f"/api/v1/workflows/{workflow['id']}"
    schedule = api.post(f"{path}/schedules", {"expression": "rate(1 day)", "enabled": False})[1]
    api.post(f"{path}/webhook")  # so signed-trigger requests reach the signature check
    # A document event: a pattern on the workflow's own execution events would be a self-trigger (422).
    pattern = {"detail-type": ["AgentFlow Document Status Change"], "detail": {"status": ["ready"]}}
    trigger = api.post(f"{path}/event-triggers", {"event_pattern": pattern})[1]
    execution = api.post("/api/v1/executions", {"workflow_id": workflow["id"], "input": "Q4 deals"})[1]
    api.wait(execution["id"])
    content = base64.b64encode(b"Coho Winery renews in Q4.").decode()
    document = api.post("/api/v1/documents", {"filename": "notes.txt", "content_base64": content})[1]
    return {
        "workflow_id": workflow["id"],
        "schedule_id": schedule["id"],
        "trigger_id": trigger["id"],
        "execution_id": execution["id"],
        "document_id": document["id"],
    }


def _fuzz(operation: Any, mode: GenerationMode, path_parameters: dict[str, str] | None = None) -> None:
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def answer(case: Any) -> None:
        # When the API answers, Then it is no 5xx and the status and body are documented
        CALLS["examples"] += 1
        case.call_and_validate(
            headers={"Authorization": f"Bearer {API_KEY}"},
            checks=[
                checks.not_a_server_error,
                checks.status_code_conformance,
                checks.content_type_conformance,
                checks.response_schema_conformance,
            ],
        )

    answer()


# schemathesis' own pytest plugin reads a pytest internal that pytest 9 removed: drive it directly.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize(("method", "path"), _operations())
def test_no_server_error_and_every_answer_is_documented(
    api_schema: Any, method: str, path: str, mode: GenerationMode
) -> None:
    # Given generated requests (valid, or invalid on purpose) for one operation
    _fuzz(api_schema[path][method], mode)


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p in _operations() if "{" in p and m != "DELETE"])
def test_requests_about_existing_resources_are_answered_as_documented(
    api_schema: Any, existing: dict[str, str], method: str, path: str
) -> None:
    # Given generated queries and bodies about resources that exist (so reads answer 200 with a
    # body to check, and updates reach the service); deleting them is left to the test above
    names = [name for name in existing if "{" + name + "}" in path]
    _fuzz(api_schema[path][method], GenerationMode.POSITIVE, {name: existing[name] for name in names})


def test_the_fuzz_covered_every_operation(api_schema: Any) -> None:
    # The operation count is fixed by the document; a route lost from it would show here.
    operations = list(api_schema.get_all_operations())
    assert len(operations) >= 29
    document = api_schema.raw_schema
    upload = document["paths"]["/api/v1/documents"]["post"]["requestBody"]["content"]
    assert {"multipart/form-data", "application/json"} <= set(upload)
    assert "requestBody" in document["paths"]["/api/v1/workflows/{workflow_id}/trigger"]["post"]


def test_error_bodies_are_the_contracts_in_the_document(api_schema: Any) -> None:
    document = api_schema.raw_schema
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for operations in document["paths"].values():
        for operation in operations.values():
            for status in ("422", "4XX"):
                schema_ref = operation["responses"][status]["content"]["application/json"]["schema"]
                assert schema_ref == {"$ref": "#/components/schemas/ErrorBody"}
