"""Bedrock Titan and OpenAI embeddings without a network: a stubbed bedrock-runtime client, and an
httpx transport that plays OpenAI. (The same providers over real HTTP: tests/integration/rag.)"""

from __future__ import annotations

import io
import json
import math
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from moto import mock_aws

from agentflow.connectors.secrets import clear_secret_cache
from agentflow.errors import AgentError, ConnectorError, TransientAgentError
from agentflow.rag.embeddings import (
    BedrockTitanEmbeddings,
    OpenAIEmbeddings,
    embedding_provider,
    openai_from_secret,
)

TITAN = "amazon.titan-embed-text-v2:0"
API_KEY = "sk-test-4f9a1c2b7d"  # a fake key the fake vendor checks


def unit_length(vector: list[float]) -> bool:
    return math.isclose(math.sqrt(sum(x * x for x in vector)), 1.0, abs_tol=1e-9)


# --- Bedrock Titan --------------------------------------------------------------------------


@pytest.fixture
def bedrock() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client("bedrock-runtime", region_name="eu-west-1")
    with Stubber(client) as stub:
        yield client, stub
        stub.assert_no_pending_responses()


def titan_answer(vector: list[float]) -> dict[str, Any]:
    body = json.dumps({"embedding": vector, "inputTextTokenCount": 5}).encode()
    return {"body": StreamingBody(io.BytesIO(body), len(body)), "contentType": "application/json"}


def test_titan_sends_one_invoke_model_per_text_with_dimensions_and_normalize(bedrock) -> None:
    client, stub = bedrock
    # Given Titan answering a 256-dimension vector that is not quite unit length
    stub.add_response(
        "invoke_model",
        titan_answer([0.5] * 256),
        expected_params={
            "modelId": TITAN,
            "body": json.dumps({"inputText": "Refund policy", "dimensions": 256, "normalize": True}),
            "contentType": "application/json",
            "accept": "application/json",
        },
    )
    provider = BedrockTitanEmbeddings(dimensions=256, region="eu-west-1", client=client)
    # When a query is embedded
    vector = provider.embed_query("Refund policy")
    # Then the request had Titan's body and the vector comes back normalised
    assert len(vector) == 256 and unit_length(vector)


@pytest.mark.parametrize(
    ("code", "status", "transient"),
    [
        ("ThrottlingException", 429, True),
        ("ServiceUnavailableException", 503, True),
        ("ModelNotReadyException", 429, True),
        ("AccessDeniedException", 403, False),
        ("ValidationException", 400, False),
    ],
)
def test_titan_errors_are_transient_only_when_a_retry_can_help(bedrock, code, status, transient) -> None:
    client, stub = bedrock
    stub.add_client_error("invoke_model", service_error_code=code, http_status_code=status)
    provider = BedrockTitanEmbeddings(region="eu-west-1", client=client)
    with pytest.raises(AgentError) as caught:
        provider.embed(["text"])
    assert isinstance(caught.value, TransientAgentError) is transient
    assert code in caught.value.message and TITAN in caught.value.message


def test_titan_access_denied_says_how_to_fix_it(bedrock) -> None:
    client, stub = bedrock
    stub.add_client_error("invoke_model", service_error_code="AccessDeniedException", http_status_code=403)
    with pytest.raises(AgentError, match="Enable access to the embedding model"):
        BedrockTitanEmbeddings(region="eu-west-1", client=client).embed(["text"])


def test_titan_answer_without_an_embedding_is_an_error(bedrock) -> None:
    client, stub = bedrock
    stub.add_response("invoke_model", titan_answer([0.1] * 10))
    with pytest.raises(AgentError, match="1024-dimension"):
        BedrockTitanEmbeddings(region="eu-west-1", client=client).embed(["text"])


def test_titan_refuses_dimensions_it_does_not_offer() -> None:
    with pytest.raises(ValueError, match="1024, 512 or 256"):
        BedrockTitanEmbeddings(dimensions=384)


def test_the_factory_builds_titan_with_its_options() -> None:
    provider = embedding_provider("bedrock", region="eu-central-1", dimensions=512)
    assert (provider.model_id, provider.dimensions, provider.max_tokens) == (TITAN, 512, 8192)


# --- OpenAI -----------------------------------------------------------------------------------


