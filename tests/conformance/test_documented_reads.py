"""Read requests of the vendors without a public machine-readable description, against the
shape their reference documentation gives (each test names the page it follows).

SAP's property names are the ones SAP's API reference lists for the entity types; OData v2's
system query options are the protocol's. Nothing here is checked against a hand-written fake of
the answers: only the requests are looked at.
"""

from __future__ import annotations

import re
from datetime import date

import httpx

from agentflow.connectors.http import VendorHttpClient
from agentflow.connectors.sap import SapClient
from agentflow.connectors.servicenow import ServiceNowClient
from agentflow.connectors.workday import WorkdayClient
from agentflow.connectors.zendesk import ZendeskClient
from tests.conformance.vendor_specs import COVERAGE, Recorder

# https://api.sap.com/api/API_BUSINESS_PARTNER/resource/Business_Partner (A_BusinessPartnerType)
PARTNER_PROPERTIES = {
    "BusinessPartner", "BusinessPartnerFullName", "BusinessPartnerCategory", "OrganizationBPName1",
    "SearchTerm1", "Customer", "Supplier", "BusinessPartnerGrouping", "CreationDate",
}  # fmt: skip
# https://api.sap.com/api/API_SALES_ORDER_SRV/resource/Sales_Order (A_SalesOrderType, A_SalesOrderItemType)
ORDER_PROPERTIES = {
    "SalesOrder", "SalesOrderType", "SalesOrganization", "SoldToParty", "PurchaseOrderByCustomer",
    "CreationDate", "RequestedDeliveryDate", "TotalNetAmount", "TransactionCurrency",
    "OverallSDProcessStatus", "OverallTotalDeliveryStatus",
}  # fmt: skip
ITEM_PROPERTIES = {
    "SalesOrderItem", "Material", "SalesOrderItemText", "RequestedQuantity", "RequestedQuantityUnit",
    "NetAmount", "TransactionCurrency", "SDProcessStatus",
}  # fmt: skip
# https://www.odata.org/documentation/odata-version-2-0/uri-conventions/ (system query options)
ODATA_V2_OPTIONS = {"$select", "$filter", "$orderby", "$expand", "$top", "$skip", "$format", "$inlinecount"}


def http(recorder: Recorder, vendor: str) -> VendorHttpClient:
    return VendorHttpClient(
        vendor, credentials_secret=None, allow_loopback=False, transport=recorder.transport()
    )


def _names_in_filter(expression: str) -> set[str]:
    without_strings = re.sub(r"'(?:[^']|'')*'", "''", expression)
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_/]*", without_strings))
    return words - {"eq", "ne", "and", "or", "not", "startswith", "substringof", "true", "false"}


def test_sap_odata_queries_name_only_documented_entity_sets_and_properties() -> None:
    recorder = Recorder(lambda request: httpx.Response(200, json={"d": {"results": []}}))
    sap = SapClient(
        base_url="https://my-s4.example.com", username="u", password="p", http=http(recorder, "sap")
    )
    sap.find_business_partners(["Northwind Logistics", "O'Brien & Co"], match="prefix")
    sap.find_sales_orders(["17100001", "17100002"])
    partners, orders = recorder.requests
    assert partners.url.path == "/sap/opu/odata/sap/API_BUSINESS_PARTNER/A_BusinessPartner"
    assert orders.url.path == "/sap/opu/odata/sap/API_SALES_ORDER_SRV/A_SalesOrder"
    for request, properties in ((partners, PARTNER_PROPERTIES), (orders, ORDER_PROPERTIES)):
        options = {name for name in request.url.params if name.startswith("$")}
        assert options <= ODATA_V2_OPTIONS
        selected = set(request.url.params["$select"].split(","))
        own = {name for name in selected if "/" not in name}
        assert own <= properties
        assert _names_in_filter(request.url.params["$filter"]) <= properties
        assert request.url.params["$orderby"].split()[0] in properties
    assert orders.url.params["$expand"] == "to_Item"
    items = {name.removeprefix("to_Item/") for name in orders.url.params["$select"].split(",") if "/" in name}
    assert items and items <= ITEM_PROPERTIES
    COVERAGE.add("SAP (documented)", "GET API_BUSINESS_PARTNER/A_BusinessPartner")
    COVERAGE.add("SAP (documented)", "GET API_SALES_ORDER_SRV/A_SalesOrder?$expand=to_Item")


def test_workday_reads_use_the_documented_rest_resources() -> None:
    # https://community.workday.com/sites/default/files/file-hosting/restapi/ (common v1, staffing v6,
    # absenceManagement v1); OAuth refresh-token grant at /ccx/oauth2/{tenant}/token
    def workday(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        return httpx.Response(200, json={"total": 0, "data": []})

    recorder = Recorder(workday)
    client = WorkdayClient(base_url="https://wd2-impl-services1.workday.com", tenant="acme", client_id="c",
                           client_secret="s", refresh_token="r", http=http(recorder, "workday"))  # fmt: skip
    client.find_new_hires(date(2026, 12, 1), date(2026, 12, 31))
    client.organizations()
    token, *reads = recorder.requests
    assert token.method == "POST" and token.url.path == "/ccx/oauth2/acme/token"
    assert {"grant_type=refresh_token", "refresh_token=r"} <= set(token.content.decode().split("&"))
    assert len(reads) >= 2
    for request in reads:
        assert request.method == "GET" and request.url.path.startswith("/ccx/api/v1/acme/")
        assert set(request.url.params) <= {"search", "limit", "offset"}
        assert int(request.url.params.get("limit", "100")) <= 100
    COVERAGE.add("Workday (documented)", "GET /ccx/api/v1/{tenant}/workers")
    COVERAGE.add("Workday (documented)", "GET /ccx/api/v1/{tenant}/supervisoryOrganizations")


def test_zendesk_search_uses_the_documented_parameters() -> None:
    # https://developer.zendesk.com/api-reference/ticketing/ticket-management/search/#list-search-results
    recorder = Recorder(lambda request: httpx.Response(200, json={"results": [], "next_page": None}))
    client = ZendeskClient(base_url="https://acme.zendesk.com", email="a@acme.example", api_token="t",
                           http=http(recorder, "zendesk"))  # fmt: skip
    client.search_tickets('type:ticket status<solved organization:"Northwind Logistics"', limit=50)
    (search,) = recorder.requests
    assert search.url.path == "/api/v2/search.json"
    assert set(search.url.params) <= {"query", "sort_by", "sort_order", "page", "per_page"}
    assert search.url.params["query"].startswith("type:ticket")
    assert int(search.url.params.get("per_page", "100")) <= 100
    COVERAGE.add("Zendesk (documented)", "GET /api/v2/search.json")


def test_servicenow_queries_page_with_the_documented_parameters() -> None:
    # https://www.servicenow.com/docs/bundle/zurich-api-reference/page/integrate/inbound-rest/concept/c_TableAPI.html
    recorder = Recorder(lambda request: httpx.Response(200, json={"result": []}))
    client = ServiceNowClient(base_url="https://acme.service-now.com", username="u", password="p",
                              http=http(recorder, "servicenow"))  # fmt: skip
    client.query_records("incident", "active=true^correlation_id=agentflow-k", limit=1)
    (query,) = recorder.requests
    assert query.method == "GET" and query.url.path == "/api/now/table/incident"
    assert set(query.url.params) == {
        "sysparm_query", "sysparm_limit", "sysparm_offset", "sysparm_fields", "sysparm_display_value",
        "sysparm_exclude_reference_link",
    }  # fmt: skip
    COVERAGE.add("ServiceNow (documented)", "GET /api/now/table/{tableName}")
