"""Entry point of the HTTP API (API Gateway REST proxy events)."""

from __future__ import annotations

import reprlib
from typing import Any

# Routes load their services on first use; boto3 is loaded here, during init, as nearly every route
# calls AWS: Lambda runs init at full CPU, and the first request should not pay for the SDK's import.
import boto3  # noqa: F401
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.utilities.typing import LambdaContext

from agentflow import __version__
from agentflow.errors import AgentFlowError
from agentflow.observability import logger
from agentflow.tracing import capture_lambda_handler
from api_routes import (
    agents,
    approvals,
    documents,
    event_triggers,
    executions,
    schedules,
    webhooks,
    workflows,
)
from api_routes.common import JSON
from openapi_document import DocumentedResolver
from request_guard import error_body, guard

API_PREFIX = "/api/v1"
TITLE = "AgentFlow API"

app = DocumentedResolver(enable_validation=True)
for router in (
    agents.router,
    workflows.router,
    schedules.router,
    webhooks.router,
    event_triggers.router,
    executions.router,
    approvals.router,
    documents.router,
):
    app.include_router(router, prefix=API_PREFIX)
app.enable_swagger(
    path="/docs",
    title=TITLE,
    version=__version__,
    security_schemes={"bearerAuth": HTTPBearer(bearerFormat="API key")},
    security=[{"bearerAuth": []}],
)


def error_response(status: int, code: str, message: str, details: list[Any] | None = None) -> Response[Any]:
    return Response(status_code=status, content_type=JSON, body=error_body(code, message, details))


@app.get(f"{API_PREFIX}/openapi.json", include_in_schema=False)
def openapi_document() -> Response[Any]:
    body = app.get_openapi_json_schema(
        title=TITLE,
        version=__version__,
        security_schemes={"bearerAuth": HTTPBearer(bearerFormat="API key")},
        security=[{"bearerAuth": []}],
    )
    return Response(status_code=200, content_type=JSON, body=body)


def _where(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location]
    if parts and parts[0] in {"body", "query", "path", "header"}:
        section, rest = parts[0], parts[1:]
        return (section + ": " if section != "body" else "") + ".".join(rest) if rest else section
    return ".".join(parts)


@app.exception_handler(RequestValidationError)
def invalid_request(error: RequestValidationError) -> Response[Any]:
    problems = []
    for item in error.errors():
        where = _where(tuple(item.get("loc", ())))
        message = item.get("msg", "is invalid")
        if item.get("type") == "json_invalid":
            message = "the request body is not valid JSON"
        elif item.get("type") == "extra_forbidden":
            message = "is not a known field"
        problems.append(f"{where}: {message}" if where else message)
    return error_response(
        422, "validation_error", (problems[0] if problems else "Invalid request") + ".", problems
    )


@app.exception_handler(AgentFlowError)
def domain_error(error: AgentFlowError) -> Response[Any]:
    return error_response(error.status, error.code, error.message, error.details)


@app.not_found
def route_not_found(_: Exception) -> Response[Any]:
    # The message quotes what was asked for, but not a 5,000-character path back in full.
    path = reprlib.repr(app.current_event.path)
    return error_response(404, "not_found", f"No route for {app.current_event.http_method[:16]} {path}.")


@app.exception_handler(Exception)
def unexpected_error(error: Exception) -> Response[Any]:
    logger.exception("Unhandled error")
    return error_response(500, "internal_error", "An internal error occurred; it has been logged.")


@logger.inject_lambda_context(clear_state=True, correlation_id_path="requestContext.requestId")
@capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    event, refused = guard(event)
    if refused is not None:
        return refused
    return app.resolve(event, context)
