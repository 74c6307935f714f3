"""A live connector inside a running workflow: the vendor is a local HTTP server that checks requests."""

from __future__ import annotations

import json
from datetime import date

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from agentflow.client import AgentFlowClient
from tests.helpers import REFERENCE_INPUT, email, sales, workflow

pytestmark = [pytest.mark.e2e, pytest.mark.enable_socket]

QUERY_PATH = "/services/data/v61.0/query"


def opportunity(index: int) -> dict:
    return {
        "Id": f"006LIVE{index:011d}",
        "Name": f"Live Deal {index}",
        "Amount": 150000 + index,
        "StageName": "Negotiation/Review",
        "CloseDate": date(date.today().year, 11, 1 + index).isoformat(),
        "Probability": 80,
        "AccountId": f"001LIVE{index:011d}",
        "Account": {"Name": f"Live Account {index}"},
        "Owner": {"Name": "Dana Live", "Email": "dana.live@sales.example.com"},
    }


def salesforce_secret(stack, httpserver: HTTPServer, name: str) -> str:
    secret = {"instance_url": httpserver.url_for("").rstrip("/"), "access_token": "live-token-123"}
    stack.client("secretsmanager").create_secret(Name=name, SecretString=json.dumps(secret))
    return name


def live_workflow(secret: str) -> dict:
    return workflow(
        "Live CRM",
        [sales("crm", connector_mode="live", credentials_secret=secret), email("mail", max_emails=1)],
        [("crm", "mail")],
    )


def test_a_vendor_429_is_retried_by_the_state_machine(
    stack, client: AgentFlowClient, httpserver: HTTPServer
) -> None:
    # Given a Salesforce that answers 429 once, then the query result
    secret = salesforce_secret(stack, httpserver, "agentflow/acme/salesforce-busy")
    calls: list[Request] = []

    def answer(request: Request) -> Response:
        calls.append(request)
        if len(calls) == 1:
            return Response("[]", status=429, headers={"Retry-After": "1"})
        body = {"totalSize": 2, "done": True, "records": [opportunity(1), opportunity(2)]}
        return Response(json.dumps(body), content_type="application/json")

    httpserver.expect_request(QUERY_PATH, method="GET").respond_with_handler(answer)
    # When the workflow runs with the CRM agent switched to live
    created = client.create_workflow(live_workflow(secret))
    execution = client.wait(client.start_execution(created["id"], REFERENCE_INPUT)["id"])
    # Then the retry reached the vendor again and the run completed with its data
    assert execution["status"] == "completed", execution["error"]
    crm = next(run for run in execution["agent_executions"] if run["agent_id"] == "crm")
    assert crm["attempts"] == 2 and [deal["name"] for deal in crm["output"]["deals"]] == [
        "Live Deal 1",
        "Live Deal 2",
    ]
    assert all(request.headers["Authorization"] == "Bearer live-token-123" for request in calls)
    soql = calls[-1].args["q"]
    assert (
        "FROM Opportunity" in soql and "StageName LIKE 'Negotiation%'" in soql and "Amount >= 100000" in soql
    )


def test_a_vendor_401_fails_the_run_naming_connector_and_secret(
    stack, client: AgentFlowClient, httpserver: HTTPServer
) -> None:
    # Given a Salesforce that rejects the token
    secret = salesforce_secret(stack, httpserver, "agentflow/acme/salesforce-revoked")
    httpserver.expect_request(QUERY_PATH, method="GET").respond_with_json(
        [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}], status=401
    )
    created = client.create_workflow(live_workflow(secret))
    execution = client.wait(client.start_execution(created["id"], REFERENCE_INPUT)["id"])
    # Then the run fails at the CRM agent with a message naming the connector and the secret
    assert execution["status"] == "failed"
    assert execution["error"]["agent_id"] == "crm"
    assert "salesforce" in execution["error"]["message"] and secret in execution["error"]["message"]
    assert "live-token-123" not in json.dumps(execution)
