"""The local gateway's console files: index at /, content types, nothing outside console/."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from agentflow.local.gateway import ConsoleFiles

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def files() -> ConsoleFiles:
    return ConsoleFiles(ROOT / "console")


def test_the_root_serves_index_html(files: ConsoleFiles) -> None:
    response = files.response("/")
    assert response is not None and response["statusCode"] == 200
    assert response["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert b"<title>AgentFlow console</title>" in base64.b64decode(response["body"])


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/styles.css", "text/css; charset=utf-8"),
        ("/js/app.js", "text/javascript; charset=utf-8"),
        ("/favicon.svg", "image/svg+xml"),
    ],
)
def test_static_files_carry_their_content_type(files: ConsoleFiles, path: str, content_type: str) -> None:
    response = files.response(path)
    assert response is not None and response["headers"]["Content-Type"] == content_type
    assert response["headers"]["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        "/../template.yaml",
        "/%2e%2e/template.yaml",
        "/js/../../pyproject.toml",
        "/js/%2E%2E/%2E%2E/Makefile",
        "/..%5ctemplate.yaml",
        "/%00index.html",
        "/js",
        "/missing.js",
    ],
)
def test_nothing_outside_the_console_or_missing_is_served(files: ConsoleFiles, path: str) -> None:
    assert files.response(path) is None
