"""The dashboard of a team server with a read token, in headless Chromium: it asks for
the token once, then shows the charts."""

from __future__ import annotations

import math

import pytest
from browser_support import BACKENDS, BrowserTab, new_test_context, skip_module_without_browser
from team_support import TeamServer

import trackio
from trackio.storage import use_database

skip_module_without_browser()


@pytest.fixture(params=BACKENDS)
def guarded(request, child_env, trackio_dir):
    """A team server with a read token, on SQLite files or on PostgreSQL (where this
    process logs too)."""
    extra: tuple[str, ...] = ()
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        use_database(url)
        extra = ("--db", url)
    server = TeamServer(child_env, trackio_dir, "--read-token", "reader-secret", *extra).start()
    try:
        yield server
    finally:
        server.stop()
        trackio.finish()
        use_database(None)


def test_the_dashboard_asks_for_the_read_token_then_shows_the_charts(browser, guarded, tmp_path):
    trackio.init(project="guarded", name="r")
    for step in range(20):
        trackio.log({"loss": math.exp(-step / 5)})
    trackio.finish()

    shots = tmp_path
    context = new_test_context(browser, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        tab = BrowserTab(page, guarded.url + "/")
        page.goto(guarded.url + "/?project=guarded")
        form = page.locator("[data-testid=signin]")
        form.wait_for(timeout=15_000)
        assert page.locator("[data-testid=chart]").count() == 0
        page.screenshot(path=str(shots / "signin.png"))

        page.locator("[data-testid=signin-token]").fill("wrong")
        page.locator("[data-testid=signin-submit]").click()
        message = page.locator("[data-testid=signin-message]")
        message.wait_for(timeout=5_000)
        page.wait_for_function(
            "() => document.querySelector('[data-testid=signin-message]').textContent !== ''"
        )
        assert "not this server's read token" in message.inner_text()

        page.locator("[data-testid=signin-token]").fill("reader-secret")
        page.locator("[data-testid=signin-submit]").click()
        page.wait_for_function(
            "window.__trackio && window.__trackio.ready && window.__trackio.chartsDrawn >= 1",
            timeout=15_000,
        )
        assert page.locator("[data-testid=signin]").count() == 0
        assert page.locator("[data-testid=chart][data-metric=loss]").count() == 1
        cookies = {c["name"]: c for c in context.cookies()}
        assert cookies["trackio_read_token"]["httpOnly"] is True
        page.screenshot(path=str(shots / "signed-in.png"))
        assert tab.errors == [] and tab.dialogs == [], (tab.errors, tab.dialogs)
    finally:
        context.close()
