"""Dashboard benchmark: series request time and size, 1M-step series, page load to charts drawn.

    python benchmarks/bench_dashboard.py [--data-dir DIR] [--regenerate]

Generates (once; reused from --data-dir afterwards) a project of 100 runs x 20,000
steps x 10 metrics and a project with one 1,000,000-step run of 5 metrics, through
the logging API. Then, against a real uvicorn server on a loopback port, prints the
p50 of 20 requests of one chart's series over all 100 runs at max_points~1000, both
uncached and answered from the server's cache of downsampled series, its response
bytes, the same for the 1M-step run, and, if Chromium and Playwright are
installed and the dashboard is built, the time from navigation to all charts drawn.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from headless_chromium import launch, unavailable_reason

WIDE = "bench-100-runs"
LONG = "bench-1m-steps"


def generate(data_dir: Path) -> None:
    """Write both projects through the public logging API."""
    import trackio

    rng = random.Random(0)
    started = time.perf_counter()
    for index in range(100):
        run = trackio.init(project=WIDE, name=f"run-{index:03d}", config={"seed": index})
        base = rng.uniform(0.5, 2.0)
        for step in range(20_000):
            decay = base / (1 + step / 2000)
            run.log({f"train/m{m}": decay + 0.01 * m + rng.random() * 0.01 for m in range(10)})
        run.finish()
    print(f"generated {WIDE}: 20,000,000 points in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    run = trackio.init(project=LONG, name="long")
    for step in range(1_000_000):
        value = 1.0 / (1 + step / 1e5)
        if step == 731_204:
            value = 50.0
        run.log({"loss": value, "lr": 1e-3, "grad": value * 2, "acc": 1 - value, "tok": step})
    run.finish()
    print(f"generated {LONG}: 5,000,000 points in {time.perf_counter() - started:.1f} s")


def timed_get(url: str) -> tuple[float, int]:
    """Seconds and response bytes of one GET."""
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        body = response.read()
    return time.perf_counter() - started, len(body)


def series_url(base: str, project: str, metric: str, max_points: int) -> str:
    """The URL of one chart's series request."""
    query = urlencode({"project": project, "metric": metric, "max_points": max_points})
    return f"{base}api/series?{query}"


def page_load_seconds(base: str, charts: int) -> list[float] | None:
    """Seconds from navigation to every chart drawn in headless Chromium, for a first
    visit (the server's series cache cold) and two more, each in a fresh browser
    context; None if Chromium or Playwright is missing."""
    reason = unavailable_reason()
    if reason is not None:
        print(f"{reason}: no page-load figure")
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        times = []
        for _ in range(3):
            context = browser.new_context(viewport={"width": 1440, "height": 900}, bypass_csp=True)
            page = context.new_page()
            started = time.perf_counter()
            page.goto(base + "?" + urlencode({"project": WIDE}))
            page.wait_for_function(
                "(n) => window.__trackio && window.__trackio.ready"
                " && window.__trackio.pending === 0 && window.__trackio.chartsDrawn >= n",
                arg=charts,
                timeout=60_000,
            )
            times.append(time.perf_counter() - started)
            context.close()
        browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="/tmp/trackio-bench-dashboard")
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()
    data_dir = Path(args.data_dir)
    if args.regenerate and data_dir.exists():
        shutil.rmtree(data_dir)
    os.environ["TRACKIO_DIR"] = str(data_dir)
    os.environ["TRACKIO_QUIET"] = "1"
    import trackio
    from trackio.server.app import start_server

    if set(trackio.Api().projects()) != {WIDE, LONG}:
        generate(data_dir)
    server = start_server("127.0.0.1", 0)
    try:
        for label, project, metric in (
            ("100 runs x 20,000 steps, one chart", WIDE, "train/m0"),
            ("1,000,000-step series", LONG, "loss"),
        ):
            # Each uncached request asks a slightly different max_points, so none is
            # answered from the server's cache of downsampled series.
            uncached = [
                timed_get(series_url(server.url, project, metric, 1000 - i)) for i in range(20)
            ]
            cached = [timed_get(series_url(server.url, project, metric, 1000)) for _ in range(20)]
            print(
                f"{label} at max_points~1000: uncached p50 "
                f"{statistics.median(s for s, _ in uncached) * 1000:.1f} ms, cached p50 "
                f"{statistics.median(s for s, _ in cached) * 1000:.1f} ms, "
                f"{cached[0][1]:,} bytes"
            )
        loaded = page_load_seconds(server.url, charts=10)
        if loaded is not None:
            print(
                f"page navigation to all 10 charts drawn (100 runs): first visit "
                f"{loaded[0] * 1000:.0f} ms, median of 3 {statistics.median(loaded) * 1000:.0f} ms"
                f" (all: {', '.join(f'{t * 1000:.0f}' for t in loaded)})"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
