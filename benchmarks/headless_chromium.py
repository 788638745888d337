"""Launching Debian's Chromium headless through Playwright, for the page-load benchmarks."""

from __future__ import annotations

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
