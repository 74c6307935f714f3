"""Hand-made hostile requests through the gateway (authorizer + API) on moto: each is a 4xx with
the contract's error body, never a 5xx."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from agentflow.local.gateway import Gateway
from tests.helpers import GatewayApi, reference_workflow

NOT_UTF8 = b'{"name": "caf\xe9", "agents": []}'
DEEP = b"[" * 10_000 + b"]" * 10_000
DEEP_OBJECT = b'{"a":' * 5_000 + b"1" + b"}" * 5_000

# Every route that reads a JSON body (the ids need not exist: the body is refused first).
JSON_ROUTES = [
    ("POST", "/api/v1/workflows"),
    ("PUT", "/api/v1/workflows/wf_missing1"),
    ("POST", "/api/v1/executions"),
    ("POST", "/api/v1/workflows/wf_missing1/schedules"),
    ("PATCH", "/api/v1/workflows/wf_missing1/schedules/sch_missing1"),
    ("POST", "/api/v1/workflows/wf_missing1/event-triggers"),
    ("POST", "/api/v1/documents/uploads"),
    ("POST", "/api/v1/documents/search"),
    ("POST", "/api/v1/documents"),
    ("POST", "/api/v1/workflows/wf_missing1/trigger"),
]


def contract_error(status: int, body: Any) -> str:
    """The error code, after checking the body is the contract's error body."""
    assert 400 <= status < 500, (status, body)
    assert set(body) == {"error"} and isinstance(body["error"]["message"], str), body
    assert body["error"]["code"].replace("_", "").isalpha(), body
    return str(body["error"]["code"])


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
def test_a_body_that_is_not_utf8_is_422(api: GatewayApi, method: str, path: str) -> None:
    status, body = api.call(method, path, raw=NOT_UTF8)
    assert contract_error(status, body) == "validation_error" and "UTF-8" in body["error"]["message"]


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
@pytest.mark.parametrize("payload", [DEEP, DEEP_OBJECT], ids=["arrays", "objects"])
def test_json_nested_thousands_deep_is_422(api: GatewayApi, method: str, path: str, payload: bytes) -> None:
    status, body = api.call(method, path, raw=payload)
    assert contract_error(status, body) == "validation_error" and "deep" in body["error"]["message"]


@pytest.mark.parametrize(("method", "path"), [r for r in JSON_ROUTES if r[1] != "/api/v1/documents"])
def test_multipart_without_a_boundary_on_a_json_route_is_read_as_json(
    api: GatewayApi, method: str, path: str
) -> None:
    headers = {"Content-Type": "multipart/form-data"}
    status, body = api.call(method, path, raw=b'{"unexpected": true}', headers=headers)
    assert contract_error(status, body) in {"validation_error", "not_found", "unauthorized"}


def test_multipart_without_a_boundary_on_the_upload_says_so(api: GatewayApi) -> None:
    headers = {"Content-Type": "multipart/form-data"}
    status, body = api.call("POST", "/api/v1/documents", raw=b"--x\r\n\r\nhello", headers=headers)
    assert contract_error(status, body) == "validation_error" and "boundary" in body["error"]["message"]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/xml", "application/x-www-form-urlencoded", "image/png"]
)
def test_a_wrong_content_type_still_reads_the_json_body(api: GatewayApi, content_type: str) -> None:
    status, body = api.call(
        "POST", "/api/v1/workflows", reference_workflow(), headers={"Content-Type": content_type}
    )
    assert status == 201, body


def test_a_huge_json_body_is_413(api: GatewayApi) -> None:
    huge = json.dumps({"name": "x" * 2_000_000, "agents": []}).encode()
    status, body = api.call("POST", "/api/v1/workflows", raw=huge)
    assert contract_error(status, body) == "payload_too_large"


def test_many_small_values_under_the_limit_are_judged_not_crashed(api: GatewayApi) -> None:
    wide = json.dumps({"name": "Wide", "agents": [{"id": f"n{i}", "type": "x"} for i in range(20_000)]})
    status, body = api.call("POST", "/api/v1/workflows", raw=wide.encode())
    assert contract_error(status, body) == "validation_error"


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/workflows/wf_%00%01",
        "/api/v1/workflows/wf_%0d%0aSet-Cookie:x",
        "/api/v1/executions/exec_%1b%5b31m",
        "/api/v1/documents/doc_%7f",
        "/api/v1/workflows/" + "w" * 5000,
        "/api/v1/workflows/%ff%fe",
        "/api/v1/workflows/..%2f..%2fetc%2fpasswd",
    ],
)
def test_control_characters_and_junk_in_path_ids_are_4xx(api: GatewayApi, path: str) -> None:
    status, body = api.get(path)
    contract_error(status, body)


@pytest.mark.parametrize(
    "query",
    [
        "limit=-1",
        "limit=0",
        "limit=" + "9" * 31,
        "limit=1e400",
        "limit=nan",
        "limit=",
        "next_token=garbage",
        "next_token=" + "A" * 5000,
        "next_token=%00%ff",
        "next_token=eyJ0ZW5hbnQiOiAiYiJ9",  # base64 of another tenant's key shape
        "status=exploded",
        "limit=5&limit=-5",
    ],
)
@pytest.mark.parametrize("listing", ["/api/v1/workflows", "/api/v1/executions", "/api/v1/documents"])
def test_absurd_query_values_are_4xx(api: GatewayApi, listing: str, query: str) -> None:
    status, body = api.get(f"{listing}?{query}")
    if status == 200 and "status=" in query and listing != "/api/v1/executions":
        return  # listings without a status filter ignore unknown parameters, as API Gateway passes them
    contract_error(status, body)


