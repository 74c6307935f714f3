"""The request guard: which bodies it refuses before any route, and that it refuses no valid JSON."""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from request_guard import MAX_JSON_DEPTH, guard, json_depth, json_problem
from tests.helpers import proxy_event

# Keys and strings full of what a scanner could mistake for structure: brackets, quotes, escapes.
tricky_text = st.text(alphabet=st.sampled_from('[]{}"\\/u:,😀é\x00\n') | st.characters(codec="utf-8"))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | tricky_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(tricky_text, inner, max_size=4),
    max_leaves=30,
)


def depth_of(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((depth_of(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth_of(item) for item in value.values()), default=0)
    return 0


@settings(max_examples=300)
@given(json_values, st.booleans())
def test_any_json_value_is_measured_exactly_and_passes(value: Any, ascii_only: bool) -> None:
    # Given any JSON document (strings full of brackets, quotes, escapes and surrogate pairs)
    text = json.dumps(value, ensure_ascii=ascii_only)
    # Then its depth is counted exactly, and nothing that shallow is refused
    assert json_depth(text) == depth_of(value)
    assert json_problem(text) is None


def test_depth_counts_brackets_outside_strings_only() -> None:
    assert json_problem(json.dumps({"a": "[{" * 100})) is None
    assert json_problem("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1)) is not None
    assert json_problem("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is None


def test_lone_surrogate_escapes_are_refused_and_pairs_kept() -> None:
    assert json_problem(r'"\ud800"') and json_problem(r'"a\udc00"') and json_problem(r'"\ud83dx"')
    assert json_problem(r'"\ud83d\ude00"') is None  # 😀
    assert json_problem(r'"\\ud800"') is None  # a backslash, then the letters "ud800"


def test_integers_beyond_python_s_digit_limit_are_refused() -> None:
    assert json_problem("[" + "9" * 5000 + "]") is not None
    assert json_problem('["' + "9" * 5000 + '"]') is None  # digits inside a string are text


def test_a_base64_body_is_decoded_to_utf8_text_for_the_routes() -> None:
    event = proxy_event("POST", "/api/v1/workflows/")
    event.update(body=base64.b64encode('{"name": "Café"}'.encode()).decode(), isBase64Encoded=True)
    resolved, refused = guard(event)
    assert refused is None and resolved["body"] == '{"name": "Café"}' and not resolved["isBase64Encoded"]
    assert resolved["path"] == "/api/v1/workflows"


def test_a_body_that_is_not_utf8_is_refused_naming_the_byte() -> None:
    event = proxy_event("POST", "/api/v1/workflows")
    event.update(body=base64.b64encode(b'{"n": "\xff"}').decode(), isBase64Encoded=True)
    _, refused = guard(event)
    assert refused is not None and refused["statusCode"] == 422
    message = json.loads(refused["body"])["error"]["message"]
    assert message == "The request body is not valid UTF-8 (at byte offset 7)."


def test_a_multipart_upload_reaches_its_route_untouched() -> None:
    event = proxy_event("POST", "/api/v1/documents")
    event.update(body=base64.b64encode(b"\xff\x00binary").decode(), isBase64Encoded=True)
    event["headers"] = {"Content-Type": "multipart/form-data; boundary=x"}
    resolved, refused = guard(event)
    assert refused is None and resolved is event


def test_a_stray_content_type_on_a_json_route_becomes_json() -> None:
    event = proxy_event("POST", "/api/v1/workflows", {"name": "x"})
    event["headers"] = {"content-type": "multipart/form-data"}
    resolved, refused = guard(event)
    assert refused is None and resolved["headers"] == {"Content-Type": "application/json"}
