"""Fuzzing the served OpenAPI with schemathesis, in-process through the local gateway on moto.

Every operation of /api/v1/openapi.json gets generated requests, valid and invalid (wrong types,
missing fields, odd strings, absurd numbers); every answer must be no server error, with a status
and a body the document declares.
"""

from __future__ import annotations

import importlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode, checks

from agentflow.local.gateway import Gateway

API_KEY = "key-tenant-a"
EXAMPLES_PER_OPERATION = 12
CALLS: Counter[str] = Counter()

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


def wsgi_app(gateway: Gateway) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """The local gateway as a WSGI application, for schemathesis to call without a socket."""
    import base64

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
    importlib.import_module("numpy")
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", wsgi_app(gateway))
    # For the record (shown with -s): how much the fuzz sent and how many answers were 5xx.
    print(
        f"\nfuzz: {CALLS['examples']} examples, {CALLS['requests']} requests, "
        f"{CALLS['server_errors']} server errors; statuses "
        + ", ".join(f"{key[7:]}: {n}" for key, n in sorted(CALLS.items()) if key.startswith("status_"))
    )


# schemathesis' own pytest plugin reads a pytest internal that pytest 9 removed: drive it directly.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=str)
@pytest.mark.parametrize(("method", "path"), _operations())
def test_no_server_error_and_every_answer_is_documented(
    api_schema: Any, method: str, path: str, mode: GenerationMode
) -> None:
    # Given generated requests (valid, or invalid on purpose) for one operation
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode))
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
