"""`trackio freeze`: the static dashboard it writes, served by a plain static file server
(`python -m http.server`, no trackio process) and opened in Debian's headless Chromium;
and what it refuses.

The project is logged with the real API and frozen by the real command in a child
process; the page publishes `window.__trackio` (what each chart drew) for the assertions.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
from browser_support import (
    CHROMIUM,
    HOW_TO_ENABLE,
    BrowserTab,
    new_test_context,
    static_files,
    sync_playwright,
)
from cli_support import run_cli

import trackio

REPO_ROOT = Path(__file__).resolve().parent.parent

needs_browser = pytest.mark.skipif(
    sync_playwright is None or not os.path.exists(CHROMIUM), reason=HOW_TO_ENABLE
)
PROJECT = "frozen-demo"
RUNS = ("alpha", "beta", "gamma")
STEPS = 120
LONG_STEPS = 3_000
SPIKE_STEP, SPIKE = 1_717, 100.0
TOKENS = {
    "TRACKIO_WRITE_TOKEN": "write-token-5d1c0e7f2a9b",
    "TRACKIO_READ_TOKEN": "read-token-8e2f4a6c1b3d",
    "HF_TOKEN": "hf_freezeTestToken0123456789",
}


def freeze(env: dict[str, str], *args: object) -> subprocess.CompletedProcess[str]:
    """Run the real `trackio freeze` command in a child process."""
    return run_cli(env, "freeze", *args)


def child_environment(data_dir: Path) -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return dict(os.environ, TRACKIO_DIR=str(data_dir), TRACKIO_QUIET="1", PYTHONPATH=path)


def log_project(project: str) -> dict[str, dict[str, int]]:
    """Three runs of metrics logged at different rates, images, a table with image
    cells, a histogram, audio and video; returns the points each run has per metric,
    by run id."""
    points: dict[str, dict[str, int]] = {}
    rng = np.random.default_rng(0)
    for index, name in enumerate(RUNS):
        run = trackio.init(project=project, name=name, config={"lr": 10.0 ** -(index + 2)})
        for step in range(STEPS):
            row: dict[str, object] = {
                "train/loss": 2 * math.exp(-step / 40) + 0.1 * index,
                "train/acc": step / STEPS,
            }
            if step % 10 == 0:
                row["eval/loss"] = 2.2 * math.exp(-step / 40) + 0.1 * index
            if step % 40 == 0:
                image = np.zeros((24, 40, 3), dtype=np.uint8)
                image[..., index] = 200
                row["samples"] = trackio.Image(image, caption=f"{name} at {step}")
                row["weights"] = trackio.Histogram(rng.normal(index, 1.0, 500))
            run.log(row, step=step)
        table_rows = [
            [i, f"row {i}", float(s), trackio.Image(np.full((8, 8), 40 * i, dtype=np.uint8))]
            for i, s in enumerate([0.5, 0.1, 0.9, 0.3, 0.7])
        ]
        run.log(
            {
                "predictions": trackio.Table(
                    columns=["id", "text", "score", "thumb"], data=table_rows
                ),
                "speech": trackio.Audio(np.sin(np.arange(4_000) / 8), sample_rate=8_000),
                "rollout": trackio.Video(
                    rng.integers(0, 255, (4, 3, 16, 16), dtype=np.uint8), fps=4
                ),
            },
            step=STEPS - 1,
        )
        counts = {"train/loss": STEPS, "train/acc": STEPS, "eval/loss": STEPS // 10}
        if index == 0:
            for step in range(STEPS, STEPS + LONG_STEPS):
                run.log({"long/signal": SPIKE if step == SPIKE_STEP else math.sin(step / 50)})
            counts["long/signal"] = LONG_STEPS
        run.finish()
        points[run.id] = counts
    return points


@pytest.fixture(scope="module")
def frozen(tmp_path_factory):
    """The project logged once and frozen by `trackio freeze` into a folder of the
    static site, with tokens in the command's environment that must not leak."""
    data_dir = tmp_path_factory.mktemp("freeze-data")
    site = tmp_path_factory.mktemp("site")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRACKIO_DIR", str(data_dir))
        patch.setenv("TRACKIO_QUIET", "1")
        points = log_project(PROJECT)
        trackio.finish()
    output = site / "snapshot"
    result = freeze(
        dict(child_environment(data_dir), **TOKENS), "--project", PROJECT, "--output", output
    )
    assert result.returncode == 0, result.stderr
    assert "froze project 'frozen-demo'" in result.stdout
    return {"points": points, "data_dir": data_dir, "site": site, "output": output}


@pytest.fixture(scope="module")
def static_site(frozen):
    """The site folder served by Python's plain static file server on a loopback port."""
    with static_files(frozen["site"]) as url:
        yield url


