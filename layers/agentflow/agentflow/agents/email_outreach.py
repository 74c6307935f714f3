"""Email outreach: one personalized email per upstream deal, from a template, up to ``max_emails``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from agentflow.agents.base import Agent, AgentConfig, AgentContext
from agentflow.agents.retrieval import RagOptions, account_query, citations_for, quote_for, sources_block
from agentflow.connectors.base import Opportunity, OutgoingEmail
from agentflow.errors import AgentError
from agentflow.models import Citation, EmailAddress

TemplateName = Literal["check_in", "follow_up", "proposal"]

# Subject and body per template; fields come from the deal (see _fields).
TEMPLATES: dict[str, tuple[str, str]] = {
    "check_in": (
        "Checking in on {deal_name}",
        "I wanted to check in on the {deal_name} opportunity. It stands at {amount} and is set to "
        "close on {close_date}. Is there anything you need from us to keep {account_name} on track — "
        "pricing approval, a technical session, or references?",
    ),
    "follow_up": (
        "Following up: {deal_name}",
        "Following up on our last conversation about the {deal_name} opportunity. With {amount} on "
        "the table and a close date of {close_date}, could you confirm the next step with "
        "{account_name} this week?",
    ),
    "proposal": (
        "Proposal review: {deal_name}",
        "Here is the proposal outline for the {deal_name} opportunity at {amount}, targeting "
        "signature by {close_date}. Please review it before it goes to {account_name}, and flag any "
        "terms to adjust.",
    ),
}


class EmailOutreachConfig(AgentConfig):
    connector: Literal["outlook", "ses"] = Field("outlook", description="Mail service that sends.")
    credentials_secret: str | None = Field(
        None, description="Secrets Manager secret name with the mail credentials (live outlook)."
    )
    email_template: TemplateName = Field("check_in", description="Which template writes the emails.")
    generation: Literal["template", "llm"] = Field(
        "template",
        description="template: the template's text; llm: the stack's model writes each body from the deal.",
    )
    use_rag: bool = Field(
        False,
        description=(
            "Retrieve passages about each deal's account from the tenant's documents, quote the best "
            "one in the email and list the sources it cites."
        ),
    )
    rag: RagOptions = Field(
        default_factory=lambda: RagOptions(), description="Retrieval settings for use_rag."
    )
    include_greeting: bool = Field(True, description="Open with 'Hi <first name>,'.")
    max_emails: int = Field(25, ge=1, le=500, description="Never send more than this many emails.")
    from_address: EmailAddress | None = Field(
        None, description="Sender; defaults to the stack's SENDER_EMAIL."
    )
    signature: str = Field("AgentFlow Sales Operations", max_length=500)
    recipient_domains: list[str] | None = Field(
        None,
        description="Allowlist of recipient email domains; deals whose recipient is elsewhere are skipped.",
    )
    dry_run: bool = Field(False, description="Write the emails but send none (status 'dry_run').")


class EmailRecord(BaseModel):
    deal_id: str
    recipient: str
    recipient_name: str
    account_name: str
    subject: str
    body: str
    message_id: str | None
    status: str  # sent | queued | dry_run
    citations: list[Citation] = Field(default_factory=list)


class SkippedDeal(BaseModel):
    deal_id: str
    reason: str


class EmailOutreachOutput(BaseModel):
    emails_sent: int
    emails: list[EmailRecord]
    skipped_deals: list[SkippedDeal]
    dry_run: bool
    template: str
    connector: str
    use_rag: bool


def deals_from(data: Any) -> list[Opportunity]:
    """The deals in the upstream output: ``{"deals": [...]}``, or such an object per parent."""
    candidates = [data]
    if isinstance(data, dict) and "deals" not in data:
        candidates = list(data.values())
    for candidate in candidates:
        if isinstance(candidate, dict) and isinstance(candidate.get("deals"), list):
            try:
                return [Opportunity.model_validate(deal) for deal in candidate["deals"]]
            except ValidationError as error:
                raise AgentError(f"Upstream deals are malformed: {error.errors()[0]['msg']}") from None
    raise AgentError(
        "email_outreach needs an upstream output with a 'deals' list (e.g. from sales_intelligence)."
    )


def _fields(deal: Opportunity) -> dict[str, str]:
    symbol = "$" if deal.currency == "USD" else f"{deal.currency} "
    return {
        "deal_name": deal.name,
        "account_name": deal.account_name,
        "amount": f"{symbol}{deal.amount:,.0f}",
        "close_date": f"{deal.close_date:%B} {deal.close_date.day}, {deal.close_date.year}",
    }


PURPOSES = {
    "check_in": "check in on the deal and offer help to keep it on track",
    "follow_up": "follow up on the last conversation and ask to confirm the next step this week",
    "proposal": "ask the owner to review the proposal outline before it goes to the customer",
}
LLM_SYSTEM = (
    "You write short, specific B2B sales emails to a colleague who owns a deal. Use only the facts "
    "given; do not invent names, numbers or dates. Write the whole body: a greeting with the "
    "recipient's first name, the message, and a sign-off with the given signature. No subject line."
)


def llm_prompt(
    deal: Opportunity, config: EmailOutreachConfig, citations: list[Citation] | None = None
) -> str:
    """The facts of one deal and what the email is for, as the model's prompt."""
    fields = _fields(deal)
    facts = [
        f"recipient: {deal.owner_name}",
        f"account: {fields['account_name']}",
        f"deal: {fields['deal_name']}",
        f"value: {fields['amount']}",
        f"close date: {fields['close_date']}",
        f"stage: {deal.stage}",
        f"signature: {config.signature}",
    ]
    prompt = f"Write the body of an email to {PURPOSES[config.email_template]}.\n" + "\n".join(facts)
    if citations:
        context = "\n".join(
            f"[{number}] {quote_for(citation, deal.account_name, 400)}"
            for number, citation in enumerate(citations, 1)
        )
        prompt += (
            "\nContext from our account documents (use what helps; cite it as [n] where you use it):\n"
            + context
        )
    return prompt


