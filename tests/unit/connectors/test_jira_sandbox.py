"""The Jira sandbox: bundled issues coherent with the CRM, its JQL, created issues (no sockets)."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from tools import generate_jira_data

from agentflow.connectors.factory import ConnectorFactory
from agentflow.connectors.jira import IssueDraft, adf_doc, adf_paragraph, adf_plain_text, adf_text
from agentflow.errors import ConnectorError
from agentflow.settings import Settings
from agentflow_sandbox.jira import JiraSandbox
from agentflow_sandbox.salesforce import SalesforceSandbox

NOW = datetime(2027, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def jira(tmp_path: Path) -> JiraSandbox:
    return JiraSandbox(sandbox_dir=tmp_path, tenant_id="t", now=lambda: NOW)


def slug(name: str) -> str:
    return generate_jira_data.slug(name)


def draft(
    project: str = "ONB", summary: str = "Onboard Jane Doe — Account Executive", **extra: object
) -> IssueDraft:
    return IssueDraft(project_key=project, summary=summary, **extra)  # type: ignore[arg-type]


# --- bundled data ------------------------------------------------------------------------------


def test_the_bundled_file_is_what_the_generator_writes() -> None:
    assert generate_jira_data.main(["--check"]) == 0


def test_sales_and_support_issues_name_crm_accounts_and_people(jira: JiraSandbox) -> None:
    # Given the CRM sandbox's accounts, owners and contacts
    deals = SalesforceSandbox().opportunities()
    accounts = {slug(deal.account_name) for deal in deals}
    owners = {deal.owner_email for deal in deals}
    contacts = {deal.contact_email for deal in deals}
    # When the bundled SALES and SUP issues are read
    issues = [issue for issue in jira.issues() if issue["project"] in ("SALES", "SUP")]
    # Then each carries a CRM account's label, and its people come from the CRM
    assert len(issues) == 64 + 118
    for issue in issues:
        assert accounts.intersection(issue["labels"]), issue["key"]
        if issue["project"] == "SALES":
            assert issue["assignee"]["email"] in owners
        else:
            assert issue["reporter"]["email"] in contacts


def test_every_reference_deal_has_sales_work(jira: JiraSandbox) -> None:
    # Given the reference deals: Negotiation, at least 100,000, closing in Q4 of this year
    q4 = (date(NOW.year, 10, 1), date(NOW.year, 12, 31))
    reference = [
        deal
        for deal in SalesforceSandbox(today=NOW.date()).opportunities()
        if deal.stage.startswith("Negotiation")
        and deal.amount >= 100_000
        and q4[0] <= deal.close_date <= q4[1]
    ]
    # When SALES is searched for each deal's account label
    # Then each of the 20 has at least its two bundled tasks
    assert len(reference) == 20
    for deal in reference:
        found = jira.search(f'project = SALES AND labels = "{slug(deal.account_name)}"', max_results=10)
        assert len(found) >= 2, deal.account_name


def test_dates_move_so_the_newest_issue_is_from_yesterday(jira: JiraSandbox) -> None:
    created = [datetime.strptime(issue["created"], "%Y-%m-%dT%H:%M:%S.%f%z") for issue in jira.issues()]
    assert max(created) < NOW and max(created).date() == NOW.date() - timedelta(days=1)
    assert len(jira.search("created >= -7d", max_results=1000)) > 0


# --- JQL ---------------------------------------------------------------------------------------


def test_text_search_finds_an_accounts_issues(jira: JiraSandbox) -> None:
    found = jira.search('project = SUP AND text ~ "Crestline"', max_results=50)
    assert found and all(issue.summary.startswith("Crestline Communications:") for issue in found)


def test_in_and_order_by_priority(jira: JiraSandbox) -> None:
    found = jira.search(
        "project = SUP AND priority IN (Highest, High) AND statusCategory != Done ORDER BY priority, key",
        max_results=200,
    )
    priorities = [issue.priority for issue in found]
    assert set(priorities) == {"Highest", "High"}
    assert priorities == sorted(priorities, key=["Highest", "High"].index)
    assert all(issue.status != "Done" for issue in found)


def test_not_with_parentheses(jira: JiraSandbox) -> None:
    found = jira.search('project = SALES AND NOT (status = Done OR status = "In Review")', max_results=200)
    assert found and {issue.status for issue in found} <= {"To Do", "In Progress"}


def test_is_empty_and_not_equal_skip_each_other(jira: JiraSandbox) -> None:
    unassigned = jira.search("project = SUP AND assignee IS EMPTY", max_results=200)
    others = jira.search('project = SUP AND assignee != "Owen Gallagher"', max_results=200)
    owen = jira.search('project = SUP AND assignee = "Owen Gallagher"', max_results=200)
    assert unassigned and all(issue.assignee is None for issue in unassigned)
    # As in Jira, != never matches an empty field.
    assert len(unassigned) + len(others) + len(owen) == len(jira.search("project = SUP", max_results=200))


def test_due_dates_compare_with_date_functions(jira: JiraSandbox) -> None:
    found = jira.search(
        "project = ONB AND labels = new-hire AND duedate >= startOfDay() ORDER BY duedate", max_results=200
    )
    dues = [issue["duedate"] for issue in jira.issues() if issue["key"] in {f.key for f in found}]
    assert found and min(dues) >= NOW.date().isoformat()


@pytest.mark.parametrize(
    ("jql", "message"),
    [
        ("foo = bar", "Field 'foo' does not exist"),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'"),
        (
            "project = SALES AND summary = Crestline",
            "The operator '=' is not supported by the 'summary' field",
        ),
        ("ORDER BY created DESC", "Unbounded JQL queries are not allowed"),
        ("project = SALES AND (status = Done", "expecting ')'"),
        ("created > yesterday", "Date value 'yesterday' is invalid"),
    ],
)
def test_bad_jql_fails_as_jira_does(jira: JiraSandbox, jql: str, message: str) -> None:
    with pytest.raises(ConnectorError, match=message.replace("(", r"\(").replace(")", r"\)")):
        jira.search(jql, max_results=10)


# --- created issues ----------------------------------------------------------------------------


def test_created_keys_continue_each_projects_numbering(jira: JiraSandbox, tmp_path: Path) -> None:
    # Given the bundled ONB-1..ONB-142 and SALES-1..SALES-64
    # When issues are created in both projects
    outcomes = jira.create_issues([draft(), draft("SALES", "Close plan"), draft(summary="Second hire")])
    # Then keys continue per project and the log holds them
    assert [outcome.issue.key for outcome in outcomes if outcome.issue] == ["ONB-143", "SALES-65", "ONB-144"]
    assert (
        outcomes[0].issue
        and outcomes[0].issue.url == "https://agentflow-sandbox.atlassian.net/browse/ONB-143"
    )
    logged = [json.loads(line) for line in (tmp_path / "jira" / "issues.jsonl").read_text().splitlines()]
    assert [record["key"] for record in logged] == ["ONB-143", "SALES-65", "ONB-144"]


def test_a_later_sandbox_continues_after_logged_issues(tmp_path: Path) -> None:
    JiraSandbox(sandbox_dir=tmp_path, tenant_id="t").create_issues([draft()])
    [outcome] = JiraSandbox(sandbox_dir=tmp_path, tenant_id="t").create_issues([draft()])
    assert outcome.issue and outcome.issue.key == "ONB-144"


def test_search_sees_created_issues_with_their_description(jira: JiraSandbox) -> None:
    description = adf_doc(adf_paragraph(adf_text("manager: ", strong=True), adf_text("Maria Chen")))
    jira.create_issues([draft(description=description, labels=["new-hire"], priority="High")])
    [found] = jira.search(
        'project = ONB AND description ~ "Maria" AND reporter = currentUser()', max_results=10
    )
    assert (found.key, found.status, found.priority, found.labels) == (
        "ONB-143",
        "To Do",
        "High",
        ["new-hire"],
    )


def test_refused_drafts_do_not_stop_the_others(jira: JiraSandbox) -> None:
    outcomes = jira.create_issues(
        [
            draft("NOPE"),
            draft(labels=["two words"]),
            draft(priority="Urgent"),
            draft(summary="x" * 256),
            draft(),
        ]
    )
    assert [outcome.error is None for outcome in outcomes] == [False, False, False, False, True]
    assert outcomes[0].error == "project: valid project is required"
    assert outcomes[4].issue and outcomes[4].issue.key == "ONB-143"


def test_tenants_do_not_see_each_others_issues(tmp_path: Path) -> None:
    JiraSandbox(sandbox_dir=tmp_path, tenant_id="a").create_issues([draft()])
    other = JiraSandbox(sandbox_dir=tmp_path, tenant_id="b")
    [outcome] = other.create_issues([draft()])
    assert outcome.issue and outcome.issue.key == "ONB-143"
    assert len(other.search("project = ONB AND reporter = currentUser()", max_results=10)) == 1


def test_concurrent_creators_never_share_a_key(tmp_path: Path) -> None:
    def create() -> None:
        JiraSandbox(sandbox_dir=tmp_path, tenant_id="t").create_issues([draft(), draft()])

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    keys = [record["key"] for record in JiraSandbox(sandbox_dir=tmp_path, tenant_id="t").created_issues()]
    assert sorted(keys, key=lambda key: int(key.split("-")[1])) == [f"ONB-{n}" for n in range(143, 159)]


def test_every_call_waits_the_sandbox_latency(tmp_path: Path) -> None:
    jira = JiraSandbox(sandbox_dir=tmp_path, tenant_id="t", latency_ms=40)
    started = time.perf_counter()
    jira.create_issues([draft()])
    jira.search("project = ONB", max_results=1)
    assert time.perf_counter() - started >= 0.08


def test_adf_plain_text_reads_paragraphs_and_lists() -> None:
    document = adf_doc(
        adf_paragraph(adf_text("Hello "), adf_text("world", strong=True)), adf_paragraph(adf_text("Bye"))
    )
    assert adf_plain_text(document) == "Hello world\nBye"


def test_the_factory_opens_the_sandbox_in_sandbox_mode(tmp_path: Path) -> None:
    settings = Settings.model_validate({"CONNECTOR_MODE": "sandbox", "SANDBOX_DIR": str(tmp_path)})
    jira = ConnectorFactory(settings, "tenant-a").open("jira")
    assert isinstance(jira, JiraSandbox) and jira.tenant_id == "tenant-a"
    assert jira.log_path == tmp_path / "jira" / "issues.jsonl"
