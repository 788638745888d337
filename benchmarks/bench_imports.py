"""Import benchmark: a 1,000,000-value TensorBoard log and a 1,000,000-value CSV.

    python benchmarks/bench_imports.py [--data-dir DIR] [--repeat 3]

The inputs are generated once into --data-dir and reused: the TensorBoard log with
tensorboard's own EventFileWriter (one value per event, as torch's and tensorboardX's
writers do; 200,000 steps x 5 tags), the CSV with 100,000 rows x 10 metric columns.
Each import goes into a fresh TRACKIO_DIR; the median of --repeat runs is printed.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

TB_STEPS, TB_TAGS = 200_000, 5
CSV_ROWS, CSV_COLUMNS = 100_000, 10


def make_tensorboard_log(folder: Path) -> None:
    """Write the TensorBoard log (slow: tensorboard's writer runs in pure Python)."""
    from tensorboard.compat.proto.event_pb2 import Event
    from tensorboard.compat.proto.summary_pb2 import Summary
    from tensorboard.summary.writer.event_file_writer import EventFileWriter

    writer = EventFileWriter(str(folder / "run"))
    rng = random.Random(0)
    started = time.time()
    for step in range(TB_STEPS):
        for tag in range(TB_TAGS):
            value = Summary.Value(tag=f"train/m{tag}", simple_value=rng.random())
            writer.add_event(
                Event(step=step, wall_time=started + step, summary=Summary(value=[value]))
            )
    writer.close()


def make_csv(path: Path) -> None:
    """Write the CSV: a step column and metric columns of random floats."""
    rng = random.Random(0)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["step"] + [f"metric {c}" for c in range(CSV_COLUMNS)])
        for step in range(CSV_ROWS):
            writer.writerow([step] + [repr(rng.random()) for _ in range(CSV_COLUMNS)])


def timed_import(action: str, source: Path) -> float:
    """Seconds one import takes into a fresh data directory."""
    os.environ["TRACKIO_DIR"] = tempfile.mkdtemp(prefix="trackio-bench-import-")
    import trackio

    started = time.perf_counter()
    if action == "tensorboard":
        trackio.import_tf_events(source, "bench")
    else:
        trackio.import_csv(source, "bench")
    elapsed = time.perf_counter() - started
    (run,) = trackio.Api().runs("bench")
    assert len(run.history(keys=[run.metrics()[0]])) in (TB_STEPS, CSV_ROWS)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", default="/tmp/trackio-bench-imports")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = Path(args.data_dir)
    tb_dir, csv_path = data / "tensorboard", data / "metrics.csv"
    if not any(tb_dir.rglob("*tfevents*")):
        print("writing the TensorBoard log (once)...")
        make_tensorboard_log(tb_dir)
    if not csv_path.exists():
        make_csv(csv_path)
    for action, source, values in (
        ("tensorboard", tb_dir, TB_STEPS * TB_TAGS),
        ("csv", csv_path, CSV_ROWS * CSV_COLUMNS),
    ):
        seconds = [timed_import(action, source) for _ in range(args.repeat)]
        median = statistics.median(seconds)
        print(
            f"{action}: {values:,} values in {median:.2f} s (median of {args.repeat}) = "
            f"{values / median:,.0f} values/s; all: {', '.join(f'{s:.2f}' for s in seconds)}"
        )


if __name__ == "__main__":
    main()