class FrozenPage(BrowserTab):
    """A tab on the frozen dashboard, recording every request and failed response."""

    def __init__(self, page, base_url: str) -> None:
        super().__init__(page, base_url)
        self.requests: list[str] = []
        self.failures: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on(
            "response",
            lambda response: (
                response.status >= 400 and self.failures.append(f"{response.status} {response.url}")
            ),
        )

    def wait_settled(self) -> None:
        self.page.wait_for_function(
            "window.__trackio && window.__trackio.ready && window.__trackio.pending === 0"
        )

    def hooks(self) -> dict:
        return self.page.evaluate("JSON.parse(JSON.stringify(window.__trackio))")


@pytest.fixture
def frozen_page(browser, static_site):
    context = new_test_context(browser, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    tab = FrozenPage(page, static_site + "snapshot/")
    yield tab
    context.close()
    assert tab.errors == [], f"script errors in the page: {tab.errors}"
    assert tab.dialogs == [], f"the page opened dialogs: {tab.dialogs}"


@needs_browser
def test_frozen_dashboard_draws_every_chart_and_the_media_from_static_files(frozen, frozen_page):
    points = frozen["points"]
    page = frozen_page.page
    page.goto(frozen_page.base_url)
    page.wait_for_function(
        "window.__trackio && window.__trackio.ready && window.__trackio.pending === 0"
        " && window.__trackio.chartsDrawn === 4"
    )

    charts = frozen_page.hooks()["charts"]
    assert sorted(charts) == ["eval/loss", "long/signal", "train/acc", "train/loss"]
    for metric, chart in charts.items():
        expected = {run_id: n[metric] for run_id, n in points.items() if metric in n}
        if metric == "long/signal":
            # Three runs share a chart: 1,000 points a series, the spike kept as the envelope.
            expected = {run_id: 1_000 for run_id in expected}
            assert chart["yRange"][1] >= SPIKE
        assert chart["runs"] == expected, metric
    badge = page.locator("[data-testid=snapshot-badge]")
    assert badge.inner_text().startswith(f"Snapshot of {PROJECT}, frozen ")
    assert page.locator("[data-testid=project-select]").is_hidden()
    assert page.locator("[data-testid=signin]").count() == 0

    # Against another metric, points pair by step.
    page.select_option("[data-testid=x-axis]", "train/acc")
    page.wait_for_function(
        "window.__trackio.pending === 0"
        " && window.__trackio.charts['eval/loss']?.xMode === 'train/acc'"
        " && Object.keys(window.__trackio.charts['eval/loss'].runs).length === 3"
    )
    charts = frozen_page.hooks()["charts"]
    assert set(charts["eval/loss"]["runs"].values()) == {STEPS // 10}
    assert charts["eval/loss"]["xRange"][1] <= 1.0

    page.locator("[data-testid=view-media]").click()
    page.wait_for_function("window.__trackio.media.ready && window.__trackio.pending === 0")
    images = "[data-testid=media-key][data-key=samples] img"
    page.wait_for_function(
        """(selector) => {
            const imgs = [...document.querySelectorAll(selector)];
            return imgs.length === 3 && imgs.every(i => i.complete && i.naturalWidth === 40);
        }""",
        arg=images,
    )
    tables = page.locator("[data-testid=media-table][data-key=predictions]")
    tables.scroll_into_view_if_needed()
    rows = tables.locator("[data-testid=media-table-run]").first.locator("tbody tr")
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=media-table-run] tbody tr').length === 15"
    )
    thumbs = "[data-testid=media-table-run] td.media img"
    page.wait_for_function(
        """(selector) => {
            const imgs = [...document.querySelectorAll(selector)];
            return imgs.length === 15 && imgs.every(i => i.complete && i.naturalWidth === 8);
        }""",
        arg=thumbs,
    )
    # Sorted in the page, as the server sorts: by score, then descending.
    tables.locator("[data-testid=media-table-run]").first.locator(
        "button[data-column=score]"
    ).click()
    page.wait_for_function(
        "() => document.querySelector('[data-testid=media-table-run] th[aria-sort=ascending]')"
    )
    assert [rows.nth(i).locator("td").nth(3).inner_text() for i in range(5)] == [
        "0.1",
        "0.3",
        "0.5",
        "0.7",
        "0.9",
    ]
    histogram = page.locator("[data-testid=media-histogram][data-key=weights]")
    histogram.scroll_into_view_if_needed()
    page.wait_for_function("window.__trackio.media.histograms === 1")
    assert histogram.locator("[data-testid=histogram-run]").count() == 3
    for kind, key in (("audio", "speech"), ("video", "rollout")):
        element = page.locator(f"[data-testid=media-key][data-key={key}] {kind}").first
        element.scroll_into_view_if_needed()
        page.wait_for_function("m => m.readyState >= 1", arg=element.element_handle())

    page.locator("[data-testid=view-table]").click()
    assert page.locator("[data-testid=runs-table] tbody tr").count() == 3

    assert frozen_page.failures == []
    served = urlparse(frozen_page.base_url)
    for url in frozen_page.requests:
        parsed = urlparse(url)
        if parsed.scheme == "data":
            continue
        assert parsed.netloc == served.netloc and parsed.path.startswith(served.path), url
        assert "/api/" not in parsed.path, url


