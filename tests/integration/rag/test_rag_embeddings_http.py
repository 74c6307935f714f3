"""Titan and OpenAI embeddings over real HTTP against local fakes (pytest-httpserver on loopback):
the request each vendor receives, and how throttling comes back."""

from __future__ import annotations

import json
import math

import boto3
import pytest
from botocore.config import Config
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from agentflow.errors import ConnectorError, TransientAgentError
from agentflow.rag.embeddings import BedrockTitanEmbeddings, OpenAIEmbeddings

pytestmark = pytest.mark.enable_socket

TITAN = "amazon.titan-embed-text-v2:0"
API_KEY = "sk-live-test-91b2c3"


def titan(httpserver: HTTPServer, dimensions: int = 256) -> BedrockTitanEmbeddings:
    client = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=httpserver.url_for("/"),
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )
    return BedrockTitanEmbeddings(dimensions=dimensions, region="us-east-1", client=client)


def test_titan_posts_each_text_to_the_models_invoke_path(httpserver: HTTPServer) -> None:
    # Given a Bedrock endpoint that answers every text with a vector derived from its length
    seen: list[dict] = []

    def invoke(request: Request) -> Response:
        body = json.loads(request.get_data())
        seen.append({"path": request.path, "body": body, "signed": "Authorization" in request.headers})
        vector = [float(len(body["inputText"]))] + [1.0] * (body["dimensions"] - 1)
        return Response(
            json.dumps({"embedding": vector, "inputTextTokenCount": 3}), content_type="application/json"
        )

    httpserver.expect_request(f"/model/{TITAN}/invoke", method="POST").respond_with_handler(invoke)
    # When three texts are embedded (in parallel calls)
    vectors = titan(httpserver).embed(["a", "bb", "ccc"])
    # Then each call carried Titan's body on the model's path, signed, and the order is kept
    assert sorted(call["body"]["inputText"] for call in seen) == ["a", "bb", "ccc"]
    assert all(call["path"] == f"/model/{TITAN}/invoke" and call["signed"] for call in seen)
    assert all(call["body"]["dimensions"] == 256 and call["body"]["normalize"] is True for call in seen)
    firsts = [
        vector[0] * math.sqrt(sum(x * x for x in [float(n)] + [1.0] * 255))
        for n, vector in zip((1, 2, 3), vectors, strict=True)
    ]
    assert [round(value) for value in firsts] == [1, 2, 3]


def test_titan_throttling_is_a_transient_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"/model/{TITAN}/invoke", method="POST").respond_with_response(
        Response(
            json.dumps({"message": "Too many requests, please wait before trying again."}),
            status=429,
            headers={"x-amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/coral/"},
            content_type="application/json",
        )
    )
    with pytest.raises(TransientAgentError, match="ThrottlingException"):
        titan(httpserver).embed_query("refund policy")


def openai(httpserver: HTTPServer, **options) -> OpenAIEmbeddings:
    return OpenAIEmbeddings(
        api_key=API_KEY, base_url=httpserver.url_for("/v1"), allow_loopback=True, **options
    )


def test_openai_posts_the_batch_with_bearer_auth(httpserver: HTTPServer) -> None:
    # Given OpenAI's embeddings endpoint expecting the key and the exact body
    data = [{"object": "embedding", "index": i, "embedding": [0.0, 3.0, 4.0]} for i in (1, 0)]
    httpserver.expect_request(
        "/v1/embeddings",
        method="POST",
        headers={"Authorization": f"Bearer {API_KEY}"},
        json={
            "model": "text-embedding-3-small",
            "input": ["alpha", "beta"],
            "encoding_format": "float",
            "dimensions": 3,
        },
    ).respond_with_json({"object": "list", "data": data, "model": "text-embedding-3-small"})
    # When two texts are embedded
    vectors = openai(httpserver, dimensions=3).embed(["alpha", "beta"])
    # Then one request carried both and the vectors are unit length
    assert vectors == [[0.0, 0.6, 0.8], [0.0, 0.6, 0.8]]
    httpserver.check_assertions()


def test_openai_rate_limit_is_transient_with_retry_after(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/embeddings", method="POST").respond_with_json(
        {"error": {"message": "Rate limit reached", "type": "requests"}},
        status=429,
        headers={"Retry-After": "2"},
    )
    with pytest.raises(TransientAgentError) as caught:
        openai(httpserver).embed(["text"])
    assert caught.value.retry_after == 2.0
    assert API_KEY not in caught.value.message


def test_openai_wrong_key_is_a_connector_error(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/v1/embeddings", method="POST").respond_with_json(
        {"error": {"message": "Incorrect API key provided", "code": "invalid_api_key"}}, status=401
    )
    with pytest.raises(ConnectorError, match="rejected the credentials"):
        openai(httpserver).embed(["text"])
