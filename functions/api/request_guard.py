"""Checks every request passes before any route runs, so hostile input is a 4xx, never a 5xx.

The resolver decodes bodies lazily inside the routes, where an undecodable body, JSON nested
thousands deep or a multipart type without a boundary escape as 500s. Here each request is refused
with the contract's error body, or handed on with a UTF-8 text body that the routes can read.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from itertools import accumulate
from typing import Any

JSON = "application/json"
MAX_BODY_BYTES = 1024 * 1024
# Direct document uploads carry up to 4 MiB of file content, base64-encoded: under Lambda's 6 MB.
DOCUMENT_BODY_BYTES = 6 * 1000 * 1000
# Far deeper than any workflow or input needs, far shallower than the parsers' recursion limits.
MAX_JSON_DEPTH = 64
# Python refuses to read integers of more than 4,300 digits (a ValueError the resolver does not catch).
MAX_NUMBER_DIGITS = 1000

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
# A \uD800-\uDFFF escape that is not half of a pair (after an even run of backslashes) names no
# character: Python reads it, then fails to encode it as UTF-8 deep inside a route.
_LONE_SURROGATE = re.compile(
    r"(?:^|[^\\])(?:\\\\)*"
    r"(?:\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F][0-9a-fA-F]{2})"
    r"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2})"
)
_LONG_NUMBER = re.compile(rf"\d{{{MAX_NUMBER_DIGITS + 1},}}")


def error_body(code: str, message: str, details: list[Any] | None = None) -> dict[str, Any]:
    """The contract's error body."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return {"error": error}


def refusal(status: int, code: str, message: str) -> dict[str, Any]:
    """A proxy response carrying the contract's error body."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": JSON},
        "body": json.dumps(error_body(code, message)),
        "isBase64Encoded": False,
    }


def _depth(outside_strings: str) -> int:
    brackets = _NOT_A_BRACKET.sub("", outside_strings)
    return max(accumulate(1 if bracket in "[{" else -1 for bracket in brackets), default=0)


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in the JSON ``text``, counted without parsing it."""
    return _depth(_STRING.sub('""', text))


def json_problem(text: str) -> str | None:
    """Why a JSON body would break the parser rather than be judged by it, or None."""
    outside_strings = _STRING.sub('""', text)
    depth = _depth(outside_strings)
    if depth > MAX_JSON_DEPTH:
        return f"The request body nests {depth} levels deep; at most {MAX_JSON_DEPTH} are accepted."
    if _LONG_NUMBER.search(outside_strings):
        return f"A number in the request body has more than {MAX_NUMBER_DIGITS} digits."
    if "\\u" in text and _LONE_SURROGATE.search(text):
        return "The request body escapes half of a UTF-16 surrogate pair (\\uD800-\\uDFFF): not a character."
    return None


def _header(event: dict[str, Any], name: str) -> str:
    headers = event.get("headers") or {}
    return next((str(value) for key, value in headers.items() if key.lower() == name), "")


def _is_upload(event: dict[str, Any]) -> bool:
    path = (event.get("path") or "").rstrip("/")
    return event.get("httpMethod") == "POST" and path.endswith("/api/v1/documents")


def _too_large(event: dict[str, Any], upload: bool) -> dict[str, Any] | None:
    # The body as the event carries it (base64 included): what counts against Lambda's 6 MB.
    size = len(event.get("body") or "")
    if size <= (DOCUMENT_BODY_BYTES if upload else MAX_BODY_BYTES):
        return None
    if upload:
        message = (
            "The file is too large to upload through the API (up to 4 MiB); "
            "use POST /api/v1/documents/uploads for files up to 100 MiB."
        )
    else:
        message = f"The request body exceeds {MAX_BODY_BYTES:,} bytes."
    return refusal(413, "payload_too_large", message)


def _with_json_content_type(event: dict[str, Any]) -> dict[str, Any]:
    """Every route but the upload reads JSON, whatever Content-Type the client sent.

    ``curl -d`` says form-encoded; a stray ``multipart/form-data`` would make the resolver look for
    a boundary. The API speaks nothing but JSON, so the body is read as JSON and judged as such.
    """
    headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() != "content-type"}
    event = {**event, "headers": {**headers, "Content-Type": JSON}}
    if event.get("multiValueHeaders"):
        multi = {k: v for k, v in event["multiValueHeaders"].items() if k.lower() != "content-type"}
        event["multiValueHeaders"] = {**multi, "Content-Type": [JSON]}
    return event


def _text_body(event: dict[str, Any]) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(the event with a UTF-8 text body, None) or (None, the refusal)."""
    body = event.get("body")
    if not event.get("isBase64Encoded") or body is None:
        return event, None
    try:
        raw = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return None, refusal(422, "validation_error", "The request body is not valid base64.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, refusal(
            422, "validation_error", f"The request body is not valid UTF-8 (at byte offset {error.start})."
        )
    return {**event, "body": text, "isBase64Encoded": False}, None


def guard(event: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """(the event to resolve, None), or (the event, the 4xx response that refuses it).

    A trailing slash is dropped (both spellings are one route); bodies above the size limits are
    413; on JSON routes a body must be UTF-8, nest at most ``MAX_JSON_DEPTH`` deep and hold no
    number longer than ``MAX_NUMBER_DIGITS`` digits nor an unpaired surrogate escape (422).
    """
    path = event.get("path") or "/"
    if len(path) > 1 and path.endswith("/"):
        event = {**event, "path": path.rstrip("/")}
    upload = _is_upload(event)
    too_large = _too_large(event, upload)
    if too_large is not None:
        return event, too_large
    if upload and _header(event, "content-type").lower().startswith("multipart/"):
        return event, None  # the upload route reads its parts from the raw bytes itself
    text_event, refused = _text_body(event)
    if text_event is None:
        return event, refused
    event = text_event
    if event.get("body"):
        event = _with_json_content_type(event)
        problem = json_problem(event["body"])
        if problem is not None:
            return event, refusal(422, "validation_error", problem)
    return event, None
