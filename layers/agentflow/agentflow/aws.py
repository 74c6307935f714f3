"""boto3 clients, created once per container and shared (boto3 clients are thread-safe).

``client("s3")`` returns the mypy_boto3 type of that service's client, so mypy checks every call's
operation, parameters and response keys. The stub packages are a development dependency only: the
types are imported for the type checker, never at run time. Only the data layer (``store/``,
``sfn.py``) and the connectors call these; services go through them.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal, overload

import boto3
from botocore.config import Config

from agentflow.settings import get_settings

if TYPE_CHECKING:
    from mypy_boto3_bedrock_runtime import BedrockRuntimeClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_events import EventBridgeClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_scheduler import EventBridgeSchedulerClient
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_ses import SESClient
    from mypy_boto3_stepfunctions import SFNClient

_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=5, read_timeout=30)
# Presigned upload URLs must be SigV4 (buckets in newer Regions accept nothing else).
_S3_CONFIG = _CONFIG.merge(Config(signature_version="s3v4"))

Service = Literal[
    "bedrock-runtime", "dynamodb", "events", "s3", "scheduler", "secretsmanager", "ses", "stepfunctions"
]


@lru_cache(maxsize=32)
def _client(service: Service, region: str, config: Config | None = None) -> Any:
    session = boto3.session.Session()
    chosen = config or (_S3_CONFIG if service == "s3" else _CONFIG)
    return session.client(service, region_name=region, config=chosen)


@overload
def client(
    service: Literal["bedrock-runtime"], region: str | None = None, config: Config | None = None
) -> BedrockRuntimeClient: ...
@overload
def client(
    service: Literal["dynamodb"], region: str | None = None, config: Config | None = None
) -> DynamoDBClient: ...
@overload
def client(
    service: Literal["events"], region: str | None = None, config: Config | None = None
) -> EventBridgeClient: ...
@overload
def client(service: Literal["s3"], region: str | None = None, config: Config | None = None) -> S3Client: ...
@overload
def client(
    service: Literal["scheduler"], region: str | None = None, config: Config | None = None
) -> EventBridgeSchedulerClient: ...
@overload
def client(
    service: Literal["secretsmanager"], region: str | None = None, config: Config | None = None
) -> SecretsManagerClient: ...
@overload
def client(service: Literal["ses"], region: str | None = None, config: Config | None = None) -> SESClient: ...
@overload
def client(
    service: Literal["stepfunctions"], region: str | None = None, config: Config | None = None
) -> SFNClient: ...
def client(service: Service, region: str | None = None, config: Config | None = None) -> Any:
    """The shared, typed client for ``service`` (AWS_ENDPOINT_URL is honoured).

    ``region`` defaults to the settings' Region. ``config`` replaces the default retry and timeout
    settings (clients with different configs are cached apart; pass a module-level constant).
    """
    return _client(service, region or get_settings().region, config)
