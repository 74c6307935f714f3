"""Signed webhooks: a per-workflow HMAC secret (in Secrets Manager) and the trigger it guards.

A caller signs ``"<timestamp>.<raw body>"`` with HMAC-SHA256 under the secret's UTF-8 bytes and sends
``X-AgentFlow-Timestamp`` and ``X-AgentFlow-Signature: sha256=<hex>``. Any failure to authenticate
answers 401 alike (unknown workflow, no webhook, bad or stale signature), so the route reveals
nothing; a signature seen before answers 409.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

from agentflow.clock import isoformat, utcnow
from agentflow.errors import ConflictError, InvalidInputError, UnauthorizedError
from agentflow.models import Execution, StartExecutionRequest, Trigger
from agentflow.services.executions import ExecutionService
from agentflow.store.secrets import SecretStore
from agentflow.store.webhooks import WebhookRecord, WebhookRepository
from agentflow.store.workflows import WorkflowRepository

TOLERANCE_SECONDS = 300
REJECTED = "The webhook signature is missing, wrong or too old for this workflow."


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The X-AgentFlow-Signature value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


class WebhookService:
    def __init__(
        self,
        workflows: WorkflowRepository | None = None,
        webhooks: WebhookRepository | None = None,
        executions: ExecutionService | None = None,
    ) -> None:
        self.workflows = workflows or WorkflowRepository()
        self.webhooks = webhooks or WebhookRepository()
        self._executions = executions

    @property
    def executions(self) -> ExecutionService:
        if self._executions is None:
            self._executions = ExecutionService()
        return self._executions

    @property
    def secrets(self) -> SecretStore:
        return SecretStore()

    @staticmethod
    def secret_name(workflow_id: str) -> str:
        # Outside agentflow/*, which every agent function may read.
        return f"agentflow-webhooks/{workflow_id}"

    def rotate(self, tenant_id: str, workflow_id: str) -> str:
        """A new secret for the workflow's webhook (the old one stops working at once); shown once."""
        self.workflows.get(tenant_id, workflow_id)
        secret = secrets.token_urlsafe(32)
        name = self.secret_name(workflow_id)
        self.secrets.put(
            name,
            secret,
            description=f"HMAC key of AgentFlow workflow {workflow_id}'s webhook",
            tags={"agentflow:tenant": tenant_id},
        )
        self.webhooks.put(
            WebhookRecord(
                tenant_id=tenant_id, workflow_id=workflow_id, secret_name=name, rotated_at=isoformat(utcnow())
            )
        )
        return secret

    def remove(self, tenant_id: str, workflow_id: str) -> None:
        """Delete the workflow's webhook and its secret (the workflow is being deleted)."""
        self.webhooks.delete(tenant_id, workflow_id)
        self.secrets.delete(self.secret_name(workflow_id))

    def trigger(
        self, workflow_id: str, timestamp: str | None, signature: str | None, body: bytes
    ) -> Execution:
        """Start the workflow with the signed JSON body as its input."""
        hook = self.webhooks.find(workflow_id)
        if hook is None or not timestamp or not signature:
            raise UnauthorizedError(REJECTED)
        try:
            sent_at = int(timestamp)
        except ValueError:
            raise UnauthorizedError(REJECTED) from None
        now = int(time.time())
        if abs(now - sent_at) > TOLERANCE_SECONDS:
            raise UnauthorizedError(REJECTED)
        secret = self.secrets.get(hook.secret_name)
        # Bytes, not str: compare_digest refuses (TypeError) a str with non-ASCII characters.
        if secret is None or not hmac.compare_digest(
            sign(secret, timestamp, body).encode(), signature.strip().encode()
        ):
            raise UnauthorizedError(REJECTED)
        if not self.webhooks.claim_signature(hook.tenant_id, signature.strip(), now):
            raise ConflictError("This signed request was already received; sign each call anew.")
        try:
            data = json.loads(body or b"null")
        except ValueError:
            raise InvalidInputError("The webhook body is not valid JSON.") from None
        execution, _ = self.executions.start(
            hook.tenant_id,
            StartExecutionRequest(workflow_id=workflow_id, input=data),
            trigger=Trigger(type="webhook"),
        )
        return execution
