"""Grouped charts and highlighting, in Debian's headless Chromium: grouped by the runs
list's Group select (or a link's `group=`), a chart draws a line per group, the mean of
its runs over a min-max band; hovering a run (in the list or a chart) brings it to the
front of every chart, and a click on a line picks its run out in the list and the URL
(SQLite only: all of it happens in the page)."""

from __future__ import annotations

import io
from urllib.parse import parse_qs, urlencode, urlparse

import numpy as np
import pytest
from browser_support import BrowserTab, dashboard_server_fixtures, open_view
from browser_support import skip_module_without_browser as skip_without_browser
from PIL import Image

import trackio

skip_without_browser()

server, _each_test_starts_empty = dashboard_server_fixtures(["sqlite"])

BLUE = "#1f77b4"
"""The palette's first colour: the first group's, and the first run's."""


class Tab(BrowserTab):
    def open(self, **params: str) -> None:
        self.page.goto(f"{self.base_url}?{urlencode(params)}")
        self.page.wait_for_function(
            "window.__trackio && window.__trackio.ready && window.__trackio.pending === 0"
        )

    def chart(self, metric: str) -> dict:
        return self.page.evaluate(
            "m => JSON.parse(JSON.stringify(window.__trackio.charts[m]))", metric
        )

    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlparse(self.page.url).query)

    def canvas(self, metric: str):
        return self.page.locator(f"[data-testid=chart][data-metric='{metric}'] canvas").first

    def point(self, metric: str, x_fraction: float, y_value: float) -> tuple[float, float]:
        """Where on the page `y_value` is drawn, `x_fraction` of the way across the plot."""
        low, high = self.chart(metric)["yRange"]
        box = self.page.locator(
            f"[data-testid=chart][data-metric='{metric}'] .u-over"
        ).bounding_box()
        y = box["y"] + box["height"] * (high - y_value) / (high - low)
        return box["x"] + box["width"] * x_fraction, y


@pytest.fixture
def tab(browser, server):
    yield from open_view(browser, server.url, Tab)


def _pixels_near(png: bytes, rgb: tuple[float, float, float], tolerance: int) -> int:
    target = np.array(rgb)
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int).reshape(-1, 3)
    return int(np.all(np.abs(pixels - target) <= tolerance, axis=1).sum())


def _rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))


def _over_white(color: str, alpha: float) -> tuple[float, float, float]:
    return tuple(255 - alpha * (255 - c) for c in _rgb(color))


def _log_optimiser_sweep() -> None:
    """Three adam runs (loss = base + step, base 1, 2, 3) and three sgd runs (base 10,
    20, 30). adam-3 logs only even steps, so its odd steps are read off its line; sgd-30
    stops after step 2, so from step 3 sgd's mean is over the other two."""
    for opt, bases in (("adam", (1, 2, 3)), ("sgd", (10, 20, 30))):
        for base in bases:
            run = trackio.init(
                project="sweep",
                name=f"{opt}-{base}",
                group="adam-runs" if opt == "adam" else None,
                config={"opt": opt, "base": base},
                auto_log_cpu=False,
            )
            steps = range(0, 5, 2) if base == 3 else range(3) if base == 30 else range(5)
            for step in steps:
                run.log({"loss": float(base + step), "acc": float(step)}, step=step)
            run.finish()


def test_grouped_charts_draw_a_mean_line_and_band_per_group(tab):
    _log_optimiser_sweep()
    tab.open(project="sweep", group="config:opt")
    page = tab.page
    assert page.locator("[data-testid=group-by]").input_value() == "config:opt"
    assert page.locator("[data-testid=run-group] .group-name").all_inner_texts() == ["adam", "sgd"]
    assert page.locator("[data-testid=group-lines]").is_visible()
    assert page.locator("[data-testid=group-lines]").is_checked()

    loss = tab.chart("loss")
    assert loss["grouped"] is True and loss["lines"] == 2
    adam, sgd = loss["groups"]
    assert [adam["name"], sgd["name"]] == ["opt=adam", "opt=sgd"]
    assert [adam["runs"], sgd["runs"]] == [3, 3]
    assert adam["band"] and sgd["band"]
    assert adam["x"] == [0, 1, 2, 3, 4]
    # adam-3 has no step 1 or 3: its value there is interpolated (4 and 6).
    assert adam["mean"] == pytest.approx([2, 3, 4, 5, 6])
    assert adam["lo"] == pytest.approx([1, 2, 3, 4, 5])
    assert adam["hi"] == pytest.approx([3, 4, 5, 6, 7])
    # sgd-30 ended at step 2: never extrapolated past it.
    assert sgd["mean"] == pytest.approx([20, 21, 22, 18, 19])
    assert sgd["hi"] == pytest.approx([30, 31, 32, 23, 24])
    legend = page.locator("[data-testid=chart][data-metric=loss] .legend-item")
    texts = [" ".join(text.split()) for text in legend.all_inner_texts()]
    assert texts == ["opt=adam (3 runs)", "opt=sgd (3 runs)"]
    assert tab.chart("acc")["lines"] == 2
    band = _over_white(BLUE, 0.16)
    banded = _pixels_near(tab.canvas("loss").screenshot(), band, 6)
    assert banded > 1000, "adam's band is drawn"

    # Back to the runs: six lines, no band (no run is downsampled), and the URL says so.
    page.locator("[data-testid=group-lines]").uncheck()
    page.wait_for_function("window.__trackio.charts.loss.lines === 6")
    assert tab.chart("loss")["grouped"] is False
    assert tab.query()["group_lines"] == ["0"] and tab.query()["group"] == ["config:opt"]
    assert _pixels_near(tab.canvas("loss").screenshot(), band, 6) < banded / 20

    page.locator("[data-testid=group-lines]").check()
    page.wait_for_function("window.__trackio.charts.loss.lines === 2")
    assert "group_lines" not in tab.query()

    # By run group: sgd's runs have none, and fall into "(no group)" as in the list.
    page.locator("[data-testid=group-by]").select_option("group")
    page.wait_for_function(
        "window.__trackio.charts.loss.lineNames.join() === 'adam-runs,(no group)'"
    )
    assert tab.query()["group"] == ["group"]
    page.locator("[data-testid=group-by]").select_option("")
    page.wait_for_function("window.__trackio.charts.loss.lines === 6")
    assert "group" not in tab.query()
    assert page.locator("[data-testid=group-lines]").is_hidden()


