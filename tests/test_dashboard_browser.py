"""The browser app, driven in Debian's headless Chromium through Playwright.

Data is written with the real logging API and served by the real server; the page
exposes `window.__trackio` (what each chart drew) for the assertions. Every test runs
twice: with the projects in SQLite files, and in PostgreSQL (a team server's `--db`).
"""

from __future__ import annotations

import math
import struct
import time
from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from browser_support import (
    BrowserTab,
    dashboard_server_fixtures,
    new_test_context,
    skip_module_without_browser,
)

import trackio
from trackio.storage import database_url

skip_module_without_browser()
XSS_NAME = "<img src=x onerror=alert(1)>"


class Dashboard(BrowserTab):
    """One browser tab on the dashboard's charts and runs table."""

    def open(self, **params: str) -> None:
        self.page.goto(f"{self.base_url}?{urlencode(params)}")
        self.wait_settled()

    def wait_settled(self, timeout: float = 15_000) -> None:
        self.page.wait_for_function(
            "window.__trackio && window.__trackio.ready && window.__trackio.pending === 0",
            timeout=timeout,
        )

    def hooks(self) -> dict:
        return self.page.evaluate("JSON.parse(JSON.stringify(window.__trackio))")

    def chart_runs(self, metric: str) -> dict[str, int]:
        return self.hooks()["charts"][metric]["runs"]

    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlparse(self.page.url).query)

    def set_range(self, testid: str, value: float) -> None:
        self.page.locator(f"[data-testid={testid}]").fill(str(value))


server, _each_test_starts_empty = dashboard_server_fixtures()


