"""The ServiceNow sandbox: bundled incidents, numbered creates, encoded queries, display values."""

from __future__ import annotations

import json
import re
import time
from datetime import date
from pathlib import Path

import pytest
from tools import generate_servicenow_data

from agentflow.connectors.factory import ConnectorFactory
from agentflow.connectors.servicenow import build_encoded_query, check_table
from agentflow.errors import ConnectorError
from agentflow.settings import Settings
from agentflow_sandbox.servicenow import ServiceNowSandbox, parse_encoded_query

DATA = Path(__file__).resolve().parents[3] / "layers/sandbox/agentflow_sandbox/data"
ESCALATION = {
    "short_description": "Shipment tracking API returning 502 errors",
    "description": "Every tracking call fails since 06:10 UTC.",
    "urgency": "1",
    "impact": "1",
    "company": "Northwind Logistics",
    "caller_id": "Leila Takahashi",
    "correlation_id": "18789",
}


@pytest.fixture
def instance(tmp_path: Path) -> ServiceNowSandbox:
    return ServiceNowSandbox(sandbox_dir=tmp_path, tenant_id="tenant-a")


def incidents() -> list[dict]:
    return json.loads((DATA / "servicenow_incidents.json").read_text(encoding="utf-8"))["incidents"]


# --- the bundled data --------------------------------------------------------------------------


def test_the_data_file_is_what_the_generator_writes() -> None:
    assert generate_servicenow_data.main(["--check"]) == 0


def test_bundled_incidents_belong_to_crm_accounts_and_are_called_in_by_their_contacts() -> None:
    deals = json.loads((DATA / "salesforce_opportunities.json").read_text(encoding="utf-8"))["opportunities"]
    contacts = {(deal["account_name"], deal["contact_name"]) for deal in deals}
    assert all((incident["company"], incident["caller_id"]) in contacts for incident in incidents())


def test_bundled_incidents_look_like_servicenows() -> None:
    records = incidents()
    assert all(re.fullmatch(r"[0-9a-f]{32}", record["sys_id"]) for record in records)
    numbers = [record["number"] for record in records]
    # Numbered in opening order, all below where created incidents start
    assert numbers == sorted(numbers) and numbers[-1] < "INC0010001"
    assert {record["state"] for record in records} >= {"1", "2", "6", "7"}


def test_dates_move_with_today(tmp_path: Path) -> None:
    instance = ServiceNowSandbox(sandbox_dir=tmp_path, today=date(2031, 3, 10))
    opened = [record["opened_at"] for record in instance.records("incident")]
    assert max(opened) < "2031-03-10 00:00:00" and max(opened) > "2031-02-20"


# --- creating ----------------------------------------------------------------------------------


def test_created_incidents_are_numbered_on_from_inc0010001(
    instance: ServiceNowSandbox, tmp_path: Path
) -> None:
    # When two incidents are created
    first = instance.create_record("incident", ESCALATION)
    second = instance.create_record("incident", {**ESCALATION, "short_description": "Second"})
    # Then they are INC0010001 and INC0010002, with 32-hex sys_ids and a link to the form
    assert (first.number, second.number) == ("INC0010001", "INC0010002")
    assert re.fullmatch(r"[0-9a-f]{32}", first.sys_id) and first.sys_id != second.sys_id
    assert first.url == (
        f"https://agentflow-sandbox.service-now.com/nav_to.do?uri=incident.do?sys_id={first.sys_id}"
    )
    # And both are lines of {sandbox_dir}/servicenow/incident.jsonl
    lines = (tmp_path / "servicenow" / "incident.jsonl").read_text().splitlines()
    assert [json.loads(line)["record"]["number"] for line in lines] == ["INC0010001", "INC0010002"]


def test_a_created_incident_gets_servicenows_defaults_in_display_values(instance: ServiceNowSandbox) -> None:
    record = instance.create_record(
        "incident", {**ESCALATION, "urgency": "1", "impact": "2", "priority": "5"}
    )
    # Priority comes from the urgency/impact lookup, whatever was sent; choices show their labels
    assert (record.state, record.priority, record.urgency, record.impact) == (
        "New",
        "2 - High",
        "1 - High",
        "2 - Medium",
    )
    assert record.company == "Northwind Logistics" and record.caller_id == "Leila Takahashi"
    assert record.opened_at and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", record.opened_at)


def test_system_fields_cannot_be_set(instance: ServiceNowSandbox) -> None:
    record = instance.create_record("incident", {**ESCALATION, "sys_id": "f" * 32})
    assert record.sys_id != "f" * 32


