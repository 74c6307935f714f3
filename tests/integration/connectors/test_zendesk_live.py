"""The live Zendesk client against a fake Zendesk Support API (pytest-httpserver on loopback).

Each test plays Zendesk's side of the real exchange: API-token Basic auth, the Search API paged by
next_page, show_many for organisation and user names, and the Tickets API for creates and comments.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from agentflow.connectors.zendesk import NewTicket, ZendeskClient, live
from agentflow.errors import ConnectorError, TransientAgentError
from agentflow.settings import Settings

# The fake vendor listens on a loopback socket.
pytestmark = pytest.mark.enable_socket

SECRET_NAME = "prod/zendesk"
EMAIL = "agentflow@acme.example"
API_TOKEN = "6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv"
BASIC = "Basic " + base64.b64encode(f"{EMAIL}/token:{API_TOKEN}".encode()).decode()
QUERY = 'type:ticket status<solved priority:urgent priority:high organization:"Northwind Logistics"'
ORG_ID = 38000000033501
USER_ID = 40000005043704
LOOPBACK = Settings.model_validate({"AGENTFLOW_CONNECTOR_ALLOW_LOOPBACK": "true"})


def client(httpserver: HTTPServer, **secret: str) -> ZendeskClient:
    values = {"base_url": httpserver.url_for("/"), "email": EMAIL, "api_token": API_TOKEN, **secret}
    return live(values, SECRET_NAME, LOOPBACK)


def zd_ticket(ticket_id: int, **overrides: Any) -> dict[str, Any]:
    """A ticket as the Zendesk API returns it (search results add result_type)."""
    return {
        "url": f"https://acme.zendesk.com/api/v2/tickets/{ticket_id}.json",
        "id": ticket_id,
        "external_id": None,
        "created_at": "2026-05-31T19:12:00Z",
        "updated_at": "2026-05-31T20:45:11Z",
        "type": "incident",
        "subject": f"Shipment tracking API returning 502 errors ({ticket_id})",
        "raw_subject": f"Shipment tracking API returning 502 errors ({ticket_id})",
        "description": "Every call to the tracking API returns 502.",
        "priority": "urgent",
        "status": "open",
        "requester_id": USER_ID,
        "submitter_id": USER_ID,
        "assignee_id": None,
        "organization_id": ORG_ID,
        "tags": ["api", "availability"],
        "result_type": "ticket",
        **overrides,
    }


def expect_names(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/api/v2/organizations/show_many.json", method="GET", query_string={"ids": str(ORG_ID)}
    ).respond_with_json({"organizations": [{"id": ORG_ID, "name": "Northwind Logistics"}]})
    httpserver.expect_request(
        "/api/v2/users/show_many.json", method="GET", query_string={"ids": str(USER_ID)}
    ).respond_with_json(
        {
            "users": [
                {
                    "id": USER_ID,
                    "name": "Leila Takahashi",
                    "email": "leila.takahashi@northwind-logistics.example",
                }
            ]
        }
    )


def test_search_pages_through_next_page_and_resolves_names(httpserver: HTTPServer) -> None:
    # Given two pages of results, the second announced by next_page
    next_page = httpserver.url_for("/api/v2/search.json") + "?page=2&per_page=100&query=x"
    httpserver.expect_ordered_request(
        "/api/v2/search.json",
        method="GET",
        query_string={"query": QUERY, "per_page": "100", "sort_by": "created_at", "sort_order": "desc"},
        headers={"Authorization": BASIC},
    ).respond_with_json({"results": [zd_ticket(18800), zd_ticket(18789)], "next_page": next_page, "count": 3})
    httpserver.expect_ordered_request(
        "/api/v2/search.json", method="GET", query_string={"page": "2", "per_page": "100", "query": "x"}
    ).respond_with_json({"results": [zd_ticket(18755, status="hold")], "next_page": None, "count": 3})
    expect_names(httpserver)
    # When the client searches
    tickets = client(httpserver).search_tickets(QUERY, limit=200)
    # Then it followed next_page and named organisations and requesters with one call each
    assert [t.id for t in tickets] == [18800, 18789, 18755]
    assert tickets[2].status == "hold"
    assert {(t.organization_name, t.requester, t.requester_email) for t in tickets} == {
        ("Northwind Logistics", "Leila Takahashi", "leila.takahashi@northwind-logistics.example")
    }
    assert tickets[0].url == httpserver.url_for("/agent/tickets/18800")
    show_many_calls = [request for request, _ in httpserver.log if "show_many" in request.path]
    assert len(show_many_calls) == 2


def test_search_stops_at_the_limit_without_fetching_more_pages(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v2/search.json").respond_with_json(
        {
            "results": [zd_ticket(1), zd_ticket(2)],
            "next_page": httpserver.url_for("/api/v2/search.json?page=2"),
        }
    )
    expect_names(httpserver)
    tickets = client(httpserver).search_tickets("type:ticket", limit=2)
    assert [t.id for t in tickets] == [1, 2]
    assert httpserver.log[0][0].args["per_page"] == "2"
    assert sum(request.path == "/api/v2/search.json" for request, _ in httpserver.log) == 1


def test_a_next_page_on_another_host_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v2/search.json").respond_with_json(
        {"results": [zd_ticket(1)], "next_page": "https://evil.example/api/v2/search.json?page=2"}
    )
    with pytest.raises(ConnectorError, match="next_page outside"):
        client(httpserver).search_tickets("type:ticket", limit=10)


def test_create_finds_the_organisation_by_name_and_posts_the_ticket(httpserver: HTTPServer) -> None:
    # Given Zendesk knows the organisation and accepts the ticket
    httpserver.expect_ordered_request(
        "/api/v2/organizations/search.json", method="GET", query_string={"name": "Northwind Logistics"}
    ).respond_with_json({"organizations": [{"id": ORG_ID, "name": "Northwind Logistics"}], "count": 1})
    httpserver.expect_ordered_request(
        "/api/v2/tickets.json",
        method="POST",
        headers={"Authorization": BASIC, "Content-Type": "application/json"},
        json={
            "ticket": {
                "subject": "Shipment tracking API down",
                "comment": {"body": "Every call returns 502.", "public": True},
                "priority": "urgent",
                "type": "incident",
                "tags": ["agentflow"],
                "external_id": "0065g00003mMV14AAG",
                "requester": {
                    "email": "leila.takahashi@northwind-logistics.example",
                    "name": "Leila Takahashi",
                },
                "organization_id": ORG_ID,
            }
        },
    ).respond_with_json({"ticket": zd_ticket(18900, status="new")}, status=201)
    httpserver.expect_ordered_request(
        "/api/v2/users/show_many.json", method="GET", query_string={"ids": str(USER_ID)}
    ).respond_with_json({"users": [{"id": USER_ID, "name": "Leila Takahashi", "email": "l@x.example"}]})
    # When a ticket is created
    ticket = client(httpserver).create_ticket(
        NewTicket(
            subject="Shipment tracking API down",
            body="Every call returns 502.",
            priority="urgent",
            type="incident",
            tags=["agentflow"],
            requester_name="Leila Takahashi",
            requester_email="leila.takahashi@northwind-logistics.example",
            organization_name="Northwind Logistics",
            external_id="0065g00003mMV14AAG",
        )
    )
    # Then the created ticket comes back with its names (the organisation's from the lookup)
    httpserver.check_assertions()
    assert (ticket.id, ticket.status, ticket.organization_name) == (18900, "new", "Northwind Logistics")


def test_a_comment_is_a_ticket_update_and_its_id_comes_from_the_audit(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/api/v2/tickets/18800.json",
        method="PUT",
        json={"ticket": {"comment": {"body": "Escalated as INC0010001", "public": False}}},
    ).respond_with_json(
        {
            "ticket": zd_ticket(18800, organization_id=None, requester_id=None),
            "audit": {"id": 9001, "events": [{"id": 77001, "type": "Comment", "public": False}]},
        }
    )
    comment = client(httpserver).add_comment(18800, "Escalated as INC0010001")
    assert (comment.ticket_id, comment.comment_id, comment.public) == (18800, 77001, False)


def test_an_oauth_token_is_sent_as_a_bearer_token(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/api/v2/search.json", headers={"Authorization": "Bearer zd-oauth-token"}
    ).respond_with_json({"results": [], "next_page": None})
    zendesk = live(
        {"base_url": httpserver.url_for("/"), "access_token": "zd-oauth-token"}, SECRET_NAME, LOOPBACK
    )
    assert zendesk.search_tickets("type:ticket") == []
    httpserver.check_assertions()


def test_429_is_transient_and_carries_retry_after(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v2/search.json").respond_with_data(
        "Rate limit for ticket updates exceeded, please wait before updating this ticket again",
        status=429,
        headers={"Retry-After": "42"},
    )
    with pytest.raises(TransientAgentError) as raised:
        client(httpserver).search_tickets("type:ticket")
    assert raised.value.retry_after == 42


def test_500_is_transient(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v2/tickets.json", method="POST").respond_with_json(
        {"error": "InternalError"}, status=500
    )
    with pytest.raises(TransientAgentError, match="HTTP 500"):
        client(httpserver).create_ticket(NewTicket(subject="s", body="b"))


def test_401_names_the_connector_and_the_secret_but_not_the_token(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v2/search.json").respond_with_json(
        {"error": "Couldn't authenticate you"}, status=401
    )
    with pytest.raises(ConnectorError) as raised:
        client(httpserver).search_tickets("type:ticket")
    assert not isinstance(raised.value, TransientAgentError)
    assert raised.value.message == "zendesk rejected the credentials in secret 'prod/zendesk' (HTTP 401)"
    assert API_TOKEN not in raised.value.message


def test_a_missing_ticket_is_a_permanent_error_with_zendesks_words(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/api/v2/tickets/1.json", method="PUT").respond_with_json(
        {"error": "RecordNotFound", "description": "Not found"}, status=404
    )
    with pytest.raises(ConnectorError, match="HTTP 404: RecordNotFound"):
        client(httpserver).add_comment(1, "hello")


def test_the_subdomain_names_the_account() -> None:
    zendesk = live({"subdomain": "Acme", "email": EMAIL, "api_token": API_TOKEN}, SECRET_NAME, Settings())
    assert zendesk.base_url == "https://acme.zendesk.com"


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        ({"email": EMAIL, "api_token": API_TOKEN}, "lacks subdomain"),
        (
            {"subdomain": "acme.evil.example", "email": EMAIL, "api_token": API_TOKEN},
            "not a Zendesk subdomain",
        ),
        ({"subdomain": "acme", "email": EMAIL}, "needs email and api_token"),
        ({"base_url": "http://169.254.169.254", "email": EMAIL, "api_token": API_TOKEN}, "must use https"),
    ],
)
def test_unusable_secrets_are_refused_without_echoing_them(secret: dict[str, str], message: str) -> None:
    with pytest.raises(ConnectorError, match=message) as raised:
        live(secret, SECRET_NAME, Settings())
    assert API_TOKEN not in raised.value.message
