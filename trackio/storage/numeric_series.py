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
) -> NumericSeries:
    """The numeric points of one series, optionally only steps in [step_min, step_max].

    Chunks wholly outside the range are skipped without being decoded.
    """
    query = (
        "SELECT kind, n, first_step, steps, vals, times FROM chunks WHERE run = ? AND metric = ?"
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
    step_parts, value_parts, time_parts = [], [], []
    for kind, count, first, steps, vals, times in rows:
        step_parts.append(
            np.arange(first, first + count, dtype=np.int64)
            if steps is None
            else np.frombuffer(steps, "<i8")
        )
        value_parts.append(np.frombuffer(vals, _DTYPES[kind]).astype(np.float64))
        time_parts.append(np.frombuffer(times, "<f8"))
    steps = np.concatenate(step_parts)
    values = np.concatenate(value_parts)
    times = np.concatenate(time_parts)
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


def _one_point_per_step(
    steps: np.ndarray, values: np.ndarray, times: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort by step; where a step repeats keep the point written last."""
    order = np.lexsort((np.arange(len(steps)), steps))
    steps, values, times = steps[order], values[order], times[order]
    last_of_step = np.ones(len(steps), dtype=bool)
    last_of_step[:-1] = steps[1:] != steps[:-1]
    return steps[last_of_step], values[last_of_step], times[last_of_step]


def pair_by_step(x: NumericSeries, y: NumericSeries) -> tuple[np.ndarray, np.ndarray]:
    """Values of `x` and `y` at the steps both have: (x values, y values, steps)."""
    common, x_index, y_index = np.intersect1d(
        x.steps, y.steps, assume_unique=True, return_indices=True
    )
    return x.values[x_index], y.values[y_index], common
