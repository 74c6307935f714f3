"""Domain errors. Raised below the entry points and mapped to HTTP (or Step Functions errors) once."""

from __future__ import annotations

from typing import Any


class AgentFlowError(Exception):
    """Base of every error AgentFlow raises on purpose."""

    code = "internal_error"
    status = 500

    def __init__(self, message: str, details: list[Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class NotFoundError(AgentFlowError):
    code = "not_found"
    status = 404


class ConflictError(AgentFlowError):
    code = "conflict"
    status = 409


class InvalidInputError(AgentFlowError):
    """Input that breaks the contract: bad JSON, wrong types, an invalid DAG or agent config."""

    code = "validation_error"
    status = 422


class PayloadTooLargeError(AgentFlowError):
    code = "payload_too_large"
    status = 413


class UnauthorizedError(AgentFlowError):
    code = "unauthorized"
    status = 401


class AgentError(AgentFlowError):
    """A permanent agent failure: retrying would fail the same way."""

    code = "agent_error"


class TransientAgentError(AgentError):
    """A failure worth retrying (vendor 429/5xx, timeouts). The state machine's Retry matches its name.

    ``retry_after`` carries a vendor's Retry-After hint in seconds, when it sent one.
    """

    code = "transient_agent_error"

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ConnectorError(AgentError):
    """A connector failed permanently (bad credentials, a 4xx the vendor will repeat)."""

    code = "connector_error"


class AwsServiceError(AgentFlowError):
    """An AWS service could not do what was asked (unreachable, throttled, refused).

    The adapters in the data layer raise it in place of botocore's errors where a caller handles the
    failure, so nothing above them imports botocore.
    """

    code = "service_unavailable"
    status = 503


class BudgetPauseError(AgentFlowError):
    """The next model call could take the run past its budget: the node pauses for a decision.

    The state machine catches this error name and routes the node to its budget gate; approving
    with a raised budget runs the node again, continuing from its recorded progress.
    """

    code = "budget_pause"


class ExecutionStoppedError(AgentFlowError):
    """The execution was stopped while this agent ran: it stops at its next record boundary."""

    code = "execution_stopped"
