"""The Bedrock provider against a real bedrock-runtime client whose Converse calls are stubbed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ReadTimeoutError
from botocore.stub import Stubber

from agentflow.agents.base import Usage
from agentflow.errors import AgentError, TransientAgentError
from agentflow.llm import Message, generate, provider_for
from agentflow.llm.bedrock import BedrockProvider, shared_client
from agentflow.llm.pricing import cost_usd
from agentflow.settings import Settings

MODEL = "us.anthropic.claude-haiku-4-5-20251001-v1:0"


@pytest.fixture
def client() -> Any:
    return boto3.client("bedrock-runtime", region_name="us-east-1")


@pytest.fixture
def stubber(client: Any) -> Iterator[Stubber]:
    with Stubber(client) as stub:
        yield stub
        stub.assert_no_pending_responses()


@pytest.fixture
def provider(client: Any) -> BedrockProvider:
    return BedrockProvider(MODEL, region="us-east-1", client=client)


def converse_response(text: str, input_tokens: int, output_tokens: int, stop: str = "end_turn") -> dict:
    return {
        "output": {"message": {"role": "assistant", "content": [{"text": text}]}},
        "stopReason": stop,
        "usage": {
            "inputTokens": input_tokens,
            "outputTokens": output_tokens,
            "totalTokens": input_tokens + output_tokens,
        },
        "metrics": {"latencyMs": 412},
    }


def test_complete_sends_the_exact_converse_request(stubber: Stubber, provider: BedrockProvider) -> None:
    # Given Bedrock expecting one Converse request with system, messages and inference config
    stubber.add_response(
        "converse",
        converse_response("Hello Dana,", 31, 4),
        expected_params={
            "modelId": MODEL,
            "system": [{"text": "You write sales emails."}],
            "messages": [{"role": "user", "content": [{"text": "Greet Dana."}]}],
            "inferenceConfig": {"maxTokens": 200, "temperature": 0.3},
        },
    )
    # When the provider completes
    completion = provider.complete(
        system="You write sales emails.",
        messages=[Message(role="user", text="Greet Dana.")],
        max_tokens=200,
        temperature=0.3,
    )
    # Then the answer and the billed tokens are the response's own
    assert completion.text == "Hello Dana,"
    assert (completion.input_tokens, completion.output_tokens) == (31, 4)
    assert (completion.model_id, completion.stop_reason) == (MODEL, "end_turn")


def test_no_system_prompt_sends_no_system_field(stubber: Stubber, provider: BedrockProvider) -> None:
    # Given a multi-turn conversation without a system prompt
    messages = [
        Message(role="user", text="Draft a subject line."),
        Message(role="assistant", text="Which deal?"),
        Message(role="user", text="Acme renewal."),
    ]
    stubber.add_response(
        "converse",
        converse_response("Acme renewal: next steps", 20, 6),
        expected_params={
            "modelId": MODEL,
            "messages": [
                {"role": "user", "content": [{"text": "Draft a subject line."}]},
                {"role": "assistant", "content": [{"text": "Which deal?"}]},
                {"role": "user", "content": [{"text": "Acme renewal."}]},
            ],
            "inferenceConfig": {"maxTokens": 50, "temperature": 0.0},
        },
    )
    # When the provider completes
    # Then the request carried no system field (expected_params matched exactly)
    assert provider.complete(system=None, messages=messages, max_tokens=50, temperature=0.0).text


def test_generate_adds_the_billed_tokens_and_their_cost_to_usage(
    stubber: Stubber, provider: BedrockProvider
) -> None:
    # Given Bedrock answering two calls with their usage
    stubber.add_response("converse", converse_response("First.", 1200, 300))
    stubber.add_response("converse", converse_response("Second.", 800, 100))
    usage = Usage()
    settings = Settings.model_validate({"LLM_MODEL_ID": MODEL})
    # When both are generated
    generate(provider, usage, system=None, prompt="One", settings=settings)
    generate(provider, usage, system=None, prompt="Two", settings=settings)
    # Then usage holds the response tokens and the table's cost for them
    assert (usage.input_tokens, usage.output_tokens) == (2000, 400)
    assert usage.cost_usd == pytest.approx(cost_usd(MODEL, 2000, 400, prices_json=""))
    assert usage.cost_usd == pytest.approx((2000 * 1.10 + 400 * 5.50) / 1_000_000)


def test_an_empty_answer_is_an_error_but_its_tokens_are_counted(
    stubber: Stubber, provider: BedrockProvider
) -> None:
    # Given Bedrock returning no text (a guardrail stepped in) but billing the input
    stubber.add_response("converse", converse_response("", 950, 0, stop="guardrail_intervened"))
    usage = Usage()
    # When it is generated
    with pytest.raises(AgentError, match=r"returned no text.*guardrail_intervened"):
        generate(provider, usage, system=None, prompt="Write.", settings=Settings.model_validate({}))
    # Then the billed tokens were still recorded
    assert usage.input_tokens == 950


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("ThrottlingException", 429),
        ("ServiceUnavailableException", 503),
        ("ModelNotReadyException", 429),
        ("InternalServerException", 500),
    ],
)
def test_throttling_and_server_errors_are_transient(
    stubber: Stubber, provider: BedrockProvider, code: str, status: int
) -> None:
    # Given Bedrock failing with a retryable error
    stubber.add_client_error(
        "converse", service_error_code=code, service_message="Slow down", http_status_code=status
    )
    # When the provider completes
    # Then exactly TransientAgentError is raised (the state machine's Retry matches that name)
    with pytest.raises(TransientAgentError) as raised:
        provider.complete(
            system=None, messages=[Message(role="user", text="Hi")], max_tokens=5, temperature=0
        )
    assert type(raised.value) is TransientAgentError
    assert MODEL in raised.value.message and code in raised.value.message


@pytest.mark.parametrize(
    ("code", "status", "hint"),
    [
        ("AccessDeniedException", 403, "Enable access to this model"),
        ("ValidationException", 400, "inference profile"),
        ("ResourceNotFoundException", 404, "no such model"),
    ],
)
def test_validation_and_access_errors_are_permanent_and_name_the_model(
    stubber: Stubber, provider: BedrockProvider, code: str, status: int, hint: str
) -> None:
    # Given Bedrock refusing the request
    stubber.add_client_error(
        "converse", service_error_code=code, service_message="Nope", http_status_code=status
    )
    # When the provider completes
    # Then exactly AgentError is raised, naming the model, the Region and what to check
    with pytest.raises(AgentError) as raised:
        provider.complete(
            system=None, messages=[Message(role="user", text="Hi")], max_tokens=5, temperature=0
        )
    assert type(raised.value) is AgentError
    assert f"Model '{MODEL}' call failed ({code}): Nope" in raised.value.message
    assert "us-east-1" in raised.value.message and hint in raised.value.message


def test_an_unlisted_5xx_code_is_transient(stubber: Stubber, provider: BedrockProvider) -> None:
    # Given a 5xx with a code the provider does not list
    stubber.add_client_error("converse", service_error_code="SomethingNew", http_status_code=502)
    # When the provider completes
    # Then it is retried like any server error
    with pytest.raises(TransientAgentError):
        provider.complete(
            system=None, messages=[Message(role="user", text="Hi")], max_tokens=5, temperature=0
        )


def test_the_client_is_created_on_first_call_and_shared_by_the_container() -> None:
    # Given Bedrock settings and no client made yet
    settings = Settings.model_validate({"LLM_PROVIDER": "bedrock", "AWS_REGION": "eu-west-1"})
    shared_client.cache_clear()
    # When the provider is created
    provider = provider_for(settings)
    # Then no client exists until one is needed, and then one per Region serves every provider
    assert shared_client.cache_info().currsize == 0
    assert isinstance(provider, BedrockProvider) and provider.model_id == settings.llm_model_id
    assert provider.client.meta.region_name == "eu-west-1"
    assert provider.client is provider_for(settings).client


class UnreachableClient:
    """A client whose every call times out on the network."""

    def converse(self, **request: Any) -> dict:
        raise ReadTimeoutError(endpoint_url="https://bedrock-runtime.us-east-1.amazonaws.com")


def test_a_network_timeout_is_transient() -> None:
    # Given Bedrock out of reach
    provider = BedrockProvider(MODEL, region="us-east-1", client=UnreachableClient())
    # When the provider completes
    # Then the failure is retried by the state machine
    with pytest.raises(TransientAgentError, match="ReadTimeoutError"):
        provider.complete(
            system=None, messages=[Message(role="user", text="Hi")], max_tokens=5, temperature=0
        )
