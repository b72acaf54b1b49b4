"""Browser tests: Playwright (Python) driving Debian's chromium against a live akte server on a free port.

Fixtures:
- `browser`: one headless chromium for tests/browser (`/usr/bin/chromium`, installed by `make install`;
  `playwright install` is never called). Missing chromium skips these tests only outside CI (env CI unset).
- `live_services`: fresh `Services` per test: SQLite database (migrated) and file blob store under tmp_path.
- `live_app`: `create_app(services=live_services)`; override it in a test module to add routes or config
  before the server starts (`def live_app(live_app): live_app.add_url_rule(...); return live_app`).
- `live_server`: the app served by werkzeug in a thread; `.url` is its base URL, `.services` its services.
- `page`: a new browser context per test (locale de-DE, base_url = live_server.url, so `page.goto("/health")`);
  uncaught page errors and Content-Security-Policy violations fail the test at teardown.
See tests/browser/axe.py for `assert_accessible` and `save_screenshot`.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, ConsoleMessage, Error, Page, Playwright, sync_playwright
from werkzeug.serving import make_server

from core.bootstrap import Services, bootstrap
from core.migrate import upgrade
from core.settings import load_settings
from engine.handlers import HandlerRegistry
from web.app import create_app

CHROMIUM = Path("/usr/bin/chromium")
DEFAULT_TIMEOUT_MS = 10_000


@dataclass(frozen=True)
class LiveServer:
    url: str  # http://127.0.0.1:PORT, no trailing slash
    app: Flask
    services: Services

    def __call__(self, path: str) -> str:
        """Absolute URL of a path on the server: `live_server("/health")`."""
        return self.url + path


@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: `make install` installs Debian's chromium for the browser tests"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    launched = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), headless=True)
    yield launched
    launched.close()


@pytest.fixture
def live_services(tmp_path: Path) -> Iterator[Services]:
    settings = load_settings(database_url=f"sqlite:///{tmp_path / 'akte.db'}", data_dir=tmp_path,
                             blob_url=f"file://{tmp_path / 'blobs'}")
    services = bootstrap(settings, handlers=HandlerRegistry())
    upgrade(services.db)
    yield services
    services.db.dispose()


@pytest.fixture
def live_app(live_services: Services) -> Flask:
    return create_app(services=live_services)


@pytest.fixture
def live_server(live_app: Flask, live_services: Services) -> Iterator[LiveServer]:
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="akte-live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=live_app, services=live_services)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin", base_url=live_server.url,
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    opened = context.new_page()
    problems: list[str] = []

    def on_page_error(error: Error) -> None:
        problems.append(f"uncaught error in the page: {error.message}")

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            problems.append(f"CSP violation: {message.text}")

    opened.on("pageerror", on_page_error)
    opened.on("console", on_console)
    yield opened
    context.close()
    if problems:
        pytest.fail("the browser reported problems:\n" + "\n".join(problems))
