"""The live Slack Web API client against a fake Slack (pytest-httpserver on loopback).

The exchange is Slack's: ``POST /api/chat.postMessage`` with a JSON body and a bot token, then
``GET /api/chat.getPermalink?channel=…&message_ts=…``. Slack reports most failures as HTTP 200
with ``{"ok": false, "error": "<code>"}``; rate limits come as HTTP 429 with Retry-After.
"""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from agentflow.connectors.slack import SlackClient, live
from agentflow.errors import ConnectorError, TransientAgentError
from agentflow.settings import Settings

# The fake vendor listens on a loopback socket.
pytestmark = pytest.mark.enable_socket

TOKEN = "xoxb-1234-5678-test-token"
SECRET_NAME = "prod/slack"
POST_PATH = "/api/chat.postMessage"
PERMALINK_PATH = "/api/chat.getPermalink"
BLOCKS = [{"type": "section", "text": {"type": "mrkdwn", "text": "*20 deals worth $5,306,500 in total*"}}]


def slack_client(httpserver: HTTPServer) -> SlackClient:
    settings = Settings.model_validate({"AGENTFLOW_CONNECTOR_ALLOW_LOOPBACK": "true"})
    return live(
        {"bot_token": TOKEN, "api_base_url": f"http://127.0.0.1:{httpserver.port}/api"}, SECRET_NAME, settings
    )


def test_post_message_sends_json_with_the_bot_token(httpserver: HTTPServer) -> None:
    # Given Slack accepts the message and answers with the channel id and ts
    httpserver.expect_ordered_request(
        POST_PATH,
        method="POST",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json; charset=utf-8"},
        json={
            "channel": "#sales-alerts",
            "text": "20 deals worth $5,306,500 in total",
            "blocks": BLOCKS,
            "thread_ts": "1732540000.000100",
            "unfurl_links": False,
            "unfurl_media": False,
        },
    ).respond_with_json({"ok": True, "channel": "C024BE91L", "ts": "1732540001.000200", "message": {}})
    # When a threaded message is posted to a channel name
    posted = slack_client(httpserver).post_message(
        "#sales-alerts", "20 deals worth $5,306,500 in total", blocks=BLOCKS, thread_ts="1732540000.000100"
    )
    # Then the message is identified by the channel id and ts Slack returned
    httpserver.check_assertions()
    assert (posted.channel, posted.ts) == ("C024BE91L", "1732540001.000200")


def test_permalink_is_a_get_with_channel_and_message_ts(httpserver: HTTPServer) -> None:
    link = "https://acme.slack.com/archives/C024BE91L/p1732540001000200"
    httpserver.expect_ordered_request(
        PERMALINK_PATH,
        method="GET",
        query_string={"channel": "C024BE91L", "message_ts": "1732540001.000200"},
        headers={"Authorization": f"Bearer {TOKEN}"},
    ).respond_with_json({"ok": True, "channel": "C024BE91L", "permalink": link})
    assert slack_client(httpserver).permalink("C024BE91L", "1732540001.000200") == link
    httpserver.check_assertions()


def test_http_429_is_transient_with_retry_after(httpserver: HTTPServer) -> None:
    httpserver.expect_request(POST_PATH, method="POST").respond_with_json(
        {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": "30"}
    )
    with pytest.raises(TransientAgentError) as raised:
        slack_client(httpserver).post_message("#sales-alerts", "hello")
    assert raised.value.retry_after == 30


def test_ratelimited_in_an_ok_false_answer_is_transient_too(httpserver: HTTPServer) -> None:
    httpserver.expect_request(POST_PATH, method="POST").respond_with_json(
        {"ok": False, "error": "ratelimited"}, headers={"Retry-After": "7"}
    )
    with pytest.raises(TransientAgentError) as raised:
        slack_client(httpserver).post_message("#sales-alerts", "hello")
    assert raised.value.retry_after == 7 and "ratelimited" in raised.value.message


def test_http_500_is_transient(httpserver: HTTPServer) -> None:
    httpserver.expect_request(POST_PATH, method="POST").respond_with_data("upstream failure", status=500)
    with pytest.raises(TransientAgentError, match="HTTP 500"):
        slack_client(httpserver).post_message("#sales-alerts", "hello")


def test_http_401_names_the_connector_and_the_secret_but_not_the_token(httpserver: HTTPServer) -> None:
    httpserver.expect_request(POST_PATH, method="POST").respond_with_json(
        {"ok": False, "error": "not_authed"}, status=401
    )
    with pytest.raises(ConnectorError) as raised:
        slack_client(httpserver).post_message("#sales-alerts", "hello")
    assert "slack" in raised.value.message and SECRET_NAME in raised.value.message
    assert TOKEN not in raised.value.message


@pytest.mark.parametrize("code", ["invalid_auth", "not_authed", "token_revoked"])
def test_auth_errors_in_ok_false_answers_name_the_secret(httpserver: HTTPServer, code: str) -> None:
    httpserver.expect_request(POST_PATH, method="POST").respond_with_json({"ok": False, "error": code})
    with pytest.raises(ConnectorError) as raised:
        slack_client(httpserver).post_message("#sales-alerts", "hello")
    assert not isinstance(raised.value, TransientAgentError)
    assert f"secret '{SECRET_NAME}'" in raised.value.message and code in raised.value.message
    assert TOKEN not in raised.value.message


def test_other_errors_carry_slacks_code(httpserver: HTTPServer) -> None:
    httpserver.expect_request(POST_PATH, method="POST").respond_with_json(
        {"ok": False, "error": "channel_not_found"}
    )
    with pytest.raises(ConnectorError, match=r"chat\.postMessage failed with channel_not_found"):
        slack_client(httpserver).post_message("#no-such-channel", "hello")


def test_missing_scope_names_the_scope_needed(httpserver: HTTPServer) -> None:
    httpserver.expect_request(POST_PATH, method="POST").respond_with_json(
        {"ok": False, "error": "missing_scope", "needed": "chat:write", "provided": "channels:read"}
    )
    with pytest.raises(ConnectorError, match="lacks chat:write"):
        slack_client(httpserver).post_message("#sales-alerts", "hello")


def test_a_secret_without_bot_token_is_refused() -> None:
    with pytest.raises(ConnectorError, match=f"secret '{SECRET_NAME}' lacks bot_token"):
        live({"token": TOKEN}, SECRET_NAME, Settings())


def test_an_http_api_url_is_refused_outside_tests(httpserver: HTTPServer) -> None:
    with pytest.raises(ConnectorError, match="must use https"):
        live({"bot_token": TOKEN, "api_base_url": httpserver.url_for("/api")}, SECRET_NAME, Settings())
