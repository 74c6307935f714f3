"""The Jira agent on its sandbox, fed real upstream outputs (CRM deals) and worker records."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from agentflow.agents.base import AgentContext
from agentflow.agents.jira import JiraAgent, JiraConfig, render_template
from agentflow.connectors.jira import IssueDraft, IssueOutcome
from agentflow.errors import AgentError, ConnectorError, TransientAgentError
from agentflow_sandbox.jira import JiraSandbox
from tests.unit.agent_support import RecordingLog, reference_deals, sandbox_context

WORKERS = {
    "workers": [
        {
            "name": "Ava Brightwater",
            "title": "Account Executive",
            "start_date": "2026-12-01",
            "manager": "Maria Chen",
        },
        {
            "name": "Kofi Mensah",
            "title": "Solutions Engineer",
            "start_date": "2026-12-07",
            "manager": "Tom Whitaker",
        },
    ]
}


@pytest.fixture
def ctx(tmp_path: Path) -> AgentContext:
    return sandbox_context(tmp_path, node_id="tickets")


def logged_issues(tmp_path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (tmp_path / "jira" / "issues.jsonl").read_text().splitlines()]


def log_lines(ctx: AgentContext, level: str) -> list[str]:
    assert isinstance(ctx.log, RecordingLog)
    return [message for logged_level, message in ctx.log.lines if logged_level == level]


def test_one_issue_per_deal_with_templated_summaries(ctx: AgentContext, tmp_path: Path) -> None:
    # Given the sales agent's 20 reference deals
    deals = reference_deals(ctx)
    config = JiraConfig(
        project_key="SALES",
        summary_template="Close plan: {account_name} (${amount:,.0f}, owner {owner_name})",
        labels=["q4-close"],
        priority="High",
    )
    # When the Jira agent creates issues from them
    output = JiraAgent().run(config, deals, ctx)
    # Then 20 issues continue SALES after the bundled SALES-64, each summarising its deal
    assert output.created == 20 and [issue.key for issue in output.issues][:2] == ["SALES-65", "SALES-66"]
    first = deals["deals"][0]
    assert output.issues[0].summary == (
        f"Close plan: {first['account_name']} (${first['amount']:,.0f}, owner {first['owner_name']})"
    )
    assert output.issues[0].url == "https://agentflow-sandbox.atlassian.net/browse/SALES-65"
    # (in Jira each issue also carries its write key, the label a retry looks for)
    assert {issue["labels"][0] for issue in logged_issues(tmp_path)} == {"q4-close"}
    assert all(issue["labels"][1].startswith("agentflow-") for issue in logged_issues(tmp_path))


def test_the_description_is_adf_listing_the_records_fields(ctx: AgentContext, tmp_path: Path) -> None:
    deals = reference_deals(ctx)
    JiraAgent().run(JiraConfig(project_key="SALES", max_issues=1), deals, ctx)
    [issue] = logged_issues(tmp_path)
    document = issue["description_adf"]
    assert document["type"] == "doc" and document["version"] == 1
    bullets = document["content"][0]
    assert bullets["type"] == "bulletList"
    first_item = bullets["content"][0]["content"][0]["content"]
    assert first_item[0] == {"type": "text", "text": "id: ", "marks": [{"type": "strong"}]}
    assert f"owner_email: {deals['deals'][0]['owner_email']}" in issue["description"]
    assert "workflow wf_1, execution exec_1" in issue["description"]


def test_workers_become_onboarding_issues_that_search_finds(ctx: AgentContext) -> None:
    # Given two new hires and a template naming them
    config = JiraConfig(
        project_key="ONB",
        summary_template="Onboard {name} — {title}",
        description_template="Starts {start_date}; manager {manager}.",
        labels=["new-hire"],
    )
    # When the agent creates their issues, and a search runs afterwards
    created = JiraAgent().run(config, WORKERS, ctx)
    search = JiraConfig(mode="search", jql='project = ONB AND labels = new-hire AND text ~ "Brightwater"')
    found = JiraAgent().run(search, None, ctx)
    # Then the keys follow the bundled ONB-142, and the search sees the new issue
    assert [issue.key for issue in created.issues] == ["ONB-143", "ONB-144"]
    assert created.issues[0].summary == "Onboard Ava Brightwater — Account Executive"
    assert [(issue.key, issue.status) for issue in found.issues] == [("ONB-143", "To Do")]


def test_one_summary_issue_lists_every_record(ctx: AgentContext, tmp_path: Path) -> None:
    deals = reference_deals(ctx)
    output = JiraAgent().run(JiraConfig(project_key="SALES", one_per_item=False), deals, ctx)
    [issue] = logged_issues(tmp_path)
    total = sum(deal["amount"] for deal in deals["deals"])
    assert output.created == 1 and issue["summary"] == f"20 deals worth ${total:,.0f} in total"
    bullets = next(block for block in issue["description_adf"]["content"] if block["type"] == "bulletList")
    assert len(bullets["content"]) == 20


def test_max_issues_skips_the_rest_with_a_warning(ctx: AgentContext) -> None:
    output = JiraAgent().run(JiraConfig(project_key="SALES", max_issues=3), reference_deals(ctx), ctx)
    assert output.created == 3 and output.skipped_items == 17
    assert any("max_issues=3 leaves 17" in line for line in log_lines(ctx, "WARN"))
    assert log_lines(ctx, "INFO")[-1] == "Created 3 Jira issue(s) in SALES from 20 deals"
    assert ctx.usage.tokens == 0


def test_records_whose_summary_is_empty_are_skipped(ctx: AgentContext) -> None:
    records = {"workers": [{"name": "Ava", "title": "AE", "start_date": "2026-12-01"}, {"title": "no name"}]}
    output = JiraAgent().run(JiraConfig(project_key="ONB", summary_template="{name}"), records, ctx)
    assert [issue.summary for issue in output.issues] == ["Ava"]
    assert any("Skipped record 1" in line for line in log_lines(ctx, "WARN"))


def test_no_records_upstream_creates_nothing_and_warns(ctx: AgentContext, tmp_path: Path) -> None:
    output = JiraAgent().run(JiraConfig(project_key="SALES"), {"deals": [], "count": 0}, ctx)
    assert output.created == 0 and not (tmp_path / "jira" / "issues.jsonl").exists()
    assert log_lines(ctx, "WARN") == ["No deals upstream: no Jira issues created"]


def test_issues_jira_refuses_all_fail_the_run(ctx: AgentContext) -> None:
    config = JiraConfig(project_key="NOPE")
    with pytest.raises(ConnectorError, match="valid project is required"):
        JiraAgent().run(config, WORKERS, ctx)


def new_hires(count: int) -> dict[str, Any]:
    return {
        "workers": [
            {"id": f"W{n:04}", "name": f"Hire {n}", "title": "Engineer", "start_date": "2026-12-01"}
            for n in range(count)
        ]
    }


def first_attempt_fails(tmp_path: Path, config: JiraConfig, data: dict[str, Any]) -> AgentContext:
    """Run the agent until it fails transiently; a retry's context holding the progress it saved."""
    first = sandbox_context(tmp_path, node_id="tickets")
    saved: list[str] = []
    first.progress_saver = lambda progress: saved.append(json.dumps(progress))
    with pytest.raises(TransientAgentError):
        JiraAgent().run(config, data, first)
    retry = sandbox_context(tmp_path, node_id="tickets")
    retry.progress = json.loads(saved[-1])
    return retry


