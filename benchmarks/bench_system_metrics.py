"""What system-metric sampling costs the training loop: `log()` p50 and p99 with the
sampler off, at its default 10 s interval, and at 0.1 s (a hundred times the default
rate), in one process, alternating so the machine's noise falls on all alike.

    python benchmarks/bench_system_metrics.py [--calls 200000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

SETTINGS = {
    "off": {"auto_log_cpu": False, "auto_log_gpu": False},
    "every 10 s": {"cpu_log_interval": 10.0},
    "every 0.1 s": {"cpu_log_interval": 0.1},
}


def log_call_costs(options: dict[str, object], calls: int) -> tuple[list[float], int]:
    """Per-call seconds of `calls` log() calls of 10 floats, and the samples taken."""
    import trackio

    run = trackio.init(project="bench-system", **options)
    row = {f"metric_{m}": 0.5 for m in range(10)}
    costs = []
    clock = time.perf_counter
    for _ in range(calls):
        start = clock()
        trackio.log(row)
        costs.append(clock() - start)
    run.finish()
    samples = len(trackio.Api().run(f"bench-system/{run.name}").system_metrics())
    return costs, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ["TRACKIO_DIR"] = tempfile.mkdtemp(prefix="trackio-bench-system-")
    os.environ["TRACKIO_QUIET"] = "1"
    figures: dict[str, list[tuple[float, float, float, int]]] = {name: [] for name in SETTINGS}
    for _ in range(args.rounds):
        for name, options in SETTINGS.items():
            started = time.perf_counter()
            costs, samples = log_call_costs(options, args.calls)
            elapsed = time.perf_counter() - started
            costs.sort()
            p50 = costs[len(costs) // 2] * 1e6
            p99 = costs[int(len(costs) * 0.99)] * 1e6
            figures[name].append((p50, p99, elapsed, samples))
    base = statistics.median(f[0] for f in figures["off"])
    print(f"log() of 10 floats, {args.calls:,} calls, median of {args.rounds} rounds:")
    for name, rounds in figures.items():
        p50 = statistics.median(f[0] for f in rounds)
        p99 = statistics.median(f[1] for f in rounds)
        seconds = statistics.median(f[2] for f in rounds)
        samples = statistics.median(f[3] for f in rounds)
        print(
            f"  sampling {name:>12}: p50 {p50:.2f} us ({p50 / base:.2f}x off), p99 {p99:.2f} us, "
            f"run {seconds:.1f} s, {samples:.0f} samples"
        )


if __name__ == "__main__":
    main()