class FakeOpenAI:
    """Plays POST /v1/embeddings: checks the key, answers vectors in reverse index order."""

    def __init__(self, dimensions: int = 8) -> None:
        self.dimensions = dimensions
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.headers: dict[str, str] = {}

    def __call__(self, request: httpx.Request) -> httpx.Response:
        assert request.method == "POST" and request.url.path == "/v1/embeddings"
        if request.headers.get("Authorization") != f"Bearer {API_KEY}":
            return httpx.Response(401, json={"error": {"message": "Incorrect API key provided"}})
        body = json.loads(request.content)
        self.requests.append(body)
        if self.status != 200:
            return httpx.Response(self.status, headers=self.headers, json={"error": {"message": "slow down"}})
        data = [
            {"object": "embedding", "index": i, "embedding": [float(i + 1)] * self.dimensions}
            for i in range(len(body["input"]))
        ]
        return httpx.Response(200, json={"object": "list", "data": data[::-1], "model": body["model"]})


def openai(fake: FakeOpenAI, **options: Any) -> OpenAIEmbeddings:
    options.setdefault("dimensions", fake.dimensions)
    return OpenAIEmbeddings(
        api_key=options.pop("api_key", API_KEY), transport=httpx.MockTransport(fake), **options
    )


def test_openai_vectors_come_back_in_input_order_and_normalised() -> None:
    fake = FakeOpenAI()
    vectors = openai(fake).embed(["first", "second", "third"])
    # The fake answered in reverse order; the index field puts them back
    assert [round(v[0] * math.sqrt(8), 6) for v in vectors] == [1.0, 1.0, 1.0]
    assert all(unit_length(v) for v in vectors)
    assert fake.requests == [
        {"model": "text-embedding-3-small", "input": ["first", "second", "third"], "encoding_format": "float",
         "dimensions": 8}
    ]  # fmt: skip


def test_openai_batches_by_input_count_and_by_token_budget() -> None:
    fake = FakeOpenAI()
    # Given limits of 3 inputs and 10 tokens per request
    provider = openai(fake, max_inputs=3, max_request_tokens=10)
    texts = [
        "one two three four",
        "five",
        "six",
        "seven",
        "eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen",
    ]
    # When five texts are embedded
    assert len(provider.embed(texts)) == 5
    # Then no request broke either limit
    assert [body["input"] for body in fake.requests] == [
        ["one two three four", "five", "six"],
        ["seven"],
        ["eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen"],
    ]


def test_openai_throttling_is_transient_with_the_retry_after_hint() -> None:
    fake = FakeOpenAI()
    fake.status, fake.headers = 429, {"Retry-After": "7"}
    with pytest.raises(TransientAgentError) as caught:
        openai(fake).embed(["text"])
    assert caught.value.retry_after == 7.0


def test_openai_server_errors_are_transient() -> None:
    fake = FakeOpenAI()
    fake.status = 503
    with pytest.raises(TransientAgentError):
        openai(fake).embed(["text"])


def test_a_rejected_openai_key_is_a_clear_error_that_never_shows_the_key() -> None:
    fake = FakeOpenAI()
    provider = openai(fake, api_key="sk-wrong-0000", secret_name="agentflow/acme/openai")
    with pytest.raises(ConnectorError) as caught:
        provider.embed(["text"])
    assert "rejected the credentials in secret 'agentflow/acme/openai'" in caught.value.message
    assert "sk-wrong" not in caught.value.message and "sk-wrong" not in repr(provider)


def test_openai_needs_a_key_and_https() -> None:
    with pytest.raises(ConnectorError, match="API key"):
        OpenAIEmbeddings(api_key="")
    with pytest.raises(ConnectorError, match="https"):
        OpenAIEmbeddings(api_key=API_KEY, base_url="http://api.example.com/v1")


def test_openai_model_ids_name_the_dimensions_when_they_are_shortened() -> None:
    assert OpenAIEmbeddings(api_key=API_KEY).model_id == "text-embedding-3-small"
    assert OpenAIEmbeddings(api_key=API_KEY).dimensions == 1536
    assert OpenAIEmbeddings(api_key=API_KEY, dimensions=512).model_id == "text-embedding-3-small-512d"


def test_openai_key_comes_from_the_secret() -> None:
    clear_secret_cache()
    with mock_aws():
        boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name="agentflow/acme/openai", SecretString=json.dumps({"api_key": API_KEY, "dimensions": 256})
        )
        provider = openai_from_secret("agentflow/acme/openai")  # the function's Region (us-east-1)
    clear_secret_cache()
    assert (provider.model_id, provider.dimensions) == ("text-embedding-3-small-256d", 256)


def test_a_secret_without_api_key_is_refused() -> None:
    clear_secret_cache()
    with mock_aws():
        boto3.client("secretsmanager", region_name="us-east-1").create_secret(
            Name="agentflow/acme/openai", SecretString=json.dumps({"key": API_KEY})
        )
        with pytest.raises(ConnectorError, match="lacks api_key"):
            openai_from_secret("agentflow/acme/openai", "us-east-1")
    clear_secret_cache()
