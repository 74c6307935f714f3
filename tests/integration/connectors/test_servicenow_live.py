"""The live ServiceNow client against a fake Table API (pytest-httpserver on loopback).

Each test plays the instance's side of the real exchange: Basic auth (or an OAuth bearer token),
POST /api/now/table/{table} to create, GET with sysparm_query paged by sysparm_offset and the Link
header, display values without reference links.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from agentflow.connectors.servicenow import DEFAULT_FIELDS, ServiceNowClient, live
from agentflow.errors import ConnectorError, TransientAgentError
from agentflow.settings import Settings

# The fake vendor listens on a loopback socket.
pytestmark = pytest.mark.enable_socket

SECRET_NAME = "prod/servicenow"
PASSWORD = "Sup3r-Secret!"
BASIC = "Basic " + base64.b64encode(f"agentflow.integration:{PASSWORD}".encode()).decode()
TABLE_PATH = "/api/now/table/incident"
FIELDS = ",".join(DEFAULT_FIELDS)
DISPLAY = {
    "sysparm_display_value": "true",
    "sysparm_exclude_reference_link": "true",
    "sysparm_fields": FIELDS,
}
LOOPBACK = Settings.model_validate({"AGENTFLOW_CONNECTOR_ALLOW_LOOPBACK": "true"})


def client(httpserver: HTTPServer) -> ServiceNowClient:
    secret = {"base_url": httpserver.url_for("/"), "username": "agentflow.integration", "password": PASSWORD}
    return live(secret, SECRET_NAME, LOOPBACK)


def sn_incident(n: int, **overrides: Any) -> dict[str, Any]:
    """An incident as the Table API returns it with display values and no reference links."""
    return {
        "sys_id": f"{n:032x}",
        "number": f"INC{n:07d}",
        "short_description": "Shipment tracking API returning 502 errors",
        "description": "Every tracking call fails since 06:10 UTC.",
        "state": "New",
        "priority": "1 - Critical",
        "urgency": "1 - High",
        "impact": "1 - High",
        "company": "Northwind Logistics",
        "caller_id": "Leila Takahashi",
        "assignment_group": "",
        "category": "inquiry",
        "opened_at": "2026-06-01 08:15:02",
        "sys_updated_on": "2026-06-01 08:15:02",
        "correlation_id": "18789",
        **overrides,
    }


def test_create_posts_the_fields_and_reads_back_display_values(httpserver: HTTPServer) -> None:
    # Given an instance that creates the incident
    values = {
        "short_description": "Shipment tracking API returning 502 errors",
        "description": "Every tracking call fails since 06:10 UTC.",
        "urgency": "1",
        "impact": "1",
        "company": "Northwind Logistics",
        "caller_id": "Leila Takahashi",
        "correlation_id": "18789",
    }
    # (company and caller_id are names: ServiceNow stores them only as display-value input, and
    # then reads urgency and impact as display values too)
    httpserver.expect_request(
        TABLE_PATH,
        method="POST",
        query_string={**DISPLAY, "sysparm_input_display_value": "true"},
        headers={"Authorization": BASIC, "Content-Type": "application/json", "Accept": "application/json"},
        json={**values, "urgency": "1 - High", "impact": "1 - High"},
    ).respond_with_json({"result": sn_incident(10001)}, status=201)
    # When a record is created
    record = client(httpserver).create_record("incident", values)
    # Then the stored incident comes back, with its number and a link to its form
    httpserver.check_assertions()
    assert (record.number, record.priority, record.company) == (
        "INC0010001",
        "1 - Critical",
        "Northwind Logistics",
    )
    assert record.assignment_group is None  # empty display values read as None
    assert (
        record.url == httpserver.url_for("/").rstrip("/") + f"/nav_to.do?uri=incident.do?sys_id={10001:032x}"
    )


def test_a_record_without_reference_fields_is_sent_as_values(httpserver: HTTPServer) -> None:
    values = {"short_description": "Disk full on build agent", "urgency": "2", "impact": "2"}
    httpserver.expect_request(TABLE_PATH, method="POST", query_string=DISPLAY, json=values).respond_with_json(
        {"result": sn_incident(10002)}, status=201
    )
    client(httpserver).create_record("incident", values)
    httpserver.check_assertions()


def test_query_pages_by_offset_while_the_link_header_offers_a_next_page(httpserver: HTTPServer) -> None:
    # Given 150 matching incidents served 100 and then 50 at a time
    query = "active=true^company.name=Northwind Logistics^ORDERBYDESCopened_at"
    base = httpserver.url_for(TABLE_PATH)
    httpserver.expect_ordered_request(
        TABLE_PATH,
        method="GET",
        query_string={**DISPLAY, "sysparm_query": query, "sysparm_limit": "100", "sysparm_offset": "0"},
        headers={"Authorization": BASIC},
    ).respond_with_json(
        {"result": [sn_incident(n) for n in range(1, 101)]},
        headers={
            "Link": f'<{base}?sysparm_offset=0&sysparm_limit=100>;rel="first",'
            f'<{base}?sysparm_offset=100&sysparm_limit=100>;rel="next",'
            f'<{base}?sysparm_offset=100&sysparm_limit=100>;rel="last"',
            "X-Total-Count": "150",
        },
    )
    httpserver.expect_ordered_request(
        TABLE_PATH,
        method="GET",
        query_string={**DISPLAY, "sysparm_query": query, "sysparm_limit": "100", "sysparm_offset": "100"},
    ).respond_with_json(
        {"result": [sn_incident(n) for n in range(101, 151)]},
        headers={"Link": f'<{base}?sysparm_offset=0&sysparm_limit=100>;rel="first"', "X-Total-Count": "150"},
    )
    # When the client queries for up to 500
    records = client(httpserver).query_records("incident", query, limit=500)
    # Then it read both pages and stopped when no next page was offered
    httpserver.check_assertions()
    assert [r.number for r in records] == [f"INC{n:07d}" for n in range(1, 151)]


def test_query_asks_only_for_what_the_limit_leaves(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request(TABLE_PATH).respond_with_json(
        {"result": [sn_incident(n) for n in range(100)]}
    )
    httpserver.expect_ordered_request(TABLE_PATH).respond_with_json(
        {"result": [sn_incident(n) for n in range(100, 120)]}
    )
    records = client(httpserver).query_records("incident", "active=true", limit=120)
    assert len(records) == 120
    pages = [(request.args["sysparm_limit"], request.args["sysparm_offset"]) for request, _ in httpserver.log]
    assert pages == [("100", "0"), ("20", "100")]


def test_without_a_link_header_a_short_page_is_the_last(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TABLE_PATH).respond_with_json({"result": [sn_incident(1)]})
    assert len(client(httpserver).query_records("incident", "", limit=100)) == 1
    assert len(httpserver.log) == 1


def test_extra_fields_are_requested_and_returned_by_name(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        TABLE_PATH,
        query_string={
            **DISPLAY,
            "sysparm_fields": "sys_id,number,u_zendesk_url",
            "sysparm_query": "",
            "sysparm_limit": "100",
            "sysparm_offset": "0",
        },
    ).respond_with_json(
        {"result": [{"sys_id": "a" * 32, "number": "INC0000001", "u_zendesk_url": "https://z"}]}
    )
    (record,) = client(httpserver).query_records("incident", "", fields=["number", "u_zendesk_url"])
    assert record.fields == {"u_zendesk_url": "https://z"}


def test_an_oauth_token_is_sent_as_a_bearer_token(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        TABLE_PATH, headers={"Authorization": "Bearer sn-oauth-token"}
    ).respond_with_json({"result": []})
    instance = live(
        {"base_url": httpserver.url_for("/"), "access_token": "sn-oauth-token"}, SECRET_NAME, LOOPBACK
    )
    assert instance.query_records("incident", "") == []
    httpserver.check_assertions()


def test_429_is_transient_and_carries_retry_after(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TABLE_PATH, method="POST").respond_with_json(
        {"error": {"message": "Rate limit exceeded", "detail": "Too many requests"}, "status": "failure"},
        status=429,
        headers={"Retry-After": "30"},
    )
    with pytest.raises(TransientAgentError) as raised:
        client(httpserver).create_record("incident", {"short_description": "x"})
    assert raised.value.retry_after == 30
    assert "Rate limit exceeded" in raised.value.message


def test_500_is_transient(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TABLE_PATH).respond_with_data("Internal Server Error", status=500)
    with pytest.raises(TransientAgentError, match="HTTP 500"):
        client(httpserver).query_records("incident", "")


def test_401_names_the_connector_and_the_secret_but_not_the_password(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TABLE_PATH).respond_with_json(
        {"error": {"message": "User Not Authenticated", "detail": "Required to provide Auth information"}},
        status=401,
    )
    with pytest.raises(ConnectorError) as raised:
        client(httpserver).query_records("incident", "")
    assert not isinstance(raised.value, TransientAgentError)
    assert (
        raised.value.message == "servicenow rejected the credentials in secret 'prod/servicenow' (HTTP 401)"
    )
    assert PASSWORD not in raised.value.message


def test_an_invalid_query_is_a_permanent_error_in_servicenows_words(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TABLE_PATH).respond_with_json(
        {"error": {"message": "Invalid table incidnt", "detail": None}, "status": "failure"}, status=400
    )
    with pytest.raises(ConnectorError, match="HTTP 400: Invalid table incidnt"):
        client(httpserver).query_records("incident", "")


def test_a_bad_table_name_never_reaches_the_instance(httpserver: HTTPServer) -> None:
    with pytest.raises(ConnectorError, match="not a ServiceNow table name"):
        client(httpserver).query_records("sys_user/../incident", "")
    assert httpserver.log == []


def test_the_instance_name_makes_the_base_url() -> None:
    instance = live({"instance": "Acme", "username": "u", "password": PASSWORD}, SECRET_NAME, Settings())
    assert instance.base_url == "https://acme.service-now.com"


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ({"username": "u", "password": PASSWORD}, "lacks instance"),
        (
            {"instance": "acme.evil.example", "username": "u", "password": PASSWORD},
            "not a ServiceNow instance",
        ),
        ({"instance": "acme", "username": "u"}, "needs username and password"),
        ({"base_url": "https://10.0.0.8", "username": "u", "password": PASSWORD}, "non-public address"),
    ],
)
def test_unusable_secrets_are_refused_without_echoing_them(secret: dict[str, str], message: str) -> None:
    with pytest.raises(ConnectorError, match=message) as raised:
        live(secret, SECRET_NAME, Settings())
    assert PASSWORD not in raised.value.message
