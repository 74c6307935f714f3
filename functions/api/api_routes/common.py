"""What every router needs: the caller's tenant and JSON responses."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayRouter
from pydantic import BaseModel

from agentflow.errors import UnauthorizedError

JSON = "application/json"


def tenant_of(router: APIGatewayRouter) -> str:
    """The tenant the authorizer resolved from the caller's API key."""
    authorizer = (router.current_event.raw_event.get("requestContext") or {}).get("authorizer") or {}
    tenant_id = authorizer.get("tenant_id")
    if not tenant_id:
        raise UnauthorizedError("A valid API key is required: send 'Authorization: Bearer <api key>'.")
    return str(tenant_id)


def json_response(model: BaseModel | dict[str, Any], status_code: int = 200) -> Response[Any]:
    body = model.model_dump(mode="json") if isinstance(model, BaseModel) else model
    return Response(status_code=status_code, content_type=JSON, body=body)
