"""Cited context for agents: the tenant's documents that speak about an account.

Agents ask :meth:`AgentContext.search_documents`; this module picks the hits worth citing and the
sentence worth quoting, so every agent that uses retrieval cites the same way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agentflow.agents.base import AgentContext
from agentflow.models import Citation

RagScope = Literal["tenant", "workflow"]
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
MIN_QUOTE_WORDS = 8


class RagOptions(BaseModel):
    """Retrieval settings shared by the agents that accept ``use_rag``."""

    model_config = ConfigDict(extra="forbid")

    top_k: int = Field(default=3, ge=1, le=10, description="Passages to retrieve per deal.")
    min_score: float = Field(
        default=0.3, ge=0, le=1, description="Ignore passages scoring below this (0 to 1)."
    )
    scope: RagScope = Field(
        default="tenant", description="tenant: all of the tenant's documents; workflow: only this workflow's."
    )


def account_query(account_name: str) -> str:
    return f"{account_name}: account notes, stakeholders, open concerns and next steps"


def citations_for(ctx: AgentContext, query: str, subject: str, options: RagOptions) -> list[Citation]:
    """Passages for ``query`` scoring at least ``min_score``, one per document page, those naming
    ``subject`` first."""
    workflow_id = ctx.workflow_id if options.scope == "workflow" else None
    best: dict[tuple[str, int], Citation] = {}
    for hit in ctx.search_documents(query, options.top_k, workflow_id):
        if hit.score >= options.min_score:
            best.setdefault((hit.document_id, hit.page), Citation.model_validate(hit.model_dump()))
    hits = list(best.values())  # overlapping chunks of one page are cited once, by the best of them
    named = [hit for hit in hits if subject.lower() in hit.excerpt.lower()]
    return named + [hit for hit in hits if hit not in named]


def quote_for(citation: Citation, subject: str, limit: int = 240) -> str:
    """The sentence of the excerpt worth quoting about ``subject``, cut to ``limit`` characters.

    A sentence that names the subject and says something (at least ``MIN_QUOTE_WORDS`` words; short
    ones are headings) comes first, then any sentence that says something, then the first one.
    """
    sentences = [part.strip() for part in _SENTENCE.split(" ".join(citation.excerpt.split())) if part.strip()]
    if not sentences:
        return ""
    telling = [s for s in sentences if len(s.split()) >= MIN_QUOTE_WORDS]
    naming = [s for s in telling if subject.lower() in s.lower()]
    chosen = (naming or telling or sentences)[0]
    return chosen if len(chosen) <= limit else chosen[: limit - 1].rsplit(" ", 1)[0] + "…"


def sources_block(citations: Sequence[Citation]) -> str:
    """A numbered list of the documents cited, for the end of a message."""
    return "\n".join(
        f"[{number}] {citation.filename}, page {citation.page}"
        for number, citation in enumerate(citations, 1)
    )
