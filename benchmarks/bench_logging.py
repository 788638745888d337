"""Logging-path benchmark: per-call cost, throughput, size on disk, read-back, import time.

    python benchmarks/bench_logging.py [--repeat 3]

Workloads: W1 = 1 run x 20,000 steps x 10 float metrics, W2 = 20 runs x 2,000 steps
x 5 metrics, W3 = 1 run x 1,000 steps x 500 metrics. Each is run `--repeat` times
in a fresh data directory; the medians are printed. If tensorboardX is installed,
its `SummaryWriter.add_scalar` runs W1 in the same process and our end-to-end time
is printed as a ratio of its time.
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORKLOADS = {"W1": (1, 20_000, 10), "W2": (20, 2_000, 5), "W3": (1, 1_000, 500)}


def _rows(steps: int, metrics: int) -> list[dict[str, float]]:
    names = [f"metric_{m}" for m in range(metrics)]
    rng = random.Random(0)
    return [{name: rng.random() for name in names} for _ in range(steps)]


def _disk_bytes(folder: Path) -> int:
    total = 0
    for path in folder.glob("*.db"):
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
        total += path.stat().st_size
    return total


def run_workload(name: str) -> dict[str, float]:
    """Run one workload in a fresh TRACKIO_DIR and return its figures."""
    import trackio

    runs, steps, metrics = WORKLOADS[name]
    rows = _rows(steps, metrics)
    folder = Path(tempfile.mkdtemp(prefix=f"trackio-bench-{name}-"))
    os.environ["TRACKIO_DIR"] = str(folder)
    os.environ["TRACKIO_QUIET"] = "1"
    per_call: list[int] = []
    loop_seconds = finish_seconds = 0.0
    started = time.perf_counter()
    for index in range(runs):
        run = trackio.init(project=f"bench-{name}", name=f"run-{index}")
        loop_start = time.perf_counter()
        clock = time.perf_counter_ns
        log = run.log
        for row in rows:
            before = clock()
            log(row)
            per_call.append(clock() - before)
        finish_start = time.perf_counter()
        loop_seconds += finish_start - loop_start
        run.finish()
        finish_seconds += time.perf_counter() - finish_start
    total_seconds = time.perf_counter() - started
    points = runs * steps * metrics
    read_times = []
    api_run = trackio.Api().runs(f"bench-{name}")[0]
    for _ in range(5):
        before = time.perf_counter()
        history = api_run.history(keys=["metric_0"])
        read_times.append(time.perf_counter() - before)
        assert len(history) == steps, f"read back {len(history)} rows, expected {steps}"
        del history
    per_call.sort()
    return {
        "log_p50_us": per_call[len(per_call) // 2] / 1000,
        "log_p99_us": per_call[int(len(per_call) * 0.99)] / 1000,
        "loop_s": loop_seconds,
        "finish_s": finish_seconds,
        "points_per_s": points / total_seconds,
        "bytes_per_point": _disk_bytes(folder) / points,
        "read_one_metric_ms": statistics.median(read_times) * 1000,
    }


def tensorboardx_w1_seconds() -> float | None:
    """End-to-end seconds of W1 written with tensorboardX, or None if it is not installed."""
    try:
        from tensorboardX import SummaryWriter
    except ImportError:
        return None
    _, steps, metrics = WORKLOADS["W1"]
    rows = _rows(steps, metrics)
    folder = tempfile.mkdtemp(prefix="tbx-bench-")
    started = time.perf_counter()
    writer = SummaryWriter(folder)
    for step, row in enumerate(rows):
        for tag, value in row.items():
            writer.add_scalar(tag, value, step)
    writer.close()
    return time.perf_counter() - started


def import_seconds() -> float:
    """Seconds `import trackio` takes in a fresh interpreter."""
    code = "import time; t = time.perf_counter(); import trackio; print(time.perf_counter() - t)"
    output = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout
    return float(output)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cpus, medians of {args.repeat}")
    for name, (runs, steps, metrics) in WORKLOADS.items():
        results = [run_workload(name) for _ in range(args.repeat)]
        print(f"\n{name}: {runs} run(s) x {steps:,} steps x {metrics} metrics")
        for key in results[0]:
            values = [result[key] for result in results]
            print(
                f"  {key:<20} {statistics.median(values):>14,.3f}   all: "
                + ", ".join(f"{v:,.3f}" for v in values)
            )
        if name == "W1":
            ours = statistics.median(r["loop_s"] + r["finish_s"] for r in results)
            theirs = [tensorboardx_w1_seconds() for _ in range(args.repeat)]
            if theirs[0] is None:
                print("  tensorboardX not installed: no ratio")
            else:
                base = statistics.median(theirs)
                print(
                    f"  tensorboardX add_scalar W1: {base:.3f} s; trackio/tensorboardX time "
                    f"ratio {ours / base:.3f}"
                )
    imports = sorted(import_seconds() for _ in range(max(5, args.repeat)))
    print(
        f"\nimport trackio: median {statistics.median(imports) * 1000:.1f} ms "
        f"(all: {', '.join(f'{t * 1000:.1f}' for t in imports)})"
    )


if __name__ == "__main__":
    main()
