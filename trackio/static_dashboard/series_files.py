"""One file per metric holding every run's chart series, downsampled as the server does.

A file is a little-endian uint32 (the header's length), a UTF-8 JSON header, then
each run's arrays back to back, every one starting at a multiple of 8 bytes so the
browser reads it in place as a `Float32Array` or `Float64Array`. The header lists,
per run: `run`, `points`, `last_step`, `total`, `downsampled`, `t0` (the run's start,
epoch seconds) and `arrays`, the names and types (`f4`, `f8`) of its arrays in file
order: `step` (bucket mean steps), `time` (bucket mean seconds since `t0`), `y`, and
with a downsampled series its `min` and `max`.

Binary rather than JSON because these are most of a frozen project: 100 runs of 10
metrics at 250 points is 5 MB as float32, and over twice that as JSON text.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np

from trackio.server.reader import ProjectReader
from trackio.server.responses import json_bytes
from trackio.storage.records import RunRecord

POINTS_PER_CHART = 25_000
"""The points one chart shares among its runs (the dashboard's `POINTS_PER_CHART`)."""
MAX_POINTS_PER_SERIES = 1_000
"""A full-width chart's worth: the server's default `max_points`."""
MIN_POINTS_PER_SERIES = 25
"""Fewest points a run's line gets, however many runs (the dashboard's `MIN_POINTS_PER_RUN`)."""
_ALIGN = 8


def points_per_series(runs: int) -> int:
    """Points kept of each series when `runs` runs share a chart: what the live
    dashboard asks for with every run shown in a full-width chart."""
    shared = POINTS_PER_CHART // max(1, runs)
    return max(MIN_POINTS_PER_SERIES, min(MAX_POINTS_PER_SERIES, shared))


def write_series_files(
    reader: ProjectReader,
    project: str,
    metrics: list[str],
    records: list[RunRecord],
    folder: Path,
    max_points: int,
) -> None:
    """Write `folder/<i>.bin` for the `i`th of `metrics`: every run's series of it."""
    folder.mkdir(parents=True)
    starts = {record.run_id: record.created_at for record in records}
    for index, metric in enumerate(metrics):
        # Both axes come from the same buckets (they are cut by point, not by x), so
        # one file serves the step, wall-time and relative-time charts.
        by_step = reader.series(project, [metric], run_ids=None, x="step", max_points=max_points)
        by_time = reader.series(
            project, [metric], run_ids=None, x="relative", max_points=max_points
        )
        content = _encode(by_step.json()["series"], by_time.json()["series"], starts)
        (folder / f"{index}.bin").write_bytes(content)


def _encode(
    by_step: list[dict[str, Any]], by_time: list[dict[str, Any]], starts: dict[str, float]
) -> bytes:
    runs = []
    body = bytearray()
    for stepped, timed in zip(by_step, by_time, strict=True):
        points = len(stepped["y"])
        if points == 0:
            continue
        if stepped["run"] != timed["run"] or len(timed["x"]) != points:
            raise RuntimeError(f"series of run {stepped['run']!r} differ between axes")
        arrays = {
            "step": _compact(np.asarray(stepped["x"], dtype=np.float64)),
            # Seconds since the start to float32's 7 digits: a chart's resolution.
            "time": np.asarray(timed["x"], dtype=np.float32),
            "y": stepped["y"],
        }
        if stepped["min"] is not None:
            arrays["min"] = stepped["min"]
            arrays["max"] = stepped["max"]
        names = []
        for name, values in arrays.items():
            little = np.ascontiguousarray(values, dtype=values.dtype.newbyteorder("<"))
            names.append([name, f"f{little.dtype.itemsize}"])
            body += little.tobytes()
            body += bytes(-len(body) % _ALIGN)
        runs.append(
            {
                "run": stepped["run"],
                "points": points,
                "last_step": stepped["last_step"],
                "total": stepped["total"],
                "downsampled": stepped["downsampled"],
                "t0": starts[stepped["run"]],
                "arrays": names,
            }
        )
    header = json_bytes({"runs": runs})
    header += b" " * (-(4 + len(header)) % _ALIGN)
    return struct.pack("<I", len(header)) + header + bytes(body)


def _compact(values: np.ndarray) -> np.ndarray:
    """`values` as float32 when that changes none of them (steps and their bucket
    means almost always), else as float64."""
    narrow = values.astype(np.float32)
    same = np.array_equal(narrow.astype(np.float64), values, equal_nan=True)
    return narrow if same else values
