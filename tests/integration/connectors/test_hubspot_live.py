"""The live HubSpot client against a fake HubSpot (pytest-httpserver on loopback).

Each test plays HubSpot's side of the real exchange: a private app token as Bearer, CRM v3 search
(filterGroups, sorts, ``after`` paging), v4 association batch reads, v3 batch reads, owners,
pipelines, deal PATCH and note creation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws
from pytest_httpserver import HTTPServer

from agentflow.connectors.base import OpportunityQuery
from agentflow.connectors.factory import ConnectorFactory
from agentflow.connectors.hubspot import (
    ContactQuery,
    HubSpotClient,
    HubSpotNotFoundError,
    NewNote,
    epoch_ms,
    live,
)
from agentflow.connectors.secrets import clear_secret_cache
from agentflow.errors import ConnectorError, TransientAgentError
from agentflow.settings import Settings

# The fake vendor listens on a loopback socket.
pytestmark = pytest.mark.enable_socket

TOKEN = "pat-na1-11111111-2222-3333-4444-555555555555"
SECRET_NAME = "agentflow/t_acme/hubspot"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SEARCH = "/crm/v3/objects/deals/search"
Q4 = OpportunityQuery(
    stage="Contract Sent", min_amount=100_000, close_from=date(2026, 10, 1), close_to=date(2026, 12, 31)
)


def stage(stage_id: str, label: str, order: int, probability: str = "0.9") -> dict[str, Any]:
    return {
        "id": stage_id,
        "label": label,
        "displayOrder": order,
        "archived": False,
        "metadata": {"isClosed": "false", "probability": probability},
    }


PIPELINES = {
    "results": [
        {
            "id": "default",
            "label": "Sales Pipeline",
            "displayOrder": 0,
            "archived": False,
            "stages": [
                stage("contractsent", "Contract Sent", 4),
                stage("158932007", "Negotiation", 5),
                stage("closedwon", "Closed Won", 6, "1.0"),
            ],
        },
        {
            "id": "7654321",
            "label": "Renewals",
            "displayOrder": 1,
            "archived": False,
            "stages": [stage("7654330", "Negotiation", 2, "0.8")],
        },
    ]
}
OWNERS_PAGE_1 = {
    "results": [
        {"id": "41984442", "email": "maria.chen@sales.example.com", "firstName": "Maria", "lastName": "Chen"}
    ],
    "paging": {"next": {"after": "41984442", "link": "?after=41984442"}},
}
OWNERS_PAGE_2 = {
    "results": [
        {
            "id": "41990001",
            "email": "tom.whitaker@sales.example.com",
            "firstName": "Tom",
            "lastName": "Whitaker",
        }
    ]
}


def deal(deal_id: str, closes: str = "2026-11-14T05:00:00Z", **properties: Any) -> dict[str, Any]:
    return {
        "id": deal_id,
        "properties": {
            "dealname": f"Northwind Logistics — Fleet Analytics Platform {deal_id}",
            "amount": "250000",
            "dealstage": "contractsent",
            "pipeline": "default",
            "closedate": closes,
            "hubspot_owner_id": "41984442",
            "deal_currency_code": "USD",
            "hs_deal_stage_probability": "0.9",
            "hs_next_step": "Send revised pricing",
            "hs_object_id": deal_id,
            **properties,
        },
        "createdAt": "2026-06-01T14:00:00Z",
        "updatedAt": "2026-11-01T10:00:00Z",
        "archived": False,
    }


def associations(links: dict[str, list[tuple[int, int, str | None]]]) -> dict[str, Any]:
    """A v4 batch read answer: {from id: [(to id, type id, label)]}."""
    return {
        "status": "COMPLETE",
        "results": [
            {
                "from": {"id": from_id},
                "to": [
                    {
                        "toObjectId": to_id,
                        "associationTypes": [
                            {"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": label}
                        ],
                    }
                    for to_id, type_id, label in targets
                ],
            }
            for from_id, targets in links.items()
        ],
    }


def serve_hydration(httpserver: HTTPServer, deal_ids: list[str]) -> None:
    """Associations, companies, contacts and owners for these deals (any order, any number of times)."""
    httpserver.expect_request("/crm/v3/pipelines/deals", method="GET").respond_with_json(PIPELINES)
    httpserver.expect_request(
        "/crm/v4/associations/deals/companies/batch/read", method="POST"
    ).respond_with_json(
        associations({d: [(9120000001, 341, None), (9120008824, 5, "Primary")] for d in deal_ids})
    )
    httpserver.expect_request(
        "/crm/v4/associations/deals/contacts/batch/read", method="POST"
    ).respond_with_json(associations({d: [(51425796306, 3, None)] for d in deal_ids}))
    httpserver.expect_request("/crm/v3/objects/companies/batch/read", method="POST").respond_with_json(
        {
            "status": "COMPLETE",
            "results": [
                {
                    "id": "9120008824",
                    "properties": {"name": "Northwind Logistics", "domain": "northwind.example"},
                },
                {"id": "9120000001", "properties": {"name": "A Reseller", "domain": "reseller.example"}},
            ],
        }
    )
    httpserver.expect_request("/crm/v3/objects/contacts/batch/read", method="POST").respond_with_json(
        {
            "status": "COMPLETE",
            "results": [
                {
                    "id": "51425796306",
                    "properties": {
                        "firstname": "Olivia",
                        "lastname": "Patel",
                        "email": "olivia.patel@northwind-logistics.example",
                    },
                }
            ],
        }
    )
    httpserver.expect_request("/crm/v3/owners", method="GET", query_string="limit=100").respond_with_json(
        OWNERS_PAGE_1
    )
    httpserver.expect_request(
        "/crm/v3/owners", method="GET", query_string="limit=100&after=41984442"
    ).respond_with_json(OWNERS_PAGE_2)


def client(httpserver: HTTPServer) -> HubSpotClient:
    settings = Settings.model_validate(
        {"CONNECTOR_MODE": "live", "AGENTFLOW_CONNECTOR_ALLOW_LOOPBACK": "true"}
    )
    return live({"access_token": TOKEN, "base_url": httpserver.url_for("/")}, SECRET_NAME, settings)


def bodies(httpserver: HTTPServer, path: str) -> list[dict[str, Any]]:
    return [json.loads(request.get_data()) for request, _ in httpserver.log if request.path == path]


# --- deals -------------------------------------------------------------------------------------


def test_find_opportunities_searches_then_reads_associations_companies_contacts_owners(
    httpserver: HTTPServer,
) -> None:
    # Given a portal with one matching deal
    serve_hydration(httpserver, ["19643468242"])
    httpserver.expect_request(SEARCH, method="POST", headers=AUTH).respond_with_json(
        {"total": 1, "results": [deal("19643468242")]}
    )
    # When the client looks for Q4 Contract Sent deals over 100K
    [opportunity] = client(httpserver).find_opportunities(Q4)
    # Then the search carried the stage id, the amount and the close dates as epoch milliseconds
    [search] = bodies(httpserver, SEARCH)
    assert search == {
        "filterGroups": [
            {
                "filters": [
                    {"propertyName": "dealstage", "operator": "EQ", "value": "contractsent"},
                    {"propertyName": "amount", "operator": "GTE", "value": "100000"},
                    {
                        "propertyName": "closedate",
                        "operator": "BETWEEN",
                        "value": "1790812800000",
                        "highValue": "1798761599999",
                    },
                ]
            }
        ],
        "properties": [
            "dealname",
            "amount",
            "dealstage",
            "pipeline",
            "closedate",
            "hubspot_owner_id",
            "deal_currency_code",
            "hs_deal_stage_probability",
            "hs_next_step",
        ],
        "sorts": [{"propertyName": "closedate", "direction": "ASCENDING"}],
        "limit": 100,
    }
    assert epoch_ms(date(2026, 10, 1)) == 1790812800000
    # and the associations and records were read in batches, every call with the Bearer token
    assert bodies(httpserver, "/crm/v4/associations/deals/companies/batch/read") == [
        {"inputs": [{"id": "19643468242"}]}
    ]
    assert bodies(httpserver, "/crm/v3/objects/companies/batch/read") == [
        {
            "properties": ["name", "domain", "industry"],
            "propertiesWithHistory": [],
            "inputs": [{"id": "9120008824"}],
        }
    ]
    assert all(request.headers["Authorization"] == f"Bearer {TOKEN}" for request, _ in httpserver.log)
    # and the deal maps onto an opportunity with its primary company, contact and owner
    assert opportunity.model_dump() == {
        "id": "19643468242",
        "name": "Northwind Logistics — Fleet Analytics Platform 19643468242",
        "account_id": "9120008824",
        "account_name": "Northwind Logistics",
        "amount": 250000.0,
        "currency": "USD",
        "stage": "Contract Sent",
        "close_date": date(2026, 11, 14),
        "probability": 90,
        "owner_name": "Maria Chen",
        "owner_email": "maria.chen@sales.example.com",
        "contact_name": "Olivia Patel",
        "contact_email": "olivia.patel@northwind-logistics.example",
    }


def test_a_label_in_several_pipelines_searches_all_their_stage_ids(httpserver: HTTPServer) -> None:
    serve_hydration(httpserver, [])
    httpserver.expect_request(SEARCH, method="POST").respond_with_json({"total": 0, "results": []})
    assert client(httpserver).find_opportunities(OpportunityQuery(stage="negotiation")) == []
    [search] = bodies(httpserver, SEARCH)
    assert search["filterGroups"][0]["filters"] == [
        {"propertyName": "dealstage", "operator": "IN", "values": ["158932007", "7654330"]}
    ]


def test_no_filters_means_no_filter_groups_and_a_page_size_of_the_limit(httpserver: HTTPServer) -> None:
    serve_hydration(httpserver, [])
    httpserver.expect_request(SEARCH, method="POST").respond_with_json({"total": 0, "results": []})
    client(httpserver).search_deals(OpportunityQuery(limit=7))
    [search] = bodies(httpserver, SEARCH)
    assert search["filterGroups"] == [] and search["limit"] == 7
    assert not any(request.path == "/crm/v3/pipelines/deals" for request, _ in httpserver.log)


def test_pages_follow_after_and_ties_at_the_limit_are_settled_by_id(httpserver: HTTPServer) -> None:
    # Given two pages whose boundary falls inside one close date
    serve_hydration(httpserver, ["103", "101", "102", "104"])
    httpserver.expect_ordered_request(SEARCH, method="POST").respond_with_json(
        {
            "total": 4,
            "results": [deal("104", "2026-10-02T05:00:00Z"), deal("103", "2026-10-05T05:00:00Z")],
            "paging": {"next": {"after": "2"}},
        }
    )
    httpserver.expect_ordered_request(SEARCH, method="POST").respond_with_json(
        {
            "total": 4,
            "results": [deal("101", "2026-10-05T05:00:00Z"), deal("102", "2026-10-09T05:00:00Z")],
            "paging": {"next": {"after": "4"}},
        }
    )
    # When two deals are asked for
    deals = client(httpserver).search_deals(OpportunityQuery(limit=2))
    # Then the second page was read (with after), the third was not, and the lower id won the tie
    first, second = bodies(httpserver, SEARCH)
    assert "after" not in first and second["after"] == "2" and second["limit"] == 2
    assert [d.id for d in deals] == ["104", "101"]


def test_owners_are_read_across_pages_once(httpserver: HTTPServer) -> None:
    serve_hydration(httpserver, ["1", "2"])
    httpserver.expect_request(SEARCH, method="POST").respond_with_json(
        {"results": [deal("1"), deal("2", hubspot_owner_id="41990001")]}
    )
    hubspot = client(httpserver)
    deals = hubspot.search_deals(OpportunityQuery())
    hubspot.search_deals(OpportunityQuery())
    assert [d.owner_name for d in deals] == ["Maria Chen", "Tom Whitaker"]
    owner_calls = [request for request, _ in httpserver.log if request.path == "/crm/v3/owners"]
    assert [request.args.get("after") for request in owner_calls] == [None, "41984442"]


def test_deals_are_found_by_exact_name_five_names_per_search(httpserver: HTTPServer) -> None:
    serve_hydration(httpserver, ["7"])
    named = deal("7", dealname="Deal 3")
    httpserver.expect_request(SEARCH, method="POST").respond_with_json({"results": [named]})
    found = client(httpserver).find_deals_by_name([f"Deal {n}" for n in range(7)])
    assert list(found) == ["Deal 3"]
    searches = bodies(httpserver, SEARCH)
    assert [len(s["filterGroups"]) for s in searches] == [5, 2]
    assert searches[0]["filterGroups"][3] == {
        "filters": [{"propertyName": "dealname", "operator": "EQ", "value": "Deal 3"}]
    }


# --- writes ------------------------------------------------------------------------------------


def test_update_deal_patches_properties_and_the_stage_id(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/crm/v3/pipelines/deals").respond_with_json(PIPELINES)
    httpserver.expect_request("/crm/v3/objects/deals/123", method="PATCH", headers=AUTH).respond_with_json(
        {"id": "123", "properties": {"dealstage": "closedwon"}, "updatedAt": "2026-11-20T09:30:00.000Z"}
    )
    update = client(httpserver).update_deal("123", {"hs_next_step": "Countersign"}, stage="closed won")
    assert bodies(httpserver, "/crm/v3/objects/deals/123") == [
        {"properties": {"hs_next_step": "Countersign", "dealstage": "closedwon"}}
    ]
    assert update.stage == "Closed Won" and update.updated_at == datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def test_an_ambiguous_stage_label_is_settled_by_the_deals_pipeline(httpserver: HTTPServer) -> None:
    # Given "Negotiation" in two pipelines and a deal in Renewals
    httpserver.expect_request("/crm/v3/pipelines/deals").respond_with_json(PIPELINES)
    httpserver.expect_request(
        "/crm/v3/objects/deals/123", method="GET", query_string="properties=pipeline"
    ).respond_with_json({"id": "123", "properties": {"pipeline": "7654321"}})
    httpserver.expect_request("/crm/v3/objects/deals/123", method="PATCH").respond_with_json({"id": "123"})
    # When the deal moves to Negotiation
    update = client(httpserver).update_deal("123", {}, stage="Negotiation")
    # Then the Renewals pipeline's Negotiation stage is the one set
    assert update.properties == {"dealstage": "7654330"}


def test_a_missing_deal_is_a_not_found_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/crm/v3/objects/deals/999", method="PATCH").respond_with_json(
        {"status": "error", "message": "resource not found", "category": "OBJECT_NOT_FOUND"}, status=404
    )
    with pytest.raises(HubSpotNotFoundError):
        client(httpserver).update_deal("999", {"hs_next_step": "x"})


def test_create_note_posts_body_timestamp_and_associations(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/crm/v3/objects/notes", method="POST", headers=AUTH).respond_with_json(
        {"id": "40123456789", "properties": {}, "createdAt": "2026-11-20T09:30:00.000Z"}, status=201
    )
    note = client(httpserver).create_note(
        NewNote(
            body="<p>Check-in sent</p>",
            timestamp=datetime(2026, 11, 20, 9, 30, tzinfo=UTC),
            deal_ids=["123"],
            contact_ids=["456"],
        )
    )
    assert note.id == "40123456789"
    assert bodies(httpserver, "/crm/v3/objects/notes") == [
        {
            "properties": {
                "hs_note_body": "<p>Check-in sent</p>",
                "hs_timestamp": "2026-11-20T09:30:00.000Z",
            },
            "associations": [
                {
                    "to": {"id": "123"},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 214}],
                },
                {
                    "to": {"id": "456"},
                    "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 202}],
                },
            ],
        }
    ]


# --- contacts ----------------------------------------------------------------------------------


def test_search_contacts_by_company_domain_and_lifecycle_stage(httpserver: HTTPServer) -> None:
    # Given a company found by name and its contacts
    httpserver.expect_request("/crm/v3/objects/companies/search", method="POST").respond_with_json(
        {"results": [{"id": "9120008824", "properties": {"name": "Northwind Logistics"}}]}
    )
    httpserver.expect_request("/crm/v3/objects/contacts/search", method="POST").respond_with_json(
        {
            "results": [
                {
                    "id": "2",
                    "properties": {
                        "firstname": "Olivia",
                        "lastname": "Patel",
                        "email": "olivia.patel@northwind-logistics.example",
                        "lifecyclestage": "customer",
                        "associatedcompanyid": "9120008824",
                    },
                },
                {
                    "id": "1",
                    "properties": {
                        "firstname": "Ethan",
                        "lastname": "Mensah",
                        "associatedcompanyid": "9120008824",
                    },
                },
            ]
        }
    )
    # When contacts are searched
    query = ContactQuery(
        companies=["Northwind Logistics"],
        email_domain="@Northwind-Logistics.example",
        lifecycle_stage="customer",
    )
    contacts = client(httpserver).search_contacts(query)
    # Then the company was found by name and the contacts by its id, domain and stage
    [companies] = bodies(httpserver, "/crm/v3/objects/companies/search")
    assert companies["filterGroups"] == [
        {"filters": [{"propertyName": "name", "operator": "EQ", "value": "Northwind Logistics"}]}
    ]
    [search] = bodies(httpserver, "/crm/v3/objects/contacts/search")
    assert search["filterGroups"] == [
        {
            "filters": [
                {"propertyName": "associatedcompanyid", "operator": "IN", "values": ["9120008824"]},
                {"propertyName": "hs_email_domain", "operator": "EQ", "value": "northwind-logistics.example"},
                {"propertyName": "lifecyclestage", "operator": "EQ", "value": "customer"},
            ]
        }
    ]
    assert search["sorts"] == [{"propertyName": "lastname", "direction": "ASCENDING"}]
    assert [(c.name, c.company_name) for c in contacts] == [
        ("Ethan Mensah", "Northwind Logistics"),
        ("Olivia Patel", "Northwind Logistics"),
    ]


def test_no_company_by_that_name_means_no_contact_search(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/crm/v3/objects/companies/search", method="POST").respond_with_json(
        {"results": []}
    )
    assert client(httpserver).search_contacts(ContactQuery(companies=["Nobody Inc"])) == []
    assert len(httpserver.log) == 1


# --- errors ------------------------------------------------------------------------------------


def test_429_is_transient_with_the_retry_after_hint(httpserver: HTTPServer) -> None:
    httpserver.expect_request(SEARCH).respond_with_json(
        {"status": "error", "message": "You have reached your secondly limit.", "category": "RATE_LIMITS"},
        status=429,
        headers={"Retry-After": "2"},
    )
    with pytest.raises(TransientAgentError) as raised:
        client(httpserver).search_deals(OpportunityQuery())
    assert raised.value.retry_after == 2.0
    assert "You have reached your secondly limit." in raised.value.message


def test_500_is_transient(httpserver: HTTPServer) -> None:
    httpserver.expect_request(SEARCH).respond_with_data("internal error", status=500)
    with pytest.raises(TransientAgentError, match="HTTP 500"):
        client(httpserver).search_deals(OpportunityQuery())


def test_401_names_the_connector_and_the_secret_but_not_the_token(httpserver: HTTPServer) -> None:
    httpserver.expect_request(SEARCH).respond_with_json(
        {
            "status": "error",
            "message": "Authentication credentials not found.",
            "category": "INVALID_AUTHENTICATION",
        },
        status=401,
    )
    with pytest.raises(ConnectorError) as raised:
        client(httpserver).search_deals(OpportunityQuery())
    assert not isinstance(raised.value, TransientAgentError)
    assert raised.value.message == f"hubspot rejected the credentials in secret '{SECRET_NAME}' (HTTP 401)"
    assert TOKEN not in str(raised.value)


def test_a_400_carries_hubspots_message(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/crm/v3/objects/deals/5", method="PATCH").respond_with_json(
        {"status": "error", "message": "Property values were not valid", "category": "VALIDATION_ERROR"},
        status=400,
    )
    with pytest.raises(ConnectorError, match="HTTP 400: Property values were not valid"):
        client(httpserver).update_deal("5", {"hs_priority": "urgent"})


# --- construction ------------------------------------------------------------------------------


def test_the_secret_needs_an_access_token() -> None:
    with pytest.raises(ConnectorError, match=f"secret '{SECRET_NAME}' lacks access_token"):
        live({"base_url": "https://api.hubapi.com"}, SECRET_NAME, Settings())


def test_the_default_base_url_is_hubspots_api() -> None:
    assert live({"access_token": TOKEN}, SECRET_NAME, Settings()).base_url == "https://api.hubapi.com"


def test_loopback_base_urls_are_refused_unless_allowed(httpserver: HTTPServer) -> None:
    with pytest.raises(ConnectorError, match="must use https"):
        live({"access_token": TOKEN, "base_url": httpserver.url_for("/")}, SECRET_NAME, Settings())


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    clear_secret_cache()
    with mock_aws():
        yield
    clear_secret_cache()


def test_the_factory_builds_the_live_crm_from_the_secret(aws: None, httpserver: HTTPServer) -> None:
    # Given the tenant's secret in Secrets Manager (moto), pointing at the fake HubSpot
    boto3.client("secretsmanager", region_name="us-east-1").create_secret(
        Name=SECRET_NAME,
        SecretString=json.dumps({"access_token": TOKEN, "base_url": httpserver.url_for("/")}),
    )
    httpserver.expect_request(SEARCH, headers=AUTH).respond_with_json({"results": []})
    settings = Settings.model_validate(
        {"CONNECTOR_MODE": "live", "AWS_REGION": "us-east-1", "AGENTFLOW_CONNECTOR_ALLOW_LOOPBACK": "true"}
    )
    # When sales_intelligence's factory call opens "hubspot"
    crm = ConnectorFactory(settings, "t_acme").crm("hubspot", SECRET_NAME)
    # Then it is the live client, using the secret's token
    assert isinstance(crm, HubSpotClient)
    assert crm.find_opportunities(OpportunityQuery()) == []
    httpserver.check_assertions()