@pytest.fixture
def dashboard(browser, server):
    context = new_test_context(browser, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    view = Dashboard(page, server.url)
    yield view
    state = page.evaluate("JSON.stringify(window.__trackio)") if view.errors else ""
    context.close()
    assert view.errors == [], f"script errors in the page: {view.errors} {state}"


def log_runs(project: str, runs: dict[str, dict], steps: int = 30) -> dict[str, str]:
    """Log `steps` points of train/loss, train/acc, val/loss and lr for each named run."""
    ids = {}
    for index, (name, config) in enumerate(runs.items()):
        run = trackio.init(project=project, name=name, config=config)
        for step in range(steps):
            trackio.log(
                {
                    "train/loss": math.exp(-step / 10) + index,
                    "train/acc": step / steps,
                    "val/loss": 1.5 * math.exp(-step / 10) + index,
                    "lr": 0.1 * (1 - step / steps),
                }
            )
        trackio.finish()
        ids[name] = run.id
    return ids


def test_one_chart_per_metric_in_sections_by_prefix(dashboard):
    ids = log_runs("vision", {"alpha": {"lr": 0.1}, "beta": {"lr": 0.01}})
    dashboard.open(project="vision")

    page = dashboard.page
    assert page.locator("[data-testid=project-select]").input_value() == "vision"
    charts = page.locator("[data-testid=chart]")
    metrics = sorted(charts.nth(i).get_attribute("data-metric") for i in range(charts.count()))
    assert metrics == ["lr", "train/acc", "train/loss", "val/loss"]
    sections = page.locator("[data-testid=section]")
    by_section = {
        sections.nth(i).get_attribute("data-section"): sorted(
            sections.nth(i)
            .locator("[data-testid=chart]")
            .evaluate_all("nodes => nodes.map(n => n.dataset.metric)")
        )
        for i in range(sections.count())
    }
    assert by_section == {"train": ["train/acc", "train/loss"], "val": ["val/loss"], "": ["lr"]}

    hooks = dashboard.hooks()
    assert hooks["chartsDrawn"] == 4
    for metric in metrics:
        assert hooks["charts"][metric]["runs"] == {ids["alpha"]: 30, ids["beta"]: 30}
    assert page.locator("[data-testid=chart] canvas").count() == 4

    page.locator("[data-testid=section][data-section=train] .section-toggle").click()
    page.wait_for_function("window.__trackio.chartsDrawn === 2")
    assert (
        page.locator("[data-testid=section][data-section=train] [data-testid=chart]").count() == 0
    )

    page.locator("[data-testid=metric-filter]").fill("^val/")
    page.wait_for_function("Object.keys(window.__trackio.charts).join() === 'val/loss'")
    assert page.locator("[data-testid=chart]").count() == 1


def test_unticking_a_run_removes_it_from_every_chart(dashboard):
    ids = log_runs("toggle", {"keep": {}, "drop": {}, "other": {}})
    dashboard.open(project="toggle")
    page = dashboard.page
    assert set(dashboard.chart_runs("train/loss")) == set(ids.values())

    page.locator(
        f"[data-testid=run-item][data-run-id='{ids['drop']}'] [data-testid=run-checkbox]"
    ).uncheck()
    page.wait_for_function(
        "id => Object.values(window.__trackio.charts).every(c => !(id in c.runs))", arg=ids["drop"]
    )
    for metric in ("train/loss", "val/loss", "lr"):
        assert set(dashboard.chart_runs(metric)) == {ids["keep"], ids["other"]}
    assert dashboard.query()["runs"] == ["keep,other"]

    page.locator("[data-testid=run-search]").fill("^ke")
    assert page.locator("[data-testid=run-item]").evaluate_all(
        "nodes => nodes.map(n => n.dataset.runName)"
    ) == ["keep"]
    page.locator("[data-testid=deselect-all]").click()
    page.wait_for_function("Object.keys(window.__trackio.charts['lr'].runs).length === 0")
    assert dashboard.query()["runs"] == ["other"]
    page.locator("[data-testid=run-search]").fill("")
    page.wait_for_function("Object.keys(window.__trackio.charts['lr'].runs).length === 1")
    assert set(dashboard.chart_runs("lr")) == {ids["other"]}

    page.locator("[data-testid=select-all]").click()
    page.wait_for_function("Object.keys(window.__trackio.charts['lr'].runs).length === 3")
    assert "runs" not in dashboard.query()

    page.goto(f"{dashboard.base_url}?project=toggle&runs=drop")
    dashboard.wait_settled()
    assert set(dashboard.chart_runs("train/loss")) == {ids["drop"]}
    assert page.locator("[data-testid=run-checkbox]:checked").count() == 1


def test_smoothing_updates_the_url_and_redraws(dashboard):
    log_runs("smooth", {"noisy": {}})
    dashboard.open(project="smooth")
    page = dashboard.page
    before = dashboard.hooks()["charts"]["train/loss"]
    assert before["smoothing"] == 0

    dashboard.set_range("smoothing", 0.8)
    page.wait_for_function("window.__trackio.charts['train/loss'].smoothing === 0.8")
    after = dashboard.hooks()["charts"]["train/loss"]
    assert after["draws"] > before["draws"]
    assert dashboard.query()["smoothing"] == ["0.8"]

    page.goto(page.url)
    dashboard.wait_settled()
    assert page.locator("[data-testid=smoothing]").input_value() == "0.8"
    assert dashboard.hooks()["charts"]["val/loss"]["smoothing"] == 0.8


def test_point_logged_after_the_page_loaded_appears_without_losing_zoom(dashboard):
    run = trackio.init(project="live", name="training")
    for step in range(20):
        trackio.log({"loss": 1 / (step + 1)})
    dict(run.summary)
    dashboard.open(project="live")
    page = dashboard.page
    assert dashboard.chart_runs("loss") == {run.id: 20}

    plot = page.locator("[data-testid=chart][data-metric=loss] .u-over").bounding_box()
    page.mouse.move(plot["x"] + plot["width"] * 0.2, plot["y"] + plot["height"] / 2)
    page.mouse.down()
    page.mouse.move(plot["x"] + plot["width"] * 0.6, plot["y"] + plot["height"] / 2, steps=6)
    page.mouse.up()
    page.wait_for_function("window.__trackio.charts.loss.zoomed === true")

    logged_at = time.monotonic()
    trackio.log({"loss": 0.01})
    dict(run.summary)
    page.wait_for_function(
        "id => window.__trackio.charts.loss.runs[id] === 21", arg=run.id, timeout=5_000
    )
    assert time.monotonic() - logged_at < 5
    assert dashboard.hooks()["charts"]["loss"]["zoomed"] is True

    trackio.log({"loss": 0.005, "grad_norm": 2.0})
    trackio.finish()
    page.wait_for_function(
        "id => (window.__trackio.charts.grad_norm || {runs: {}}).runs[id] === 1",
        arg=run.id,
        timeout=5_000,
    )
    page.wait_for_function(
        "id => window.__trackio.charts.loss.runs[id] === 22", arg=run.id, timeout=5_000
    )
    assert dashboard.chart_runs("loss") == {run.id: 22}

    page.locator("[data-testid=chart][data-metric=loss] .u-over").dblclick()
    page.wait_for_function("window.__trackio.charts.loss.zoomed === false")


def test_html_in_names_is_shown_as_text(dashboard):
    run = trackio.init(project="xss", name=XSS_NAME, config={"note": "<b>bold</b>"})
    trackio.log({"<i>metric</i>": 1.0})
    trackio.log({"<i>metric</i>": 2.0})
    trackio.finish()
    dashboard.open(project="xss")
    page = dashboard.page

    item = page.locator("[data-testid=run-item]")
    assert item.get_attribute("data-run-name") == XSS_NAME
    assert XSS_NAME in item.inner_text()
    assert page.locator("[data-testid=chart] .chart-title").inner_text() == "<i>metric</i>"
    assert dashboard.chart_runs("<i>metric</i>") == {run.id: 2}

    plot = page.locator("[data-testid=chart] .u-over").bounding_box()
    page.mouse.move(plot["x"] + plot["width"] / 2, plot["y"] + plot["height"] / 2)
    assert XSS_NAME in page.locator("[data-testid=tooltip]").inner_text()

    page.locator("[data-testid=view-table]").click()
    table = page.locator("[data-testid=runs-table]")
    assert XSS_NAME in table.inner_text()
    assert "<b>bold</b>" in table.inner_text()
    assert page.locator("img, b, i").count() == 0
    page.wait_for_timeout(300)
    assert dashboard.dialogs == []


def test_runs_table_lists_runs_with_sortable_config_and_summary(dashboard):
    log_runs(
        "table",
        {
            "small": {"lr": 0.3, "depth": 2},
            "large": {"lr": 0.01, "depth": 50},
            "mid": {"lr": 0.1, "depth": 10},
        },
    )
    dashboard.open(project="table", view="table")
    page = dashboard.page
    table = page.locator("[data-testid=runs-table]")
    assert table.is_visible()
    assert page.locator("[data-testid=chart]").first.is_hidden()
    rows = table.locator("tbody tr")

    def names():
        return rows.evaluate_all("rows => rows.map(r => r.children[1].textContent)")

    assert sorted(names()) == ["large", "mid", "small"]
    headers = table.locator("thead th").all_inner_texts()
    assert any(h.startswith("depth") for h in headers)
    assert any(h.startswith("train/loss") for h in headers)

    sort_by_lr = table.locator("th button[title='config.lr']")
    sort_by_lr.click()
    assert names() == ["large", "mid", "small"]
    sort_by_lr.click()
    assert names() == ["small", "mid", "large"]
    table.locator("th button[title='config.depth']").click()
    assert names() == ["small", "mid", "large"]
    # Best runs first: by a summary metric (each run's last loss is its index + e^-2.9).
    by_loss = table.locator("th button[title='summary.train/loss']")
    by_loss.click()
    assert names() == ["small", "large", "mid"]
    by_loss.click()
    assert names() == ["mid", "large", "small"]

    page.locator("[data-testid=view-charts]").click()
    dashboard.wait_settled()
    assert "view" not in dashboard.query()
    assert page.locator("[data-testid=chart]").count() == 4


def test_embedding_parameters_hide_chrome_and_pick_metrics(dashboard):
    ids = log_runs("embed", {"one": {}, "two": {}})
    dashboard.open(
        project="embed", metrics="train/loss,lr", sidebar="hidden", navbar="hidden", x="time"
    )
    page = dashboard.page
    charts = page.locator("[data-testid=chart]")
    assert sorted(charts.evaluate_all("nodes => nodes.map(n => n.dataset.metric)")) == [
        "lr",
        "train/loss",
    ]
    assert page.locator("[data-testid=run-list]").count() == 0
    assert page.locator("[data-testid=project-select]").is_hidden()
    assert page.locator("[data-testid=x-axis]").input_value() == "time"
    assert dashboard.hooks()["charts"]["lr"]["xMode"] == "time"
    assert set(dashboard.chart_runs("lr")) == set(ids.values())


def test_phone_width_collapses_the_runs_list(browser, server):
    log_runs("phone", {"only": {}})
    context = new_test_context(browser, viewport={"width": 390, "height": 800}, color_scheme="dark")
    try:
        page = context.new_page()
        view = Dashboard(page, server.url)
        view.open(project="phone")
        assert page.locator("[data-testid=run-list]").is_hidden()
        chart_box = page.locator("[data-testid=chart]").first.bounding_box()
        assert chart_box["width"] <= 390
        page.locator(".sidebar-toggle").click()
        assert page.locator("[data-testid=run-list]").is_visible()
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        assert background != "rgb(255, 255, 255)"
        assert view.errors == []
    finally:
        context.close()


def test_screenshot_is_saved(dashboard, tmp_path):
    log_runs("shot", {"first": {}, "second": {}}, steps=200)
    dashboard.open(project="shot", smoothing="0.6")
    path = tmp_path / "dashboard.png"
    dashboard.page.screenshot(path=str(path), full_page=True)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width == 1280 and height >= 900
    assert len(data) > 20_000


def test_the_app_keeps_to_its_content_security_policy(browser, server):
    log_runs("csp", {"a": {}})
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    violations: list[str] = []
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        response = page.goto(server.url + "?" + urlencode({"project": "csp"}))
        assert "script-src" not in response.headers["content-security-policy"]
        assert "default-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_selector(".uplot canvas", timeout=15_000)
        published = page.evaluate("typeof window.__trackio")
    finally:
        context.close()
    assert violations == [] and errors == [], (violations, errors)
    assert published == "undefined", "a user's page must not publish the test hooks"


def _pixels_of(png: bytes, color: str) -> int:
    """How many pixels of the PNG are close to `color` (`#rrggbb`)."""
    import io

    import numpy as np
    from PIL import Image

    target = np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)])
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int).reshape(-1, 3)
    return int(np.all(np.abs(pixels - target) < 40, axis=1).sum())


