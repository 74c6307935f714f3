"""The live Jira Cloud REST v3 client against a fake Jira (pytest-httpserver on loopback).

The exchange is Jira's: Basic auth with an account e-mail and API token, issues created with
``POST /rest/api/3/issue/bulk`` (``issueUpdates``; per-element errors with ``failedElementNumber``)
and searched with ``POST /rest/api/3/search/jql`` (the enhanced search, paged by ``nextPageToken``).
"""

from __future__ import annotations

import base64
import json

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from agentflow.connectors.jira import IssueDraft, JiraClient, adf_doc, adf_paragraph, adf_text, live
from agentflow.errors import ConnectorError, TransientAgentError
from agentflow.settings import Settings

# The fake vendor listens on a loopback socket.
pytestmark = pytest.mark.enable_socket

EMAIL = "automation@acme.example"
API_TOKEN = "ATATT3xFfGF0-test-token"
SECRET_NAME = "prod/jira"
BASIC = "Basic " + base64.b64encode(f"{EMAIL}:{API_TOKEN}".encode()).decode()
BULK_PATH = "/rest/api/3/issue/bulk"
SEARCH_PATH = "/rest/api/3/search/jql"
FIELDS = ["summary", "status", "assignee", "priority", "created", "issuetype", "labels"]
DESCRIPTION = adf_doc(adf_paragraph(adf_text("New hire: ", strong=True), adf_text("Jane Doe")))


def jira_client(httpserver: HTTPServer) -> JiraClient:
    settings = Settings.model_validate({"AGENTFLOW_CONNECTOR_ALLOW_LOOPBACK": "true"})
    secret = {"base_url": f"http://127.0.0.1:{httpserver.port}", "email": EMAIL, "api_token": API_TOKEN}
    return live(secret, SECRET_NAME, settings)


def draft(summary: str = "Onboard Jane Doe — Account Executive") -> IssueDraft:
    return IssueDraft(
        project_key="ONB",
        summary=summary,
        description=DESCRIPTION,
        labels=["new-hire"],
        priority="High",
    )


def api_issue(key: str, summary: str, *, assignee: str | None = "Nadia Petrova") -> dict:
    """One issue as the enhanced search returns it with the requested fields."""
    return {
        "id": "10042",
        "key": key,
        "self": f"https://acme.atlassian.net/rest/api/3/issue/{key}",
        "fields": {
            "summary": summary,
            "status": {"name": "In Progress", "statusCategory": {"key": "indeterminate"}},
            "assignee": {"displayName": assignee, "accountId": "5b10a2844c20165700ede21g"}
            if assignee
            else None,
            "priority": {"name": "High", "id": "2"},
            "created": "2026-11-20T09:15:02.123+0000",
            "issuetype": {"name": "Task"},
            "labels": ["new-hire"],
        },
    }


def test_create_posts_issue_updates_with_basic_auth_and_adf(httpserver: HTTPServer) -> None:
    # Given Jira creates the issue
    httpserver.expect_ordered_request(
        BULK_PATH,
        method="POST",
        headers={"Authorization": BASIC},
        json={
            "issueUpdates": [
                {
                    "fields": {
                        "project": {"key": "ONB"},
                        "issuetype": {"name": "Task"},
                        "summary": "Onboard Jane Doe — Account Executive",
                        "description": DESCRIPTION,
                        "labels": ["new-hire"],
                        "priority": {"name": "High"},
                    }
                }
            ]
        },
    ).respond_with_json(
        {
            "issues": [{"id": "10143", "key": "ONB-143", "self": "https://acme/rest/api/3/issue/10143"}],
            "errors": [],
        },
        status=201,
    )
    client = jira_client(httpserver)
    # When one draft is created
    [outcome] = client.create_issues([draft()])
    # Then the issue comes back with its key and browse URL
    httpserver.check_assertions()
    assert outcome.error is None and outcome.issue is not None
    assert (outcome.issue.key, outcome.issue.id) == ("ONB-143", "10143")
    assert outcome.issue.url == f"{client.base_url}/browse/ONB-143"


def test_per_element_errors_are_reported_against_their_drafts(httpserver: HTTPServer) -> None:
    # Given Jira refuses the second of three issues
    httpserver.expect_request(BULK_PATH, method="POST").respond_with_json(
        {
            "issues": [{"id": "1", "key": "ONB-143"}, {"id": "2", "key": "ONB-144"}],
            "errors": [
                {
                    "status": 400,
                    "elementErrors": {
                        "errorMessages": [],
                        "errors": {"priority": "The priority selected is invalid."},
                    },
                    "failedElementNumber": 1,
                }
            ],
        },
        status=201,
    )
    # When three drafts are created
    outcomes = jira_client(httpserver).create_issues([draft("a"), draft("b"), draft("c")])
    # Then the created keys line up with the drafts around the refused one
    assert [outcome.issue.key if outcome.issue else None for outcome in outcomes] == [
        "ONB-143",
        None,
        "ONB-144",
    ]
    assert outcomes[1].error == "priority: The priority selected is invalid."


def test_a_400_where_every_element_failed_is_reported_per_draft(httpserver: HTTPServer) -> None:
    httpserver.expect_request(BULK_PATH, method="POST").respond_with_json(
        {
            "issues": [],
            "errors": [
                {
                    "status": 400,
                    "elementErrors": {"errors": {"project": "valid project is required"}},
                    "failedElementNumber": 0,
                }
            ],
        },
        status=400,
    )
    [outcome] = jira_client(httpserver).create_issues([draft()])
    assert outcome.issue is None and outcome.error == "project: valid project is required"


