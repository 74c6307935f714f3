"""The live Salesforce client against a fake Salesforce (pytest-httpserver on loopback).

Each test plays the vendor's side of the real REST exchange: OAuth 2.0 client credentials at
/services/oauth2/token, then SOQL through /services/data/v61.0/query, paged by nextRecordsUrl.
"""

from __future__ import annotations

import time
from datetime import date
from urllib.parse import parse_qs

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from agentflow.connectors.base import OpportunityQuery
from agentflow.connectors.http import VendorHttpClient
from agentflow.connectors.salesforce import SalesforceClient, build_opportunity_soql
from agentflow.errors import ConnectorError, TransientAgentError

# The fake vendor listens on a loopback socket.
pytestmark = pytest.mark.enable_socket

QUERY_PATH = "/services/data/v61.0/query"
TOKEN_PATH = "/services/oauth2/token"
SECRET_NAME = "prod/sf"
QUERY = OpportunityQuery(
    stage="Negotiation", min_amount=100_000, close_from=date(2026, 10, 1), close_to=date(2026, 12, 31)
)


def sf_record(n: int, *, close: str = "2026-11-14", with_contact: bool = True) -> dict:
    """One Opportunity as the REST query API returns it (attributes and relationships included)."""
    record: dict = {
        "attributes": {
            "type": "Opportunity",
            "url": f"/services/data/v61.0/sobjects/Opportunity/0065g0000{n:09d}",
        },
        "Id": f"0065g00000{n:05d}AAA",
        "Name": f"Northwind Logistics — Fleet Analytics Platform {n}",
        "Amount": 250000.0 + n,
        "StageName": "Negotiation/Review",
        "CloseDate": close,
        "Probability": 90.0,
        "AccountId": "0015g00000AbCdEAAZ",
        "Account": {"attributes": {"type": "Account"}, "Name": "Northwind Logistics"},
        "Owner": {
            "attributes": {"type": "User"},
            "Name": "Maria Chen",
            "Email": "maria.chen@sales.example.com",
        },
        "OpportunityContactRoles": None,
    }
    if with_contact:
        record["OpportunityContactRoles"] = {
            "totalSize": 1,
            "done": True,
            "records": [
                {
                    "attributes": {"type": "OpportunityContactRole"},
                    "Contact": {
                        "attributes": {"type": "Contact"},
                        "Name": "Olivia Patel",
                        "Email": "olivia.patel@northwind-logistics.example",
                    },
                }
            ],
        }
    return record


def client_with_token(httpserver: HTTPServer, **kwargs) -> SalesforceClient:
    return SalesforceClient(
        instance_url=httpserver.url_for("/"),
        access_token="00Dxx!given-token",
        credentials_secret=SECRET_NAME,
        allow_loopback=True,
        **kwargs,
    )


def client_with_client_credentials(httpserver: HTTPServer) -> SalesforceClient:
    return SalesforceClient(
        instance_url=httpserver.url_for("/"),
        client_id="3MVG9-consumer-key",
        client_secret="consumer-secret-value",
        credentials_secret=SECRET_NAME,
        allow_loopback=True,
    )


def test_client_credentials_then_soql_query(httpserver: HTTPServer) -> None:
    # Given Salesforce issues a token and answers the SOQL query
    httpserver.expect_ordered_request(TOKEN_PATH, method="POST").respond_with_json(
        {
            "access_token": "00Dxx!issued-token",
            "token_type": "Bearer",
            "instance_url": httpserver.url_for("/"),
        }
    )
    httpserver.expect_ordered_request(
        QUERY_PATH,
        method="GET",
        query_string={"q": build_opportunity_soql(QUERY)},
        headers={"Authorization": "Bearer 00Dxx!issued-token"},
    ).respond_with_json({"totalSize": 1, "done": True, "records": [sf_record(1)]})
    # When the client looks for the reference deals
    deals = client_with_client_credentials(httpserver).find_opportunities(QUERY)
    # Then the token request was a client-credentials form post
    httpserver.check_assertions()
    token_request: Request = httpserver.log[0][0]
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(token_request.get_data(as_text=True)) == {
        "grant_type": ["client_credentials"],
        "client_id": ["3MVG9-consumer-key"],
        "client_secret": ["consumer-secret-value"],
    }
    # And the SOQL carried every filter, and the record mapped onto an Opportunity
    soql = httpserver.log[1][0].args["q"]
    assert "WHERE StageName LIKE 'Negotiation%' AND Amount >= 100000" in soql
    assert "CloseDate >= 2026-10-01 AND CloseDate <= 2026-12-31 ORDER BY CloseDate, Id LIMIT 200" in soql
    [deal] = deals
    assert deal.id == "0065g0000000001AAA"
    assert deal.account_name == "Northwind Logistics"
    assert deal.amount == 250001.0
    assert deal.close_date == date(2026, 11, 14)
    assert deal.probability == 90
    assert (deal.owner_name, deal.owner_email) == ("Maria Chen", "maria.chen@sales.example.com")
    assert (deal.contact_name, deal.contact_email) == (
        "Olivia Patel",
        "olivia.patel@northwind-logistics.example",
    )