def test_a_metric_logged_once_and_lone_points_are_drawn(dashboard):
    with trackio.init(project="lone", name="only") as run:
        for step in range(20):
            values = {"train/loss": 1.0 / (step + 1)}
            if step == 19:
                values["test/accuracy"] = 0.93
            values["gappy"] = 5.0 if step == 10 else float("nan")
            run.log(values)
    dashboard.open(project="lone")
    first_run_color = "#1f77b4"
    for metric in ("test/accuracy", "gappy"):
        assert sum(dashboard.chart_runs(metric).values()) >= 1
        chart = dashboard.page.locator(f"[data-testid=chart][data-metric='{metric}'] canvas").first
        assert _pixels_of(chart.screenshot(), first_run_color) > 10, metric


def test_an_unknown_x_axis_falls_back_to_step_with_a_notice(dashboard):
    log_runs("axes", {"a": {}})
    dashboard.open(project="axes", x="no-such-metric")
    notice = dashboard.page.locator(".notice")
    assert "no-such-metric" in notice.inner_text() and "Step" in notice.inner_text()
    assert dashboard.hooks()["charts"]["train/loss"]["xMode"] == "step"
    assert sum(dashboard.chart_runs("train/loss").values()) == 30


def test_a_project_that_cannot_load_shows_only_its_notice(dashboard, trackio_dir):
    if database_url() is None:
        (trackio_dir / "broken.db").write_bytes(b"not a database at all")
    else:
        import psycopg

        log_runs("broken", {"a": {}}, steps=2)
        with psycopg.connect(database_url(), autocommit=True) as conn:
            (number,) = conn.execute("SELECT id FROM trackio.projects").fetchone()
            conn.execute(f"UPDATE trackio_p{number}.trackio_meta SET value = '99'")
    dashboard.open(project="broken")
    assert "Could not load project" in dashboard.page.locator(".notice").inner_text()
    assert dashboard.page.locator(".table-pager:visible").count() == 0