def render(
    deal: Opportunity,
    config: EmailOutreachConfig,
    ctx: AgentContext | None = None,
    citations: list[Citation] | None = None,
) -> tuple[str, str]:
    """Subject and body of one deal's email; with ``generation: llm`` the model writes the body.

    With ``citations``, the best passage is quoted (template) or given to the model (llm), and the
    body ends with the numbered sources.
    """
    subject_template, body_template = TEMPLATES[config.email_template]
    fields = _fields(deal)
    sources = f"\n\nSources:\n{sources_block(citations)}" if citations else ""
    if config.generation == "llm" and ctx is not None:
        # The model writes the whole body, greeting and sign-off included.
        body = ctx.generate(system=LLM_SYSTEM, prompt=llm_prompt(deal, config, citations))
        return subject_template.format(**fields), body + sources
    text = body_template.format(**fields)
    lines = []
    if config.include_greeting:
        lines += [f"Hi {deal.owner_name.split()[0]},", ""]
    lines.append(text)
    if citations:
        quote = quote_for(citations[0], deal.account_name)
        lines += ["", f"From our notes on {deal.account_name}: \u201c{quote}\u201d [1]"]
    lines += ["", "Best regards,", config.signature]
    return subject_template.format(**fields), "\n".join(lines) + sources


def deal_citations(deal: Opportunity, config: EmailOutreachConfig, ctx: AgentContext) -> list[Citation]:
    """Passages about the deal's account: the notes sales_intelligence attached, else a search."""
    if deal.notes:
        return list(deal.notes)
    return citations_for(ctx, account_query(deal.account_name), deal.account_name, config.rag)


class EmailOutreachAgent(Agent[EmailOutreachConfig]):
    agent_type = "email_outreach"
    name = "Email Outreach"
    description = (
        "Writes one personalized email per upstream deal from a template (check_in, follow_up, "
        "proposal) and sends it to the deal owner through Outlook (Microsoft Graph) or Amazon SES."
    )
    config_model = EmailOutreachConfig

    @classmethod
    def per_record_keys(cls, config: Any) -> tuple[str, ...] | None:
        return ("deals",)

    def run(self, config: EmailOutreachConfig, data: Any, ctx: AgentContext) -> EmailOutreachOutput:
        deals = deals_from(data)
        allowed = {domain.lower().lstrip("@") for domain in config.recipient_domains or []}
        skipped: list[SkippedDeal] = []
        chosen: list[Opportunity] = []
        for deal in deals:
            domain = deal.owner_email.rpartition("@")[2].lower()
            if allowed and domain not in allowed:
                skipped.append(
                    SkippedDeal(deal_id=deal.id, reason=f"recipient domain {domain} is not allowed")
                )
            elif len(chosen) >= config.max_emails:
                skipped.append(SkippedDeal(deal_id=deal.id, reason=f"over max_emails ({config.max_emails})"))
            else:
                chosen.append(deal)
        if skipped:
            ctx.log.warning(f"{len(deals)} deals upstream; {len(skipped)} skipped (allowlist or max_emails)")
        sender = config.from_address or ctx.settings.sender_email
        mail = None if config.dry_run else ctx.connectors.mail(config.connector, config.credentials_secret)
        # Emails an earlier attempt already sent: a retry must not send them again.
        already = ctx.recorded("sent")
        records = []
        reused = 0
        for deal in chosen:
            if deal.id in already:
                records.append(EmailRecord.model_validate(already[deal.id]))
                reused += 1
                continue
            citations = deal_citations(deal, config, ctx) if config.use_rag else []
            if config.use_rag and not citations:
                ctx.log.info(f"No document passage about {deal.account_name} scored {config.rag.min_score}+")
            subject, body = render(deal, config, ctx, citations)
            message_id, status = None, "dry_run"
            if mail is not None:
                sent = mail.send(
                    OutgoingEmail(
                        to_name=deal.owner_name,
                        to_address=deal.owner_email,
                        from_address=sender,
                        subject=subject,
                        body=body,
                    )
                )
                message_id, status = sent.message_id, sent.status
            record = EmailRecord(
                deal_id=deal.id,
                recipient=deal.owner_email,
                recipient_name=deal.owner_name,
                account_name=deal.account_name,
                subject=subject,
                body=body,
                message_id=message_id,
                status=status,
                citations=citations,
            )
            records.append(record)
            if mail is not None:
                ctx.record("sent", deal.id, record.model_dump(mode="json"))
            ctx.log.debug(f"{status}: '{subject}' to {deal.owner_email} ({message_id or 'not sent'})")
        if reused:
            ctx.log.info(f"{reused} emails were sent by an earlier attempt and are not sent again")
        sent_count = sum(1 for record in records if record.message_id)
        verb = "Wrote (dry run)" if config.dry_run else "Sent"
        ctx.log.info(f"{verb} {len(records)} {config.email_template} emails through {config.connector}")
        if config.use_rag:
            cited = sum(1 for record in records if record.citations)
            if records and not cited:
                ctx.log.warning(
                    "use_rag is set, but no document spoke about these accounts: no email cites one"
                )
            else:
                ctx.log.info(f"{cited} of {len(records)} emails cite the tenant's documents")
        return EmailOutreachOutput(
            emails_sent=sent_count,
            emails=records,
            skipped_deals=skipped,
            dry_run=config.dry_run,
            template=config.email_template,
            connector=config.connector,
            use_rag=config.use_rag,
        )
