"""The live Slack and Jira clients' requests against the vendors' published API descriptions.

Sources (specs/README.md): slackapi/slack-api-specs (Swagger 2.0 of the Web API) and Atlassian's
Jira Cloud platform OpenAPI v3. Slack's published description predates message metadata; the
parameters documented since are named with their reference pages.
"""

from __future__ import annotations

import json

import httpx

from agentflow.connectors.http import VendorHttpClient
from agentflow.connectors.jira import IssueDraft, JiraClient, adf_doc, adf_paragraph, adf_text
from agentflow.connectors.slack import SlackClient
from tests.conformance.vendor_specs import OpenApiSpec, Recorder, problems_of

SLACK = OpenApiSpec(
    "slack.json",
    vendor="Slack",
    allowed={
        # https://docs.slack.dev/reference/methods/chat.postMessage#arg_metadata
        "POST /chat.postMessage": {"metadata"},
        # https://docs.slack.dev/reference/methods/conversations.history#arg_include_all_metadata
        "GET /conversations.history": {"include_all_metadata"},
        # https://docs.slack.dev/reference/methods/conversations.replies#arg_include_all_metadata
        "GET /conversations.replies": {"include_all_metadata"},
    },
)
JIRA = OpenApiSpec("jira.json", vendor="Jira")


def http(recorder: Recorder, vendor: str) -> VendorHttpClient:
    return VendorHttpClient(
        vendor, credentials_secret=None, allow_loopback=False, transport=recorder.transport()
    )


def slack_api(request: httpx.Request) -> httpx.Response:
    method = request.url.path.rsplit("/", 1)[-1]
    if method == "chat.postMessage":
        return httpx.Response(200, json={"ok": True, "channel": "C024BE91L", "ts": "1763000000.000100"})
    if method == "chat.getPermalink":
        return httpx.Response(
            200, json={"ok": True, "permalink": "https://acme.slack.com/archives/C024BE91L/p1"}
        )
    return httpx.Response(200, json={"ok": True, "messages": [], "has_more": False})


def test_slack_posts_threads_permalinks_and_lookups_conform() -> None:
    recorder = Recorder(slack_api)
    slack = SlackClient(bot_token="xoxb-test", http=http(recorder, "slack"))
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*Q4 deals*"}}]
    posted = slack.post_message("#sales-alerts", "Q4 deals", blocks=blocks, write_key="agentflow-k1")
    slack.post_message("C024BE91L", "Reply", thread_ts=posted.ts, write_key="agentflow-k2")
    slack.permalink(posted.channel, posted.ts)
    slack.find_posted("C024BE91L", "agentflow-k1")
    slack.find_posted("C024BE91L", "agentflow-k2", thread_ts=posted.ts)
    assert problems_of(SLACK, recorder.requests) == {}
    assert [r.url.path for r in recorder.requests] == [
        "/api/chat.postMessage", "/api/chat.postMessage", "/api/chat.getPermalink",
        "/api/conversations.history", "/api/conversations.replies",
    ]  # fmt: skip


def test_an_undeclared_slack_argument_is_caught() -> None:
    body = {"channel": "C1", "text": "x", "colour": "red"}
    request = httpx.Request(
        "POST", "https://slack.com/api/chat.postMessage", json=body, headers={"Authorization": "Bearer xoxb"}
    )
    assert SLACK.check(request) == ["body field 'colour' is not a declared parameter"]


def jira_api(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/rest/api/3/issue/bulk":
        count = len(json.loads(request.content)["issueUpdates"])
        issues = [{"id": str(10000 + n), "key": f"SUP-{n + 1}", "self": "https://x"} for n in range(count)]
        return httpx.Response(201, json={"issues": issues, "errors": []})
    return httpx.Response(200, json={"issues": [], "isLast": True})


def test_jira_bulk_create_and_enhanced_search_conform() -> None:
    recorder = Recorder(jira_api)
    jira = JiraClient(
        base_url="https://acme.atlassian.net",
        email="bot@acme.example",
        api_token="t",
        http=http(recorder, "jira"),
    )
    description = adf_doc(
        adf_paragraph(adf_text("Customer ", strong=True), adf_text("link", link="https://x"))
    )
    drafts = [
        IssueDraft(
            project_key="SUP", summary="Follow up", description=description, labels=["q4", "agentflow-k"]
        ),
        IssueDraft(project_key="SUP", issue_type="Bug", summary="Broken", priority="High"),
    ]
    assert len(jira.create_issues(drafts)) == 2
    jira.search('labels in ("agentflow-k") ORDER BY created ASC', max_results=10)
    assert problems_of(JIRA, recorder.requests) == {}
    assert {r.url.path for r in recorder.requests} == {"/rest/api/3/issue/bulk", "/rest/api/3/search/jql"}


def test_a_jira_body_off_the_schema_is_caught() -> None:
    request = httpx.Request("POST", "https://acme.atlassian.net/rest/api/3/search/jql", json={"jql": 7})
    assert any("is not of type 'string'" in problem for problem in JIRA.check(request))
