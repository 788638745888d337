"""What the browser tests share: Debian's Chromium under Playwright, the real server,
and a tab that records dialogs and script errors."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
HOW_TO_ENABLE = (
    "browser tests need Chromium and Playwright: apt-get install chromium; pip install playwright"
)
TEST_HOOKS_FLAG = "window.__trackioTestHooks = true;"
"""Run before the page's scripts: it makes the dashboard publish `window.__trackio`,
the state the tests wait on (a user's page publishes nothing)."""


def new_test_context(browser, **options):
    """A browser context whose pages publish the dashboard's test hooks. Tests read
    them through evaluated expressions, which the dashboard's Content-Security-Policy
    forbids page scripts, so the context bypasses it (one test runs without this, to
    check the app itself keeps to the policy)."""
    context = browser.new_context(bypass_csp=True, **options)
    context.add_init_script(TEST_HOOKS_FLAG)
    return context


DIST_INDEX = (
    Path(__file__).resolve().parent.parent / "trackio" / "dashboard" / "dist" / "index.html"
)

try:
    from playwright.sync_api import sync_playwright
except ImportError:
    sync_playwright = None


def skip_module_without_browser() -> None:
    """Skip the calling test module, saying how to enable it, if it cannot run here."""
    if sync_playwright is None or not os.path.exists(CHROMIUM):
        pytest.skip(HOW_TO_ENABLE, allow_module_level=True)


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium for the module; fails (not skips) if the dashboard is unbuilt."""
    if not DIST_INDEX.is_file():
        pytest.fail(
            f"{DIST_INDEX} is missing: build the dashboard with "
            "`cd frontend && npm ci && npm run build` (or `pip install -e .`)"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


class BrowserTab:
    """One tab on the dashboard, recording dialogs (dismissed) and script errors."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", self._on_dialog)
        page.on("pageerror", lambda error: self.errors.append(f"{error}\n{error.stack}"))
        page.add_init_script("Error.stackTraceLimit = 60")

    def _on_dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


BACKENDS = ["sqlite", "postgres"]
"""What the dashboard's browser tests run on: SQLite files, and PostgreSQL."""


def serve_dashboard(request):
    """A `server` fixture's body, parametrised over `BACKENDS`: the real dashboard server
    on a free loopback port, its projects in SQLite files or in the test session's
    PostgreSQL database (this process then logs there too). Yields the server."""
    from trackio.server.app import start_server
    from trackio.storage import use_database

    if request.param == "postgres":
        use_database(request.getfixturevalue("postgres_session_url"))
    handle = start_server(host="127.0.0.1", port=0)
    try:
        yield handle
    finally:
        handle.stop()
        use_database(None)


def empty_after_test():
    """An autouse fixture's body: after a test, finish its runs and, on PostgreSQL,
    drop the projects it made (SQLite's live in the test's own directory)."""
    import trackio
    from trackio.storage import database_url

    yield
    trackio.finish()
    if database_url() is not None:
        import postgres_support

        postgres_support.empty_database(database_url())


def dashboard_server_fixtures(backends=BACKENDS):
    """A dashboard test module's `server` fixture (the real server, module-scoped,
    over each of `backends`) and an autouse fixture emptying what each test made:
    `server, _each_test_starts_empty = dashboard_server_fixtures()`."""

    @pytest.fixture(scope="module", params=backends)
    def server(request):
        yield from serve_dashboard(request)

    @pytest.fixture(autouse=True)
    def each_test_starts_empty(server):
        yield from empty_after_test()

    return server, each_test_starts_empty


def open_view(browser, url: str, view_class, width: int = 1280, height: int = 900):
    """A fixture's body: a tab on `url` (a test context) wrapped in `view_class`,
    yielded; afterwards it must have raised no script error and opened no dialog."""
    context = new_test_context(browser, viewport={"width": width, "height": height})
    page = context.new_page()
    page.set_default_timeout(15_000)
    view = view_class(page, url)
    yield view
    context.close()
    assert view.errors == [], f"script errors in the page: {view.errors}"
    assert view.dialogs == [], f"the page opened dialogs: {view.dialogs}"


@contextlib.contextmanager
def static_files(folder: Path) -> Iterator[str]:
    """`folder` served by Python's plain static file server (`python -m http.server`,
    its own process: no trackio behind it) on a free loopback port; yields its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "the static file server did not start"
                time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/"
    finally:
        server.terminate()
        server.wait(timeout=10)
