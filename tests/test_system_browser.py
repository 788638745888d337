"""The dashboard's System section in Debian's headless Chromium: system metrics charted
against relative wall time for the selected runs, after the training sections, live,
filtered, absent from projects without any, and in a frozen dashboard.

Runs log system samples at known values through `log_system` (`system_support`) and
are served by the real server; the page's `window.__trackio` says what each chart drew.
"""

from __future__ import annotations

import json
import time
import urllib.request
from urllib.parse import urlencode

import pytest
from browser_support import (
    BrowserTab,
    dashboard_server_fixtures,
    open_view,
    skip_module_without_browser,
    static_files,
)
from system_support import GAP, SAMPLES, STEPS, SYSTEM, log_system_project, system_sample

import trackio
from trackio.static_dashboard import freeze_project

skip_module_without_browser()


class Dashboard(BrowserTab):
    """One tab on the dashboard's charts."""

    def open(self, base_url: str | None = None, **params: str) -> None:
        self.page.goto(f"{base_url or self.base_url}?{urlencode(params)}")
        self.wait_settled()

    def wait_settled(self) -> None:
        self.page.wait_for_function(
            "window.__trackio && window.__trackio.ready && window.__trackio.pending === 0"
        )

    def charts(self) -> dict[str, dict]:
        return self.page.evaluate("JSON.parse(JSON.stringify(window.__trackio.charts))")

    def sections(self) -> list[str]:
        return self.page.locator("[data-testid=section]").evaluate_all(
            "nodes => nodes.map(n => n.dataset.section)"
        )

    def wait_for(self, expression: str, arg: object = None) -> None:
        self.page.wait_for_function(f"(arg) => {expression}", arg=arg)


server, _each_test_starts_empty = dashboard_server_fixtures()


@pytest.fixture
def dashboard(browser, server):
    yield from open_view(browser, server.url, Dashboard)


def relative_extents(server, project: str) -> dict[str, tuple[float, float]]:
    """Per run id, the first and last sample's seconds since its run started, from the
    server's run starts and the samples' wall times as `Api` reads them."""
    url = f"{server.url}api/runs?{urlencode({'project': project})}"
    with urllib.request.urlopen(url, timeout=30) as response:
        runs = json.loads(response.read())["runs"]
    extents = {}
    for run in runs:
        samples = trackio.Api().run(f"{project}/{run['name']}").system_metrics()
        stamps = [sample["timestamp"] - run["created_at"] for sample in samples]
        extents[run["id"]] = (min(stamps), max(stamps))
    return extents


def test_system_section_charts_each_run_against_relative_time(dashboard, server):
    runs = log_system_project("machine")
    ids = {name: run.id for name, run in runs.items()}
    extents = relative_extents(server, "machine")
    dashboard.open(project="machine")
    page = dashboard.page

    # After the training sections, titled System, one chart per system metric.
    assert dashboard.sections() == ["train", "", "system"]
    system = page.locator("[data-testid=section][data-section=system]")
    assert system.locator(".section-title").inner_text() == "System"
    assert system.locator(".section-count").inner_text() == str(len(SYSTEM))
    shown = system.locator("[data-testid=chart]").evaluate_all(
        """nodes => nodes.map(n => [
            n.dataset.metric,
            n.querySelector('.chart-title').firstChild.textContent,
            n.querySelector('.chart-unit')?.textContent,
        ])"""
    )
    assert shown == [
        ["system/cpu/utilization", "cpu/utilization", "%"],
        ["system/memory/used", "memory/used", "GB"],
        ["system/gpu/0/utilization", "gpu/0/utilization", "%"],
    ]

    charts = dashboard.charts()
    lo = min(start for start, _ in extents.values())
    hi = max(end for _, end in extents.values())
    for metric in SYSTEM:
        chart = charts[metric]
        assert chart["system"] is True
        assert chart["runs"] == {ids["alpha"]: SAMPLES, ids["beta"]: SAMPLES}
        assert (chart["xMode"], chart["xLabel"]) == ("relative", "Relative time")
        assert chart["xRange"] == pytest.approx([lo, hi], abs=1e-3)
        # Starts at the first sample, just after init(), and spans the samples' seconds.
        assert 0 <= lo < 2 and GAP * (SAMPLES - 1) <= hi - lo < GAP * (SAMPLES - 1) + 2
        assert chart["xTicks"] and all(tick.endswith("s") for tick in chart["xTicks"] if tick)
    values = [system_sample(k, i)["cpu/utilization"] for k in range(SAMPLES) for i in (0, 1)]
    low, high = charts["system/cpu/utilization"]["yRange"]
    assert low <= min(values) and max(values) <= high < max(values) * 1.2

    # The training charts are as they were: steps along x.
    for metric in ("train/loss", "lr"):
        assert charts[metric]["system"] is False
        assert charts[metric]["xMode"] == "step"
        assert charts[metric]["runs"] == {ids["alpha"]: STEPS, ids["beta"]: STEPS}
        assert charts[metric]["xRange"] == [0, STEPS - 1]

    page.locator(
        f"[data-testid=run-item][data-run-id='{ids['beta']}'] [data-testid=run-checkbox]"
    ).uncheck()
    dashboard.wait_for(
        "Object.values(window.__trackio.charts).every(c => !(arg in c.runs))", ids["beta"]
    )
    charts = dashboard.charts()
    for metric in SYSTEM:
        assert charts[metric]["runs"] == {ids["alpha"]: SAMPLES}
        start, end = extents[ids["alpha"]]
        assert charts[metric]["xRange"] == pytest.approx([start, end], abs=1e-3)


