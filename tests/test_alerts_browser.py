"""Alerts in the dashboard, in Debian's headless Chromium: a badge on each run that
raised any (count, gravest level, latest title), the Alerts view listing them newest
first with a level filter and the run selection, a new alert shown live, the quiet
empty state, and a frozen dashboard's alerts.

Runs raise alerts through `trackio.alert` and are served by the real server, on
SQLite files and on PostgreSQL."""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import urlencode

import pytest
from browser_support import (
    BACKENDS,
    BrowserTab,
    empty_after_test,
    open_view,
    serve_dashboard,
    skip_module_without_browser,
    static_files,
)

import trackio
from trackio.static_dashboard import freeze_project

skip_module_without_browser()

# Each run's alerts (level, title, text, step), raised run after run in this order.
RAISED = {
    "calm": [],
    "noisy": [("INFO", "warmup done", None, 1), ("WARN", "slow epoch", "took 312 s", 3)],
    "broken": [("WARN", "grad norm high", "412 > 100", 2), ("ERROR", "loss diverged", "nan", 5)],
    "info-only": [("INFO", "checkpoint saved", None, 4)],
}
BADGES = {"noisy": ("2", "WARN"), "broken": ("2", "ERROR"), "info-only": ("1", "INFO")}
"""The badge (text, level) of each run of `RAISED` that raised alerts."""
NEWEST_FIRST = [
    (level, run, str(step), title, text or "")
    for run, raised in reversed(RAISED.items())
    for level, title, text, step in reversed(raised)
]


def raise_alerts(project: str) -> None:
    for name, raised in RAISED.items():
        run = trackio.init(project=project, name=name, auto_log_cpu=False)
        trackio.log({"loss": 1.0})
        for level, title, text, step in raised:
            run.alert(title, text, level=level, step=step)
        run.finish()


class Dashboard(BrowserTab):
    """A tab on the dashboard, reading its run list and alerts view."""

    def open(self, base_url: str | None = None, **params: str) -> None:
        self.page.goto(f"{base_url or self.base_url}?{urlencode(params)}")
        self.page.wait_for_function("window.__trackio && window.__trackio.ready")

    def badges(self) -> dict[str, tuple[str, str]]:
        """Per run name with a badge: its text and level."""
        badges = self.page.locator(
            "[data-testid=run-item]:has([data-testid=alert-badge])"
        ).evaluate_all(
            """items => items.map(item => {
                const badge = item.querySelector('[data-testid=alert-badge]');
                return [item.dataset.runName, badge.textContent, badge.dataset.level];
            })"""
        )
        return {name: (text, level) for name, text, level in badges}

    def badge(self, run: str):
        return self.page.locator(
            f"[data-testid=run-item][data-run-name='{run}'] [data-testid=alert-badge]"
        )

    def rows(self) -> list[tuple[str, ...]]:
        """(level, run, step, title, text) of each row of the alerts list, top first."""
        rows = self.page.locator("[data-testid=alert-row]").evaluate_all(
            """rows => rows.map(row => [
                row.querySelector('.alert-level').textContent,
                row.querySelector('.alert-run-name').textContent,
                row.querySelector('.alert-step').textContent,
                row.querySelector('.alert-title').textContent,
                row.querySelector('.alert-text')?.textContent ?? '',
            ])"""
        )
        return [tuple(row) for row in rows]

    def run_colours(self) -> dict[str, str]:
        """The colour of each run's dot, in the run list and in the alerts list."""
        return self.page.evaluate(
            """() => {
                const colour = (node) => node.querySelector('.swatch').style.background;
                const listed = {};
                for (const item of document.querySelectorAll('[data-testid=run-item]'))
                    listed[item.dataset.runName] = colour(item);
                const rows = [...document.querySelectorAll('[data-testid=alert-row]')];
                return { listed, rows: rows.map(row => [
                    row.querySelector('.alert-run-name').textContent, colour(row),
                ]) };
            }"""
        )

    def wait_for_rows(self, count: int) -> None:
        self.page.wait_for_function(
            "n => document.querySelectorAll('[data-testid=alert-row]').length === n", arg=count
        )

    def tab_count(self) -> str | None:
        count = self.page.locator("[data-testid=alerts-tab-count]")
        return count.inner_text() if count.is_visible() else None


server = pytest.fixture(scope="module", params=BACKENDS, name="server")(serve_dashboard)
_each_test_starts_empty = pytest.fixture(autouse=True)(empty_after_test)


@pytest.fixture
def dashboard(browser, server):
    yield from open_view(browser, server.url, Dashboard)


