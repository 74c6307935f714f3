"""The live Microsoft Graph mail client against a fake Entra ID + Graph (pytest-httpserver).

The exchange is Graph's: a client-credentials token from /{tenant}/oauth2/v2.0/token, a draft created
with POST /v1.0/users/{sender}/messages (its id is the message id), then POST .../messages/{id}/send.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from urllib.parse import parse_qs

import pytest
from pytest_httpserver import HTTPServer

from agentflow.connectors.base import OutgoingEmail
from agentflow.connectors.outlook import GraphMailClient
from agentflow.errors import ConnectorError, TransientAgentError

# The fake vendor listens on a loopback socket.
pytestmark = pytest.mark.enable_socket

TENANT = "8d5f1c9e-0000-4000-8000-00000000c0de"
TOKEN_PATH = f"/{TENANT}/oauth2/v2.0/token"
SENDER = "agentflow@example.com"
MESSAGES_PATH = f"/v1.0/users/{SENDER}/messages"
DRAFT_ID = "AAMkAGI2TG93AAA="
SEND_PATH = f"{MESSAGES_PATH}/{DRAFT_ID}/send"


def an_email(subject: str = "Checking in on Fleet Analytics") -> OutgoingEmail:
    return OutgoingEmail(
        to_name="Maria Chen",
        to_address="maria.chen@sales.example.com",
        from_address=SENDER,
        subject=subject,
        body="Hi Maria,\n\nHow is the Northwind Logistics deal (USD 250,000, closing Nov 14) going?",
    )


def graph_client(httpserver: HTTPServer) -> GraphMailClient:
    base = httpserver.url_for("/")
    return GraphMailClient(
        tenant_id=TENANT,
        client_id="app-client-id",
        client_secret="app-client-secret",
        credentials_secret="prod/graph",
        allow_loopback=True,
        login_base_url=base,
        graph_base_url=base,
    )


def expect_token(httpserver: HTTPServer, token: str = "eyJ0eXAi.graph-token") -> None:
    httpserver.expect_ordered_request(TOKEN_PATH, method="POST").respond_with_json(
        {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}
    )


def test_send_gets_a_token_creates_a_draft_and_sends_it(httpserver: HTTPServer) -> None:
    # Given Entra ID issues a token and Graph accepts the draft and the send
    expect_token(httpserver)
    httpserver.expect_ordered_request(
        MESSAGES_PATH,
        method="POST",
        headers={"Authorization": "Bearer eyJ0eXAi.graph-token", "Content-Type": "application/json"},
        json={
            "subject": "Checking in on Fleet Analytics",
            "body": {"contentType": "Text", "content": an_email().body},
            "toRecipients": [
                {"emailAddress": {"address": "maria.chen@sales.example.com", "name": "Maria Chen"}}
            ],
        },
    ).respond_with_json({"id": DRAFT_ID, "isDraft": True}, status=201)
    httpserver.expect_ordered_request(
        SEND_PATH, method="POST", headers={"Authorization": "Bearer eyJ0eXAi.graph-token"}
    ).respond_with_data("", status=202)
    # When the message is sent
    sent = graph_client(httpserver).send(an_email())
    # Then the draft's id comes back as the message id
    httpserver.check_assertions()
    assert (sent.message_id, sent.status) == (DRAFT_ID, "sent")
    # And the token request asked for Graph's .default scope with client credentials
    token_request = httpserver.log[0][0]
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(token_request.get_data(as_text=True)) == {
        "grant_type": ["client_credentials"],
        "client_id": ["app-client-id"],
        "client_secret": ["app-client-secret"],
        "scope": [httpserver.url_for("/").rstrip("/") + "/.default"],
    }


def test_the_token_is_reused_until_it_nears_expiry(httpserver: HTTPServer) -> None:
    expect_token(httpserver)
    httpserver.expect_request(MESSAGES_PATH, method="POST").respond_with_json({"id": DRAFT_ID}, status=201)
    httpserver.expect_request(SEND_PATH, method="POST").respond_with_data("", status=202)
    client = graph_client(httpserver)
    client.send(an_email("one"))
    client.send(an_email("two"))
    token_calls = [request for request, _ in httpserver.log if request.path == TOKEN_PATH]
    assert len(token_calls) == 1


def test_429_on_send_is_transient_with_an_http_date_retry_after(httpserver: HTTPServer) -> None:
    expect_token(httpserver)
    httpserver.expect_request(MESSAGES_PATH, method="POST").respond_with_json({"id": DRAFT_ID}, status=201)
    retry_at = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)
    httpserver.expect_request(SEND_PATH, method="POST").respond_with_json(
        {
            "error": {
                "code": "ApplicationThrottled",
                "message": "Application is over its MailboxConcurrency limit.",
            }
        },
        status=429,
        headers={"Retry-After": retry_at},
    )
    with pytest.raises(TransientAgentError) as raised:
        graph_client(httpserver).send(an_email())
    assert raised.value.retry_after is not None
    assert 100 <= raised.value.retry_after <= 120
    assert "ApplicationThrottled" in raised.value.message


def test_500_on_the_draft_is_transient(httpserver: HTTPServer) -> None:
    expect_token(httpserver)
    httpserver.expect_request(MESSAGES_PATH, method="POST").respond_with_json(
        {"error": {"code": "generalException", "message": "General exception while processing."}}, status=500
    )
    with pytest.raises(TransientAgentError, match="HTTP 500"):
        graph_client(httpserver).send(an_email())


def test_401_from_the_token_endpoint_names_the_connector_and_secret(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_json(
        {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."},
        status=401,
    )
    with pytest.raises(ConnectorError) as raised:
        graph_client(httpserver).send(an_email())
    assert not isinstance(raised.value, TransientAgentError)
    assert raised.value.message == "outlook rejected the credentials in secret 'prod/graph' (HTTP 401)"
    assert "app-client-secret" not in raised.value.message


def test_403_on_the_mailbox_is_a_credentials_error(httpserver: HTTPServer) -> None:
    expect_token(httpserver)
    httpserver.expect_request(MESSAGES_PATH, method="POST").respond_with_json(
        {"error": {"code": "ErrorAccessDenied", "message": "Access is denied."}}, status=403
    )
    with pytest.raises(ConnectorError, match=r"in secret 'prod/graph' \(HTTP 403\)") as raised:
        graph_client(httpserver).send(an_email())
    assert "graph-token" not in raised.value.message


def test_a_draft_without_an_id_is_a_connector_error(httpserver: HTTPServer) -> None:
    expect_token(httpserver)
    httpserver.expect_request(MESSAGES_PATH, method="POST").respond_with_json({}, status=201)
    with pytest.raises(ConnectorError, match="without its id"):
        graph_client(httpserver).send(an_email())


def test_the_secret_may_point_at_a_national_cloud(httpserver: HTTPServer) -> None:
    # Given a secret with Graph and login URLs of their own
    base = httpserver.url_for("/")
    secret = {
        "tenant_id": TENANT,
        "client_id": "app-client-id",
        "client_secret": "app-client-secret",
        "login_base_url": base,
        "graph_base_url": base,
    }
    expect_token(httpserver)
    httpserver.expect_ordered_request(MESSAGES_PATH, method="POST").respond_with_json(
        {"id": DRAFT_ID}, status=201
    )
    httpserver.expect_ordered_request(SEND_PATH, method="POST").respond_with_data("", status=202)
    # When a client built from it sends
    client = GraphMailClient.from_secret(secret, secret_name="prod/graph", allow_loopback=True)
    sent = client.send(an_email())
    # Then every call went to those URLs
    httpserver.check_assertions()
    assert sent.message_id == DRAFT_ID


def test_a_secret_missing_a_field_names_the_field_not_the_values() -> None:
    with pytest.raises(ConnectorError) as raised:
        GraphMailClient.from_secret(
            {"tenant_id": TENANT, "client_secret": "s3cr3t"}, secret_name="prod/graph", allow_loopback=False
        )
    assert raised.value.message.startswith("secret 'prod/graph' lacks client_id")
    assert "s3cr3t" not in raised.value.message