def test_the_run_filter_applies_to_charts_and_the_counter(dashboard):
    ids = log_runs("filtered", {"alpha": {}, "beta": {}})
    dashboard.open(project="filtered")
    assert set(dashboard.chart_runs("train/loss")) == {ids["alpha"], ids["beta"]}
    dashboard.page.locator("[data-testid=run-search]").fill("alp")
    dashboard.page.wait_for_function(
        "(id) => !(id in window.__trackio.charts['train/loss'].runs)", arg=ids["beta"]
    )
    dashboard.wait_settled()
    assert set(dashboard.chart_runs("train/loss")) == {ids["alpha"]}
    assert "1 / 2 shown" in dashboard.page.locator(".sidebar").inner_text()


def test_a_run_deleted_while_the_page_is_open_leaves_it(dashboard):
    ids = log_runs("deleting", {"keep": {}, "drop": {}})
    dashboard.open(project="deleting")
    assert set(dashboard.chart_runs("train/loss")) == set(ids.values())
    trackio.Api().run(f"deleting/{ids['drop']}").delete()
    page = dashboard.page
    page.wait_for_function(
        "id => !(id in window.__trackio.charts['train/loss'].runs)", arg=ids["drop"]
    )
    assert set(dashboard.chart_runs("train/loss")) == {ids["keep"]}
    assert page.locator("[data-testid=run-list] li").all_inner_texts() == ["keep"]


