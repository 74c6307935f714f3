"""The live SAP S/4HANA client against a fake SAP Gateway (pytest-httpserver on loopback).

Each test plays the system's side of the OData v2 exchange: API_BUSINESS_PARTNER/A_BusinessPartner
and API_SALES_ORDER_SRV/A_SalesOrder with $filter/$select/$expand, {"d": {"results", "__next"}}
answers, /Date(ms)/ dates and decimal strings, over Basic or bearer authentication.
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

from agentflow.connectors import sap as sap_module
from agentflow.connectors.sap import BUSINESS_PARTNER_PATH, SALES_ORDER_PATH, SapClient, live
from agentflow.errors import ConnectorError, TransientAgentError
from agentflow.settings import Settings

# The fake vendor listens on a loopback socket.
pytestmark = pytest.mark.enable_socket

SECRET_NAME = "prod/s4"
LOOPBACK = Settings.model_validate({"AGENTFLOW_CONNECTOR_ALLOW_LOOPBACK": "true"})
BASIC = "Basic " + base64.b64encode(b"COMM_USER_AGENTFLOW:comm-user-password").decode("ascii")


def basic_secret(httpserver: HTTPServer) -> dict[str, str]:
    return {
        "base_url": httpserver.url_for("/"),
        "username": "COMM_USER_AGENTFLOW",
        "password": "comm-user-password",
        "client": "100",
    }


def client(httpserver: HTTPServer, **overrides: str) -> SapClient:
    return live({**basic_secret(httpserver), **overrides}, SECRET_NAME, LOOPBACK)


def partner(number: str, name: str) -> dict[str, Any]:
    """An A_BusinessPartner record as the OData v2 JSON format writes it."""
    return {
        "__metadata": {
            "id": f"…/A_BusinessPartner('{number}')",
            "type": "API_BUSINESS_PARTNER.A_BusinessPartnerType",
        },
        "BusinessPartner": number,
        "BusinessPartnerFullName": name,
        "BusinessPartnerCategory": "2",
        "OrganizationBPName1": name,
        "SearchTerm1": name.split()[0].upper(),
        "Customer": number,
        "Supplier": "",
        "BusinessPartnerGrouping": "BP02",
        "CreationDate": "/Date(1683072000000)/",
    }


def order(number: str, party: str = "1000116") -> dict[str, Any]:
    """An A_SalesOrder record with to_Item expanded."""
    return {
        "__metadata": {"type": "API_SALES_ORDER_SRV.A_SalesOrderType"},
        "SalesOrder": number,
        "SalesOrderType": "OR",
        "SalesOrganization": "1710",
        "SoldToParty": party,
        "PurchaseOrderByCustomer": "PO-21677",
        "CreationDate": "/Date(1741564800000)/",
        "RequestedDeliveryDate": "/Date(1746748800000)/",
        "TotalNetAmount": "33609.14",
        "TransactionCurrency": "USD",
        "OverallSDProcessStatus": "B",
        "OverallTotalDeliveryStatus": "B",
        "to_Item": {
            "results": [
                {
                    "SalesOrder": number,
                    "SalesOrderItem": "10",
                    "Material": "SV-IMPL-HR",
                    "SalesOrderItemText": "Implementation services",
                    "RequestedQuantity": "120.000",
                    "RequestedQuantityUnit": "H",
                    "NetAmount": "23400.00",
                    "TransactionCurrency": "USD",
                    "SDProcessStatus": "C",
                },
                {
                    "SalesOrder": number,
                    "SalesOrderItem": "20",
                    "Material": "SV-TRAIN-DAY",
                    "SalesOrderItemText": "On-site training day",
                    "RequestedQuantity": "4.000",
                    "RequestedQuantityUnit": "DAY",
                    "NetAmount": "10209.14",
                    "TransactionCurrency": "USD",
                    "SDProcessStatus": "A",
                },
            ]
        },
    }


def entity_set(rows: list[dict[str, Any]], next_link: str | None = None) -> dict[str, Any]:
    d: dict[str, Any] = {"results": rows}
    if next_link:
        d["__next"] = next_link
    return {"d": d}


def requests_to(httpserver: HTTPServer, path: str) -> list[Request]:
    return [request for request, _response in httpserver.log if request.path == path]


def test_business_partners_by_exact_name_with_basic_auth(httpserver: HTTPServer) -> None:
    # Given the system knows Northwind Logistics
    httpserver.expect_request(BUSINESS_PARTNER_PATH, method="GET").respond_with_json(
        entity_set([partner("1000116", "Northwind Logistics")])
    )
    # When the client looks the account up
    [found] = client(httpserver).find_business_partners(["Northwind Logistics"])
    # Then the request was an OData query with the documented options, the SAP client and Basic auth
    [request] = requests_to(httpserver, BUSINESS_PARTNER_PATH)
    assert request.headers["Authorization"] == BASIC
    assert request.headers["Accept"] == "application/json"
    assert request.args.to_dict() == {
        "$filter": "BusinessPartnerFullName eq 'Northwind Logistics'",
        "$select": "BusinessPartner,BusinessPartnerFullName,BusinessPartnerCategory,OrganizationBPName1,"
        "SearchTerm1,Customer,Supplier,BusinessPartnerGrouping,CreationDate",
        "$orderby": "BusinessPartner",
        "$format": "json",
        "sap-client": "100",
        "$top": "500",
        "$skip": "0",
    }
    # And the record mapped, /Date()/ and empty strings included
    assert (found.BusinessPartner, found.BusinessPartnerFullName, found.Customer) == (
        "1000116",
        "Northwind Logistics",
        "1000116",
    )
    assert found.Supplier is None
    assert found.CreationDate == date(2023, 5, 3)


def test_quotes_in_names_are_doubled_and_prefix_uses_startswith(httpserver: HTTPServer) -> None:
    httpserver.expect_request(BUSINESS_PARTNER_PATH).respond_with_json(entity_set([]))
    client(httpserver).find_business_partners(["Margie's Travel", "City Power & Light"], match="prefix")
    [request] = requests_to(httpserver, BUSINESS_PARTNER_PATH)
    assert request.args["$filter"] == (
        "(startswith(BusinessPartnerFullName,'Margie''s Travel') eq true"
        " or startswith(BusinessPartnerFullName,'City Power & Light') eq true)"
    )


def test_client_driven_pages_advance_skip_until_a_short_page(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given pages of two rows, and five partners
    monkeypatch.setattr(sap_module, "PARTNER_PAGE_SIZE", 2)
    rows = [partner(str(1000100 + n), f"Account {n}") for n in range(5)]

    def page(request: Request) -> Response:
        skip, top = int(request.args["$skip"]), int(request.args["$top"])
        return Response(json.dumps(entity_set(rows[skip : skip + top])), content_type="application/json")

    httpserver.expect_request(BUSINESS_PARTNER_PATH).respond_with_handler(page)
    # When every partner is listed
    found = client(httpserver).find_business_partners([], limit=100)
    # Then three pages were read, without a $filter, and all five partners came in order
    pages = requests_to(httpserver, BUSINESS_PARTNER_PATH)
    assert [(r.args["$top"], r.args["$skip"]) for r in pages] == [("2", "0"), ("2", "2"), ("2", "4")]
    assert all("$filter" not in r.args for r in pages)
    assert [p.BusinessPartner for p in found] == [str(1000100 + n) for n in range(5)]


def test_open_orders_by_sold_to_party_with_expanded_items(httpserver: HTTPServer) -> None:
    httpserver.expect_request(SALES_ORDER_PATH, method="GET").respond_with_json(
        entity_set([order("10005325")])
    )
    # When the open orders of one customer are read
    [found] = client(httpserver).find_sales_orders(["1000116"])
    # Then the filter excluded completed orders and the items were expanded
    [request] = requests_to(httpserver, SALES_ORDER_PATH)
    assert request.args["$filter"] == "SoldToParty eq '1000116' and OverallSDProcessStatus ne 'C'"
    assert request.args["$expand"] == "to_Item"
    assert request.args["$orderby"] == "SalesOrder"
    assert "to_Item/NetAmount" in request.args["$select"].split(",")
    assert (request.args["$top"], request.args["$skip"], request.args["sap-client"]) == ("200", "0", "100")
    # And decimals, dates and items mapped
    assert found.TotalNetAmount == 33609.14
    assert found.CreationDate == date(2025, 3, 10)
    assert found.RequestedDeliveryDate == date(2025, 5, 9)
    assert [(i.SalesOrderItem, i.RequestedQuantity, i.NetAmount) for i in found.items] == [
        ("10", 120.0, 23400.0),
        ("20", 4.0, 10209.14),
    ]


def test_server_driven_paging_follows_next_and_keeps_the_sap_client(httpserver: HTTPServer) -> None:
    # Given a gateway that pages on its own and links the rest without sap-client
    next_link = httpserver.url_for(SALES_ORDER_PATH) + "?$skiptoken=2&$expand=to_Item"
    httpserver.expect_ordered_request(SALES_ORDER_PATH).respond_with_json(
        entity_set([order("10000001"), order("10000002")], next_link)
    )
    httpserver.expect_ordered_request(SALES_ORDER_PATH).respond_with_json(entity_set([order("10000003")]))
    # When the orders are read
    found = client(httpserver).find_sales_orders(["1000116"], open_only=False)
    # Then the __next link was followed once, with the SAP client added
    httpserver.check_assertions()
    first, follow_up = requests_to(httpserver, SALES_ORDER_PATH)
    assert (first.args["$top"], first.args["$skip"]) == ("200", "0")
    assert follow_up.args.to_dict() == {"$skiptoken": "2", "$expand": "to_Item", "sap-client": "100"}
    assert [o.SalesOrder for o in found] == ["10000001", "10000002", "10000003"]


def test_a_next_link_to_another_host_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request(SALES_ORDER_PATH).respond_with_json(
        entity_set([order("10000001")], "https://elsewhere.example.com/sap/opu/odata/sap/X?$skiptoken=1")
    )
    with pytest.raises(ConnectorError, match="__next link outside"):
        client(httpserver).find_sales_orders(["1000116"])


def test_many_parties_are_split_into_batches(httpserver: HTTPServer) -> None:
    httpserver.expect_request(SALES_ORDER_PATH).respond_with_json(entity_set([]))
    parties = [str(1000100 + n) for n in range(12)]
    client(httpserver).find_sales_orders(parties)
    filters = [request.args["$filter"] for request in requests_to(httpserver, SALES_ORDER_PATH)]
    assert [f.count("SoldToParty eq") for f in filters] == [10, 2]


def test_oauth_client_credentials_then_bearer(httpserver: HTTPServer) -> None:
    # Given an OAuth token URL in the secret instead of a user
    secret = {
        "base_url": httpserver.url_for("/"),
        "token_url": httpserver.url_for("/oauth/token"),
        "client_id": "sb-agentflow",
        "client_secret": "oauth-client-secret",
    }
    httpserver.expect_ordered_request("/oauth/token", method="POST").respond_with_json(
        {"access_token": "eyJ-s4-token", "token_type": "bearer", "expires_in": 43199}
    )
    httpserver.expect_ordered_request(BUSINESS_PARTNER_PATH).respond_with_json(entity_set([]))
    # When the client reads
    live(secret, SECRET_NAME, LOOPBACK).find_business_partners(["Coho Winery"])
    # Then the token came from the client-credentials grant and the read carried it
    httpserver.check_assertions()
    token_request, read = httpserver.log[0][0], httpserver.log[1][0]
    assert parse_qs(token_request.get_data(as_text=True)) == {"grant_type": ["client_credentials"]}
    assert token_request.headers["Authorization"] == "Basic " + base64.b64encode(
        b"sb-agentflow:oauth-client-secret"
    ).decode("ascii")
    assert read.headers["Authorization"] == "Bearer eyJ-s4-token"
    assert "sap-client" not in read.args


def test_a_given_access_token_is_used_as_is(httpserver: HTTPServer) -> None:
    httpserver.expect_request(BUSINESS_PARTNER_PATH).respond_with_json(entity_set([]))
    live(
        {"base_url": httpserver.url_for("/"), "access_token": "given-token"}, SECRET_NAME, LOOPBACK
    ).find_business_partners(["Coho Winery"])
    assert httpserver.log[0][0].headers["Authorization"] == "Bearer given-token"


def test_429_is_transient_with_the_retry_after_hint(httpserver: HTTPServer) -> None:
    httpserver.expect_request(SALES_ORDER_PATH).respond_with_data(
        "", status=429, headers={"Retry-After": "12"}
    )
    with pytest.raises(TransientAgentError) as raised:
        client(httpserver).find_sales_orders(["1000116"])
    assert raised.value.retry_after == 12.0


def test_500_is_transient(httpserver: HTTPServer) -> None:
    httpserver.expect_request(BUSINESS_PARTNER_PATH).respond_with_json(
        {"error": {"code": "/IWBEP/CM_MGW_RT/020", "message": {"lang": "en", "value": "Backend down"}}},
        status=500,
    )
    with pytest.raises(TransientAgentError) as raised:
        client(httpserver).find_business_partners(["Coho Winery"])
    assert "HTTP 500" in raised.value.message


def test_401_names_the_connector_and_the_secret_but_not_the_password(httpserver: HTTPServer) -> None:
    httpserver.expect_request(BUSINESS_PARTNER_PATH).respond_with_data("Logon failed", status=401)
    with pytest.raises(ConnectorError) as raised:
        client(httpserver).find_business_partners(["Coho Winery"])
    assert raised.value.message == f"sap rejected the credentials in secret '{SECRET_NAME}' (HTTP 401)"
    assert "comm-user-password" not in raised.value.message


def test_a_400_carries_sap_gateways_message(httpserver: HTTPServer) -> None:
    httpserver.expect_request(SALES_ORDER_PATH).respond_with_json(
        {
            "error": {
                "code": "/IWBEP/CM_MGW_RT/022",
                "message": {
                    "lang": "en",
                    "value": "Property 'SoldToPrty' not found in type 'A_SalesOrderType'",
                },
            }
        },
        status=400,
    )
    with pytest.raises(ConnectorError) as raised:
        client(httpserver).find_sales_orders(["1000116"])
    assert raised.value.message == (
        f"sap: GET {SALES_ORDER_PATH} answered HTTP 400: /IWBEP/CM_MGW_RT/022: "
        "Property 'SoldToPrty' not found in type 'A_SalesOrderType'"
    )


def test_an_answer_without_the_d_object_is_a_connector_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request(BUSINESS_PARTNER_PATH).respond_with_json({"value": []})  # an OData v4 shape
    with pytest.raises(ConnectorError, match="OData v2 'd' object"):
        client(httpserver).find_business_partners(["Coho Winery"])


def test_a_secret_without_credentials_is_refused(httpserver: HTTPServer) -> None:
    with pytest.raises(ConnectorError) as raised:
        live({"base_url": httpserver.url_for("/"), "username": "U"}, SECRET_NAME, LOOPBACK)
    assert f"secret '{SECRET_NAME}' needs username and password" in raised.value.message


def test_a_host_means_https_and_loopback_is_refused_outside_tests(httpserver: HTTPServer) -> None:
    assert live({"host": "my-s4.example.com", "access_token": "t"}, SECRET_NAME, Settings()).base_url == (
        "https://my-s4.example.com"
    )
    with pytest.raises(ConnectorError, match="must use https"):
        live(basic_secret(httpserver), SECRET_NAME, Settings())
