"""The served OpenAPI document, completed where the resolver cannot describe the API by itself.

The resolver documents 422 with its own validation body, which the API never sends (every error is
the contract's ``{"error": {...}}``), and it cannot see the request bodies of the two routes that
read their bodies raw: the document upload (multipart or JSON) and the signed webhook trigger.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.event_handler.openapi.models import OpenAPI
from pydantic import BaseModel, ConfigDict

from agentflow.models import DocumentUpload

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}
PUBLIC_PATHS = {"/api/v1/health", "/api/v1/workflows/{workflow_id}/trigger"}


class ErrorDetail(BaseModel):
    """What went wrong: a snake_case code, one human sentence, and optionally every problem found."""

    model_config = ConfigDict(extra="forbid")

    code: str
    message: str
    details: list[Any] | None = None


class ErrorBody(BaseModel):
    """The body of every 4xx and 5xx response."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorDetail


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def _upload_body() -> dict[str, Any]:
    return {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "required": ["file"],
                    "properties": {
                        "file": {"type": "string", "format": "binary", "description": "The file (≤ 4 MiB)"},
                        "workflow_id": {"type": "string", "description": "Scope the document to a workflow"},
                    },
                }
            },
            "application/json": {"schema": {"$ref": "#/components/schemas/DocumentUpload"}},
        },
    }


def _trigger_body() -> dict[str, Any]:
    return {
        "required": False,
        "description": "The execution's input: any JSON value; the signature covers these exact bytes.",
        "content": {"application/json": {"schema": {}}},
    }


def _add_schema(schemas: dict[str, Any], model: type[BaseModel]) -> None:
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in schema.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas[model.__name__] = schema


def complete(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with the contract's error body on every operation and every request body.

    Every operation answers 4xx with :class:`ErrorBody` (422 included, replacing the resolver's own
    schema); routes behind the authorizer document 401; the upload and trigger routes get their
    request bodies; an idempotent replay of ``POST /executions`` answers 200.
    """
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        schemas.pop(name, None)
    _add_schema(schemas, ErrorBody)
    _add_schema(schemas, DocumentUpload)
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses["422"] = _error_response("Invalid request: the message names the offending field")
            responses["4XX"] = _error_response("Refused: the contract's error body")
            if path not in PUBLIC_PATHS:
                responses["401"] = _error_response("A valid API key is required")
            if method == "post" and path == "/api/v1/documents":
                operation["requestBody"] = _upload_body()
                responses["413"] = _error_response("More than 4 MiB: use POST /api/v1/documents/uploads")
            if method == "post" and path == "/api/v1/workflows/{workflow_id}/trigger":
                operation["requestBody"] = _trigger_body()
            if method == "post" and path == "/api/v1/executions" and "202" in responses:
                responses["200"] = {**responses["202"], "description": "The execution this key started"}
    return document


class DocumentedResolver(APIGatewayRestResolver):
    """The resolver whose OpenAPI document (served and in Swagger UI) is :func:`complete`."""

    def get_openapi_schema(self, **kwargs: Any) -> OpenAPI:
        schema = super().get_openapi_schema(**kwargs)
        document = schema.model_dump(by_alias=True, exclude_none=True, mode="json")
        return OpenAPI.model_validate(complete(document))