@pytest.mark.parametrize("level", ["LOUD", "", "%00"])
def test_an_unknown_log_level_is_422(api: GatewayApi, level: str) -> None:
    status, body = api.get(f"/api/v1/executions/exec_missing1/logs?level={level}")
    contract_error(status, body)


@pytest.mark.parametrize("method", ["TRACE", "PROPFIND", "CONNECT", "BREW", "OPTIONS"])
def test_unknown_methods_are_json_404_with_a_key_and_401_without(
    api: GatewayApi, gateway: Gateway, method: str
) -> None:
    # The API's catch-all route takes any method, as API Gateway's ANY does: the authorizer runs first
    assert contract_error(*api.call(method, "/api/v1/workflows")) == "not_found"
    response = gateway.handle(method, "/api/v1/workflows", {}, b"")
    status, body = int(response["statusCode"]), json.loads(response["body"])
    assert contract_error(status, body) == "unauthorized"


def test_a_signed_trigger_with_an_undecodable_body_is_422(api: GatewayApi) -> None:
    headers = {"X-AgentFlow-Timestamp": "1", "X-AgentFlow-Signature": "sha256=00"}
    status, body = api.call("POST", "/api/v1/workflows/wf_missing1/trigger", raw=b"\xff\xfe", headers=headers)
    assert contract_error(status, body) == "validation_error"


def test_a_trigger_with_a_deep_body_and_no_signature_is_refused(api: GatewayApi) -> None:
    status, body = api.call("POST", "/api/v1/workflows/wf_missing1/trigger", raw=DEEP)
    contract_error(status, body)


def test_a_json_body_that_is_not_json_is_422(api: GatewayApi) -> None:
    for raw in (
        b"{",
        b"nul",
        b'{"a": 1}}',
        b"\x00",
        b'"\\ud800"',
        b"1" * 5000,
        b'{"n": -' + b"7" * 9999 + b"}",
    ):
        status, body = api.call("POST", "/api/v1/workflows", raw=raw)
        assert contract_error(status, body) == "validation_error", raw


@pytest.mark.parametrize(("method", "path"), JSON_ROUTES)
def test_an_unpaired_surrogate_escape_is_422(api: GatewayApi, method: str, path: str) -> None:
    # Python reads "\ud800" into a str that cannot be encoded again: a 500 deep in a route before
    status, body = api.call(method, path, raw=b'{"name": "\\ud800", "input": "x\\udfff"}')
    assert contract_error(status, body) == "validation_error" and "surrogate" in body["error"]["message"]


def test_an_emoji_escaped_as_a_surrogate_pair_is_accepted(api: GatewayApi) -> None:
    definition = {**reference_workflow(), "name": "Outreach \\ud83d\\ude00"}
    raw = json.dumps(definition).replace("\\\\", "\\").encode()
    status, body = api.call("POST", "/api/v1/workflows", raw=raw)
    assert status == 201 and body["name"] == "Outreach 😀"


@pytest.fixture(scope="module")
def hooked_workflow(gateway: Gateway) -> str:
    api = GatewayApi(gateway, "key-tenant-a")
    workflow_id = str(api.post("/api/v1/workflows", reference_workflow())[1]["id"])
    assert api.post(f"/api/v1/workflows/{workflow_id}/webhook")[0] == 201
    return workflow_id


@pytest.mark.parametrize(
    "signature", ["sha256=é", "sha256=\u00ff\u00fe", "sha256=" + "a" * 10_000, "md5=00", "sha256="]
)
def test_a_signature_header_of_any_shape_is_401(
    gateway: Gateway, hooked_workflow: str, signature: str
) -> None:
    # compare_digest raises on non-ASCII str: this was a 500 before the signature was compared as bytes
    headers = {"X-AgentFlow-Timestamp": str(int(time.time())), "X-AgentFlow-Signature": signature}
    status, body = GatewayApi(gateway, None).call(
        "POST", f"/api/v1/workflows/{hooked_workflow}/trigger", raw=b"{}", headers=headers
    )
    assert contract_error(status, body) == "unauthorized"


@pytest.mark.parametrize("timestamp", ["١٢٣", "9" * 5000, "1e9", "-1", "now", " 1 "])
def test_a_timestamp_header_of_any_shape_is_401(
    gateway: Gateway, hooked_workflow: str, timestamp: str
) -> None:
    headers = {"X-AgentFlow-Timestamp": timestamp, "X-AgentFlow-Signature": "sha256=00"}
    status, body = GatewayApi(gateway, None).call(
        "POST", f"/api/v1/workflows/{hooked_workflow}/trigger", raw=b"{}", headers=headers
    )
    assert contract_error(status, body) == "unauthorized"


@pytest.mark.parametrize("key", ["é" * 10, "k" * 256, "\x00"])
def test_odd_idempotency_keys_are_judged_not_crashed(api: GatewayApi, hooked_workflow: str, key: str) -> None:
    request = {"workflow_id": hooked_workflow, "input": "x"}
    status, body = api.post("/api/v1/executions", request, headers={"Idempotency-Key": key})
    assert status in (200, 202) or contract_error(status, body) == "validation_error"