def test_a_given_access_token_is_used_without_a_token_request(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        QUERY_PATH, method="GET", headers={"Authorization": "Bearer 00Dxx!given-token"}
    ).respond_with_json({"totalSize": 1, "done": True, "records": [sf_record(1, with_contact=False)]})
    [deal] = client_with_token(httpserver).find_opportunities(QUERY)
    assert len(httpserver.log) == 1
    assert deal.contact_name is None and deal.contact_email is None


def test_pages_are_followed_through_next_records_url(httpserver: HTTPServer) -> None:
    # Given a result that Salesforce splits over two pages
    next_path = "/services/data/v61.0/query/01gD0000002HU6KIAW-2000"
    httpserver.expect_ordered_request(QUERY_PATH, method="GET").respond_with_json(
        {"totalSize": 3, "done": False, "nextRecordsUrl": next_path, "records": [sf_record(1), sf_record(2)]}
    )
    httpserver.expect_ordered_request(
        next_path, method="GET", headers={"Authorization": "Bearer 00Dxx!given-token"}
    ).respond_with_json({"totalSize": 3, "done": True, "records": [sf_record(3)]})
    # When the client queries
    deals = client_with_token(httpserver).find_opportunities(QUERY)
    # Then all three records arrive, in order
    httpserver.check_assertions()
    assert [deal.id for deal in deals] == ["0065g0000000001AAA", "0065g0000000002AAA", "0065g0000000003AAA"]


def test_paging_stops_at_the_query_limit(httpserver: HTTPServer) -> None:
    httpserver.expect_ordered_request(QUERY_PATH, method="GET").respond_with_json(
        {
            "totalSize": 4,
            "done": False,
            "nextRecordsUrl": "/services/data/v61.0/query/01g-2",
            "records": [sf_record(1), sf_record(2)],
        }
    )
    deals = client_with_token(httpserver).find_opportunities(QUERY.model_copy(update={"limit": 2}))
    assert len(deals) == 2
    assert len(httpserver.log) == 1


def test_429_is_transient_with_the_retry_after_hint(httpserver: HTTPServer) -> None:
    httpserver.expect_request(QUERY_PATH).respond_with_json(
        [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}],
        status=429,
        headers={"Retry-After": "7"},
    )
    with pytest.raises(TransientAgentError) as raised:
        client_with_token(httpserver).find_opportunities(QUERY)
    assert raised.value.retry_after == 7.0
    assert "REQUEST_LIMIT_EXCEEDED" in raised.value.message


def test_500_is_transient(httpserver: HTTPServer) -> None:
    httpserver.expect_request(QUERY_PATH).respond_with_data("upstream failure", status=500)
    with pytest.raises(TransientAgentError) as raised:
        client_with_token(httpserver).find_opportunities(QUERY)
    assert raised.value.retry_after is None
    assert "HTTP 500" in raised.value.message


