"""The live Workday client against a fake Workday tenant (pytest-httpserver on loopback).

Each test plays the tenant's side of the real exchange: the OAuth 2.0 refresh-token grant at
/ccx/oauth2/{tenant}/token, then Common v1 (/ccx/api/v1/{tenant}), Staffing v6 service dates and
Absence Management v1 time-off details, with limit/offset paging.
"""

from __future__ import annotations

import base64
import json
from datetime import date
from typing import Any
from urllib.parse import parse_qs

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from agentflow.connectors import workday as workday_module
from agentflow.connectors.workday import WorkdayClient, Worker, live
from agentflow.errors import ConnectorError, TransientAgentError
from agentflow.settings import Settings

# The fake vendor listens on a loopback socket.
pytestmark = pytest.mark.enable_socket

TENANT = "acme_dpt1"
SECRET_NAME = "prod/workday"
TOKEN_PATH = f"/ccx/oauth2/{TENANT}/token"
COMMON = f"/ccx/api/v1/{TENANT}"
STAFFING = f"/ccx/api/staffing/v6/{TENANT}"
ABSENCE = f"/ccx/api/absenceManagement/v1/{TENANT}"
LOOPBACK = Settings.model_validate({"AGENTFLOW_CONNECTOR_ALLOW_LOOPBACK": "true"})

SALES_ORG = {
    "id": "org-sales",
    "descriptor": "Sales (Catherine Moreau)",
    "name": "Sales",
    "code": "SUP-SALES",
    "manager": {"id": "w-cm", "descriptor": "Catherine Moreau"},
    "workers": "/workers",
}


def secret(httpserver: HTTPServer) -> dict[str, str]:
    return {
        "base_url": httpserver.url_for("/"),
        "tenant": TENANT,
        "client_id": "api-client-id",
        "client_secret": "api-client-secret",
        "refresh_token": "refresh-token-value",
    }


def client(httpserver: HTTPServer) -> WorkdayClient:
    return live(secret(httpserver), SECRET_NAME, LOOPBACK)


def summary(worker_id: str, name: str, email: str) -> dict[str, Any]:
    """A Common v1 worker summary (GET /workers)."""
    return {
        "id": worker_id,
        "descriptor": name,
        "href": f"https://wd2-impl-services1.workday.com{COMMON}/workers/{worker_id}",
        "isManager": False,
        "businessTitle": "Account Executive",
        "primaryWorkEmail": email,
        "primaryWorkPhone": "+1 (555) 010-0100",
        "primarySupervisoryOrganization": {"id": "org-sales", "descriptor": "Sales (Catherine Moreau)"},
    }


def profile(worker_id: str, name: str, email: str) -> dict[str, Any]:
    """A Common v1 worker profile (GET /workers/{ID})."""
    return {
        **summary(worker_id, name, email),
        "location": {"id": "loc-austin", "descriptor": "Austin Office"},
        "yearsOfService": 4,
        "primaryWorkAddressText": "500 Congress Ave, Austin, TX 78701",
    }


def expect_token(httpserver: HTTPServer, token: str = "access-1") -> None:
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_json(
        {"access_token": token, "token_type": "Bearer", "expires_in": 3600}
    )


def expect_sales_org(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"{COMMON}/supervisoryOrganizations", method="GET").respond_with_json(
        {"total": 1, "data": [SALES_ORG]}
    )
    httpserver.expect_request(f"{COMMON}/workers/w-cm", method="GET").respond_with_json(
        profile("w-cm", "Catherine Moreau", "catherine.moreau@sales.example.com")
    )


def requests_to(httpserver: HTTPServer, path: str) -> list[Request]:
    return [request for request, _response in httpserver.log if request.path == path]