def test_hovering_a_run_or_a_line_highlights_it_and_a_click_picks_it_out(tab):
    for index in range(4):
        run = trackio.init(
            project="hl",
            name=f"r{index}",
            group="low" if index < 2 else "high",
            auto_log_cpu=False,
        )
        for step in range(20):
            run.log({"loss": float(index), "acc": float(index) + step / 100})
        run.finish()
    tab.open(project="hl")
    page = tab.page
    first = tab.chart("loss")
    assert first["highlighted"] is None and first["dimmed"] == 0
    r0_pixels = _pixels_near(tab.canvas("loss").screenshot(), _rgb(BLUE), 30)
    assert r0_pixels > 50

    page.locator("[data-testid=run-item][data-run-name=r1]").hover()
    page.wait_for_function("window.__trackio.charts.loss.highlighted === 'r1'")
    for metric in ("loss", "acc"):
        chart = tab.chart(metric)
        assert chart["highlighted"] == "r1" and chart["dimmed"] == 3, metric
        assert chart["alphas"][1] == 1 and max(chart["alphas"][:1] + chart["alphas"][2:]) < 0.3
    assert _pixels_near(tab.canvas("loss").screenshot(), _rgb(BLUE), 30) < r0_pixels / 10, (
        "r0's line is dimmed"
    )
    page.mouse.move(640, 5)
    page.wait_for_function("window.__trackio.charts.loss.highlighted === null")
    assert tab.chart("loss")["dimmed"] == 0

    # Near r2's line in one chart: r2 in every chart, without rebuilding any plot.
    builds = {metric: tab.chart(metric)["currentBuilds"] for metric in ("loss", "acc")}
    x, y = tab.point("loss", 0.5, 2.0)
    page.mouse.move(x, y)
    page.wait_for_function("window.__trackio.charts.acc.highlighted === 'r2'")
    assert tab.chart("loss")["highlighted"] == "r2"
    assert page.locator("[data-testid=tooltip-nearest]").inner_text().split()[0] == "r2"

    # A click (no drag) picks r2 out in the list and the URL, and it stays highlighted.
    page.mouse.down()
    page.mouse.up()
    focused = page.locator("[data-testid=run-item].focused")
    assert focused.get_attribute("data-run-name") == "r2"
    assert tab.query()["highlight"] == ["r2"]
    assert tab.chart("loss")["zoomed"] is False
    page.mouse.move(640, 5)
    page.wait_for_timeout(100)
    assert tab.chart("loss")["highlighted"] == "r2" and tab.chart("loss")["dimmed"] == 3
    assert {metric: tab.chart(metric)["currentBuilds"] for metric in ("loss", "acc")} == builds

    # The link opens with r3 highlighted and marked; grouped, its group's line is.
    tab.open(project="hl", highlight="r3")
    page.wait_for_function("window.__trackio.charts.loss.highlighted === 'r3'")
    assert page.locator("[data-testid=run-item].focused").get_attribute("data-run-name") == "r3"
    tab.open(project="hl", highlight="r3", group="group")
    page.wait_for_function("window.__trackio.charts.loss.highlighted === 'high'")
    assert tab.chart("loss")["dimmed"] == 1
    page.locator("[data-testid=run-item][data-run-name=r0]").hover()
    page.wait_for_function("window.__trackio.charts.loss.highlighted === 'low'")
    x, y = tab.point("loss", 0.5, 2.5)
    page.mouse.move(x, y)
    page.wait_for_function("window.__trackio.charts.acc.highlighted === 'high'")
    # A click on a group's line marks its group in the list; it pins no run.
    page.mouse.down()
    page.mouse.up()
    assert page.locator("[data-testid=run-group].focused .group-name").inner_text() == "high"
    assert "highlight" not in tab.query()

    # A double-click on a line resets the zoom and picks nothing.
    tab.open(project="hl")
    x, y = tab.point("loss", 0.5, 2.5)
    page.mouse.move(x, y)
    page.mouse.dblclick(x, y)
    page.wait_for_timeout(500)
    assert "highlight" not in tab.query()
    assert page.locator("[data-testid=run-item].focused").count() == 0
