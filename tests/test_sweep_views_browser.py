"""The Sweep view in Debian's headless Chromium: parallel coordinates of the runs'
config and summary metrics, brushed with the mouse, and a scatter plot selecting a
rectangle's runs; either selects those runs in the runs list and the URL, and a link's
`parcoords=` brushes select the same runs (SQLite only: the selection is the page's)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlparse

import pytest
from browser_support import BrowserTab, dashboard_server_fixtures, open_view
from browser_support import skip_module_without_browser as skip_without_browser

import trackio

skip_without_browser()

# name: (lr, batch, optimizer, last loss, last acc)
SWEEP = {
    "r01": (1e-4, 16, "adam", 0.90, 0.55),
    "r02": (3e-4, 32, "adam", 0.70, 0.62),
    "r03": (1e-3, 64, "adam", 0.40, 0.80),
    "r04": (3e-3, 128, "adam", 0.35, 0.83),
    "r05": (1e-2, 16, "sgd", 0.60, 0.70),
    "r06": (3e-2, 32, "sgd", 0.95, 0.50),
    "r07": (1e-4, 64, "sgd", 1.20, 0.40),
    "r08": (3e-4, 128, "sgd", 0.80, 0.58),
    "r09": (1e-3, 16, "adamw", 0.30, 0.86),
    "r10": (3e-3, 32, "adamw", 0.25, 0.88),
    "r11": (1e-2, 64, "adamw", 0.50, 0.75),
    "r12": (3e-2, 128, "adamw", 1.10, 0.45),
}
ALL = sorted(SWEEP)

server, _each_test_starts_empty = dashboard_server_fixtures(["sqlite"])


@pytest.fixture
def page(browser, server):
    yield from open_view(browser, server.url, BrowserTab, height=1100)


def _log_sweep() -> None:
    for name, (lr, batch, optimizer, loss, acc) in SWEEP.items():
        config = {"lr": lr, "batch": batch, "optimizer": optimizer}
        run = trackio.init(project="sweep", name=name, config=config, auto_log_cpu=False)
        run.log({"loss": loss + 0.5, "acc": acc - 0.1})
        run.log({"loss": loss, "acc": acc})
        run.finish()


def _open_sweep(page, **params) -> None:
    query = urlencode({"project": "sweep", "view": "sweep", **params})
    page.page.goto(f"{page.base_url}?{query}")
    page.page.wait_for_function(
        "() => window.__trackio && window.__trackio.ready && window.__trackio.sweep"
        " && window.__trackio.sweep.lines.drawn > 0"
    )


def _sweep(tab) -> dict:
    return tab.evaluate(
        "() => { const s = window.__trackio.sweep;"
        " return {axes: s.axes, brushes: s.brushes, passing: s.passing, lines: s.lines,"
        " color: s.color, scatter: s.scatter}; }"
    )


def _checked(tab) -> list[str]:
    return tab.locator("[data-testid=run-item]").evaluate_all(
        "items => items.filter(i => i.querySelector('input').checked)"
        ".map(i => i.dataset.runName).sort()"
    )


def _url(tab) -> str:
    # Read from the page: Playwright's `page.url` hears of replaceState a moment later.
    return tab.evaluate("() => location.href")


def _url_params(tab) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlparse(_url(tab)).query).items()}


def _point(tab, axis: str, value) -> dict:
    point = tab.evaluate("([a, v]) => window.__trackio.sweep.point(a, v)", [axis, value])
    assert point is not None, f"no point for {value!r} on {axis}"
    return point


def _drag(tab, start: dict, end: dict) -> None:
    tab.mouse.move(start["x"], start["y"])
    tab.mouse.down()
    tab.mouse.move(start["x"], (start["y"] + end["y"]) / 2, steps=4)
    tab.mouse.move(end["x"], end["y"], steps=4)
    tab.mouse.up()


def test_parallel_coordinates_draw_the_sweeps_config_and_summary_axes(page, server):
    _log_sweep()
    _open_sweep(page)
    tab = page.page
    sweep = _sweep(tab)
    axes = [(a["id"], a["type"], a["log"]) for a in sweep["axes"]]
    assert axes == [
        ("config:lr", "numeric", True),
        ("config:batch", "numeric", False),
        ("config:optimizer", "categorical", False),
        ("summary:loss", "numeric", False),
        ("summary:acc", "numeric", False),
    ]
    ticks = {a["id"]: a["ticks"] for a in sweep["axes"]}
    assert ticks["config:optimizer"] == ["adam", "adamw", "sgd"]
    assert ticks["config:lr"] == ["1e-4", "0.001", "0.01"]
    assert all(len(labels) >= 2 for labels in ticks.values()), ticks
    titles = tab.locator("[data-testid=parcoords-axis]").evaluate_all(
        "els => els.map(e => e.dataset.axisName)"
    )
    assert titles == ["lr", "batch", "optimizer", "loss", "acc"]
    assert sweep["lines"] == {"drawn": 12, "strong": 12, "faint": 0}
    assert sweep["color"] == "summary:loss"
    assert sweep["passing"] == ALL
    assert sweep["scatter"] == {
        "x": "config:lr",
        "y": "summary:loss",
        "dots": 12,
        "rect": False,
    }
    assert "parcoords" not in _url_params(tab), "the default axes need no parameter"

    # Colour by another metric, and take an axis away: both go in the URL.
    tab.locator("[data-testid=sweep-color]").select_option("acc")
    assert _sweep(tab)["color"] == "summary:acc"
    assert _url_params(tab)["parcolor"] == "acc"
    tab.locator("[data-testid=sweep-axes]").click()
    tab.get_by_label("config batch").uncheck()
    assert [a["name"] for a in _sweep(tab)["axes"]] == ["lr", "optimizer", "loss", "acc"]
    assert _url_params(tab)["parcoords"] == "lr,optimizer,loss,acc"


def test_dragging_along_axes_selects_the_runs_in_range_and_clicking_clears(page, server):
    _log_sweep()
    _open_sweep(page)
    tab = page.page
    assert _checked(tab) == ALL

    _drag(tab, _point(tab, "summary:loss", 0.27), _point(tab, "summary:loss", 0.66))
    in_loss_range = ["r03", "r04", "r05", "r09", "r11"]
    assert _checked(tab) == in_loss_range
    assert _sweep(tab)["passing"] == in_loss_range
    assert _sweep(tab)["lines"] == {"drawn": 12, "strong": 5, "faint": 7}
    params = _url_params(tab)
    assert sorted(params["runs"].split(",")) == in_loss_range
    axes = params["parcoords"].split(",")
    assert axes[:3] == ["lr", "batch", "optimizer"] and axes[4] == "acc"
    assert axes[3].startswith("loss:")
    lo, hi = map(float, axes[3].removeprefix("loss:").split(".."))
    assert 0.25 < lo <= 0.3 and 0.6 <= hi < 0.7

    # A second brush, on the categorical axis: the two AND together.
    adam = _point(tab, "config:optimizer", "adam")
    _drag(tab, {**adam, "y": adam["y"] + 20}, {**adam, "y": adam["y"] - 20})
    assert _checked(tab) == ["r03", "r04"]
    assert "optimizer:adam..adam" in _url_params(tab)["parcoords"].split(",")

    # The link, opened afresh, shows the same selection.
    shared = _url(tab)
    tab.goto("about:blank")
    tab.goto(shared)
    tab.wait_for_function("() => window.__trackio?.ready && window.__trackio.sweep")
    assert _checked(tab) == ["r03", "r04"]
    assert set(_sweep(tab)["brushes"]) == {"summary:loss", "config:optimizer"}

    # A click on a brushed axis clears its brush; the other one still holds.
    tab.mouse.click(**_point(tab, "summary:loss", 0.5))
    assert _checked(tab) == ["r01", "r02", "r03", "r04"]
    assert list(_sweep(tab)["brushes"]) == ["config:optimizer"]
    tab.mouse.click(**_point(tab, "config:optimizer", "sgd"))
    assert _checked(tab) == ALL
    assert _sweep(tab)["brushes"] == {}
    params = _url_params(tab)
    assert "parcoords" not in params and "runs" not in params


def test_a_link_with_brushes_opens_with_their_runs_selected(page, server):
    _log_sweep()
    _open_sweep(page, parcoords="lr:0.0005..0.02,batch,optimizer:adamw..sgd,loss,acc:0.5..0.8")
    tab = page.page
    assert _checked(tab) == ["r05", "r11"]
    sweep = _sweep(tab)
    assert sweep["brushes"] == {
        "config:lr": [0.0005, 0.02],
        "config:optimizer": ["adamw", "sgd"],
        "summary:acc": [0.5, 0.8],
    }
    assert sweep["passing"] == ["r05", "r11"]
    assert sweep["lines"]["strong"] == 2
    assert sorted(_url_params(tab)["runs"].split(",")) == ["r05", "r11"]

    # Without the tab open, a link's brushes select their runs all the same.
    query = urlencode({"project": "sweep", "parcoords": "batch:100..200"})
    tab.goto(f"{page.base_url}?{query}")
    tab.wait_for_function("() => window.__trackio?.ready")
    assert _checked(tab) == ["r04", "r08", "r12"]


def test_a_scatter_rectangle_selects_the_runs_inside_and_double_click_clears(page, server):
    _log_sweep()
    _open_sweep(page)
    tab = page.page
    tab.locator("[data-testid=scatter-canvas]").scroll_into_view_if_needed()

    def spot(lr, loss):
        point = tab.evaluate("([x, y]) => window.__trackio.sweep.scatterPoint(x, y)", [lr, loss])
        assert point is not None
        return point

    tab.mouse.move(**spot(1e-3, 0.40))
    tooltip = tab.locator("[data-testid=tooltip]")
    assert tooltip.is_visible()
    assert "r03" in tooltip.inner_text() and "0.4" in tooltip.inner_text()

    _drag(tab, spot(5e-4, 0.28), spot(5e-3, 0.45))
    assert _checked(tab) == ["r03", "r04", "r09"]
    assert _sweep(tab)["scatter"]["rect"] is True
    assert tab.locator("[data-testid=scatter-rect]").is_visible()
    assert sorted(_url_params(tab)["runs"].split(",")) == ["r03", "r04", "r09"]

    tab.mouse.dblclick(**spot(1e-2, 1.0))
    assert _checked(tab) == ALL
    assert _sweep(tab)["scatter"]["rect"] is False

    # Another pair of axes, kept in the URL.
    tab.locator("[data-testid=scatter-x]").select_option("config:batch")
    tab.locator("[data-testid=scatter-y]").select_option("summary:acc")
    assert _url_params(tab)["scatter"] == "batch,acc"
    _drag(tab, spot(100, 0.42), spot(132, 0.86))
    assert _checked(tab) == ["r04", "r08", "r12"]


def test_a_run_without_the_brushed_value_is_not_selected(page, server):
    _log_sweep()
    no_loss = trackio.init(
        project="sweep",
        name="no-loss",
        config={"lr": 1e-3, "batch": 64, "optimizer": "adam"},
        auto_log_cpu=False,
    )
    no_loss.log({"acc": 0.7})
    no_loss.finish()
    no_lr = trackio.init(
        project="sweep", name="no-lr", config={"batch": 64, "optimizer": "adam"}, auto_log_cpu=False
    )
    no_lr.log({"loss": 0.5, "acc": 0.7})
    no_lr.finish()
    _open_sweep(page)
    tab = page.page
    assert len(_checked(tab)) == 14

    # Brushes over each axis's whole length: only a missing value keeps a run out.
    def whole(axis, top, bottom):
        start = _point(tab, axis, top)
        end = _point(tab, axis, bottom)
        _drag(tab, {**start, "y": start["y"] - 8}, {**end, "y": end["y"] + 30})

    whole("summary:loss", 1.2, 0.25)
    assert _checked(tab) == sorted([*ALL, "no-lr"])
    whole("config:lr", 3e-2, 1e-4)
    assert _checked(tab) == ALL
    assert _sweep(tab)["lines"] == {"drawn": 14, "strong": 12, "faint": 2}


def test_the_page_still_loads_when_the_sweep_views_code_cannot(page, server):
    """The Sweep view's code is fetched when first needed; a page whose server no longer
    has it (upgraded since the page loaded) says so and draws its charts regardless."""
    _log_sweep()
    tab = page.page
    tab.route("**/assets/sweep-*", lambda route: route.abort())
    query = urlencode({"project": "sweep", "parcoords": "batch:100..200"})
    tab.goto(f"{page.base_url}?{query}")
    tab.wait_for_function(
        "() => window.__trackio?.ready && window.__trackio.pending === 0"
        " && window.__trackio.chartsDrawn === 2"
    )
    notice = tab.locator(".notice")
    assert notice.is_visible() and "Could not load the Sweep view" in notice.inner_text()
    assert _checked(tab) == ALL, "the link's brushes could not apply: every run stays shown"

    # The tab tries again, and once the code can be fetched the view opens.
    tab.unroute("**/assets/sweep-*")
    tab.locator("[data-testid=view-sweep]").click()
    tab.wait_for_function("() => window.__trackio.sweep && window.__trackio.sweep.lines.drawn > 0")
    assert tab.locator("[data-testid=view-sweep]").get_attribute("aria-selected") == "true"