def test_refresh_token_grant_then_a_worker_search(httpserver: HTTPServer) -> None:
    # Given a tenant that issues a token and knows Maria Chen
    expect_token(httpserver)
    expect_sales_org(httpserver)
    maria = ("w-mc", "Maria Chen", "maria.chen@sales.example.com")
    httpserver.expect_request(f"{COMMON}/workers", method="GET").respond_with_json(
        {"total": 1, "data": [summary(*maria)]}
    )
    httpserver.expect_request(f"{COMMON}/workers/w-mc", method="GET").respond_with_json(profile(*maria))
    httpserver.expect_request(f"{STAFFING}/workers/w-mc/serviceDates", method="GET").respond_with_json(
        {"total": 1, "data": [{"hireDate": "2021-04-12", "continuousServiceDate": "2021-04-12"}]}
    )
    # When the client searches for her
    [worker] = client(httpserver).find_workers(search="maria chen", limit=50)
    # Then the token came from the refresh-token grant, with the API client as Basic credentials
    [token_request] = requests_to(httpserver, TOKEN_PATH)
    assert token_request.headers["Authorization"] == "Basic " + base64.b64encode(
        b"api-client-id:api-client-secret"
    ).decode("ascii")
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert parse_qs(token_request.get_data(as_text=True)) == {
        "grant_type": ["refresh_token"],
        "refresh_token": ["refresh-token-value"],
    }
    # And the search carried Workday's query parameters and the bearer token
    [search] = requests_to(httpserver, f"{COMMON}/workers")
    assert search.args.to_dict() == {"search": "maria chen", "limit": "50", "offset": "0"}
    assert all(
        request.headers["Authorization"] == "Bearer access-1"
        for request, _ in httpserver.log
        if request.path != TOKEN_PATH
    )
    # And the worker was assembled from the summary, profile, service dates and organization
    assert worker == Worker(
        id="w-mc",
        name="Maria Chen",
        email="maria.chen@sales.example.com",
        title="Account Executive",
        organization="Sales",
        organization_id="org-sales",
        manager="Catherine Moreau",
        manager_email="catherine.moreau@sales.example.com",
        hire_date=date(2021, 4, 12),
        start_date=date(2021, 4, 12),
        location="Austin Office",
        is_manager=False,
    )


def test_new_hires_read_service_dates_and_profile_only_the_hires(httpserver: HTTPServer) -> None:
    # Given a Sales organization of three: hired in the window, hired long ago, no service dates
    expect_token(httpserver)
    expect_sales_org(httpserver)
    members = [
        summary("w-new", "Wendell Dubois", "wendell.dubois@sales.example.com"),
        summary("w-old", "Tom Whitaker", "tom.whitaker@sales.example.com"),
        summary("w-none", "Pending Person", "pending.person@sales.example.com"),
    ]
    httpserver.expect_request(f"{COMMON}/supervisoryOrganizations/org-sales/workers").respond_with_json(
        {"total": 3, "data": members}
    )
    hire_dates = {"w-new": "2026-12-01", "w-old": "2019-02-04"}
    for worker_id in ("w-new", "w-old", "w-none"):
        dates = [{"hireDate": hire_dates[worker_id]}] if worker_id in hire_dates else []
        httpserver.expect_request(f"{STAFFING}/workers/{worker_id}/serviceDates").respond_with_json(
            {"total": len(dates), "data": dates}
        )
    httpserver.expect_request(f"{COMMON}/workers/w-new").respond_with_json(profile(*_ids(members[0])))
    # When the hires of December in Sales are asked for
    hires = client(httpserver).find_new_hires(date(2026, 12, 1), date(2026, 12, 31), organization="sales")
    # Then only the December hire comes, and only it (and its manager) had a profile read
    assert [(hire.name, hire.hire_date, hire.manager) for hire in hires] == [
        ("Wendell Dubois", date(2026, 12, 1), "Catherine Moreau")
    ]
    assert not requests_to(httpserver, f"{COMMON}/workers/w-old")
    assert len(requests_to(httpserver, f"{STAFFING}/workers/w-none/serviceDates")) == 1


def _ids(record: dict[str, Any]) -> tuple[str, str, str]:
    return record["id"], record["descriptor"], record["primaryWorkEmail"]


