"""Entry point of the HTTP API (API Gateway REST proxy events)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.utilities.typing import LambdaContext

from agentflow import __version__
from agentflow.errors import AgentFlowError
from agentflow.observability import logger
from agentflow.tracing import capture_lambda_handler
from api_routes import agents, documents, event_triggers, executions, schedules, webhooks, workflows
from api_routes.common import JSON

API_PREFIX = "/api/v1"
MAX_BODY_BYTES = 1024 * 1024
# Direct document uploads carry up to 4 MiB of file content, base64-encoded: under Lambda's 6 MB.
DOCUMENT_BODY_BYTES = 6 * 1000 * 1000
TITLE = "AgentFlow API"

app = APIGatewayRestResolver(enable_validation=True)
for router in (
    agents.router,
    workflows.router,
    schedules.router,
    webhooks.router,
    event_triggers.router,
    executions.router,
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


def error_body(code: str, message: str, details: list[Any] | None = None) -> dict[str, Any]:
    """The contract's error body."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return {"error": error}


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
    return error_response(
        404, "not_found", f"No route for {app.current_event.http_method} {app.current_event.path}."
    )


@app.exception_handler(Exception)
def unexpected_error(error: Exception) -> Response[Any]:
    logger.exception("Unhandled error")
    return error_response(500, "internal_error", "An internal error occurred; it has been logged.")


def _normalise(event: dict[str, Any]) -> dict[str, Any]:
    """Paths with or without a trailing slash are the same route; every body is JSON.

    A client that sends a body without ``Content-Type: application/json`` (``curl -d`` says
    form-encoded) still means JSON: the API speaks nothing else.
    """
    path = event.get("path") or "/"
    if len(path) > 1 and path.endswith("/"):
        event = {**event, "path": path.rstrip("/")}
    headers = {
        key: value for key, value in (event.get("headers") or {}).items() if key.lower() != "content-type"
    }
    declared = next(
        (value for key, value in (event.get("headers") or {}).items() if key.lower() == "content-type"), ""
    )
    if event.get("body") and not declared.lower().startswith(("application/json", "multipart/")):
        event = {**event, "headers": {**headers, "Content-Type": "application/json"}}
        if event.get("multiValueHeaders"):
            multi = {k: v for k, v in event["multiValueHeaders"].items() if k.lower() != "content-type"}
            event["multiValueHeaders"] = {**multi, "Content-Type": ["application/json"]}
    return event


def _too_large(event: dict[str, Any]) -> dict[str, Any] | None:
    """Refuse oversized bodies before parsing them."""
    size = len(event.get("body") or "")
    upload = event.get("httpMethod") == "POST" and (event.get("path") or "").rstrip("/").endswith(
        "/documents"
    )
    if size <= (DOCUMENT_BODY_BYTES if upload else MAX_BODY_BYTES):
        return None
    if upload:
        message = (
            "The file is too large to upload through the API (up to 4 MiB); "
            "use POST /api/v1/documents/uploads for files up to 100 MiB."
        )
    else:
        message = f"The request body exceeds {MAX_BODY_BYTES:,} bytes."
    return {
        "statusCode": 413,
        "headers": {"Content-Type": JSON},
        "body": json.dumps(error_body("payload_too_large", message)),
        "isBase64Encoded": False,
    }


@logger.inject_lambda_context(clear_state=True, correlation_id_path="requestContext.requestId")
@capture_lambda_handler
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    too_large = _too_large(event)
    if too_large is not None:
        return too_large
    return app.resolve(_normalise(event), context)
