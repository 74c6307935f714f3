"""The approval agent: holds the run until a person approves or rejects the data it received.

Its run only prepares the request (and, when configured, tells someone through Slack or email
where to decide); the runner stores the request with the Step Functions task token and the
decision route answers the token. Approved, the node's output is its input unchanged.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field, model_validator

from agentflow.agents.base import Agent, AgentConfig, AgentContext
from agentflow.connectors.base import OutgoingEmail
from agentflow.models import EmailAddress


class ApprovalNotify(BaseModel):
    """Where to say that a decision is waiting: a Slack channel, an email address, or both."""

    model_config = {"extra": "forbid"}

    slack_channel: str | None = Field(None, min_length=1, max_length=80)
    email: EmailAddress | None = None
    mail_connector: Literal["outlook", "ses"] = Field("outlook", description="Mail service for email.")
    credentials_secret: str | None = Field(
        None, description="Secrets Manager secret of the notifying connector (live mode)."
    )

    @model_validator(mode="after")
    def _somewhere(self) -> ApprovalNotify:
        if not self.slack_channel and not self.email:
            raise ValueError("notify needs slack_channel or email")
        return self


class ApprovalConfig(AgentConfig):
    message: str = Field(
        min_length=1,
        max_length=2000,
        description="What the approver is asked.",
        examples=["Send these check-in emails?"],
    )
    timeout_seconds: int = Field(86400, ge=60, le=604800, description="How long the decision may take.")
    on_timeout: Literal["reject", "approve"] = Field(
        "reject", description="What an unanswered approval becomes when its time is up."
    )
    notify: ApprovalNotify | None = Field(None, description="Tell someone where to decide.")


class ApprovalRequest(BaseModel):
    """What the runner stores as the pending approval."""

    message: str
    payload: Any
    notified: list[str] = Field(default_factory=list)


def decision_path(execution_id: str, node_id: str) -> str:
    """The API route that decides this approval."""
    return f"/api/v1/executions/{execution_id}/approvals/{node_id}"


class ApprovalAgent(Agent[ApprovalConfig]):
    agent_type = "approval"
    name = "Approval"
    description = (
        "Waits for a person to approve or reject the data it received before the workflow goes on; "
        "approved, it passes its input through unchanged. Optionally notifies Slack or email."
    )
    config_model = ApprovalConfig

    def run(self, config: ApprovalConfig, data: Any, ctx: AgentContext) -> ApprovalRequest:
        notified = list(ctx.recorded("notified"))
        if config.notify is not None:
            notified += self._notify(config, config.notify, ctx, already=set(notified))
        return ApprovalRequest(message=config.message, payload=data, notified=notified)

    @staticmethod
    def _notify(
        config: ApprovalConfig, notify: ApprovalNotify, ctx: AgentContext, already: set[str]
    ) -> list[str]:
        link = decision_path(ctx.execution_id, ctx.node_id)
        text = (
            f"Approval needed in execution {ctx.execution_id} (node {ctx.node_id}): {config.message}\n"
            f"List pending approvals with GET /api/v1/approvals and decide with POST {link}."
        )
        sent = []
        if notify.slack_channel and "slack" not in already:
            slack = ctx.connectors.open("slack", notify.credentials_secret)
            posted = slack.post_message(notify.slack_channel, text)
            ctx.record("notified", "slack", {"channel": notify.slack_channel, "ts": posted.ts})
            sent.append("slack")
        if notify.email and "email" not in already:
            mail = ctx.connectors.mail(notify.mail_connector, notify.credentials_secret)
            result = mail.send(
                OutgoingEmail(
                    to_name=notify.email.split("@")[0],
                    to_address=notify.email,
                    from_address=ctx.settings.sender_email,
                    subject=f"Approval needed: {config.message[:120]}",
                    body=text,
                )
            )
            ctx.record("notified", "email", {"to": notify.email, "message_id": result.message_id})
            sent.append("email")
        return sent
