"""The price table: published Bedrock prices, LLM_PRICES overrides, and no silently free model."""

from __future__ import annotations

import json

import pytest

from agentflow.errors import AgentError
from agentflow.llm import OFFLINE_MODEL_ID, provider_for
from agentflow.llm.pricing import DEFAULT_PRICES, cost_usd, price_for
from agentflow.settings import Settings, function_environment

HAIKU_US = "us.anthropic.claude-haiku-4-5-20251001-v1:0"


def test_a_bedrock_model_is_costed_per_million_tokens() -> None:
    # Given Claude Haiku 4.5 through the US inference profile ($1.10 in, $5.50 out per million)
    # When one million tokens go each way
    cost = cost_usd(HAIKU_US, 1_000_000, 1_000_000, prices_json="")
    # Then the cost is the sum of both prices
    assert cost == pytest.approx(6.60)


def test_a_small_call_costs_its_share() -> None:
    # Given Amazon Nova Micro ($0.035 in, $0.14 out per million)
    # When 2,000 tokens go in and 500 come out
    cost = cost_usd("amazon.nova-micro-v1:0", 2_000, 500, prices_json="")
    # Then the cost is proportional
    assert cost == pytest.approx(2_000 * 0.035e-6 + 500 * 0.14e-6)


def test_the_geographic_profile_costs_more_than_the_global_one() -> None:
    # Given the same model through the global and the US profile
    global_price = price_for(HAIKU_US.replace("us.", "global.", 1))
    us_price = price_for(HAIKU_US)
    # Then the US (geographic) profile carries the published ~10% premium
    assert us_price.input_per_million == pytest.approx(global_price.input_per_million * 1.1)
    assert us_price.output_per_million == pytest.approx(global_price.output_per_million * 1.1)


def test_the_offline_model_is_free() -> None:
    assert cost_usd(OFFLINE_MODEL_ID, 10_000, 10_000, prices_json="") == 0.0


def test_the_default_model_is_priced() -> None:
    # Given the default settings
    # Then their model id is in the table
    assert Settings.model_validate({}).llm_model_id in DEFAULT_PRICES


def test_llm_prices_adds_a_model() -> None:
    # Given LLM_PRICES pricing a model the table lacks
    prices = json.dumps({"my.custom-model": {"input_per_million": 2.0, "output_per_million": 8.0}})
    # When it is costed
    # Then the configured price applies
    assert cost_usd("my.custom-model", 500_000, 250_000, prices_json=prices) == pytest.approx(3.0)


def test_llm_prices_overrides_a_listed_model() -> None:
    # Given LLM_PRICES with another price for a listed model (another Region's rate, say)
    prices = json.dumps({HAIKU_US: {"input_per_million": 1.5, "output_per_million": 7.5}})
    # When it is costed
    # Then the override wins
    assert cost_usd(HAIKU_US, 1_000_000, 0, prices_json=prices) == pytest.approx(1.5)


def test_cost_reads_llm_prices_from_the_running_functions_environment() -> None:
    # Given a function environment whose LLM_PRICES prices a model
    prices = json.dumps({"env.model": {"input_per_million": 4.0, "output_per_million": 0.0}})
    # When it is costed without explicit prices
    with function_environment({"LLM_PRICES": prices}):
        cost = cost_usd("env.model", 250_000, 0)
    # Then the environment's price applies
    assert cost == pytest.approx(1.0)


def test_an_unknown_model_is_rejected() -> None:
    # Given a model id nobody priced
    # When it is costed
    # Then it is an error naming the model and the way to price it
    with pytest.raises(AgentError, match=r"No price is known for model 'acme\.mystery-v1'.*LLM_PRICES"):
        cost_usd("acme.mystery-v1", 1, 1, prices_json="")


def test_a_bare_claude_id_points_to_its_inference_profiles() -> None:
    # Given the bare id of a model that runs on demand only through inference profiles
    # When it is priced
    # Then the error names the priced profile ids
    with pytest.raises(AgentError, match=r"Did you mean an inference profile: us\.anthropic\.claude-haiku"):
        price_for("anthropic.claude-haiku-4-5-20251001-v1:0")


def test_a_bedrock_provider_for_an_unpriced_model_is_not_created() -> None:
    # Given settings naming an unpriced Bedrock model
    settings = Settings.model_validate({"LLM_PROVIDER": "bedrock", "LLM_MODEL_ID": "acme.mystery-v1"})
    # When the provider is created
    # Then it is refused before any call is made
    with pytest.raises(AgentError, match=r"acme\.mystery-v1"):
        provider_for(settings)


def test_a_bedrock_provider_for_a_model_priced_in_llm_prices_is_created() -> None:
    # Given settings naming a model that only LLM_PRICES prices
    prices = json.dumps({"acme.mystery-v1": {"input_per_million": 1, "output_per_million": 2}})
    settings = Settings.model_validate(
        {"LLM_PROVIDER": "bedrock", "LLM_MODEL_ID": "acme.mystery-v1", "LLM_PRICES": prices}
    )
    # When the provider is created
    # Then it uses that model
    assert provider_for(settings).model_id == "acme.mystery-v1"


@pytest.mark.parametrize(
    ("prices", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"m": {"input_per_million": -1, "output_per_million": 1}}', "'m' is invalid at input_per_million"),
        ('{"m": {"input_per_million": 1}}', "'m' is invalid at output_per_million"),
        ('{"m": {"input": 1, "output": 1}}', "'m' is invalid"),
    ],
)
def test_malformed_llm_prices_is_an_error_that_says_what_is_wrong(prices: str, message: str) -> None:
    with pytest.raises(AgentError, match=message):
        price_for("m", prices)
