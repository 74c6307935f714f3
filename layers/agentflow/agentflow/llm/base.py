"""What every LLM provider speaks: messages in, a completion with measured token counts out.

Providers raise only :class:`~agentflow.errors.TransientAgentError` (worth retrying) or
:class:`~agentflow.errors.AgentError` (permanent), never a subclass: the Lambda runtime reports the
exception's class name as ``errorType``, and the state machine's Retry matches that name exactly.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from agentflow.errors import AgentError, TransientAgentError


class Message(BaseModel):
    """One turn of the conversation sent to a model."""

    model_config = ConfigDict(frozen=True)

    role: Literal["user", "assistant"]
    text: str


class Completion(BaseModel):
    """A model's answer and the tokens it was billed for."""

    model_config = ConfigDict(frozen=True)

    text: str
    input_tokens: int = Field(ge=0)
    output_tokens: int = Field(ge=0)
    model_id: str
    # Converse's vocabulary: end_turn, max_tokens, stop_sequence, guardrail_intervened, ...
    stop_reason: str


class LlmProvider(Protocol):
    """A text-generation backend (Amazon Bedrock, or the offline provider for local runs and CI)."""

    @property
    def model_id(self) -> str: ...

    def complete(
        self, *, system: str | None, messages: list[Message], max_tokens: int, temperature: float
    ) -> Completion: ...


class UsageRecorder(Protocol):
    """Where token usage and cost accumulate (:class:`agentflow.agents.base.Usage` is one)."""

    def add(self, input_tokens: int, output_tokens: int, cost_usd: float) -> None: ...


def check_request(model_id: str, messages: list[Message], max_tokens: int, temperature: float) -> None:
    """Reject a request every provider would reject, so offline runs fail the way Bedrock does."""
    if not messages:
        raise AgentError(f"A request to model '{model_id}' needs at least one message.")
    if messages[0].role != "user":
        raise AgentError(f"A conversation with model '{model_id}' must start with a user message.")
    for previous, current in pairwise(messages):
        if previous.role == current.role:
            raise AgentError(
                f"Messages to model '{model_id}' must alternate user/assistant; two '{current.role}' "
                "messages follow each other."
            )
    if max_tokens < 1:
        raise AgentError(f"max_tokens must be at least 1 for model '{model_id}', got {max_tokens}.")
    if not 0.0 <= temperature <= 1.0:
        raise AgentError(f"temperature must be between 0 and 1 for model '{model_id}', got {temperature}.")


def llm_error(
    model_id: str,
    code: str,
    detail: str,
    *,
    transient: bool,
    hint: str = "",
    retry_after: float | None = None,
) -> AgentError:
    """The domain error for a failed model call, with a message that names the model.

    ``transient`` selects :class:`TransientAgentError` (throttling, 5xx, timeouts: the state machine
    retries) over :class:`AgentError` (validation, access, unknown model: retrying fails the same way).
    """
    message = f"Model '{model_id}' call failed ({code}): {detail}"
    if hint:
        message = f"{message} {hint}"
    if transient:
        return TransientAgentError(message, retry_after=retry_after)
    return AgentError(message)
