"""Reading numeric series as numpy arrays, for charts and downsampling.

Only chunks (numbers) are read; strings and other extras are not chartable.
numpy is imported here, never by the logging path.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

import numpy as np

from trackio.storage import chunks

_DTYPES = {chunks.FLOAT: "<f8", chunks.INT: "<i8", chunks.BOOL: "i1"}


@dataclass
class NumericSeries:
    """Steps (int64), values (float64) and wall times (float64), sorted by step,
    one point per step (the one written last)."""

    steps: np.ndarray
    values: np.ndarray
    times: np.ndarray

    def __len__(self) -> int:
        return len(self.steps)


def empty_series() -> NumericSeries:
    """A series with no points."""
    return NumericSeries(np.empty(0, np.int64), np.empty(0, np.float64), np.empty(0, np.float64))


def metric_ids(conn: sqlite3.Connection) -> dict[str, int]:
    """Every metric name of the project with its id."""
    return dict(conn.execute("SELECT name, id FROM metric_keys"))


def read_numeric_series(
    conn: sqlite3.Connection,
    run_pk: int,
    metric: int,
    *,
    step_min: int | None = None,
    step_max: int | None = None,
    with_times: bool = True,
) -> NumericSeries:
    """The numeric points of one series, optionally only steps in [step_min, step_max].

    Chunks wholly outside the range are skipped without being decoded; with
    `with_times=False` wall times are not read and come back as NaN.
    """
    times_column = "times" if with_times else "NULL"
    query = (
        f"SELECT kind, n, first_step, steps, vals, {times_column} FROM chunks "
        "WHERE run = ? AND metric = ?"
    )
    params: list[int] = [run_pk, metric]
    if step_min is not None:
        query += " AND max_step >= ?"
        params.append(step_min)
    if step_max is not None:
        query += " AND min_step <= ?"
        params.append(step_max)
    rows = conn.execute(query + " ORDER BY id", params).fetchall()
    if not rows:
        return empty_series()
    steps = _steps_of(rows)
    kinds = {row[0] for row in rows}
    if len(kinds) == 1:
        values = np.frombuffer(b"".join(row[4] for row in rows), _DTYPES[kinds.pop()])
    else:
        values = np.concatenate([np.frombuffer(row[4], _DTYPES[row[0]]) for row in rows])
    values = values.astype(np.float64, copy=False)
    times = (
        np.frombuffer(b"".join(row[5] for row in rows), "<f8")
        if with_times
        else np.broadcast_to(np.nan, len(steps))
    )
    if len(steps) > 1 and not np.all(steps[1:] > steps[:-1]):
        steps, values, times = _one_point_per_step(steps, values, times)
    if step_min is not None or step_max is not None:
        keep = np.ones(len(steps), dtype=bool)
        if step_min is not None:
            keep &= steps >= step_min
        if step_max is not None:
            keep &= steps <= step_max
        steps, values, times = steps[keep], values[keep], times[keep]
    return NumericSeries(steps, values, times)


def _steps_of(rows: list[tuple]) -> np.ndarray:
    """All chunks' steps in order; runs of contiguous chunks are built in one go."""
    counts = np.fromiter((row[1] for row in rows), np.int64, len(rows))
    if all(row[3] is None for row in rows):
        if all(rows[i][2] == rows[i - 1][2] + rows[i - 1][1] for i in range(1, len(rows))):
            return np.arange(rows[0][2], rows[0][2] + int(counts.sum()), dtype=np.int64)
        firsts = np.fromiter((row[2] for row in rows), np.int64, len(rows))
        offsets = np.arange(counts.sum(), dtype=np.int64) - np.repeat(
            np.cumsum(counts) - counts, counts
        )
        return np.repeat(firsts, counts) + offsets
    return np.concatenate(
        [
            np.arange(first, first + count, dtype=np.int64)
            if packed is None
            else np.frombuffer(packed, "<i8")
            for _, count, first, packed, _, _ in rows
        ]
    )