def test_new_hires_refuse_to_scan_more_workers_than_a_run_can_read(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a cap of two workers and an organization of three
    monkeypatch.setattr(workday_module, "MAX_WORKERS_SCANNED", 2)
    expect_token(httpserver)
    expect_sales_org(httpserver)
    members = [summary(f"w-{n}", f"Worker {n}", f"worker.{n}@sales.example.com") for n in range(3)]
    httpserver.expect_request(f"{COMMON}/supervisoryOrganizations/org-sales/workers").respond_with_json(
        {"total": 3, "data": members}
    )
    # When its hires are asked for
    with pytest.raises(ConnectorError, match="more than 2 workers to check"):
        client(httpserver).find_new_hires(date(2026, 12, 1), date(2026, 12, 31), organization="Sales")
    # Then no service dates were read
    assert not [request for request, _ in httpserver.log if request.path.endswith("/serviceDates")]


def test_time_off_details_are_filtered_by_date_and_paged(httpserver: HTTPServer) -> None:
    # Given a worker with 130 time-off entries, which Workday pages by 100
    expect_token(httpserver)

    def details(request: Request) -> Response:
        offset, limit = int(request.args["offset"]), int(request.args["limit"])
        rows = [
            {
                "date": f"2026-12-{1 + n % 28:02d}",
                "quantity": 8,
                "unit": {"id": "u-h", "descriptor": "Hours"},
                "timeOffType": {"id": "t-v", "descriptor": "Vacation"},
                "status": {"id": "s-a", "descriptor": "Approved"},
                "comment": "Family trip" if n == 0 else None,
                "worker": {"id": "w-mc", "descriptor": "Maria Chen"},
            }
            for n in range(offset, min(offset + limit, 130))
        ]
        return Response(json.dumps({"total": 130, "data": rows}), content_type="application/json")

    httpserver.expect_request(f"{ABSENCE}/workers/w-mc/timeOffDetails").respond_with_handler(details)
    maria = Worker(id="w-mc", name="Maria Chen", email="maria.chen@sales.example.com")
    # When her December time off is read
    entries = client(httpserver).time_off([maria], date(2026, 12, 1), date(2026, 12, 31))
    # Then both pages were read with the date filter, and every entry mapped
    pages = requests_to(httpserver, f"{ABSENCE}/workers/w-mc/timeOffDetails")
    assert [request.args.to_dict() for request in pages] == [
        {"fromDate": "2026-12-01", "toDate": "2026-12-31", "limit": "100", "offset": "0"},
        {"fromDate": "2026-12-01", "toDate": "2026-12-31", "limit": "100", "offset": "100"},
    ]
    assert len(entries) == 130
    first = entries[0]
    assert (first.worker_name, first.date, first.quantity, first.unit, first.type, first.status) == (
        "Maria Chen",
        date(2026, 12, 1),
        8.0,
        "Hours",
        "Vacation",
        "Approved",
    )
    assert [entry.date for entry in entries] == sorted(entry.date for entry in entries)


def test_email_lookup_searches_by_name_and_matches_the_work_email(httpserver: HTTPServer) -> None:
    # Given two workers answering to the name search
    expect_token(httpserver)
    expect_sales_org(httpserver)
    httpserver.expect_request(f"{COMMON}/workers").respond_with_json(
        {
            "total": 2,
            "data": [
                summary("w-other", "Maria Chen", "maria.chen2@sales.example.com"),
                summary("w-mc", "Maria Chen", "maria.chen@sales.example.com"),
            ],
        }
    )
    httpserver.expect_request(f"{COMMON}/workers/w-mc").respond_with_json(
        profile("w-mc", "Maria Chen", "maria.chen@sales.example.com")
    )
    httpserver.expect_request(f"{STAFFING}/workers/w-mc/serviceDates").respond_with_json(
        {"total": 0, "data": []}
    )
    # When the e-mail (in another case) is looked up
    worker = client(httpserver).find_worker_by_email("Maria.Chen@sales.example.com", "Maria Chen")
    # Then the worker with exactly that e-mail comes back
    assert worker is not None and worker.id == "w-mc"
    assert requests_to(httpserver, f"{COMMON}/workers")[0].args["search"] == "Maria Chen"


def test_a_401_renews_the_token_once_and_retries(httpserver: HTTPServer) -> None:
    # Given a token Workday revokes before it expires
    httpserver.expect_ordered_request(TOKEN_PATH, method="POST").respond_with_json(
        {"access_token": "access-1"}
    )
    httpserver.expect_ordered_request(f"{COMMON}/workers").respond_with_json(
        {"error": "invalid token"}, status=401
    )
    httpserver.expect_ordered_request(TOKEN_PATH, method="POST").respond_with_json(
        {"access_token": "access-2"}
    )
    httpserver.expect_ordered_request(f"{COMMON}/workers").respond_with_json({"total": 0, "data": []})
    # When the client searches
    assert client(httpserver).find_workers(search="nobody") == []
    # Then the retry carried the new token
    httpserver.check_assertions()
    assert httpserver.log[-1][0].headers["Authorization"] == "Bearer access-2"


def test_429_is_transient_with_the_retry_after_hint(httpserver: HTTPServer) -> None:
    expect_token(httpserver)
    httpserver.expect_request(f"{COMMON}/workers").respond_with_json(
        {"error": "Too many requests"}, status=429, headers={"Retry-After": "7"}
    )
    with pytest.raises(TransientAgentError) as raised:
        client(httpserver).find_workers(search="maria")
    assert raised.value.retry_after == 7.0
    assert "HTTP 429" in raised.value.message


def test_500_is_transient(httpserver: HTTPServer) -> None:
    expect_token(httpserver)
    httpserver.expect_request(f"{COMMON}/supervisoryOrganizations").respond_with_data("boom", status=500)
    with pytest.raises(TransientAgentError) as raised:
        client(httpserver).organizations()
    assert raised.value.retry_after is None
    assert "HTTP 500" in raised.value.message


def test_a_lasting_401_names_the_connector_and_the_secret_but_no_token(httpserver: HTTPServer) -> None:
    expect_token(httpserver)
    httpserver.expect_request(f"{COMMON}/workers").respond_with_json({"error": "invalid token"}, status=401)
    with pytest.raises(ConnectorError) as raised:
        client(httpserver).find_workers(search="maria")
    message = raised.value.message
    assert "workday" in message and f"'{SECRET_NAME}'" in message
    assert "access-1" not in message and "refresh-token-value" not in message


def test_a_rejected_refresh_token_is_a_credentials_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request(TOKEN_PATH, method="POST").respond_with_json(
        {"error": "invalid_grant", "error_description": "Invalid refresh token"}, status=400
    )
    with pytest.raises(ConnectorError) as raised:
        client(httpserver).organizations()
    assert f"workday rejected the credentials in secret '{SECRET_NAME}'" in raised.value.message
    assert "invalid_grant" in raised.value.message
    assert "refresh-token-value" not in raised.value.message


def test_a_host_in_the_secret_means_https_on_that_host() -> None:
    credentials = {key: "x" for key in ("client_id", "client_secret", "refresh_token")}
    workday = live(
        {"host": "wd2-impl-services1.workday.com", "tenant": "acme", **credentials}, SECRET_NAME, Settings()
    )
    assert workday.common_url == "https://wd2-impl-services1.workday.com/ccx/api/v1/acme"
    assert workday.token_url == "https://wd2-impl-services1.workday.com/ccx/oauth2/acme/token"


@pytest.mark.parametrize("missing", ["tenant", "client_id", "client_secret", "refresh_token", "base_url"])
def test_a_secret_without_a_required_key_is_named(httpserver: HTTPServer, missing: str) -> None:
    incomplete = {key: value for key, value in secret(httpserver).items() if key != missing}
    with pytest.raises(ConnectorError) as raised:
        live(incomplete, SECRET_NAME, LOOPBACK)
    assert missing in raised.value.message and SECRET_NAME in raised.value.message


def test_a_loopback_url_is_refused_outside_tests(httpserver: HTTPServer) -> None:
    with pytest.raises(ConnectorError, match="must use https"):
        live(secret(httpserver), SECRET_NAME, Settings())
