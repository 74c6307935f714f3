"""Amazon Bedrock through the Converse API: one request shape for every Bedrock text model.

Token counts come from the response's ``usage``, which is what Bedrock bills. The boto3 client is
created on first use and shared by the container (boto3 clients are thread-safe).
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from agentflow.errors import AgentError
from agentflow.llm.base import Completion, Message, check_request, llm_error

if TYPE_CHECKING:
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient
    from mypy_boto3_bedrock_runtime.type_defs import ConverseResponseTypeDef

# Throttling and 5xx answers from Bedrock, and a model still loading: the next attempt may succeed.
TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "ServiceUnavailableException",
        "ModelNotReadyException",
        "InternalServerException",
        "ModelTimeoutException",
    }
)

_HINTS = {
    "AccessDeniedException": (
        "Enable access to this model in the Bedrock console for the account and Region, and allow "
        "bedrock:InvokeModel on it (for an inference profile: on the profile and on the foundation "
        "model in every Region it routes to) in the function's role."
    ),
    "ResourceNotFoundException": "Check LLM_MODEL_ID: no such model or inference profile in this Region.",
    "ValidationException": (
        "Check LLM_MODEL_ID and the request: Claude 4.5 and later models run on demand only through "
        "an inference profile id (us./eu./global. prefix)."
    ),
}


@lru_cache(maxsize=8)
def shared_client(region: str, read_timeout: int) -> BedrockRuntimeClient:
    """The container's bedrock-runtime client for a Region (AWS_ENDPOINT_URL is honoured)."""
    # Few in-client retries: the state machine retries TransientAgentError with backoff, and a
    # long in-Lambda retry loop would only burn the task's timeout.
    config = Config(
        retries={"mode": "standard", "max_attempts": 2}, connect_timeout=5, read_timeout=read_timeout
    )
    return boto3.session.Session().client("bedrock-runtime", region_name=region, config=config)


class BedrockProvider:
    """Text generation with a Bedrock model or inference profile."""

    def __init__(
        self,
        model_id: str,
        *,
        region: str,
        read_timeout: int = 300,
        client: BedrockRuntimeClient | None = None,
    ) -> None:
        self._model_id = model_id
        self._region = region
        self._read_timeout = read_timeout
        self._given_client = client

    @property
    def model_id(self) -> str:
        return self._model_id

    @property
    def client(self) -> BedrockRuntimeClient:
        """The bedrock-runtime client: the one given, or the container's shared one."""
        if self._given_client is not None:
            return self._given_client
        return shared_client(self._region, self._read_timeout)

    def converse_request(
        self, *, system: str | None, messages: list[Message], max_tokens: int, temperature: float
    ) -> dict[str, Any]:
        """The Converse request for a completion."""
        request: dict[str, Any] = {
            "modelId": self._model_id,
            "messages": [{"role": message.role, "content": [{"text": message.text}]} for message in messages],
            "inferenceConfig": {"maxTokens": max_tokens, "temperature": temperature},
        }
        if system:
            request["system"] = [{"text": system}]
        return request

    def complete(
        self, *, system: str | None, messages: list[Message], max_tokens: int, temperature: float
    ) -> Completion:
        """One Converse call; errors become TransientAgentError (retry) or AgentError."""
        check_request(self._model_id, messages, max_tokens, temperature)
        request = self.converse_request(
            system=system, messages=messages, max_tokens=max_tokens, temperature=temperature
        )
        try:
            response = self.client.converse(**request)
        except ClientError as error:
            raise self._mapped(error) from error
        except (BotoConnectionError, HTTPClientError) as error:
            raise llm_error(self._model_id, type(error).__name__, str(error), transient=True) from error
        except BotoCoreError as error:
            raise llm_error(self._model_id, type(error).__name__, str(error), transient=False) from error
        return self._completion(response)

    def _mapped(self, error: ClientError) -> AgentError:
        details = error.response.get("Error", {})
        code = str(details.get("Code") or "UnknownError")
        detail = str(details.get("Message") or error)
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        transient = code in TRANSIENT_CODES or status == 429 or status >= 500
        hint = f"(Region {self._region}) {_HINTS.get(code, '')}".rstrip()
        return llm_error(self._model_id, code, detail, transient=transient, hint=hint)

    def _completion(self, response: ConverseResponseTypeDef) -> Completion:
        usage = response.get("usage") or {}
        if "inputTokens" not in usage or "outputTokens" not in usage:
            raise AgentError(f"Bedrock answered for model '{self._model_id}' without token usage.")
        blocks = response.get("output", {}).get("message", {}).get("content", [])
        text = "".join(block["text"] for block in blocks if "text" in block)
        return Completion(
            text=text,
            input_tokens=int(usage["inputTokens"]),
            output_tokens=int(usage["outputTokens"]),
            model_id=self._model_id,
            stop_reason=str(response.get("stopReason", "")),
        )