def test_more_than_fifty_drafts_go_in_chunks_of_fifty(httpserver: HTTPServer) -> None:
    def respond(request: Request) -> Response:
        updates = json.loads(request.get_data())["issueUpdates"]
        issues = [{"id": str(n), "key": f"ONB-{n}"} for n in range(len(updates))]
        return Response(
            json.dumps({"issues": issues, "errors": []}), status=201, content_type="application/json"
        )

    httpserver.expect_request(BULK_PATH, method="POST").respond_with_handler(respond)
    outcomes = jira_client(httpserver).create_issues([draft(f"issue {n}") for n in range(51)])
    sizes = [len(json.loads(request.get_data())["issueUpdates"]) for request, _ in httpserver.log]
    assert sizes == [50, 1] and len(outcomes) == 51 and all(outcome.issue for outcome in outcomes)


def test_search_pages_with_next_page_token(httpserver: HTTPServer) -> None:
    # Given two pages of results
    jql = "project = ONB AND statusCategory != Done ORDER BY created DESC"
    httpserver.expect_ordered_request(
        SEARCH_PATH,
        method="POST",
        headers={"Authorization": BASIC},
        json={"jql": jql, "fields": FIELDS, "maxResults": 100},
    ).respond_with_json(
        {"issues": [api_issue("ONB-142", "Schedule product training")], "nextPageToken": "CAEaAggD"}
    )
    httpserver.expect_ordered_request(
        SEARCH_PATH,
        method="POST",
        json={"jql": jql, "fields": FIELDS, "maxResults": 99, "nextPageToken": "CAEaAggD"},
    ).respond_with_json({"issues": [api_issue("ONB-141", "Provision laptop", assignee=None)], "isLast": True})
    client = jira_client(httpserver)
    # When the search runs
    issues = client.search(jql, max_results=100)
    # Then both pages' issues come back, mapped
    httpserver.check_assertions()
    assert [issue.key for issue in issues] == ["ONB-142", "ONB-141"]
    first = issues[0]
    assert (first.status, first.assignee, first.priority, first.issue_type) == (
        "In Progress",
        "Nadia Petrova",
        "High",
        "Task",
    )
    assert (
        first.url == f"{client.base_url}/browse/ONB-142" and first.created == "2026-11-20T09:15:02.123+0000"
    )
    assert issues[1].assignee is None


def test_search_stops_at_max_results(httpserver: HTTPServer) -> None:
    httpserver.expect_request(SEARCH_PATH, method="POST").respond_with_json(
        {"issues": [api_issue("SUP-1", "a"), api_issue("SUP-2", "b")], "nextPageToken": "more"}
    )
    issues = jira_client(httpserver).search("project = SUP", max_results=2)
    assert len(issues) == 2 and len(httpserver.log) == 1
    assert json.loads(httpserver.log[0][0].get_data())["maxResults"] == 2


def test_a_jql_error_carries_jiras_message(httpserver: HTTPServer) -> None:
    httpserver.expect_request(SEARCH_PATH, method="POST").respond_with_json(
        {
            "errorMessages": ["Field 'foo' does not exist or you do not have permission to view it."],
            "errors": {},
        },
        status=400,
    )
    with pytest.raises(ConnectorError, match="Field 'foo' does not exist"):
        jira_client(httpserver).search("foo = bar", max_results=10)


def test_429_is_transient_with_retry_after(httpserver: HTTPServer) -> None:
    httpserver.expect_request(SEARCH_PATH, method="POST").respond_with_data(
        "Rate limit exceeded", status=429, headers={"Retry-After": "12"}
    )
    with pytest.raises(TransientAgentError) as raised:
        jira_client(httpserver).search("project = SUP", max_results=10)
    assert raised.value.retry_after == 12


def test_500_is_transient(httpserver: HTTPServer) -> None:
    httpserver.expect_request(BULK_PATH, method="POST").respond_with_data("oops", status=500)
    with pytest.raises(TransientAgentError, match="HTTP 500"):
        jira_client(httpserver).create_issues([draft()])


def test_401_names_the_connector_and_the_secret_but_not_the_token(httpserver: HTTPServer) -> None:
    httpserver.expect_request(BULK_PATH, method="POST").respond_with_data("Unauthorized", status=401)
    with pytest.raises(ConnectorError) as raised:
        jira_client(httpserver).create_issues([draft()])
    assert "jira" in raised.value.message and f"secret '{SECRET_NAME}'" in raised.value.message
    assert API_TOKEN not in raised.value.message and EMAIL not in raised.value.message


def test_a_secret_without_api_token_is_refused() -> None:
    with pytest.raises(ConnectorError, match=f"secret '{SECRET_NAME}' lacks api_token"):
        live({"base_url": "https://acme.atlassian.net", "email": EMAIL}, SECRET_NAME, Settings())


def test_an_http_site_is_refused_outside_tests(httpserver: HTTPServer) -> None:
    secret = {"base_url": httpserver.url_for("/"), "email": EMAIL, "api_token": API_TOKEN}
    with pytest.raises(ConnectorError, match="must use https"):
        live(secret, SECRET_NAME, Settings())
