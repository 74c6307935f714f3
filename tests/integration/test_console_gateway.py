"""The local gateway serves the web console at / while /api/... and /docs stay the API's."""

from __future__ import annotations

import json

import pytest

from agentflow.local.gateway import Gateway

pytestmark = pytest.mark.integration


def test_the_console_is_served_at_the_root(gateway: Gateway) -> None:
    response = gateway.handle("GET", "/", {}, b"")
    assert response["statusCode"] == 200 and response["headers"]["Content-Type"].startswith("text/html")


def test_a_missing_file_is_the_gateway_404(gateway: Gateway) -> None:
    response = gateway.handle("GET", "/nothing-here.js", {}, b"")
    assert response["statusCode"] == 404
    assert json.loads(response["body"])["error"]["code"] == "not_found"


def test_api_and_docs_still_reach_the_api(gateway: Gateway) -> None:
    health = gateway.handle("GET", "/api/v1/health", {}, b"")
    assert health["statusCode"] == 200 and json.loads(health["body"])["status"] == "ok"
    docs = gateway.handle("GET", "/docs", {}, b"")
    assert docs["statusCode"] == 200 and "swagger" in str(docs["body"]).lower()
    assert gateway.handle("GET", "/api/v1/workflows", {}, b"")["statusCode"] == 401
