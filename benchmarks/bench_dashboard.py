"""Dashboard benchmark: tab traffic, series request time and size, page load to charts drawn.

    python benchmarks/bench_dashboard.py [--data-dir DIR] [--regenerate]

Generates (once; reused from --data-dir afterwards) a project of 100 runs x 20,000
steps x 10 metrics, a sweep of 1,000 runs x 2,000 steps x 10 metrics, a project with
one 1,000,000-step run of 5 metrics and one of three runs with 2 MB configs, through
the logging API. Then, against a real uvicorn
server on a loopback port, prints what an open tab downloads per minute once loaded
(idle on the 100-run and the 2 MB-config projects, and while a run of the latter
logs), the p50 of 20 requests of one chart's series over all 100 runs at
max_points~1000, both uncached and answered from the server's cache of downsampled
series, its response bytes, the same for the 1M-step run, and the time from
navigation to all charts drawn. For the sweep: navigation to all charts drawn,
bytes on the wire, the longest main-thread task and the idle tab's bytes per second
(`--sweep-only` prints just those). The browser figures need Chromium and Playwright.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

from headless_chromium import (
    hooked_context,
    launch,
    open_until_drawn,
    page_load_seconds,
    unavailable_reason,
)

WIDE = "bench-100-runs"
SWEEP = "bench-1000-runs"
LONG = "bench-1m-steps"
BIG_CONFIG = "bench-2mb-config"
IDLE_SECONDS = 30
LIVE_LOGGER = """
import sys, time, trackio
run = trackio.init(project=sys.argv[1], name="live", config={"lr": 0.1})
step = 0
while True:
    run.log({"loss": 1.0 / (step + 1)})
    step += 1
    time.sleep(0.1)
