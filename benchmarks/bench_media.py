"""Media benchmark: training-thread cost of logging an image, and the Media page with 100 images.

    python benchmarks/bench_media.py

1. 300 calls of `run.log({"img": trackio.Image(array_256x256x3)})`: per-call time on
   the training thread (constructing the Image and logging it; PNG encoding happens in
   the writer thread) as p50/p99, against the time to encode one PNG with Pillow on
   the same thread, and the time `finish()` takes to write them all.
2. A project of 10 runs x 10 image keys (100 images at the latest step), opened on the
   dashboard's Media view in headless Chromium, each time in a fresh browser context
   (cold cache): navigation to all 100 images loaded.
"""

from __future__ import annotations

import io
import os
import statistics
import tempfile
import time
from urllib.parse import urlencode

import numpy as np
from headless_chromium import hooked_context, launch, unavailable_reason


def logging_cost() -> None:
    """Print the training-thread cost of logging 256x256x3 images."""
    import trackio

    rng = np.random.default_rng(0)
    arrays = [rng.integers(0, 255, size=(256, 256, 3), dtype=np.uint8) for _ in range(300)]
    run = trackio.init(project="bench-media-log", name="r")
    costs = []
    for array in arrays:
        started = time.perf_counter()
        run.log({"img": trackio.Image(array)})
        costs.append(time.perf_counter() - started)
    started = time.perf_counter()
    run.finish()
    finish_seconds = time.perf_counter() - started
    from PIL import Image as PILImage

    encodes = []
    for array in arrays[:30]:
        started = time.perf_counter()
        PILImage.fromarray(array).save(io.BytesIO(), format="PNG")
        encodes.append(time.perf_counter() - started)
    costs.sort()
    print(
        f"log(Image 256x256x3) on the training thread: p50 {costs[len(costs) // 2] * 1e6:.0f} us, "
        f"p99 {costs[int(len(costs) * 0.99)] * 1e6:.0f} us; one PNG encode inline would cost "
        f"{statistics.median(encodes) * 1e6:.0f} us; finish() wrote 300 images in "
        f"{finish_seconds:.2f} s"
    )


def media_page_seconds() -> float | None:
    """Navigation to 100 images loaded on the Media view, median of 3, or None."""
    reason = unavailable_reason()
    if reason is not None:
        print(f"{reason}: no page-load figure")
        return None
    from playwright.sync_api import sync_playwright

    import trackio
    from trackio.server.app import start_server

    rng = np.random.default_rng(1)
    for index in range(10):
        run = trackio.init(project="bench-media-page", name=f"run-{index}")
        run.log(
            {
                f"samples/k{k}": trackio.Image(rng.integers(0, 255, (128, 128, 3), dtype=np.uint8))
                for k in range(10)
            }
        )
        run.finish()
    server = start_server("127.0.0.1", 0)
    times = []
    try:
        with sync_playwright() as playwright:
            browser = launch(playwright)
            for _ in range(3):
                context = hooked_context(browser, viewport={"width": 1440, "height": 900})
                page = context.new_page()
                started = time.perf_counter()
                page.goto(
                    server.url + "?" + urlencode({"project": "bench-media-page", "view": "media"})
                )
                page.wait_for_function(
                    "() => window.__trackio && window.__trackio.media"
                    " && window.__trackio.media.images >= 100",
                    timeout=60_000,
                )
                times.append(time.perf_counter() - started)
                context.close()
            browser.close()
    finally:
        server.stop()
    return statistics.median(times)


def main() -> None:
    os.environ["TRACKIO_DIR"] = tempfile.mkdtemp(prefix="trackio-bench-media-")
    os.environ["TRACKIO_QUIET"] = "1"
    logging_cost()
    seconds = media_page_seconds()
    if seconds is not None:
        print(f"Media page, navigation to 100 images loaded: median of 3 {seconds * 1000:.0f} ms")


if __name__ == "__main__":
    main()
