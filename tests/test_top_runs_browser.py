"""'Top N by metric' in the runs list, in Debian's headless Chromium: one step selects
the best runs of a sweep by a summary value, lowest or highest first, among the runs
the filter matches (SQLite only: the selection is the page's, not the store's)."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from browser_support import BrowserTab, dashboard_server_fixtures, open_view
from browser_support import skip_module_without_browser as skip_without_browser

import trackio

skip_without_browser()

LOSSES = {"a": 0.9, "b": 0.2, "c": 0.5, "d": 0.1, "e": 0.7, "f": float("nan")}


server, _each_test_starts_empty = dashboard_server_fixtures(["sqlite"])


@pytest.fixture
def page(browser, server):
    yield from open_view(browser, server.url, BrowserTab)


def _checked(page) -> list[str]:
    return page.locator("[data-testid=run-item]").evaluate_all(
        "items => items.filter(i => i.querySelector('input').checked)"
        ".map(i => i.dataset.runName).sort()"
    )


def test_top_n_selects_the_best_runs_among_those_the_filter_matches(page, server):
    for name, loss in LOSSES.items():
        run = trackio.init(project="sweep", name=name, auto_log_cpu=False)
        run.log({"loss": loss + 1.0, "acc": 1.0 - loss})
        run.log({"loss": loss, "acc": 1.0 - loss})
        run.finish()
    tab = page.page
    tab.goto(page.base_url + "?" + urlencode({"project": "sweep"}))
    tab.wait_for_function("() => document.querySelectorAll('[data-testid=run-item]').length === 6")
    assert _checked(tab) == sorted(LOSSES)
    assert tab.locator("[data-testid=top-metric] option").all_inner_texts() == ["acc", "loss"]
    assert tab.locator("[data-testid=top-metric]").input_value() == "loss"

    tab.locator("[data-testid=top-count]").fill("2")
    tab.locator("[data-testid=top-select]").click()
    assert _checked(tab) == ["b", "d"]
    assert "runs=" in tab.url

    tab.locator("[data-testid=top-order]").select_option("highest")
    tab.locator("[data-testid=top-count]").fill("3")
    tab.locator("[data-testid=top-select]").click()
    assert _checked(tab) == ["a", "c", "e"]

    # Among the runs the filter matches; the others keep their state.
    tab.locator("[data-testid=run-search]").fill("^[a-c]$")
    tab.locator("[data-testid=top-order]").select_option("lowest")
    tab.locator("[data-testid=top-count]").fill("1")
    tab.locator("[data-testid=top-select]").click()
    tab.locator("[data-testid=run-search]").fill("")
    assert _checked(tab) == ["b", "e"]

    tab.locator("[data-testid=top-metric]").select_option("acc")
    tab.locator("[data-testid=top-order]").select_option("highest")
    tab.locator("[data-testid=top-count]").fill("10")
    tab.locator("[data-testid=top-select]").click()
    assert _checked(tab) == ["a", "b", "c", "d", "e"], "a NaN summary is never among the best"


def test_a_project_without_numeric_summaries_shows_no_top_control(page, server):
    run = trackio.init(project="words", name="w", auto_log_cpu=False)
    run.log({"note": "text only"})
    run.finish()
    page.page.goto(page.base_url + "?" + urlencode({"project": "words"}))
    page.page.wait_for_function("() => document.querySelectorAll('[data-testid=run-item]').length")
    assert page.page.locator("[data-testid=top-runs]").is_hidden()