@needs_browser
def test_frozen_dashboard_in_the_dark_scheme_draws_without_errors(frozen, browser, static_site):
    context = new_test_context(browser, viewport={"width": 800, "height": 700}, color_scheme="dark")
    page = context.new_page()
    tab = FrozenPage(page, static_site + "snapshot/")
    page.goto(tab.base_url + "?x=time&runs=alpha")
    page.wait_for_function(
        "window.__trackio && window.__trackio.ready && window.__trackio.pending === 0"
        " && window.__trackio.chartsDrawn === 4"
    )
    charts = tab.hooks()["charts"]
    alpha = next(run_id for run_id, n in frozen["points"].items() if "long/signal" in n)
    assert charts["train/loss"]["runs"] == {alpha: STEPS}
    assert charts["train/loss"]["xMode"] == "time"
    # Wall time: the run's own seconds, not 1970.
    assert charts["train/loss"]["xRange"][0] > time.time() - 3600
    assert all(chart["yLabelsFit"] for chart in charts.values())
    context.close()
    assert tab.errors == [] and tab.failures == []


def test_frozen_folder_holds_no_paths_of_this_machine_and_no_tokens(frozen):
    output = frozen["output"]
    files = [path for path in output.rglob("*") if path.is_file()]
    names = {path.relative_to(output).as_posix() for path in files}
    assert {"index.html", "data/frozen.json", "data/runs.json", "data/metrics.json"} <= names
    assert any(name.startswith("data/media/") for name in names)
    secrets = [frozen["data_dir"], frozen["site"], REPO_ROOT, Path.home(), *TOKENS.values()]
    for path in files:
        content = path.read_bytes()
        for secret in secrets:
            assert str(secret).encode() not in content, (path, secret)
    page = (output / "index.html").read_text()
    assert '<meta name="trackio-static-data" content="data/" />' in page
    assert 'src="/' not in page and 'href="/' not in page
    media = json.loads((output / "data" / "media.json").read_text())["media"]
    for item in media:
        if item["url"] is not None:
            assert (output / item["url"]).is_file(), item


def test_freeze_refuses_a_missing_project_or_a_folder_holding_something_else(trackio_dir, tmp_path):
    env = child_environment(trackio_dir)
    with trackio.init(project="real", name="only") as run:
        run.log({"loss": 1.0})

    missing = freeze(env, "--project", "nope", "--output", tmp_path / "out")
    assert missing.returncode == 1
    assert missing.stderr.strip().count("\n") == 0
    assert "project 'nope' not found" in missing.stderr
    assert not (tmp_path / "out").exists()

    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "notes.txt").write_text("mine")
    refused = freeze(env, "--project", "real", "--output", occupied)
    assert refused.returncode == 1
    assert refused.stderr.strip().count("\n") == 0
    assert "not empty" in refused.stderr and str(occupied) in refused.stderr
    assert [p.name for p in occupied.iterdir()] == ["notes.txt"]

    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    refused = freeze(env, "--project", "real", "--output", a_file)
    assert refused.returncode == 1 and "not a folder" in refused.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "occupied", "trackio_data"]


def test_refreezing_replaces_an_earlier_freeze(trackio_dir, tmp_path):
    env = child_environment(trackio_dir)
    with trackio.init(project="grows", name="first") as run:
        run.log({"loss": 1.0, "picture": trackio.Image(np.zeros((4, 4), dtype=np.uint8))})
    empty = tmp_path / "site"
    empty.mkdir()
    assert freeze(env, "--project", "grows", "--output", empty).returncode == 0
    assert len(list((empty / "data" / "media").rglob("*.png"))) == 1

    trackio.Api().run("grows/first").delete()
    with trackio.init(project="grows", name="second") as run:
        run.log({"loss": 2.0, "acc": 0.5, "lost": trackio.Image(np.ones((4, 4), dtype=np.uint8))})
    for path in (trackio_dir / "grows.media" / run.id).glob("*.png"):
        path.unlink()
    again = freeze(env, "--project", "grows", "--output", empty)
    assert again.returncode == 0, again.stderr
    assert "1 logged media files are missing" in again.stderr
    runs = json.loads((empty / "data" / "runs.json").read_text())["runs"]
    assert [r["name"] for r in runs] == ["second"]
    assert json.loads((empty / "data" / "metrics.json").read_text())["metrics"] == ["loss", "acc"]
    (lost,) = json.loads((empty / "data" / "media.json").read_text())["media"]
    assert lost["key"] == "lost" and lost["url"] is None
    assert not (empty / "data" / "media").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site", "trackio_data"]


def test_a_chart_shares_its_points_among_its_runs_down_to_a_floor():
    from trackio.static_dashboard.series_files import points_per_series

    assert [points_per_series(runs) for runs in (1, 25, 100, 500, 1_000, 10_000)] == [
        1_000,
        1_000,
        250,
        50,
        25,
        25,
    ]