def test_badges_the_alerts_list_its_filters_and_a_new_alert_live(dashboard, tmp_path):
    raise_alerts("zoo")
    late = trackio.init(project="zoo", name="late", auto_log_cpu=False)
    trackio.log({"loss": 2.0})
    dashboard.open(project="zoo")
    page = dashboard.page

    # A badge on each run that raised alerts: how many, coloured by the gravest.
    assert dashboard.badges() == BADGES
    assert dashboard.badge("broken").get_attribute("title") == (
        "2 alerts (1 ERROR, 1 WARN)\nLatest: [ERROR] loss diverged"
    )
    assert dashboard.badge("info-only").get_attribute("title") == (
        "1 alert (1 INFO)\nLatest: [INFO] checkpoint saved"
    )
    assert dashboard.tab_count() == "5"
    page.screenshot(path=str(tmp_path / "badges.png"))

    # Clicking a badge opens the list; it does not untick its run.
    dashboard.badge("noisy").click()
    page.wait_for_function("location.search.includes('view=alerts')")
    assert page.locator("[data-testid=view-alerts]").get_attribute("aria-selected") == "true"
    assert page.locator("[data-run-name=noisy] [data-testid=run-checkbox]").is_checked()
    assert dashboard.rows() == NEWEST_FIRST
    colours = dashboard.run_colours()
    assert [colour for _, colour in colours["rows"]] == [
        colours["listed"][run] for run, _ in colours["rows"]
    ]
    assert page.locator("[data-testid=alerts-info]").inner_text() == "5 of 5 alerts"
    page.screenshot(path=str(tmp_path / "alerts.png"))

    # The level filter keeps that level and graver ones.
    page.locator("[data-testid=alert-level-warn-up]").click()
    assert dashboard.rows() == [row for row in NEWEST_FIRST if row[0] != "INFO"]
    page.locator("[data-testid=alert-level-error]").click()
    assert dashboard.rows() == [row for row in NEWEST_FIRST if row[0] == "ERROR"]
    assert page.locator("[data-testid=alert-level-error]").get_attribute("aria-pressed") == "true"
    assert page.locator("[data-testid=alerts-info]").inner_text() == "1 of 5 alerts"
    page.locator("[data-testid=alert-level-all]").click()
    dashboard.wait_for_rows(len(NEWEST_FIRST))

    # The list is of the runs shown, and says how many it leaves out.
    page.locator("[data-run-name=broken] [data-testid=run-checkbox]").uncheck()
    assert dashboard.rows() == [row for row in NEWEST_FIRST if row[1] != "broken"]
    more = page.locator("[data-testid=alerts-more]")
    assert more.inner_text() == "2 more alerts in runs not shown (tick them in the runs list)."
    page.locator("[data-run-name=broken] [data-testid=run-checkbox]").check()
    dashboard.wait_for_rows(len(NEWEST_FIRST))
    assert more.is_hidden()

    # An alert raised while the page is open shows up without a reload.
    page.evaluate("window.notReloaded = true")
    assert dashboard.badge("late").count() == 0
    late.alert("fresh trouble", "appeared live", level="ERROR", step=7)
    dashboard.wait_for_rows(len(NEWEST_FIRST) + 1)
    assert dashboard.rows()[0] == ("ERROR", "late", "7", "fresh trouble", "appeared live")
    assert dashboard.rows()[1:] == NEWEST_FIRST
    assert dashboard.badges()["late"] == ("1", "ERROR")
    assert dashboard.tab_count() == "6"
    assert page.evaluate("window.notReloaded") is True
    late.finish()


def test_a_project_without_alerts_says_no_alerts_and_shows_no_badge(dashboard):
    trackio.init(project="plain", name="r", auto_log_cpu=False)
    trackio.log({"loss": 1.0})
    trackio.finish()
    dashboard.open(project="plain", view="alerts")
    page = dashboard.page
    assert page.locator("[data-testid=alerts-empty]").inner_text() == "No alerts."
    assert page.locator("[data-testid=alerts-table]").is_hidden()
    assert page.locator("[data-testid=run-item]").count() == 1
    assert dashboard.badges() == {}
    assert dashboard.tab_count() is None
    assert page.locator("[data-testid=alerts-info]").inner_text() == ""


def test_a_frozen_dashboard_shows_the_alerts(dashboard, server, tmp_path):
    raise_alerts("frozen-zoo")
    site = tmp_path / "site"
    freeze_project("frozen-zoo", site)
    url = f"{server.url}api/alerts?project=frozen-zoo"
    with urllib.request.urlopen(url, timeout=30) as response:
        assert json.loads((site / "data" / "alerts.json").read_text()) == json.loads(
            response.read()
        )

    requests: list[str] = []
    dashboard.page.on("request", lambda request: requests.append(request.url))
    with static_files(site) as base_url:
        dashboard.open(base_url, view="alerts")
        assert dashboard.badges() == BADGES
        assert dashboard.rows() == NEWEST_FIRST
        dashboard.page.locator("[data-testid=alert-level-warn-up]").click()
        assert dashboard.rows() == [row for row in NEWEST_FIRST if row[0] != "INFO"]
    assert not [request for request in requests if "/api/" in request]
