"""Launching Debian's Chromium headless through Playwright, for the page-load benchmarks."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def unavailable_reason() -> str | None:
    """Why the browser figures cannot be measured here, or None if they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright not installed (pip install playwright)"
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not found (apt-get install chromium)"
    return None


def launch(playwright: Any) -> Any:
    """A headless Chromium from the machine's own package, never a downloaded one."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def hooked_context(browser: Any, **options: Any) -> Any:
    """A context whose pages publish the dashboard's `window.__trackio` state (the
    benchmarks wait on it); evaluating it needs the page's CSP bypassed."""
    context = browser.new_context(bypass_csp=True, **options)
    context.add_init_script("window.__trackioTestHooks = true;")
    return context


def open_until_drawn(page: Any, url: str, charts: int, timeout_ms: int = 60_000) -> float:
    """Seconds from navigating `page` to `url` until the dashboard has drawn `charts`
    charts and has nothing left to fetch."""
    started = time.perf_counter()
    page.goto(url)
    page.wait_for_function(
        "(n) => window.__trackio && window.__trackio.ready"
        " && window.__trackio.pending === 0 && window.__trackio.chartsDrawn >= n",
        arg=charts,
        timeout=timeout_ms,
    )
    return time.perf_counter() - started


def page_load_seconds(url: str, charts: int, visits: int = 3) -> list[float] | None:
    """Seconds from navigation to `charts` charts drawn, per visit, each in a fresh
    browser context (the first with the server's cache cold); None if Chromium or
    Playwright is missing."""
    reason = unavailable_reason()
    if reason is not None:
        print(f"{reason}: no page-load figure")
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        times = []
        for _ in range(visits):
            context = hooked_context(browser, viewport={"width": 1440, "height": 900})
            times.append(open_until_drawn(context.new_page(), url, charts))
            context.close()
        browser.close()
    return times