def test_a_retried_run_creates_only_the_missing_issues(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a Jira that answers 429 to the second bulk request of the first attempt
    real = JiraSandbox.create_issues
    calls: list[int] = []

    def busy(self: JiraSandbox, drafts: list[IssueDraft]) -> list[IssueOutcome]:
        calls.append(len(drafts))
        if len(calls) == 2:
            raise TransientAgentError("jira answered HTTP 429; try again")
        return real(self, drafts)

    monkeypatch.setattr(JiraSandbox, "create_issues", busy)
    config = JiraConfig(project_key="ONB", summary_template="Onboard {name}", max_issues=120)
    retry = first_attempt_fails(tmp_path, config, new_hires(120))
    assert len(logged_issues(tmp_path)) == 50
    # When the step is retried with the progress the first attempt saved
    output = JiraAgent().run(config, new_hires(120), retry)
    # Then the first batch is not created again: 120 issues in all, one per new hire
    assert calls == [50, 50, 50, 20]
    summaries = [issue["summary"] for issue in logged_issues(tmp_path)]
    assert len(summaries) == len(set(summaries)) == output.created == 120
    assert "50 issues were created by an earlier attempt" in log_lines(retry, "INFO")[0]
    # And the output is the one a single attempt returns
    single = JiraAgent().run(config, new_hires(120), sandbox_context(tmp_path / "single"))
    assert output == single


def test_a_retry_creates_what_a_partly_failed_batch_did_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a bulk request where Jira creates 45 issues and fails 5 with 503, then a 429
    real = JiraSandbox.create_issues
    calls: list[int] = []

    def partly(self: JiraSandbox, drafts: list[IssueDraft]) -> list[IssueOutcome]:
        calls.append(len(drafts))
        if len(calls) == 1:
            return real(self, drafts[:45]) + [IssueOutcome(error="HTTP 503")] * (len(drafts) - 45)
        if len(calls) == 2:
            raise TransientAgentError("jira answered HTTP 429; try again")
        return real(self, drafts)

    monkeypatch.setattr(JiraSandbox, "create_issues", partly)
    config = JiraConfig(project_key="ONB", summary_template="Onboard {name}", max_issues=60)
    retry = first_attempt_fails(tmp_path, config, new_hires(60))
    # When the step is retried
    output = JiraAgent().run(config, new_hires(60), retry)
    # Then it creates the 5 the vendor failed and the 10 it never sent, and nothing twice
    assert calls == [50, 10, 15]
    assert output.created == 60 and output.failed == []
    summaries = [issue["summary"] for issue in logged_issues(tmp_path)]
    assert sorted(summaries) == sorted(f"Onboard Hire {n}" for n in range(60))
    assert [issue.summary for issue in output.issues] == [f"Onboard Hire {n}" for n in range(60)]


def test_search_returns_issues_with_urls(ctx: AgentContext) -> None:
    config = JiraConfig(
        mode="search", jql="project = SUP AND statusCategory != Done ORDER BY priority", max_results=5
    )
    output = JiraAgent().run(config, None, ctx)
    assert output.mode == "search" and output.created == 0 and len(output.issues) == 5
    assert all(
        issue.url.endswith(f"/browse/{issue.key}") and issue.key.startswith("SUP-") for issue in output.issues
    )
    assert output.issues[0].priority == "Highest"


def test_search_errors_say_what_jira_says(ctx: AgentContext) -> None:
    with pytest.raises(ConnectorError, match="Field 'team' does not exist"):
        JiraAgent().run(JiraConfig(mode="search", jql="team = Sales"), None, ctx)


def test_create_without_records_fails_clearly(ctx: AgentContext) -> None:
    with pytest.raises(AgentError, match="list of records"):
        JiraAgent().run(JiraConfig(project_key="ONB"), {"note": "nothing"}, ctx)


def test_templates_leave_missing_fields_empty_and_tolerate_mismatched_specs() -> None:
    assert render_template("{name} {missing}|{name:,.0f}|{amount:,.0f}", {"name": "Ava", "amount": 1500}) == (
        "Ava |Ava|1,500"
    )


@pytest.mark.parametrize(
    "template", ["{deal.__class__}", "{deal[0]}", "{0}", "{}", "{name:>99999}", "{name", "{name:{width}}"]
)
def test_templates_reaching_past_plain_fields_are_refused(template: str) -> None:
    with pytest.raises(ValidationError):
        JiraConfig(project_key="ONB", summary_template=template)


@pytest.mark.parametrize(
    "bad",
    [
        {"mode": "create"},
        {"mode": "search"},
        {"project_key": "onb"},
        {"project_key": "ONB", "labels": ["two words"]},
        {"project_key": "ONB", "max_issues": 201},
    ],
)
def test_config_limits(bad: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        JiraConfig.model_validate(bad)
