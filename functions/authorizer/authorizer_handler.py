"""API Gateway TOKEN authorizer: ``Authorization: Bearer <api key>`` → the key's tenant."""

from __future__ import annotations

from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from agentflow.observability import logger
from agentflow.store.apikeys import ApiKeyRepository


@cache
def repository() -> ApiKeyRepository:
    return ApiKeyRepository()


def _api_wide(method_arn: str) -> str:
    # arn:aws:execute-api:region:account:api-id/stage/METHOD/path → every route of the stage, so a
    # cached decision is valid for the key's next call to any route.
    prefix, _, path = method_arn.partition("/")
    stage = path.split("/", 1)[0]
    return f"{prefix}/{stage}/*/*"


def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    scheme, _, api_key = (event.get("authorizationToken") or "").partition(" ")
    tenant_id = repository().tenant_of(api_key.strip()) if scheme.lower() == "bearer" and api_key else None
    if tenant_id is None:
        logger.info("Rejected a request with a missing or unknown API key")
        raise Exception("Unauthorized")  # API Gateway's documented way to answer 401
    return {
        "principalId": tenant_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": _api_wide(event["methodArn"])}
            ],
        },
        "context": {"tenant_id": tenant_id},
    }
