"""Text generation for agents: pick a provider from the settings, call it, account for every token.

``LLM_PROVIDER`` chooses Amazon Bedrock (deployed) or the offline deterministic provider (local stack,
CI); ``LLM_MODEL_ID`` the Bedrock model; ``LLM_PRICES`` extends the price table; ``LLM_MAX_TOKENS``
caps an answer. Providers are imported on demand, so importing this package pays for neither boto3
nor the tokenizer.
"""

from __future__ import annotations

from agentflow.errors import AgentError
from agentflow.llm.base import Completion, LlmProvider, Message, UsageRecorder, llm_error
from agentflow.llm.pricing import OFFLINE_MODEL_ID, ModelPrice, cost_usd, price_for
from agentflow.settings import Settings, get_settings

__all__ = [
    "OFFLINE_MODEL_ID",
    "Completion",
    "LlmProvider",
    "Message",
    "ModelPrice",
    "UsageRecorder",
    "cost_usd",
    "generate",
    "llm_error",
    "price_for",
    "provider_for",
]


def provider_for(settings: Settings) -> LlmProvider:
    """The provider the settings name; an :class:`AgentError` if its model has no known price."""
    if settings.llm_provider == "offline":
        from agentflow.llm.offline import OfflineProvider

        return OfflineProvider()
    from agentflow.llm.bedrock import BedrockProvider

    # Checked before any call, so a run never reports an unpriced model as free.
    price_for(settings.llm_model_id, settings.llm_prices)
    return BedrockProvider(
        settings.llm_model_id, region=settings.region, read_timeout=settings.task_timeout_seconds
    )


def generate(
    provider: LlmProvider,
    usage: UsageRecorder,
    *,
    system: str | None,
    prompt: str,
    max_tokens: int | None = None,
    temperature: float = 0.2,
    settings: Settings | None = None,
) -> str:
    """Send one user prompt, add its tokens and cost to ``usage`` and return the answer's text.

    ``max_tokens`` defaults to ``LLM_MAX_TOKENS``. Usage is recorded before the answer is judged, so
    a call that was billed is counted even when its answer is unusable (empty: an :class:`AgentError`).
    """
    settings = settings or get_settings()
    completion = provider.complete(
        system=system,
        messages=[Message(role="user", text=prompt)],
        max_tokens=settings.llm_max_tokens if max_tokens is None else max_tokens,
        temperature=temperature,
    )
    cost = cost_usd(
        completion.model_id,
        completion.input_tokens,
        completion.output_tokens,
        prices_json=settings.llm_prices,
    )
    usage.add(completion.input_tokens, completion.output_tokens, cost)
    if not completion.text.strip():
        reason = completion.stop_reason or "none"
        raise AgentError(f"Model '{completion.model_id}' returned no text (stop reason: {reason}).")
    return completion.text