def test_charts_name_the_x_axis_and_their_runs_with_whole_readable_ticks(dashboard):
    for index in range(3):
        trackio.init(project="ticks", name=f"lr-{index}")
        for step in range(4):
            trackio.log({"loss": 0.001 + 0.000005 * step * (index + 1)})
        trackio.finish()
    dashboard.open(project="ticks")
    chart = dashboard.hooks()["charts"]["loss"]
    assert chart["xLabel"] == "Step"
    assert chart["xTicks"] and all(float(t.replace(",", "")).is_integer() for t in chart["xTicks"])
    assert any(t.startswith("0.001") for t in chart["yTicks"]), chart["yTicks"]
    assert chart["yLabelsFit"] is True
    legend = dashboard.page.locator("[data-testid=chart][data-metric=loss] .legend-name")
    assert legend.all_inner_texts() == ["lr-0", "lr-1", "lr-2"]

    dashboard.page.locator("[data-testid=x-axis]").select_option("relative")
    dashboard.page.wait_for_function("window.__trackio.charts.loss.xMode === 'relative'")
    dashboard.wait_settled()
    assert dashboard.hooks()["charts"]["loss"]["xLabel"] == "Relative time"


def test_many_runs_get_a_short_legend_and_hover_names_the_nearest_line(dashboard):
    for index in range(12):
        trackio.init(project="crowd", name=f"sweep-{index:02d}")
        for _ in range(50):
            trackio.log({"loss": float(index)})
        trackio.finish()
    dashboard.open(project="crowd")
    root = dashboard.page.locator("[data-testid=chart][data-metric=loss]")
    assert root.locator(".legend-name").count() == 8
    assert root.locator(".legend-more").inner_text().startswith("+4 more")

    low, high = dashboard.hooks()["charts"]["loss"]["yRange"]
    plot = root.locator(".u-over").bounding_box()
    y = plot["y"] + plot["height"] * (high - 9.0) / (high - low)
    dashboard.page.mouse.move(plot["x"] + plot["width"] / 2, y)
    nearest = dashboard.page.locator("[data-testid=tooltip-nearest]")
    assert nearest.inner_text().split() == ["sweep-09", "9"]


def test_a_chart_can_be_enlarged_and_restored(dashboard):
    log_runs("enlarge", {"a": {}})
    dashboard.open(project="enlarge")
    chart = dashboard.page.locator("[data-testid=chart][data-metric='train/loss']")
    before = chart.bounding_box()
    chart.locator("[data-testid=chart-expand]").click()
    after = chart.bounding_box()
    assert after["width"] > before["width"] * 1.5 and after["height"] > before["height"] * 1.5
    canvas = chart.locator("canvas").first.bounding_box()
    assert canvas["width"] > before["width"] * 1.4
    assert dashboard.hooks()["charts"]["train/loss"]["expanded"] is True
    dashboard.page.keyboard.press("Escape")
    assert chart.bounding_box()["width"] == pytest.approx(before["width"], abs=2)
    assert dashboard.hooks()["charts"]["train/loss"]["expanded"] is False
