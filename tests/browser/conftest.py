"""Browser tests: the web console in Debian's chromium, driven by Playwright, against the local stack
over HTTP (moto server + gateway on 127.0.0.1). Screenshots land in test-artifacts/browser/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright

from agentflow.client import AgentFlowClient
from agentflow.local.gateway import GatewayServer
from agentflow.local.stack import LocalStack
from tests.helpers import ROOT, serving

API_KEY = "browser-key"
CHROMIUM = Path("/usr/bin/chromium")
# Debian's chromium, never a browser Playwright downloads; quiet and offline.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts" / "browser"
FAILED_RESOURCE = re.compile(r"Failed to load resource: the server responded with a status of (\d{3})")


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    data_dir = tmp_path_factory.mktemp("browser")
    with LocalStack(
        data_dir=data_dir,
        api_keys={API_KEY: "acme"},
        sandbox_latency_ms=50,
        function_log=data_dir / "functions.log",
    ) as local_stack:
        yield local_stack


@pytest.fixture(scope="package")
def server(stack: LocalStack) -> Iterator[GatewayServer]:
    with serving(stack) as gateway_server:
        yield gateway_server


@pytest.fixture
def client(server: GatewayServer) -> Iterator[AgentFlowClient]:
    api = AgentFlowClient(server.url, API_KEY)
    yield api
    api.close()


@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    if not CHROMIUM.is_file():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (Debian's package).")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield launched
    launched.close()


@dataclass
class Console:
    """One browser tab on the console, with what it wrote to the browser console."""

    page: Page
    url: str
    errors: list[str] = field(default_factory=list)

    def open(self, route: str = "") -> None:
        self.page.goto(f"{self.url}/{route}")

    def sign_in(self, key: str = API_KEY) -> None:
        """Sign in with the keyboard alone: the key field has focus, Enter submits."""
        self.open()
        self.page.get_by_label("API key").wait_for()
        self.page.keyboard.type(key)
        self.page.keyboard.press("Enter")

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def unexpected_errors(self, *expected_statuses: int) -> list[str]:
        """Console errors, except failed requests whose status the test expects (a 401, a 422)."""
        return [
            text
            for text in self.errors
            if not ((found := FAILED_RESOURCE.search(text)) and int(found.group(1)) in expected_statuses)
        ]


@pytest.fixture
def console(browser: Browser, server: GatewayServer) -> Iterator[Console]:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    page.set_default_timeout(15_000)
    opened = Console(page, server.url)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            opened.errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: opened.errors.append(f"uncaught: {error}"))
    yield opened
    context.close()
