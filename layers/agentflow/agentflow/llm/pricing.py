"""What model calls cost: a per-model price table in USD per million input and output tokens.

The table holds Amazon Bedrock on-demand (Standard tier) prices for us-east-1, keyed by the exact
model or inference-profile id an agent sends, because Bedrock prices the same model differently
by how it is invoked: for Claude 4.5 and later, a geographic cross-Region profile (``us.``, ``eu.``)
costs about 10% more than the ``global.`` profile. Models whose price could not be confirmed from a
published source are left out rather than guessed. ``LLM_PRICES`` (a JSON object
``{"<model id>": {"input_per_million": ..., "output_per_million": ...}}``) overrides or extends the
table, for other regions, other models and price changes. An unpriced model is rejected when the
provider is created, so usage is never silently free.

Sources (read 2026): aws.amazon.com/bedrock/pricing; the AWS Price List API offer ``AmazonBedrock``
for us-east-1 (Nova); AWS's own price table in github.com/aws/agent-toolkit-for-aws
(``llm-to-bedrock/scripts/bedrock_pricing.py``, verified 2026-10-05: Claude 4.5/4.6 global and geo
rates); Anthropic's published Claude prices (platform.claude.com/docs/about-claude/pricing), which
Bedrock's global rates match.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agentflow.errors import AgentError
from agentflow.settings import get_settings

OFFLINE_MODEL_ID = "offline-deterministic-v1"


class ModelPrice(BaseModel):
    """USD per one million tokens."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input_per_million: float = Field(ge=0)
    output_per_million: float = Field(ge=0)


def _price(input_per_million: float, output_per_million: float) -> ModelPrice:
    return ModelPrice(input_per_million=input_per_million, output_per_million=output_per_million)


_HAIKU_4_5 = "anthropic.claude-haiku-4-5-20251001-v1:0"
_SONNET_4_5 = "anthropic.claude-sonnet-4-5-20250929-v1:0"
_SONNET_4_6 = "anthropic.claude-sonnet-4-6"
_HAIKU_3_5 = "anthropic.claude-3-5-haiku-20241022-v1:0"

DEFAULT_PRICES: Mapping[str, ModelPrice] = MappingProxyType(
    {
        # Claude 4.5+ runs on demand only through cross-Region inference profiles.
        f"global.{_HAIKU_4_5}": _price(1.00, 5.00),
        f"us.{_HAIKU_4_5}": _price(1.10, 5.50),
        f"eu.{_HAIKU_4_5}": _price(1.10, 5.50),
        f"global.{_SONNET_4_5}": _price(3.00, 15.00),
        f"global.{_SONNET_4_6}": _price(3.00, 15.00),
        f"us.{_SONNET_4_6}": _price(3.30, 16.50),
        f"eu.{_SONNET_4_6}": _price(3.30, 16.50),
        # Legacy on Bedrock (3.5 Haiku EOL 2026-06-19, 3 Haiku EOL 2026-09-10); cross-Region inference
        # carried no surcharge for these generations.
        _HAIKU_3_5: _price(0.80, 4.00),
        f"us.{_HAIKU_3_5}": _price(0.80, 4.00),
        "anthropic.claude-3-haiku-20240307-v1:0": _price(0.25, 1.25),
        "amazon.nova-micro-v1:0": _price(0.035, 0.14),
        "us.amazon.nova-micro-v1:0": _price(0.035, 0.14),
        "amazon.nova-lite-v1:0": _price(0.06, 0.24),
        "us.amazon.nova-lite-v1:0": _price(0.06, 0.24),
        "amazon.nova-pro-v1:0": _price(0.80, 3.20),
        "us.amazon.nova-pro-v1:0": _price(0.80, 3.20),
        # Runs in-process: no bill.
        OFFLINE_MODEL_ID: _price(0.0, 0.0),
    }
)


@lru_cache(maxsize=8)
def price_table(prices_json: str = "") -> Mapping[str, ModelPrice]:
    """The default table with the ``LLM_PRICES`` JSON applied on top (its entries win)."""
    if not prices_json.strip():
        return DEFAULT_PRICES
    try:
        raw = json.loads(prices_json)
    except json.JSONDecodeError as error:
        raise AgentError(f"LLM_PRICES is not valid JSON: {error.msg} at position {error.pos}.") from None
    if not isinstance(raw, dict):
        raise AgentError('LLM_PRICES must be a JSON object: {"<model id>": {"input_per_million": ...}}.')
    overrides: dict[str, ModelPrice] = {}
    for model_id, entry in raw.items():
        try:
            overrides[model_id] = ModelPrice.model_validate(entry)
        except ValidationError as error:
            problem = error.errors()[0]
            where = ".".join(str(part) for part in problem["loc"])
            raise AgentError(
                f"LLM_PRICES entry for '{model_id}' is invalid"
                f"{f' at {where}' if where else ''}: {problem['msg']}."
            ) from None
    return MappingProxyType({**DEFAULT_PRICES, **overrides})


def price_for(model_id: str, prices_json: str = "") -> ModelPrice:
    """The price of ``model_id``; an :class:`AgentError` if nobody priced it."""
    table = price_table(prices_json)
    price = table.get(model_id)
    if price is None:
        profiles = [
            f"{prefix}.{model_id}" for prefix in ("us", "eu", "global") if f"{prefix}.{model_id}" in table
        ]
        suggestion = f" Did you mean an inference profile: {', '.join(profiles)}?" if profiles else ""
        raise AgentError(
            f"No price is known for model '{model_id}', so its usage cannot be costed.{suggestion} Use a "
            "priced model id (see agentflow.llm.pricing) or add it to LLM_PRICES as "
            f'{{"{model_id}": {{"input_per_million": <USD>, "output_per_million": <USD>}}}}.'
        )
    return price


def cost_usd(
    model_id: str, input_tokens: int, output_tokens: int, *, prices_json: str | None = None
) -> float:
    """What ``input_tokens`` in and ``output_tokens`` out of ``model_id`` cost, in USD.

    ``prices_json`` defaults to the running function's ``LLM_PRICES`` setting.
    """
    if prices_json is None:
        prices_json = get_settings().llm_prices
    price = price_for(model_id, prices_json)
    return (input_tokens * price.input_per_million + output_tokens * price.output_per_million) / 1_000_000
