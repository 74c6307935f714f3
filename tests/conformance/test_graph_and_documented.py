"""Microsoft Graph against its published CSDL; vendors without a machine-readable description
against the shape their reference documentation gives (each test names the page).

Graph: microsoftgraph/msgraph-metadata's v1.0 metadata (specs/msgraph-v1.0.xml, trimmed). The
draft's properties must be the message entity's (or its base types'), nested values those of the
complex types, the send action bound to message.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import date

import httpx

from agentflow.connectors.base import OpportunityQuery, OutgoingEmail
from agentflow.connectors.http import VendorHttpClient
from agentflow.connectors.outlook import GraphMailClient
from agentflow.connectors.salesforce import SalesforceClient
from agentflow.connectors.servicenow import ServiceNowClient
from agentflow.connectors.zendesk import NewTicket, ZendeskClient
from tests.conformance.vendor_specs import COVERAGE, SPECS, Recorder

EDM = "{http://docs.oasis-open.org/odata/ns/edm}"


def http(recorder: Recorder, vendor: str) -> VendorHttpClient:
    return VendorHttpClient(
        vendor, credentials_secret=None, allow_loopback=False, transport=recorder.transport()
    )


class Csdl:
    """The trimmed Graph metadata: properties per type (with base types), enum members, actions."""

    def __init__(self) -> None:
        schema = ET.parse(SPECS / "msgraph-v1.0.xml").getroot()
        self.types = {e.get("Name"): e for e in schema if e.tag in (f"{EDM}EntityType", f"{EDM}ComplexType")}
        self.enums = {
            e.get("Name"): {m.get("Name") for m in e.findall(f"{EDM}Member")}
            for e in schema.findall(f"{EDM}EnumType")
        }
        self.actions = schema.findall(f"{EDM}Action")
        self.sets = {s.get("Name"): s.get("EntityType") for s in schema.iter(f"{EDM}EntitySet")}

    def properties(self, name: str) -> dict[str, str]:
        element = self.types[name]
        found = {p.get("Name"): p.get("Type") for p in element if p.tag.endswith("Property")}
        base = element.get("BaseType")
        return {**(self.properties(base.removeprefix("graph.")) if base else {}), **found}

    def problems(self, type_name: str, value: dict[str, object], where: str = "") -> list[str]:
        problems = []
        known = self.properties(type_name)
        for key, item in value.items():
            kind = known.get(key)
            if kind is None:
                problems.append(f"{where}{key} is no property of {type_name}")
                continue
            inner = kind.removeprefix("Collection(").removesuffix(")").removeprefix("graph.")
            items = item if kind.startswith("Collection(") and isinstance(item, list) else [item]
            for element in items:
                if inner in self.types and isinstance(element, dict):
                    problems += self.problems(inner, element, f"{where}{key}.")
                elif inner in self.enums and str(element).lower() not in self.enums[inner]:
                    problems.append(f"{where}{key}={element} is not a {inner}")
        return problems


def test_graph_send_creates_a_draft_the_metadata_describes_then_sends_it() -> None:
    def graph(request: httpx.Request) -> httpx.Response:
        if request.url.host == "login.microsoftonline.com":
            return httpx.Response(200, json={"access_token": "eyJ0", "expires_in": 3599})
        if request.url.path.endswith("/messages"):
            return httpx.Response(201, json={"id": "AAMkAD1"})
        return httpx.Response(202)

    recorder = Recorder(graph)
    client = GraphMailClient(
        tenant_id="contoso", client_id="app", client_secret="s", http=http(recorder, "outlook")
    )
    client.send(
        OutgoingEmail(
            to_name="Olivia Patel",
            to_address="olivia@northwind.example",
            from_address="sales@contoso.example",
            subject="Check-in",
            body="Hello",
        )
    )
    csdl = Csdl()
    token, draft, send = recorder.requests
    # users/{id}/messages: the users set holds user entities, whose messages navigation holds messages
    assert draft.url.path == "/v1.0/users/sales@contoso.example/messages" and draft.method == "POST"
    assert csdl.sets["users"] == "microsoft.graph.user"
    navigation = {
        n.get("Name"): n.get("Type") for n in csdl.types["user"].findall(f"{EDM}NavigationProperty")
    }
    assert navigation["messages"] == "Collection(graph.message)"
    assert csdl.problems("message", json.loads(draft.content)) == []
    # .../messages/{id}/send: the send action is bound to message and takes no other parameter
    assert send.url.path == "/v1.0/users/sales@contoso.example/messages/AAMkAD1/send" and not send.content
    (action,) = [a for a in csdl.actions if a.get("Name") == "send"]
    assert [p.get("Type") for p in action.findall(f"{EDM}Parameter")] == ["graph.message"]
    assert action.get("IsBound") == "true"
    # the token request is the identity platform's client-credentials grant (not part of Graph's metadata)
    assert token.url.path == "/contoso/oauth2/v2.0/token"
    COVERAGE.add("Microsoft Graph", "POST /users/{id}/messages")
    COVERAGE.add("Microsoft Graph", "POST /users/{id}/messages/{id}/send")


def test_a_property_graph_does_not_know_is_caught() -> None:
    assert Csdl().problems(
        "message", {"subject": "x", "toRecipients": [{"emailAddress": {"mail": "a"}}]}
    ) == ["toRecipients.emailAddress.mail is no property of emailAddress"]


# --- documented shapes (no machine-readable description published) ------------------------------


def test_zendesk_ticket_creation_has_the_documented_shape_and_idempotency_key() -> None:
    # https://developer.zendesk.com/api-reference/ticketing/tickets/tickets/#create-ticket
    # https://developer.zendesk.com/api-reference/introduction/idempotency/
    recorder = Recorder(
        lambda request: (
            httpx.Response(
                201,
                json={
                    "ticket": {
                        "id": 35436,
                        "subject": "Help",
                        "status": "new",
                        "created_at": "2026-01-01T00:00:00Z",
                        "updated_at": "2026-01-01T00:00:00Z",
                        "tags": [],
                    }
                },
            )
            if request.method == "POST"
            else httpx.Response(200, json={"organizations": [], "users": []})
        )
    )
    client = ZendeskClient(
        base_url="https://acme.zendesk.com",
        email="a@acme.example",
        api_token="t",
        http=http(recorder, "zendesk"),
    )
    client.create_ticket(
        NewTicket(
            subject="Help",
            body="Printer on fire",
            priority="high",
            type="incident",
            tags=["vip"],
            requester_email="c@example.com",
            external_id="SF-1",
            idempotency_key="agentflow-k",
        )
    )
    (create,) = [r for r in recorder.requests if r.method == "POST"]
    assert create.url.path == "/api/v2/tickets.json" and create.headers["Idempotency-Key"] == "agentflow-k"
    ticket = json.loads(create.content)["ticket"]
    assert set(ticket) <= {
        "subject",
        "comment",
        "priority",
        "type",
        "tags",
        "external_id",
        "requester",
        "organization_id",
    }
    assert ticket["comment"] == {"body": "Printer on fire", "public": True}
    assert ticket["priority"] in {"urgent", "high", "normal", "low"}
    assert ticket["type"] in {"problem", "incident", "question", "task"}
    assert set(ticket["requester"]) == {"email", "name"}
    COVERAGE.add("Zendesk (documented)", "POST /api/v2/tickets.json")


def test_servicenow_table_api_create_has_the_documented_parameters() -> None:
    # https://www.servicenow.com/docs/bundle/zurich-api-reference/page/integrate/inbound-rest/concept/c_TableAPI.html
    recorder = Recorder(lambda request: httpx.Response(201, json={"result": {"sys_id": "a" * 32}}))
    client = ServiceNowClient(
        base_url="https://acme.service-now.com", username="u", password="p", http=http(recorder, "servicenow")
    )
    client.create_record("incident", {"short_description": "Down", "company": "Northwind", "urgency": "1"})
    (create,) = recorder.requests
    documented = {
        "sysparm_display_value",
        "sysparm_exclude_reference_link",
        "sysparm_fields",
        "sysparm_input_display_value",
        "sysparm_suppress_auto_sys_field",
        "sysparm_view",
    }
    assert create.url.path == "/api/now/table/incident" and set(create.url.params) <= documented
    # a reference field by name is stored only as display-value input
    assert create.url.params["sysparm_input_display_value"] == "true"
    assert json.loads(create.content)["urgency"] == "1 - High"
    COVERAGE.add("ServiceNow (documented)", "POST /api/now/table/{tableName}")


def test_salesforce_query_uses_the_documented_rest_resource() -> None:
    # https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_query.htm
    recorder = Recorder(
        lambda request: httpx.Response(200, json={"totalSize": 0, "done": True, "records": []})
    )
    client = SalesforceClient(
        instance_url="https://acme.my.salesforce.com", access_token="00D!x", http=http(recorder, "salesforce")
    )
    client.find_opportunities(
        OpportunityQuery(stage="Negotiation", min_amount=100_000, close_from=date(2026, 10, 1))
    )
    (query,) = recorder.requests
    assert query.method == "GET" and query.url.path.endswith("/query") and set(query.url.params) == {"q"}
    assert query.url.path.startswith("/services/data/v") and query.url.params["q"].startswith("SELECT ")
    COVERAGE.add("Salesforce (documented)", "GET /services/data/vXX.X/query")
