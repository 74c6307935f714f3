"""Agents with use_rag: which passages they cite and how the citations reach their output.

The agents get their passages through ``AgentContext.document_search``; here it is a small
in-memory index of passages scored by a fixed table, so each test states exactly what the
retrieval returned. The real search (embeddings, Chroma) is covered in tests/integration/rag.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from agentflow.agents.base import AgentContext
from agentflow.agents.email_outreach import EmailOutreachAgent, EmailOutreachConfig
from agentflow.agents.retrieval import quote_for
from agentflow.agents.sales_intelligence import SalesIntelligenceAgent, SalesIntelligenceConfig
from agentflow.errors import AgentError
from agentflow.models import Citation, SearchResult
from tests.unit.agent_support import reference_deals, sandbox_context


class Passages:
    """Search over fixed passages: each (filename, page, text, score) is returned for every query."""

    def __init__(self, *passages: tuple[str, int, str, float]) -> None:
        self.passages = passages
        self.queries: list[tuple[str, int, str | None]] = []

    def __call__(self, query: str, top_k: int, workflow_id: str | None) -> list[SearchResult]:
        self.queries.append((query, top_k, workflow_id))
        results = [
            SearchResult(document_id=f"doc_{name}", filename=name, page=page, excerpt=text, score=score)
            for name, page, text, score in self.passages
        ]
        return sorted(results, key=lambda r: -r.score)[:top_k]


@pytest.fixture
def ctx(tmp_path: Path) -> AgentContext:
    return sandbox_context(tmp_path)


def first_deal(ctx: AgentContext) -> dict[str, Any]:
    deals = reference_deals(ctx)
    return {"deals": deals["deals"][:1]}


def test_email_quotes_the_passage_naming_the_account_and_lists_sources(ctx: AgentContext) -> None:
    deals = first_deal(ctx)
    account = deals["deals"][0]["account_name"]
    ctx.document_search = Passages(
        ("pricing.txt", 1, "Discounts above 20% need VP approval. Multi-year terms get 5% more.", 0.62),
        (
            "notes.pdf",
            3,
            f"{account}: account plan. {account} wants single sign-on live before the contract is signed. "
            "Legal review is done.",
            0.55,
        ),
        ("notes.pdf", 3, f"Overlapping chunk of the same page about {account}.", 0.5),
    )
    output = EmailOutreachAgent().run(EmailOutreachConfig(use_rag=True, max_emails=1), deals, ctx)
    email = output.emails[0]
    assert [c.filename for c in email.citations] == ["notes.pdf", "pricing.txt"]  # naming the account first
    quote = f"{account} wants single sign-on live before the contract is signed."
    assert f"From our notes on {account}: \u201c{quote}\u201d [1]" in email.body  # not the heading
    assert email.body.endswith("Sources:\n[1] notes.pdf, page 3\n[2] pricing.txt, page 1")
    assert ctx.document_search.queries[0][0].startswith(account)  # type: ignore[attr-defined]


def test_passages_under_the_minimum_score_are_not_cited(ctx: AgentContext) -> None:
    ctx.document_search = Passages(("notes.pdf", 1, "Unrelated text about another company.", 0.1))
    output = EmailOutreachAgent().run(EmailOutreachConfig(use_rag=True, max_emails=1), first_deal(ctx), ctx)
    assert output.emails[0].citations == []
    assert "Sources:" not in output.emails[0].body
    assert any("No document passage" in line for _, line in ctx.log.lines)  # type: ignore[attr-defined]


def test_workflow_scope_searches_only_the_workflows_documents(ctx: AgentContext) -> None:
    search = ctx.document_search = Passages(("notes.pdf", 1, "Text.", 0.9))
    config = EmailOutreachConfig.model_validate(
        {"use_rag": True, "max_emails": 1, "rag": {"scope": "workflow"}}
    )
    EmailOutreachAgent().run(config, first_deal(ctx), ctx)
    assert search.queries[0][2] == ctx.workflow_id


def test_emails_reuse_notes_the_sales_agent_attached(ctx: AgentContext) -> None:
    search = ctx.document_search = Passages(("notes.pdf", 2, "Acme Corp plans a pilot in May.", 0.8))
    deals = SalesIntelligenceAgent().run(
        SalesIntelligenceConfig(stage="Negotiation", min_amount=100000, close_quarter="Q4", use_rag=True),
        "Find Q4 deals",
        ctx,
    )
    accounts = {deal.account_name for deal in deals.deals}
    assert len(search.queries) == len(accounts)  # one search per account, not per deal
    assert all(deal.notes and deal.notes[0].filename == "notes.pdf" for deal in deals.deals)
    searched = len(search.queries)
    output = EmailOutreachAgent().run(
        EmailOutreachConfig(use_rag=True, max_emails=2), deals.model_dump(mode="json"), ctx
    )
    assert len(search.queries) == searched  # the email agent used the attached notes
    assert output.emails[0].citations[0].page == 2


def test_llm_emails_get_the_passages_in_the_prompt(ctx: AgentContext, tmp_path: Path) -> None:
    ctx = sandbox_context(tmp_path, LLM_PROVIDER="offline")
    deals = first_deal(ctx)
    account = deals["deals"][0]["account_name"]
    ctx.document_search = Passages(("notes.pdf", 4, f"{account} asked for a security review.", 0.7))
    prompts: list[str] = []
    generate = ctx.generate

    def recording(**kwargs: Any) -> str:
        prompts.append(kwargs["prompt"])
        return generate(**kwargs)

    ctx.generate = recording  # type: ignore[method-assign]
    output = EmailOutreachAgent().run(
        EmailOutreachConfig(use_rag=True, generation="llm", max_emails=1), deals, ctx
    )
    assert f"[1] {account} asked for a security review." in prompts[0]
    assert output.emails[0].body.endswith("Sources:\n[1] notes.pdf, page 4")


def test_use_rag_without_retrieval_fails_clearly(ctx: AgentContext) -> None:
    with pytest.raises(AgentError, match="Document retrieval is not available"):
        EmailOutreachAgent().run(EmailOutreachConfig(use_rag=True, max_emails=1), first_deal(ctx), ctx)


def test_quotes_are_cut_at_a_word() -> None:
    citation = Citation(document_id="d", filename="f", page=1, excerpt="Acme " + "word " * 100, score=1)
    quote = quote_for(citation, "Acme", limit=40)
    assert len(quote) <= 40 and quote.endswith("…") and not quote.endswith(" …")
