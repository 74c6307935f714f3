"""The API's contract for requests that never reach storage: health, catalog, docs, errors."""

from __future__ import annotations

import json
from typing import Any

import api_handler
from tests.helpers import lambda_context, proxy_event


def call(method: str, path: str, body: Any = None, **kwargs: Any) -> tuple[int, Any]:
    response = api_handler.lambda_handler(proxy_event(method, path, body, **kwargs), lambda_context())
    text = response["body"]
    try:
        return response["statusCode"], json.loads(text)
    except ValueError:
        return response["statusCode"], text


def test_health_reports_ok_and_version() -> None:
    assert call("GET", "/api/v1/health") == (200, {"status": "ok", "version": "0.1.0"})


def test_trailing_slash_is_accepted() -> None:
    assert call("GET", "/api/v1/health/")[0] == 200


def test_agent_types_list_config_schemas() -> None:
    status, body = call("GET", "/api/v1/agents/types")
    assert status == 200
    types = {item["type"]: item for item in body["agent_types"]}
    assert {"sales_intelligence", "email_outreach"} <= set(types)
    schema = types["email_outreach"]["config_schema"]
    assert schema["properties"]["max_emails"]["minimum"] == 1
    assert schema["additionalProperties"] is False


def test_openapi_document_lists_the_routes() -> None:
    status, body = call("GET", "/api/v1/openapi.json")
    assert status == 200
    assert {"/api/v1/workflows", "/api/v1/executions/{execution_id}/logs"} <= set(body["paths"])


def test_swagger_ui_is_served() -> None:
    status, body = call("GET", "/docs")
    assert status == 200 and "swagger" in body.lower()


def test_unknown_route_is_a_contract_404() -> None:
    status, body = call("GET", "/api/v1/nothing-here")
    assert status == 404 and body["error"]["code"] == "not_found"


def test_bad_json_is_422_not_5xx() -> None:
    status, body = call("POST", "/api/v1/workflows", "{not json")
    assert status == 422 and body["error"]["code"] == "validation_error"
    assert "JSON" in body["error"]["message"]


def test_unknown_field_is_named() -> None:
    status, body = call("POST", "/api/v1/workflows", {"name": "x", "agents": [], "colour": "blue"})
    assert status == 422 and "colour" in body["error"]["message"]


def test_wrong_type_is_named() -> None:
    status, body = call("POST", "/api/v1/workflows", {"name": "x", "agents": "all of them"})
    assert status == 422 and "agents" in body["error"]["message"]


def test_bad_query_parameter_is_named() -> None:
    status, body = call("GET", "/api/v1/workflows", query={"limit": "500"})
    assert status == 422 and "limit" in body["error"]["message"]


def test_oversized_body_is_413() -> None:
    status, body = call("POST", "/api/v1/workflows", "x" * (1024 * 1024 + 1))
    assert status == 413 and body["error"]["code"] == "payload_too_large"


def test_missing_tenant_is_401() -> None:
    status, body = call("GET", "/api/v1/workflows", tenant_id=None)
    assert status == 401 and body["error"]["code"] == "unauthorized"


def test_a_body_without_json_content_type_is_still_read_as_json() -> None:
    # Given `curl -d` (form-encoded) with a JSON body missing a required field
    event = proxy_event("POST", "/api/v1/workflows", {"name": "x", "agents": "all of them"})
    event["headers"] = {"Content-Type": "application/x-www-form-urlencoded"}
    event["multiValueHeaders"] = {"Content-Type": ["application/x-www-form-urlencoded"]}
    response = api_handler.lambda_handler(event, lambda_context())
    # Then the 422 is about the body's fields, not about its encoding
    assert response["statusCode"] == 422 and "agents" in json.loads(response["body"])["error"]["message"]
