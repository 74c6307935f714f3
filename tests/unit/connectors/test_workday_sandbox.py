"""The Workday sandbox tenant: coherent with the CRM, dated relative to today, filtered like the API."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

import pytest
from tools import generate_workday_data

from agentflow.connectors.factory import ConnectorFactory
from agentflow.errors import ConnectorError
from agentflow.settings import Settings
from agentflow_sandbox.salesforce import SalesforceSandbox
from agentflow_sandbox.workday import WorkdaySandbox

TODAY = date(2031, 6, 18)  # any day works: the data is dated relative to it


@pytest.fixture
def workday() -> WorkdaySandbox:
    return WorkdaySandbox(today=TODAY)


def test_the_bundled_files_are_what_the_generator_writes() -> None:
    # Given the generator's output for the committed seed
    # When it is compared with the bundled files
    # Then they are identical (the data can be regenerated, and nobody edited it by hand)
    for path, text in generate_workday_data.render().items():
        assert path.read_text(encoding="utf-8") == text, f"run python tools/generate_workday_data.py ({path})"


def test_every_crm_deal_owner_is_a_sales_worker_with_the_same_email(workday: WorkdaySandbox) -> None:
    # Given the CRM sandbox's deal owners
    owners = {(deal.owner_name, deal.owner_email) for deal in SalesforceSandbox().opportunities()}
    # When each is looked up in Workday by e-mail
    workers = [workday.find_worker_by_email(email) for _name, email in owners]
    # Then each is a worker of the Sales organization with the same name, managed by someone
    assert len(owners) == 12
    for (name, _email), worker in zip(owners, workers, strict=True):
        assert worker is not None
        assert worker.name == name
        assert worker.organization == "Sales"
        assert worker.manager and worker.manager_email


def test_the_tenant_has_about_120_workers_in_six_organizations(workday: WorkdaySandbox) -> None:
    # When every worker and organization is listed
    workers = workday.find_workers(limit=1000)
    organizations = workday.organizations()
    # Then the sizes are those of a mid-size company, across the documented organizations
    assert 110 <= len(workers) <= 140
    assert {org.name for org in organizations} == {
        "Executive Office",
        "Sales",
        "Customer Success",
        "Engineering",
        "Finance",
        "People",
    }
    assert {worker.organization for worker in workers} == {org.name for org in organizations}


def test_emails_are_unique_and_on_reserved_example_domains(workday: WorkdaySandbox) -> None:
    emails = [worker.email or "" for worker in workday.find_workers(limit=1000)]
    assert len(set(emails)) == len(emails)
    assert all(email.endswith((".example.com", ".example")) for email in emails)


def test_everyone_but_the_ceo_has_a_manager_who_is_a_worker(workday: WorkdaySandbox) -> None:
    # Given every worker
    workers = workday.find_workers(limit=1000)
    emails = {worker.email for worker in workers}
    # Then exactly one worker (the CEO) has no manager, and every manager is a worker
    assert [worker.title for worker in workers if worker.manager is None] == ["Chief Executive Officer"]
    assert all(worker.manager_email in emails for worker in workers if worker.manager)


def test_hires_of_the_next_30_days_are_exactly_the_eight_upcoming_ones(workday: WorkdaySandbox) -> None:
    # When the onboarding window (today .. today + 30) is queried
    hires = workday.find_new_hires(TODAY, TODAY + timedelta(days=30))
    # Then the eight upcoming hires come, by hire date, with the window's last day included
    assert len(hires) == 8
    assert [hire.hire_date for hire in hires] == sorted(hire.hire_date for hire in hires)  # type: ignore[type-var]
    assert hires[-1].hire_date == TODAY + timedelta(days=30)
    assert all(hire.start_date == hire.hire_date for hire in hires)


def test_hires_of_the_last_30_days_include_the_window_start(workday: WorkdaySandbox) -> None:
    hires = workday.find_new_hires(TODAY - timedelta(days=30), TODAY - timedelta(days=1))
    assert len(hires) == 6
    assert hires[0].hire_date == TODAY - timedelta(days=30)


def test_near_miss_hires_exist_just_outside_both_windows(workday: WorkdaySandbox) -> None:
    # Given the hires between 31 and 45 days away, on either side of today
    later = workday.find_new_hires(TODAY + timedelta(days=31), TODAY + timedelta(days=45))
    earlier = workday.find_new_hires(TODAY - timedelta(days=45), TODAY - timedelta(days=31))
    # Then there are some: a window off by a few days would pick them up
    assert later and earlier


def test_dates_move_with_today(workday: WorkdaySandbox) -> None:
    # Given the same tenant seen a year later
    later = WorkdaySandbox(today=TODAY + timedelta(days=365))
    # When the same relative window is queried
    now_hires = workday.find_new_hires(TODAY, TODAY + timedelta(days=30))
    later_hires = later.find_new_hires(TODAY + timedelta(days=365), TODAY + timedelta(days=395))
    # Then the same people come, a year later
    assert [hire.id for hire in later_hires] == [hire.id for hire in now_hires]


def test_new_hires_can_be_limited_to_one_organization(workday: WorkdaySandbox) -> None:
    hires = workday.find_new_hires(TODAY, TODAY + timedelta(days=30), organization="sales")
    assert hires and {hire.organization for hire in hires} == {"Sales"}


@pytest.mark.parametrize("wanted", ["Sales", "SALES", "SUP-SALES"])
def test_an_organization_matches_by_name_or_code_case_insensitively(
    workday: WorkdaySandbox, wanted: str
) -> None:
    workers = workday.find_workers(organization=wanted, limit=1000)
    assert len(workers) > 12
    assert {worker.organization for worker in workers} == {"Sales"}


def test_an_unknown_organization_names_the_known_ones(workday: WorkdaySandbox) -> None:
    with pytest.raises(ConnectorError) as raised:
        workday.find_workers(organization="Marketing")
    assert "'Marketing'" in raised.value.message
    assert "Customer Success" in raised.value.message


def test_search_is_a_case_insensitive_or_over_terms_like_workday(workday: WorkdaySandbox) -> None:
    # When two names are searched at once
    found = {worker.name for worker in workday.find_workers(search="maria OKAFOR")}
    # Then workers matching either term come back
    assert {"Maria Chen", "James Okafor"} <= found
    assert all("maria" in name.lower() or "okafor" in name.lower() for name in found)


def test_email_lookup_ignores_case_and_misses_return_none(workday: WorkdaySandbox) -> None:
    assert workday.find_worker_by_email("Maria.Chen@Sales.Example.com") is not None
    assert workday.find_worker_by_email("nobody@people.example.com") is None


def test_time_off_is_limited_to_the_workers_and_the_inclusive_window(workday: WorkdaySandbox) -> None:
    # Given two sales reps and the next three weeks
    reps = [
        workday.find_worker_by_email(e)
        for e in ("maria.chen@sales.example.com", "priya.raman@sales.example.com")
    ]
    start, end = TODAY, TODAY + timedelta(days=21)
    # When their time off is read
    entries = workday.time_off([rep for rep in reps if rep], start, end)
    # Then only their entries within the window come, by date, on weekdays
    assert {entry.worker_name for entry in entries} == {"Maria Chen", "Priya Raman"}
    assert all(start <= entry.date <= end for entry in entries)
    assert [entry.date for entry in entries] == sorted(entry.date for entry in entries)
    assert all(entry.date.weekday() < 5 for entry in entries)
    assert any(entry.type == "Vacation" for entry in entries)


def test_nobody_takes_time_off_before_being_hired() -> None:
    workers, time_off = generate_workday_data.generate()
    hired = {worker["id"]: worker["hire_date"] for worker in workers["workers"]}
    assert all(entry["date"] >= hired[entry["worker_id"]] for entry in time_off["time_off"])


def test_every_call_waits_the_sandbox_latency() -> None:
    # Given a sandbox emulating a 50 ms round trip
    workday = WorkdaySandbox(latency_ms=50, today=TODAY)
    # When a worker is looked up
    started = time.perf_counter()
    workday.find_worker_by_email("maria.chen@sales.example.com")
    # Then the call took at least that long
    assert time.perf_counter() - started >= 0.05


def test_the_factory_opens_the_sandbox_with_the_settings_latency(tmp_path) -> None:
    settings = Settings.model_validate(
        {"CONNECTOR_MODE": "sandbox", "SANDBOX_DIR": str(tmp_path), "SANDBOX_LATENCY_MS": "7"}
    )
    connector = ConnectorFactory(settings, "t").open("workday")
    assert isinstance(connector, WorkdaySandbox)
    assert connector.latency_ms == 7


def test_records_serialize_to_json(workday: WorkdaySandbox) -> None:
    [hire] = workday.find_new_hires(TODAY + timedelta(days=3), TODAY + timedelta(days=3))
    record = json.loads(hire.model_dump_json())
    assert record["hire_date"] == (TODAY + timedelta(days=3)).isoformat()
    assert record["organization"] == "Sales"
