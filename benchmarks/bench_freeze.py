"""Freeze benchmark: `trackio freeze` of a 100-run x 20,000-step project.

    python benchmarks/bench_freeze.py [--data-dir DIR] [--regenerate]

Generates (once; reused from --data-dir afterwards) the project bench_dashboard.py
uses, 100 runs x 20,000 steps x 10 metrics through the logging API, then runs the
real `trackio freeze` command into a fresh folder and prints its wall time (the
command's whole process, interpreter start included), the folder's size and file
count, and, where Chromium and Playwright are installed, the time from navigation to
every chart drawn with the folder served by `python -m http.server`.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_dashboard import WIDE, generate_wide
from headless_chromium import page_load_seconds


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def frozen_page_seconds(folder: Path, charts: int) -> float | None:
    """Seconds from navigation to `charts` charts drawn for the frozen site in `folder`,
    served by Python's plain static file server; None without Chromium."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "-d", folder],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        loaded = page_load_seconds(f"http://127.0.0.1:{port}/", charts, visits=1)
        return loaded[0] if loaded else None
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="/tmp/trackio-bench-freeze")
    parser.add_argument("--regenerate", action="store_true")
    args = parser.parse_args()
    data_dir = Path(args.data_dir)
    if args.regenerate and data_dir.exists():
        shutil.rmtree(data_dir)
    os.environ["TRACKIO_DIR"] = str(data_dir)
    os.environ["TRACKIO_QUIET"] = "1"
    import trackio

    if WIDE not in trackio.Api().projects():
        generate_wide()
    with tempfile.TemporaryDirectory(prefix="trackio-bench-freeze-") as scratch:
        output = Path(scratch) / "frozen"
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "trackio.cli", "freeze", "--project", WIDE, "--output", output],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        seconds = time.perf_counter() - started
        files = [path for path in output.rglob("*") if path.is_file()]
        size = sum(path.stat().st_size for path in files)
        print(
            f"trackio freeze, 100 runs x 20,000 steps x 10 metrics: {seconds:.2f} s, "
            f"{size / 1e6:.1f} MB in {len(files)} files"
        )
        loaded = frozen_page_seconds(output, charts=10)
        if loaded is not None:
            print(
                "frozen page served by python -m http.server, navigation to all 10 charts "
                f"drawn: {loaded * 1000:.0f} ms"
            )


if __name__ == "__main__":
    main()