@pytest.mark.parametrize(("table", "number"), [("problem", "PRB0010001"), ("u_escalation", None)])
def test_other_tables_number_by_their_prefix_or_not_at_all(
    instance: ServiceNowSandbox, table: str, number: str | None
) -> None:
    assert instance.create_record(table, {"short_description": "x"}).number == number


def test_a_table_name_that_is_not_one_is_refused_before_anything_is_written(
    instance: ServiceNowSandbox, tmp_path: Path
) -> None:
    with pytest.raises(ConnectorError, match="not a ServiceNow table name"):
        instance.create_record("../incident", ESCALATION)
    assert not (tmp_path / "servicenow").exists()


# --- querying ----------------------------------------------------------------------------------


def test_a_query_sees_bundled_and_created_incidents_of_the_company(instance: ServiceNowSandbox) -> None:
    created = instance.create_record("incident", ESCALATION)
    found = instance.query_records("incident", "active=true^company.name=Northwind Logistics")
    assert created.sys_id in {record.sys_id for record in found}
    assert any(record.number and record.number < "INC0010001" for record in found)
    assert all(record.company == "Northwind Logistics" for record in found)


def test_other_tenants_do_not_see_created_records(tmp_path: Path) -> None:
    ServiceNowSandbox(sandbox_dir=tmp_path, tenant_id="tenant-a").create_record("problem", ESCALATION)
    assert ServiceNowSandbox(sandbox_dir=tmp_path, tenant_id="tenant-b").query_records("problem", "") == []


def test_numeric_comparisons_and_ordering(instance: ServiceNowSandbox) -> None:
    found = instance.query_records("incident", "priority<=2^ORDERBYpriority^ORDERBYDESCnumber", limit=100)
    priorities = [record.priority for record in found]
    assert found and set(priorities) <= {"1 - Critical", "2 - High"}
    assert priorities == sorted(priorities)


def test_or_and_new_query_groups(instance: ServiceNowSandbox) -> None:
    either = instance.query_records("incident", "state=1^ORstate=2", limit=100)
    assert either and {record.state for record in either} <= {"New", "In Progress"}
    groups = instance.query_records("incident", "state=1^NQstate=2", limit=100)
    assert {record.sys_id for record in groups} == {record.sys_id for record in either}


@pytest.mark.parametrize(
    ("query", "check"),
    [
        ("short_descriptionLIKEbacklog", lambda r: "backlog" in r.short_description.lower()),
        ("categoryINnetwork,database", lambda r: r.category in ("network", "database")),
        ("short_descriptionSTARTSWITHslow", lambda r: r.short_description.startswith("Slow")),
        ("state!=7^state!=8", lambda r: r.state not in ("Closed", "Canceled")),
    ],
)
def test_string_and_list_operators(instance: ServiceNowSandbox, query: str, check) -> None:  # type: ignore[no-untyped-def]
    found = instance.query_records("incident", query, limit=100)
    assert found and all(check(record) for record in found)


def test_the_limit_caps_results(instance: ServiceNowSandbox) -> None:
    assert len(instance.query_records("incident", "", limit=3)) == 3


def test_scripted_values_are_refused_not_ignored(instance: ServiceNowSandbox) -> None:
    with pytest.raises(ConnectorError, match="javascript"):
        instance.query_records("incident", "opened_at>=javascript:gs.daysAgoStart(7)")


def test_dot_walks_beyond_a_name_are_refused(instance: ServiceNowSandbox) -> None:
    with pytest.raises(ConnectorError, match="dot-walks only"):
        instance.query_records("incident", "caller_id.email=leila@example.com")


def test_the_query_builder_joins_conditions_and_orders() -> None:
    query = build_encoded_query(["priority<=2", "", "active=true"], order_by="-opened_at")
    assert query == "priority<=2^active=true^ORDERBYDESCopened_at"
    assert parse_encoded_query(query).order == (("opened_at", True),)


def test_table_names_are_checked() -> None:
    assert check_table("sc_req_item") == "sc_req_item"
    with pytest.raises(ConnectorError):
        check_table("incident?sysparm_query=x")


def test_every_call_waits_the_sandbox_latency(tmp_path: Path) -> None:
    instance = ServiceNowSandbox(sandbox_dir=tmp_path, latency_ms=40)
    started = time.perf_counter()
    instance.query_records("incident", "", limit=1)
    assert time.perf_counter() - started >= 0.04


def test_the_factory_opens_the_sandbox_in_sandbox_mode(tmp_path: Path) -> None:
    settings = Settings.model_validate({"CONNECTOR_MODE": "sandbox", "SANDBOX_DIR": str(tmp_path)})
    instance = ConnectorFactory(settings, "tenant-a").open("servicenow")
    assert isinstance(instance, ServiceNowSandbox) and instance.tenant_id == "tenant-a"
