"""Numeric series as numpy arrays, for charts and downsampling.

numpy is imported here, never by the logging path. The arrays come from chunk
rows a backend read: (kind, n, first_step, steps, vals, times) per chunk.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from trackio.storage import chunks
from trackio.storage.winner import latest_per_step

_DTYPES = {chunks.FLOAT: "<f8", chunks.INT: "<i8", chunks.BOOL: "i1"}


@dataclass
class NumericSeries:
    """Steps (int64), values (float64) and wall times (float64), sorted by step,
    one point per step (the winner by `winner.latest_per_step`)."""

    steps: np.ndarray
    values: np.ndarray
    times: np.ndarray

    def __len__(self) -> int:
        return len(self.steps)


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


def empty_series() -> NumericSeries:
    """A series with no points."""
    return NumericSeries(np.empty(0, np.int64), np.empty(0, np.float64), np.empty(0, np.float64))


def _one_step_run(rows: Sequence[tuple[Any, ...]]) -> bool:
    """Whether the rows' steps count up by one from the first row to the last: every
    chunk contiguous, each starting where the one before ended."""
    return all(row[3] is None for row in rows) and all(
        rows[i][2] == rows[i - 1][2] + rows[i - 1][1] for i in range(1, len(rows))
    )


def steps_of(rows: Sequence[tuple[Any, ...]]) -> np.ndarray:
    """All chunks' steps in order; runs of contiguous chunks are built in one go."""
    counts = np.fromiter((row[1] for row in rows), np.int64, len(rows))
    if _one_step_run(rows):
        return np.arange(rows[0][2], rows[0][2] + int(counts.sum()), dtype=np.int64)
    if all(row[3] is None for row in rows):
        firsts = np.fromiter((row[2] for row in rows), np.int64, len(rows))
        offsets = np.arange(counts.sum(), dtype=np.int64) - np.repeat(
            np.cumsum(counts) - counts, counts
        )
        return np.repeat(firsts, counts) + offsets
    return np.concatenate(
        [
            np.arange(row[2], row[2] + row[1], dtype=np.int64)
            if row[3] is None
            else np.frombuffer(row[3], "<i8")
            for row in rows
        ]
    )


def values_of(rows: Sequence[tuple[Any, ...]]) -> np.ndarray:
    """All chunks' values in order, as float64."""
    kinds = {row[0] for row in rows}
    if len(kinds) == 1:
        values = np.frombuffer(b"".join(row[4] for row in rows), _DTYPES[kinds.pop()])
    else:
        values = np.concatenate([np.frombuffer(row[4], _DTYPES[row[0]]) for row in rows])
    return values.astype(np.float64, copy=False)


def times_of(rows: Sequence[tuple[Any, ...]]) -> np.ndarray:
    """All chunks' wall times in order."""
    return np.frombuffer(b"".join(row[5] for row in rows), "<f8")


def needs_resolving(rows: Sequence[tuple[Any, ...]], steps: np.ndarray) -> bool:
    """Whether some step of the rows repeats or steps go back, so winners must be
    picked; rows of contiguous steps that follow each other are known not to."""
    if _one_step_run(rows):
        return False
    return len(steps) > 1 and not bool(np.all(steps[1:] > steps[:-1]))


def series_from_rows(
    rows: Sequence[tuple[Any, ...]],
    steps: np.ndarray,
    resolve: bool,
    step_min: int | None,
    step_max: int | None,
    times: np.ndarray | None,
) -> NumericSeries:
    """The series in chunk `rows` (whose `steps_of` are `steps`), one point per step,
    within [step_min, step_max].

    `times` are the rows' wall times, or None when they were not read (then the
    series' times are NaN); they must be given when `resolve` (`needs_resolving`).
    """
    values = values_of(rows)
    stamps = times if times is not None else np.broadcast_to(np.nan, len(steps))
    if resolve:
        if times is None:
            raise ValueError("resolving repeated steps needs the points' times")
        keep = latest_per_step(steps, times)
        steps, values, stamps = steps[keep], values[keep], stamps[keep]
    if step_min is not None or step_max is not None:
        inside = np.ones(len(steps), dtype=bool)
        if step_min is not None:
            inside &= steps >= step_min
        if step_max is not None:
            inside &= steps <= step_max
        steps, values, stamps = steps[inside], values[inside], stamps[inside]
    return NumericSeries(steps, values, stamps)


def blocks_from_rows(rows: Sequence[tuple[Any, ...]], low: int, high: int) -> SeriesBlocks:
    """Blocks from rows of (kind, n, first_step, steps, vals, times, blocks, max_step):
    a row with `blocks` contributes its stored summaries, the others their points in
    [low, high] (one per step) as single-point blocks. Rows without `blocks` must
    carry their times: they decide which point of a repeated step wins."""
    parts: list[np.ndarray] = []
    last_step = None
    width = len(chunks.BLOCK_FIELDS)
    for kind, count, first, packed_steps, vals, times, blocks, max_step in rows:
        if blocks is not None:
            parts.append(np.frombuffer(blocks, "<f8").reshape(-1, width))
            last_step = max_step
            continue
        steps = (
            np.arange(first, first + count, dtype=np.int64)
            if packed_steps is None
            else np.frombuffer(packed_steps, "<i8")
        )
        values = np.frombuffer(vals, _DTYPES[kind]).astype(np.float64)
        stamps = np.frombuffer(times, "<f8")
        if needs_resolving([(kind, count, first, packed_steps)], steps):
            keep = latest_per_step(steps, stamps)
            steps, values, stamps = steps[keep], values[keep], stamps[keep]
        inside = (steps >= low) & (steps <= high)
        steps, values, stamps = steps[inside], values[inside], stamps[inside]
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
    table = np.concatenate(parts) if parts else np.empty((0, width))
    count, step_sum, time_sum, finite, value_sum, value_min, value_max = table.T
    return SeriesBlocks(
        count, step_sum, time_sum, finite, value_sum, value_min, value_max, last_step
    )


def pair_by_step(x: NumericSeries, y: NumericSeries) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Values of `x` and `y` at the steps both have: (x values, y values, steps)."""
    common, x_index, y_index = np.intersect1d(
        x.steps, y.steps, assume_unique=True, return_indices=True
    )
    return x.values[x_index], y.values[y_index], common