def _one_point_per_step(
    steps: np.ndarray, values: np.ndarray, times: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort by step; where a step repeats keep the point written last."""
    order = np.lexsort((np.arange(len(steps)), steps))
    steps, values, times = steps[order], values[order], times[order]
    last_of_step = np.ones(len(steps), dtype=bool)
    last_of_step[:-1] = steps[1:] != steps[:-1]
    return steps[last_of_step], values[last_of_step], times[last_of_step]


def pair_by_step(x: NumericSeries, y: NumericSeries) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values of `x` and `y` at the steps both have: (x values, y values, steps)."""
    common, x_index, y_index = np.intersect1d(
        x.steps, y.steps, assume_unique=True, return_indices=True
    )
    return x.values[x_index], y.values[y_index], common


@dataclass
class SeriesBlocks:
    """A series as consecutive blocks (see `chunks.BLOCK_FIELDS`): whole stored
    blocks where a chunk has them, single-point blocks elsewhere."""

    count: np.ndarray
    step_sum: np.ndarray
    time_sum: np.ndarray
    finite: np.ndarray
    value_sum: np.ndarray
    value_min: np.ndarray
    value_max: np.ndarray
    last_step: int | None


@dataclass
class ChunkExtent:
    """What the chunks of a series touching a step range look like, without their data."""

    points: int
    ordered: bool
    version: tuple
    """Changes whenever a chunk of the range is written, merged or deleted."""


def chunk_extent(
    conn: sqlite3.Connection,
    run_pk: int,
    metric: int,
    step_min: int | None = None,
    step_max: int | None = None,
) -> ChunkExtent:
    """Points in the chunks touching the step range, whether those chunks are in step
    order, and a version of them for caching results computed from them."""
    rows = conn.execute(
        "SELECT n, min_step, max_step, id, last_time FROM chunks WHERE run = ? AND metric = ? "
        "AND max_step >= ? AND min_step <= ? ORDER BY id",
        (
            run_pk,
            metric,
            chunks.INT64_MIN if step_min is None else step_min,
            chunks.INT64_MAX if step_max is None else step_max,
        ),
    ).fetchall()
    ordered = all(rows[i][1] > rows[i - 1][2] for i in range(1, len(rows)))
    version = tuple((row[3], row[0], row[4]) for row in rows)
    return ChunkExtent(sum(row[0] for row in rows), ordered, version)


def read_series_blocks(
    conn: sqlite3.Connection,
    run_pk: int,
    metric: int,
    *,
    step_min: int | None = None,
    step_max: int | None = None,
    with_times: bool = True,
) -> SeriesBlocks:
    """The series in [step_min, step_max] as blocks; the caller has checked with
    `chunk_extent` that its chunks are in step order.

    Chunks wholly inside the range contribute their stored block summaries without
    their points being read; the others are decoded and filtered point by point.
    """
    low = chunks.INT64_MIN if step_min is None else step_min
    high = chunks.INT64_MAX if step_max is None else step_max
    raw = "(blocks IS NULL OR min_step < :low OR max_step > :high)"
    rows = conn.execute(
        f"SELECT kind, n, first_step, steps, CASE WHEN {raw} THEN vals END, "
        f"CASE WHEN {raw} AND :times THEN times END, CASE WHEN {raw} THEN NULL ELSE blocks END, "
        "max_step FROM chunks WHERE run = :run AND metric = :metric AND max_step >= :low "
        "AND min_step <= :high ORDER BY id",
        {"run": run_pk, "metric": metric, "low": low, "high": high, "times": with_times},
    ).fetchall()
    parts: list[np.ndarray] = []
    last_step = None
    for kind, count, first, packed_steps, vals, times, blocks, max_step in rows:
        if blocks is not None:
            parts.append(np.frombuffer(blocks, "<f8").reshape(-1, len(chunks.BLOCK_FIELDS)))
            last_step = max_step
            continue
        steps = (
            np.arange(first, first + count, dtype=np.int64)
            if packed_steps is None
            else np.frombuffer(packed_steps, "<i8")
        )
        values = np.frombuffer(vals, _DTYPES[kind]).astype(np.float64)
        stamps = np.frombuffer(times, "<f8") if times is not None else np.full(count, np.nan)
        keep = (steps >= low) & (steps <= high)
        steps, values, stamps = steps[keep], values[keep], stamps[keep]
        if len(steps):
            last_step = int(steps[-1])
        is_finite = ~np.isnan(values)
        parts.append(
            np.column_stack(
                (
                    np.ones(len(steps)),
                    steps.astype(np.float64),
                    stamps,
                    is_finite.astype(np.float64),
                    np.where(is_finite, values, 0.0),
                    values,
                    values,
                )
            )
        )
    table = np.concatenate(parts) if parts else np.empty((0, len(chunks.BLOCK_FIELDS)))
    return SeriesBlocks(*(table[:, i] for i in range(len(chunks.BLOCK_FIELDS))), last_step)