"""


def generate_big_config() -> None:
    """A project of three runs whose configs hold 2 MB each (a vocabulary, say)."""
    import trackio

    vocabulary = {f"token-{i:07d}": i for i in range(80_000)}
    for index in range(3):
        run = trackio.init(project=BIG_CONFIG, name=f"run-{index}", config={"vocab": vocabulary})
        for step in range(100):
            run.log({"loss": 1.0 / (step + 1)})
        run.finish()
    print(f"generated {BIG_CONFIG}: 3 runs with 2 MB configs")


def generate_wide() -> None:
    """Write the 100-run project through the public logging API."""
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


def generate_sweep() -> None:
    """A sweep: 1,000 runs x 2,000 steps x 10 metrics, through the logging API."""
    import trackio

    rng = random.Random(1)
    started = time.perf_counter()
    for index in range(1000):
        lr = 10 ** rng.uniform(-5, -2)
        run = trackio.init(
            project=SWEEP,
            name=f"sweep-{index:04d}",
            config={"lr": lr, "batch": rng.choice([16, 32, 64])},
            auto_log_cpu=False,
        )
        base = rng.uniform(0.5, 2.0)
        for step in range(2_000):
            decay = base / (1 + step * lr * 10)
            run.log({f"train/m{m}": decay + 0.01 * m + rng.random() * 0.01 for m in range(10)})
        run.finish()
    print(f"generated {SWEEP}: 20,000,000 points in {time.perf_counter() - started:.1f} s")


_LONG_TASKS = """
window.__longestTask = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    window.__longestTask = Math.max(window.__longestTask, entry.duration);
  }
}).observe({ type: "longtask", buffered: true });
"""


def sweep_page_figures(base: str, charts: int = 10, idle_seconds: int = 20) -> str:
    """For the 1,000-run project, per visit (the first with the server's cache cold):
    navigation to every chart drawn, bytes on the wire until then, the longest
    main-thread task, and then what the idle tab downloads per second."""
    reason = unavailable_reason()
    if reason is not None:
        return f"{reason}: no figure"
    from playwright.sync_api import sync_playwright

    lines = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        for visit in ("first visit", "second visit"):
            context = hooked_context(browser, viewport={"width": 1440, "height": 900})
            context.add_init_script(_LONG_TASKS)
            page = context.new_page()
            url = base + "?" + urlencode({"project": SWEEP})
            drawn = open_until_drawn(page, url, charts, timeout_ms=180_000)
            loaded, longest = page.evaluate(
                """() => {
                    performance.setResourceTimingBufferSize(100000);
                    const all = [...performance.getEntriesByType('navigation'),
                                 ...performance.getEntriesByType('resource')];
                    performance.mark('idle');
                    return [all.reduce((sum, e) => sum + e.transferSize, 0),
                            window.__longestTask];
                }"""
            )
            page.wait_for_timeout(idle_seconds * 1000)
            idle = page.evaluate(
                """() => {
                    const start = performance.getEntriesByName('idle')[0].startTime;
                    return performance.getEntriesByType('resource')
                        .filter((e) => e.startTime >= start)
                        .reduce((sum, e) => sum + e.transferSize, 0);
                }"""
            )
            lines.append(
                f"1,000 runs, {visit}: all {charts} charts drawn in {drawn * 1000:.0f} ms, "
                f"{loaded / 1e6:.2f} MB on the wire, longest main-thread task {longest:.0f} ms, "
                f"idle tab {idle / idle_seconds / 1024:.2f} KB/s"
            )
            context.close()
        browser.close()
    return "\n".join(lines)


def generate(data_dir: Path) -> None:
    """Write both projects through the public logging API."""
    import trackio

    generate_wide()
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


def tab_bytes_per_minute(base: str, project: str, seconds: int = IDLE_SECONDS) -> str:
    """What an open tab of `project` downloads per minute once it has loaded: bytes
    on the wire (headers and bodies) and requests, measured over `seconds`."""
    reason = unavailable_reason()
    if reason is not None:
        return f"{reason}: no figure"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = hooked_context(browser, viewport={"width": 1440, "height": 900})
        page = context.new_page()
        page.goto(base + "?" + urlencode({"project": project}))
        page.wait_for_function(
            "() => window.__trackio && window.__trackio.ready && window.__trackio.pending === 0",
            timeout=120_000,
        )
        page.wait_for_timeout(2_000)
        page.evaluate("performance.setResourceTimingBufferSize(100000); performance.mark('idle')")
        page.wait_for_timeout(seconds * 1000)
        total, requests = page.evaluate(
            """() => {
                const start = performance.getEntriesByName('idle')[0].startTime;
                const entries = performance.getEntriesByType('resource')
                    .filter((e) => e.startTime >= start);
                return [entries.reduce((sum, e) => sum + e.transferSize, 0), entries.length];
            }"""
        )
        browser.close()
    scale = 60 / seconds
    return f"{total * scale / 1024:,.1f} KB/min in {requests * scale:.0f} requests/min"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="/tmp/trackio-bench-dashboard")
    parser.add_argument("--regenerate", action="store_true")
    parser.add_argument(
        "--sweep-only", action="store_true", help="only the 1,000-run project's page figures"
    )
    args = parser.parse_args()
    data_dir = Path(args.data_dir)
    if args.regenerate and data_dir.exists():
        shutil.rmtree(data_dir)
    os.environ["TRACKIO_DIR"] = str(data_dir)
    os.environ["TRACKIO_QUIET"] = "1"
    import trackio
    from trackio.server.app import start_server

    projects = set(trackio.Api().projects())
    if SWEEP not in projects:
        generate_sweep()
    if args.sweep_only:
        server = start_server("127.0.0.1", 0)
        try:
            print(sweep_page_figures(server.url))
        finally:
            server.stop()
        return
    if not {WIDE, LONG} <= projects:
        generate(data_dir)
    if BIG_CONFIG not in projects:
        generate_big_config()
    server = start_server("127.0.0.1", 0)
    try:
        for label, project in (("100 runs", WIDE), ("3 runs with 2 MB configs", BIG_CONFIG)):
            print(f"idle tab, {label}: {tab_bytes_per_minute(server.url, project)}")
        logger = subprocess.Popen([sys.executable, "-c", LIVE_LOGGER, BIG_CONFIG])
        try:
            time.sleep(3)
            figure = tab_bytes_per_minute(server.url, BIG_CONFIG)
            print(f"open tab, 2 MB-config project while one run logs 10 steps/s: {figure}")
        finally:
            logger.kill()
            logger.wait()
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
        print(sweep_page_figures(server.url))
        for label, project, charts in (("100 runs", WIDE, 10), ("1,000,000-step run", LONG, 5)):
            url = server.url + "?" + urlencode({"project": project})
            loaded = page_load_seconds(url, charts=charts)
            if loaded is None:
                break
            print(
                f"page navigation to all {charts} charts drawn ({label}): first visit "
                f"{loaded[0] * 1000:.0f} ms, median of 3 {statistics.median(loaded) * 1000:.0f} ms"
                f" (all: {', '.join(f'{t * 1000:.0f}' for t in loaded)})"
            )
    finally:
        server.stop()


if __name__ == "__main__":
    main()
