"""Checks a captured request against a vendor's published API description (trimmed in specs/).

OpenAPI 3 and Swagger 2: the path and method must be an operation, its required path, query and
header parameters present, no query (or, for Swagger form methods, body) parameter it does not
declare, and a JSON body valid against the operation's schema. OData CSDL (SAP, Microsoft Graph)
has its own checks in the tests that use it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
from openapi_schema_validator import OAS30Validator

SPECS = Path(__file__).resolve().parent / "specs"


@dataclass
class Coverage:
    """The operations a vendor's requests were checked against (for the conformance report)."""

    checked: dict[str, set[str]] = field(default_factory=dict)

    def add(self, vendor: str, operation: str) -> None:
        self.checked.setdefault(vendor, set()).add(operation)


COVERAGE = Coverage()


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    spec: Mapping[str, Any]
    parameters: tuple[Mapping[str, Any], ...]


class OpenApiSpec:
    """One trimmed description; ``check(request)`` lists what the request does wrong."""

    def __init__(self, name: str, *, vendor: str, allowed: Mapping[str, set[str]] | None = None) -> None:
        self.doc: dict[str, Any] = json.loads((SPECS / name).read_text(encoding="utf-8"))
        self.vendor = vendor
        self.swagger2 = "swagger" in self.doc
        base = self.doc.get("basePath", "") if self.swagger2 else urlsplit(self.doc["servers"][0]["url"]).path
        self.base_path = base.rstrip("/")
        # Parameters the vendor documents but this (older) published description lacks, with why.
        self.allowed = allowed or {}

    def _resolve(self, node: Any) -> Any:
        while isinstance(node, Mapping) and "$ref" in node:
            target: Any = self.doc
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part]
            node = target
        return node

    def operation(self, method: str, path: str) -> Operation | None:
        """The operation for ``method`` on ``path`` (literal segments win over templated ones)."""
        candidates = []
        for template, item in self.doc["paths"].items():
            pattern = "^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$"
            if re.match(pattern, path) and method.lower() in item:
                candidates.append((template.count("{"), template, item))
        if not candidates:
            return None
        _, template, item = min(candidates)
        spec = item[method.lower()]
        parameters = tuple(
            self._resolve(p) for p in [*item.get("parameters", []), *spec.get("parameters", [])]
        )
        return Operation(method.upper(), template, spec, parameters)

    def check(self, request: httpx.Request) -> list[str]:
        """Problems of ``request`` against the description; an empty list when it conforms."""
        path = unquote(request.url.path)
        if not path.startswith(self.base_path):
            return [f"{path} is outside the API's base path {self.base_path}"]
        path = path[len(self.base_path) :] or "/"
        operation = self.operation(request.method, path)
        if operation is None:
            return [f"{request.method} {path} is no operation of the published description"]
        COVERAGE.add(self.vendor, f"{operation.method} {operation.template}")
        allowed = self.allowed.get(f"{operation.method} {operation.template}", set())
        problems: list[str] = []
        query = dict(request.url.params)
        body = _json_body(request)
        form = body if self.swagger2 and isinstance(body, dict) and _form_method(operation) else None
        declared = {(p["in"], p["name"]) for p in operation.parameters}
        for parameter in operation.parameters:
            where, name = parameter["in"], parameter["name"]
            if not parameter.get("required"):
                continue
            present = {
                "query": name in query,
                "header": name.lower() in request.headers,
                "formData": form is not None and name in form,
                "path": True,  # the template matched
                "body": body is not None,
            }.get(where, True)
            if name == "token" and self.swagger2:
                present = "authorization" in request.headers  # Slack: the bearer token replaces it
            if not present:
                problems.append(f"required {where} parameter '{name}' is missing")
        for name in query:
            if ("query", name) not in declared and name not in allowed:
                problems.append(f"query parameter '{name}' is not declared")
        if form is not None:
            for name in form:
                if ("formData", name) not in declared and name not in allowed:
                    problems.append(f"body field '{name}' is not a declared parameter")
        schema = self._body_schema(operation)
        if schema is not None and form is None:
            if body is None:
                problems.append("the operation requires a JSON body")
            else:
                problems += self._validate(schema, body)
        return problems

    def _body_schema(self, operation: Operation) -> Any:
        if self.swagger2:
            bodies = [p for p in operation.parameters if p["in"] == "body"]
            return bodies[0]["schema"] if bodies else None
        content = (self._resolve(operation.spec.get("requestBody")) or {}).get("content") or {}
        return (content.get("application/json") or {}).get("schema")

    def _validate(self, schema: Any, instance: Any) -> list[str]:
        # allOf keeps the components beside the schema, so its $refs resolve inside the document.
        root = {"allOf": [schema], "components": self.doc.get("components", {})}
        root["definitions"] = self.doc.get("definitions", {})
        validator = OAS30Validator(root)
        return [
            f"body {'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
            for error in validator.iter_errors(instance)
        ]


def _form_method(operation: Operation) -> bool:
    return any(p["in"] == "formData" for p in operation.parameters)


def _json_body(request: httpx.Request) -> Any:
    content = request.content
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None


Router = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """An httpx transport that answers with ``route`` and keeps every request it saw."""

    def __init__(self, route: Router) -> None:
        self.requests: list[httpx.Request] = []
        self._route = route

    def transport(self) -> httpx.MockTransport:
        def handle(request: httpx.Request) -> httpx.Response:
            request.read()
            self.requests.append(request)
            return self._route(request)

        return httpx.MockTransport(handle)


@dataclass(frozen=True)
class Deviation:
    """A place where the vendor's reference documentation and its published description disagree.

    ``problem`` is a substring of the checker's message; ``reason`` cites the documentation that
    the client follows instead. Tests assert each deviation is still met, so none goes stale.
    """

    problem: str
    reason: str


def problems_of(
    spec: OpenApiSpec, requests: Iterable[httpx.Request], deviations: Iterable[Deviation] = ()
) -> dict[str, list[str]]:
    """{"METHOD path": problems} for every request with any (empty when all conform).

    Problems a documented ``deviation`` explains are left out.
    """
    known = tuple(deviations)
    found = {}
    for request in requests:
        problems = [p for p in spec.check(request) if not any(d.problem in p for d in known)]
        if problems:
            found[f"{request.method} {request.url.path}"] = problems
    return found


def deviations_met(
    spec: OpenApiSpec, requests: Iterable[httpx.Request], deviations: Iterable[Deviation]
) -> set[str]:
    """The ``problem`` of each deviation some request still shows."""
    shown = [problem for request in requests for problem in spec.check(request)]
    return {d.problem for d in deviations if any(d.problem in problem for problem in shown)}
