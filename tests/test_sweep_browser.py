"""A 1,000-run sweep in Debian's headless Chromium: every chart draws every run from
one packed request per chart, each line on the shared point budget; the runs list keeps
only the rows in view in the page and still selects, filters and groups all of them
(SQLite only: the figures of the full-size sweep are in benchmarks/bench_dashboard.py)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from browser_support import BrowserTab, dashboard_server_fixtures, open_view
from browser_support import skip_module_without_browser as skip_without_browser

import trackio

skip_without_browser()

server, _each_test_starts_empty = dashboard_server_fixtures(["sqlite"])

RUNS = 1_000
STEPS = 50
RATES = (1e-1, 1e-2, 1e-3, 1e-4)


class SweepTab(BrowserTab):
    def __init__(self, page, base_url: str) -> None:
        super().__init__(page, base_url)
        self.series_requests: list[tuple[str, str]] = []
        page.on(
            "request",
            lambda r: (
                self.series_requests.append((r.method, r.post_data or ""))
                if "/api/series" in r.url
                else None
            ),
        )

    def open(self, **params: str) -> None:
        self.page.goto(f"{self.base_url}?{urlencode({'project': 'sweep', **params})}")
        self.settle()

    def settle(self) -> None:
        self.page.wait_for_function(
            "window.__trackio && window.__trackio.ready && window.__trackio.pending === 0"
            " && window.__trackio.chartsDrawn === 2",
            timeout=60_000,
        )

    def drawn(self, metric: str) -> dict[str, int]:
        return self.page.evaluate("m => window.__trackio.charts[m].runs", metric)

    def rows(self) -> list[str]:
        return self.page.locator("[data-testid=run-item]").evaluate_all(
            "items => items.map(i => i.dataset.runName)"
        )

    def count(self) -> str:
        return self.page.locator(".run-count").inner_text()

    def scroll_list_to(self, fraction: float) -> None:
        self.page.locator("[data-testid=run-list]").evaluate(
            "(list, f) => { list.scrollTop = (list.scrollHeight - list.clientHeight) * f; }",
            fraction,
        )
        # Rows are drawn for the new position on the next frame: wait until one is at
        # the top of the list's view.
        self.page.wait_for_function(
            """() => {
                const list = document.querySelector('[data-testid=run-list]');
                const top = list.getBoundingClientRect().top;
                return [...list.querySelectorAll('[data-row]')].some((row) => {
                    const box = row.getBoundingClientRect();
                    return box.top <= top + 1 && box.bottom > top;
                });
            }"""
        )


@pytest.fixture
def sweep(server):
    ids = {}
    for index in range(RUNS):
        run = trackio.init(
            project="sweep",
            name=f"trial-{index:04d}",
            config={"lr": RATES[index % len(RATES)], "seed": index},
            auto_log_cpu=False,
        )
        for step in range(STEPS):
            run.log({"loss": 1.0 / (1 + step) + index / RUNS, "acc": step / STEPS})
        run.finish()
        ids[run.name] = run.id
    return ids


@pytest.fixture
def tab(browser, server, sweep):
    yield from open_view(browser, server.url, SweepTab, height=800)


def test_every_chart_draws_every_run_from_one_packed_request(tab, sweep):
    tab.open()
    for metric in ("loss", "acc"):
        drawn = tab.drawn(metric)
        assert set(drawn) == set(sweep.values())
        # 25,000 points a chart shared by 1,000 runs: 25 a line (of its 50 steps).
        assert set(drawn.values()) == {25}
    assert [method for method, _ in tab.series_requests] == ["POST", "POST"]
    for _, body in tab.series_requests:
        asked = json.loads(body)
        # The 1,000 run ids travel in the body, not the URL, and the answer is packed.
        assert sorted(asked["runs"]) == sorted(sweep.values())
        assert asked["format"] == "packed" and asked["max_points"] == 25


def test_the_runs_list_keeps_only_the_rows_in_view_in_the_page(tab, sweep):
    tab.open()
    assert tab.count() == "1000 / 1000 shown"
    rows = tab.rows()
    assert rows[0] == "trial-0000" and 20 < len(rows) < 150

    tab.scroll_list_to(1.0)
    rows = tab.rows()
    assert rows[-1] == "trial-0999" and len(rows) < 150
    last = tab.page.locator("[data-testid=run-item][data-run-name='trial-0999']")
    assert last.is_visible()
    last.locator("input").uncheck()
    tab.settle()
    assert tab.count() == "999 / 1000 shown"
    assert sweep["trial-0999"] not in tab.drawn("loss") and len(tab.drawn("loss")) == 999
    assert "runs=" in tab.page.evaluate("location.href")

    tab.scroll_list_to(0.5)
    middle = tab.rows()
    assert "trial-0500" in middle and "trial-0000" not in middle and "trial-0999" not in middle

    # Filtered down to a few, the list is whole again.
    tab.page.locator("[data-testid=run-search]").fill("^trial-099")
    tab.settle()
    assert tab.rows() == [f"trial-099{i}" for i in range(10)]
    assert len(tab.drawn("loss")) == 9

    # A link's highlighted run is brought into the list's view, far down as it is.
    tab.open(highlight="trial-0900")
    pinned = tab.page.locator("[data-testid=run-item][data-run-name='trial-0900']")
    assert "focused" in pinned.get_attribute("class")
    assert pinned.is_visible()
    box, frame = pinned.bounding_box(), tab.page.locator("[data-testid=run-list]").bounding_box()
    assert frame["y"] <= box["y"] and box["y"] + box["height"] <= frame["y"] + frame["height"]


def test_a_windowed_list_groups_runs_and_charts_draw_a_line_per_group(tab, sweep):
    tab.open(group="config:lr")
    groups = tab.page.locator("[data-testid=run-group]")
    assert groups.first.locator(".group-name").inner_text() == "0.1"
    assert groups.first.locator(".group-count").inner_text() == "250"
    chart = tab.page.evaluate(
        "() => { const c = window.__trackio.charts['loss'];"
        " return {lines: c.lines, groups: c.groups.map(g => [g.name, g.runs, g.band])}; }"
    )
    assert chart["lines"] == 4
    # Named as the list shows config values (1e-4 in exponent form).
    assert chart["groups"] == [
        [f"lr={rate}", 250, True] for rate in ("0.1", "0.01", "0.001", "1e-4")
    ]

    tab.scroll_list_to(1.0)
    rows = tab.rows()
    assert rows[-1] == "trial-0999"
    # Runs keep their group's indent when their group's header is scrolled out of the page.
    indent = tab.page.locator("[data-testid=run-item][data-run-name='trial-0999']").evaluate(
        "row => getComputedStyle(row).paddingLeft"
    )
    assert indent == "14px"
    headers = tab.page.locator("[data-testid=run-group] .group-name").all_inner_texts()
    assert headers == [], "the last group's header, 250 rows up, is out of the page"