def test_401_names_the_connector_and_the_secret_but_not_the_token(httpserver: HTTPServer) -> None:
    httpserver.expect_request(QUERY_PATH).respond_with_json(
        [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}], status=401
    )
    with pytest.raises(ConnectorError) as raised:
        client_with_token(httpserver).find_opportunities(QUERY)
    assert not isinstance(raised.value, TransientAgentError)
    assert raised.value.message == "salesforce rejected the credentials in secret 'prod/sf' (HTTP 401)"
    assert "given-token" not in str(raised.value)


def test_rejected_client_credentials_name_the_secret(httpserver: HTTPServer) -> None:
    # Salesforce answers bad client credentials with 400 invalid_client
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_json(
        {"error": "invalid_client", "error_description": "invalid client credentials"}, status=400
    )
    with pytest.raises(ConnectorError) as raised:
        client_with_client_credentials(httpserver).find_opportunities(QUERY)
    assert raised.value.message.startswith(
        "salesforce rejected the credentials in secret 'prod/sf' (HTTP 400"
    )
    assert "consumer-secret-value" not in raised.value.message


def test_an_expired_issued_token_is_renewed_once(httpserver: HTTPServer) -> None:
    # Given a session that expired while the container stayed warm
    httpserver.expect_ordered_request(TOKEN_PATH, method="POST").respond_with_json({"access_token": "old"})
    httpserver.expect_ordered_request(QUERY_PATH, headers={"Authorization": "Bearer old"}).respond_with_json(
        [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}], status=401
    )
    httpserver.expect_ordered_request(TOKEN_PATH, method="POST").respond_with_json({"access_token": "new"})
    httpserver.expect_ordered_request(QUERY_PATH, headers={"Authorization": "Bearer new"}).respond_with_json(
        {"totalSize": 1, "done": True, "records": [sf_record(1)]}
    )
    # When the client queries
    deals = client_with_client_credentials(httpserver).find_opportunities(QUERY)
    # Then it fetched a new token and the retried query succeeded
    httpserver.check_assertions()
    assert len(deals) == 1


def test_other_4xx_carries_the_vendor_error_text(httpserver: HTTPServer) -> None:
    httpserver.expect_request(QUERY_PATH).respond_with_json(
        [{"message": "unexpected token: 'WHER'", "errorCode": "MALFORMED_QUERY"}], status=400
    )
    with pytest.raises(ConnectorError) as raised:
        client_with_token(httpserver).find_opportunities(QUERY)
    assert "HTTP 400" in raised.value.message
    assert "MALFORMED_QUERY: unexpected token: 'WHER'" in raised.value.message
    assert "q=" not in raised.value.message  # URLs are shown without their query strings


def test_a_slow_vendor_is_a_transient_timeout(httpserver: HTTPServer) -> None:
    def slow(_: Request) -> Response:
        time.sleep(0.5)
        return Response("{}", content_type="application/json")

    httpserver.expect_request(QUERY_PATH).respond_with_handler(slow)
    http = VendorHttpClient(
        "salesforce", credentials_secret=SECRET_NAME, allow_loopback=True, timeout=httpx.Timeout(0.1)
    )
    with pytest.raises(TransientAgentError, match="timed out"):
        client_with_token(httpserver, http=http).find_opportunities(QUERY)


def test_an_unreachable_vendor_is_transient(httpserver: HTTPServer) -> None:
    # Given an instance URL where nothing listens (the fake server, stopped)
    url = httpserver.url_for("/")
    httpserver.stop()
    try:
        client = SalesforceClient(instance_url=url, access_token="t", allow_loopback=True)
        with pytest.raises(TransientAgentError, match="unreachable"):
            client.find_opportunities(QUERY)
    finally:
        httpserver.start()


def test_a_next_records_url_to_another_host_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request(QUERY_PATH).respond_with_json(
        {
            "totalSize": 2,
            "done": False,
            "nextRecordsUrl": "//169.254.169.254/latest",
            "records": [sf_record(1)],
        }
    )
    with pytest.raises(ConnectorError, match="nextRecordsUrl"):
        client_with_token(httpserver).find_opportunities(QUERY)


def test_loopback_instance_urls_are_refused_unless_allowed(httpserver: HTTPServer) -> None:
    with pytest.raises(ConnectorError, match="must use https"):
        SalesforceClient(instance_url=httpserver.url_for("/"), access_token="t", allow_loopback=False)
