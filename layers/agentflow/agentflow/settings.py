"""Runtime settings, read from the function's environment once and lazily.

In AWS each Lambda container has its own environment. The local stack runs every function in one
process, so it applies a function's environment through :func:`function_environment`, a context
variable that :func:`get_settings` consults before ``os.environ``.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

_environment: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar(
    "agentflow_environment", default=None
)


class Settings(BaseModel):
    """Everything a function reads from its environment, with names as in template.yaml."""

    model_config = ConfigDict(frozen=True)

    region: str = Field("us-east-1", alias="AWS_REGION")
    workflows_table: str = Field("agentflow-workflows", alias="WORKFLOWS_TABLE")
    executions_table: str = Field("agentflow-executions", alias="EXECUTIONS_TABLE")
    agent_runs_table: str = Field("agentflow-agent-runs", alias="AGENT_RUNS_TABLE")
    logs_table: str = Field("agentflow-execution-logs", alias="LOGS_TABLE")
    api_keys_table: str = Field("agentflow-api-keys", alias="API_KEYS_TABLE")
    payloads_bucket: str = Field("agentflow-payloads", alias="PAYLOADS_BUCKET")
    state_machine_role_arn: str = Field(
        "arn:aws:iam::123456789012:role/agentflow-state-machine", alias="STATE_MACHINE_ROLE_ARN"
    )
    state_machine_prefix: str = Field("agentflow", alias="STATE_MACHINE_PREFIX")
    # "<agent_type>=<function arn>,..." — the compiler's map from agent type to Lambda function.
    agent_functions: str = Field("", alias="AGENT_FUNCTIONS")
    finalizer_function_arn: str = Field("", alias="FINALIZER_FUNCTION_ARN")
    # EventBridge Scheduler: where schedules live and what they invoke (the trigger function).
    schedule_group: str = Field("default", alias="SCHEDULE_GROUP")
    trigger_function_arn: str = Field("", alias="TRIGGER_FUNCTION_ARN")
    scheduler_role_arn: str = Field("", alias="SCHEDULER_ROLE_ARN")
    # AWS runs published version ARNs; moto can only run the unqualified (latest) ARN.
    start_published_version: bool = Field(True, alias="START_PUBLISHED_VERSION")
    agent_type: str = Field("", alias="AGENT_TYPE")
    # The X-Ray SDK's boto3 subsegments (agentflow.tracing); Lambda's active tracing needs no SDK.
    xray_sdk: bool = Field(False, alias="XRAY_SDK")
    connector_mode: Literal["live", "sandbox"] = Field("live", alias="CONNECTOR_MODE")
    # /tmp: Lambda's only writable directory.
    sandbox_dir: str = Field("/tmp/agentflow-sandbox", alias="SANDBOX_DIR")  # noqa: S108  # nosec B108
    sandbox_latency_ms: int = Field(0, alias="SANDBOX_LATENCY_MS")
    # Lets live connectors reach http:// and loopback URLs. Only tests set it; no stack ever does.
    connector_allow_loopback: bool = Field(False, alias="AGENTFLOW_CONNECTOR_ALLOW_LOOPBACK")
    sender_email: str = Field("agentflow@example.com", alias="SENDER_EMAIL")
    log_retention_days: int = Field(30, alias="EXECUTION_LOG_RETENTION_DAYS")
    task_timeout_seconds: int = Field(300, alias="TASK_TIMEOUT_SECONDS")
    execution_timeout_seconds: int = Field(3600, alias="EXECUTION_TIMEOUT_SECONDS")
    retry_interval_seconds: int = Field(2, alias="RETRY_INTERVAL_SECONDS")
    retry_max_attempts: int = Field(3, alias="RETRY_MAX_ATTEMPTS")
    # The Map a for_each node compiles to: auto = Distributed above 40 concurrent batches.
    fan_out_map: Literal["auto", "inline", "distributed"] = Field("auto", alias="FAN_OUT_MAP")
    # Text generation (agentflow.llm). The local stack sets LLM_PROVIDER=offline: no network, no cost.
    llm_provider: Literal["bedrock", "offline"] = Field("bedrock", alias="LLM_PROVIDER")
    # A cross-Region inference profile id: Claude 4.5 models run on demand only through one. The
    # "us." profile keeps requests in US Regions; "global." is about 10% cheaper and routes worldwide.
    llm_model_id: str = Field("us.anthropic.claude-haiku-4-5-20251001-v1:0", alias="LLM_MODEL_ID")
    # JSON {"<model id>": {"input_per_million": USD, "output_per_million": USD}}: overrides/extends prices.
    llm_prices: str = Field("", alias="LLM_PRICES")
    llm_max_tokens: int = Field(1024, ge=1, alias="LLM_MAX_TOKENS")

    # Documents and retrieval (agentflow.rag). Embeddings: "local" is the offline int8 MiniLM (the
    # local stack's); deployed stacks use Bedrock Titan or OpenAI. EMBEDDING_MODEL_ID empty = the
    # provider's default. Chroma: a server at CHROMA_URL (token in a secret), or embedded at CHROMA_PATH.
    documents_bucket: str = Field("agentflow-documents", alias="DOCUMENTS_BUCKET")
    ingestion_state_machine_arn: str = Field("", alias="INGESTION_STATE_MACHINE_ARN")
    embedding_provider: Literal["local", "bedrock", "openai"] = Field("bedrock", alias="EMBEDDING_PROVIDER")
    embedding_model_id: str = Field("", alias="EMBEDDING_MODEL_ID")
    openai_api_key_secret: str = Field("", alias="OPENAI_API_KEY_SECRET")
    chroma_url: str = Field("", alias="CHROMA_URL")
    chroma_token_secret: str = Field("", alias="CHROMA_TOKEN_SECRET")
    chroma_path: str = Field("", alias="CHROMA_PATH")
    chunk_tokens: int = Field(500, ge=16, alias="RAG_CHUNK_TOKENS")
    chunk_overlap: int = Field(50, ge=0, alias="RAG_CHUNK_OVERLAP")
    embed_batch_chunks: int = Field(64, ge=1, alias="RAG_EMBED_BATCH_CHUNKS")

    def agent_function_map(self) -> dict[str, str]:
        """Parse AGENT_FUNCTIONS into {agent_type: function arn}."""
        pairs = (item.split("=", 1) for item in self.agent_functions.split(",") if "=" in item)
        return {agent_type.strip(): arn.strip() for agent_type, arn in pairs}


@lru_cache(maxsize=32)
def _settings_for(items: frozenset[tuple[str, str]]) -> Settings:
    known = {field.alias for field in Settings.model_fields.values() if field.alias}
    return Settings.model_validate({key: value for key, value in items if key in known})


def get_settings() -> Settings:
    """The settings of the function running now (cached per distinct environment)."""
    overlay = _environment.get()
    environ = overlay if overlay is not None else os.environ
    return _settings_for(frozenset(environ.items()))


@contextmanager
def function_environment(environ: Mapping[str, str]) -> Iterator[None]:
    """Run a block as if ``environ`` were the process environment (local in-process Lambdas)."""
    token = _environment.set(environ)
    try:
        yield
    finally:
        _environment.reset(token)
