"""The live HubSpot client's requests against HubSpot's published OpenAPI descriptions.

Source: HubSpot/HubSpot-public-api-spec-collection (see specs/README.md). Every request the client
sends in the agents' flows (deal search and hydration, deal update, contact search, note creation)
is checked: operation exists, required parameters present, body valid against the schema.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import httpx
import pytest

from agentflow.connectors.base import OpportunityQuery
from agentflow.connectors.http import VendorHttpClient
from agentflow.connectors.hubspot import ContactQuery, HubSpotClient, NewNote
from tests.conformance.vendor_specs import Deviation, OpenApiSpec, Recorder, deviations_met, problems_of
from tests.integration.connectors.test_hubspot_live import OWNERS_PAGE_2, PIPELINES, associations, deal

SPEC = OpenApiSpec("hubspot.json", vendor="HubSpot")
SEARCH_GUIDE = "https://developers.hubspot.com/docs/guides/api/crm/search"
# The published PublicObjectSearchRequest requires every field and types sorts as strings; the
# search guide documents after and sorts as optional and sorts as {propertyName, direction}.
DEVIATIONS = (
    Deviation(
        "'after' is a required property", f"first page has no cursor ({SEARCH_GUIDE}#paging-through-results)"
    ),
    Deviation("'sorts' is a required property", f"sorting is optional ({SEARCH_GUIDE}#sorting)"),
    Deviation(
        "is not of type 'string'",
        f"sorts are objects with propertyName and direction ({SEARCH_GUIDE}#sorting)",
    ),
)


def hubspot(request: httpx.Request) -> httpx.Response:
    """A HubSpot that answers each operation the client calls with a plausible body."""
    path, method = request.url.path, request.method
    if path == "/crm/v3/pipelines/deals":
        return httpx.Response(200, json=PIPELINES)
    if path == "/crm/v3/owners":
        return httpx.Response(200, json={"results": OWNERS_PAGE_2["results"]})
    if path == "/crm/v3/objects/deals/search":
        return httpx.Response(200, json={"total": 1, "results": [deal("19643468242")]})
    if path.startswith("/crm/v4/associations/deals/"):
        return httpx.Response(200, json=associations({"19643468242": [(9120008824, 5, "Primary")]}))
    if path.endswith("/batch/read"):
        ids = [item["id"] for item in json.loads(request.content)["inputs"]]
        properties = {"name": "Northwind Logistics", "firstname": "Olivia", "lastname": "Patel"}
        results = [{"id": i, "properties": properties} for i in ids]
        return httpx.Response(200, json={"status": "COMPLETE", "results": results})
    if path == "/crm/v3/objects/companies/search":
        return httpx.Response(
            200, json={"results": [{"id": "9120008824", "properties": {"name": "Northwind"}}]}
        )
    if path == "/crm/v3/objects/contacts/search":
        return httpx.Response(200, json={"results": []})
    if path.startswith("/crm/v3/objects/deals/") and method in ("GET", "PATCH"):
        return httpx.Response(200, json={"id": "123", "properties": {"pipeline": "default"}})
    if path == "/crm/v3/objects/notes":
        return httpx.Response(
            201, json={"id": "40123456789", "properties": {}, "createdAt": "2026-11-20T09:30:00Z"}
        )
    return httpx.Response(404, json={"message": f"no fake for {method} {path}"})


@pytest.fixture
def recorder() -> Recorder:
    return Recorder(hubspot)


@pytest.fixture
def client(recorder: Recorder) -> HubSpotClient:
    http = VendorHttpClient(
        "hubspot", credentials_secret=None, allow_loopback=False, transport=recorder.transport()
    )
    return HubSpotClient(access_token="pat-na1-test", http=http)


def test_finding_opportunities_sends_only_published_requests(
    client: HubSpotClient, recorder: Recorder
) -> None:
    query = OpportunityQuery(stage="Contract Sent", min_amount=100_000, close_from=date(2026, 10, 1))
    assert client.find_opportunities(query)
    assert problems_of(SPEC, recorder.requests, DEVIATIONS) == {}
    paths = {request.url.path for request in recorder.requests}
    assert {"/crm/v3/objects/deals/search", "/crm/v3/objects/companies/batch/read"} <= paths


def test_batch_reads_send_properties_with_history_which_the_spec_requires(
    client: HubSpotClient, recorder: Recorder
) -> None:
    client.find_opportunities(OpportunityQuery())
    reads = [
        r
        for r in recorder.requests
        if r.url.path.startswith("/crm/v3/objects/") and "batch/read" in r.url.path
    ]
    assert reads and all(json.loads(r.content)["propertiesWithHistory"] == [] for r in reads)
    # Without it the published schema refuses the body: the check can fail.
    body = {**json.loads(reads[0].content)}
    del body["propertiesWithHistory"]
    refused = httpx.Request("POST", reads[0].url, json=body, headers=reads[0].headers)
    assert any("propertiesWithHistory" in problem for problem in SPEC.check(refused))


def test_deal_updates_contact_searches_and_notes_conform(client: HubSpotClient, recorder: Recorder) -> None:
    client.update_deal("123", {"hs_next_step": "Countersign"}, stage="Contract Sent")
    client.search_contacts(ContactQuery(companies=["Northwind Logistics"], lifecycle_stage="customer"))
    client.create_note(
        NewNote(
            body="<p>Sent</p>",
            timestamp=datetime(2026, 11, 20, tzinfo=UTC),
            deal_ids=["123"],
            contact_ids=["4"],
        )
    )
    assert problems_of(SPEC, recorder.requests, DEVIATIONS) == {}
    # and each documented deviation is still what the requests do (none is stale)
    assert deviations_met(SPEC, recorder.requests, DEVIATIONS) == {d.problem for d in DEVIATIONS}
    operations = {(r.method, r.url.path) for r in recorder.requests}
    assert ("PATCH", "/crm/v3/objects/deals/123") in operations and (
        "POST",
        "/crm/v3/objects/notes",
    ) in operations