def test_x_axis_choice_wall_time_carries_to_the_system_section_others_do_not(dashboard):
    runs = log_system_project("axes", names=("solo",), samples=3)
    dashboard.open(project="axes")
    select = dashboard.page.locator("[data-testid=x-axis]")

    select.select_option("time")
    dashboard.wait_for("window.__trackio.charts['system/memory/used']?.xMode === 'time'")
    dashboard.wait_settled()
    stamps = [s["timestamp"] for s in trackio.Api().run("axes/solo").system_metrics()]
    charts = dashboard.charts()
    assert charts["system/memory/used"]["xRange"] == pytest.approx(
        [min(stamps), max(stamps)], abs=1e-3
    )
    assert charts["system/memory/used"]["runs"] == {runs["solo"].id: 3}
    assert charts["train/loss"]["xMode"] == "time"

    # Against a training metric or steps, a sample has no x: relative time again.
    for choice in ("lr", "step"):
        select.select_option(choice)
        dashboard.wait_for("window.__trackio.charts['train/loss']?.xMode === arg", choice)
        dashboard.wait_settled()
        charts = dashboard.charts()
        assert charts["system/memory/used"]["xMode"] == "relative"
        assert charts["system/memory/used"]["runs"] == {runs["solo"].id: 3}


def test_the_metric_filter_applies_to_the_system_section(dashboard):
    log_system_project("filtered", names=("solo",), samples=2)
    dashboard.open(project="filtered")
    box = dashboard.page.locator("[data-testid=metric-filter]")
    cases = {
        "^cpu": ["system/cpu/utilization"],
        "^system/": list(SYSTEM),
        "utilization": ["system/cpu/utilization", "system/gpu/0/utilization"],
        "loss": ["train/loss"],
    }
    for text, expected in cases.items():
        box.fill(text)
        dashboard.wait_for(
            "Object.keys(window.__trackio.charts).sort().join() === arg", ",".join(sorted(expected))
        )
        has_system = any(name.startswith("system/") for name in expected)
        assert ("system" in dashboard.sections()) == has_system


def test_system_charts_grow_live_while_the_run_samples(dashboard):
    runs = log_system_project("live", names=("solo",), samples=2, finish=False)
    run = runs["solo"]
    dashboard.open(project="live")
    # The run's writer flushes in the background: the page may see the first sample
    # alone, then the second as it polls.
    dashboard.wait_for("window.__trackio.charts['system/cpu/utilization']?.runs[arg] === 2", run.id)
    for sample in (2, 3, 4):
        # A sample's step is its wall-time millisecond: two in one would be one.
        time.sleep(0.01)
        run.log_system(system_sample(sample, 0))
    dashboard.wait_for("window.__trackio.charts['system/cpu/utilization']?.runs[arg] === 5", run.id)
    run.finish()


def test_a_project_without_system_metrics_has_no_system_section(dashboard):
    trackio.init(project="plain", name="r", auto_log_cpu=False, auto_log_gpu=False)
    for step in range(3):
        trackio.log({"train/loss": 1.0 / (step + 1)})
    trackio.finish()
    dashboard.open(project="plain")
    assert dashboard.sections() == ["train"]
    assert list(dashboard.charts()) == ["train/loss"]
    assert dashboard.page.get_by_text("System", exact=True).count() == 0


def test_a_frozen_dashboard_shows_the_system_section(dashboard, server, tmp_path):
    runs = log_system_project("frozen-machine")
    extents = relative_extents(server, "frozen-machine")
    freeze_project("frozen-machine", tmp_path / "site")
    with static_files(tmp_path / "site") as url:
        dashboard.open(url)
        assert dashboard.sections() == ["train", "", "system"]
        charts = dashboard.charts()
        lo = min(start for start, _ in extents.values())
        hi = max(end for _, end in extents.values())
        for metric in SYSTEM:
            assert charts[metric]["runs"] == {run.id: SAMPLES for run in runs.values()}
            assert charts[metric]["xMode"] == "relative"
            # Seconds since the start are stored as float32 in a frozen series file.
            assert charts[metric]["xRange"] == pytest.approx([lo, hi], abs=1e-3)
        assert charts["train/loss"]["xMode"] == "step"
