"""Cutting a long series down to a number of points a chart can show, spikes kept."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Downsampled:
    """Per bucket: mean x, mean y, and y's min and max (None when not downsampled)."""

    x: np.ndarray
    y: np.ndarray
    y_min: np.ndarray | None
    y_max: np.ndarray | None

    @property
    def downsampled(self) -> bool:
        """Whether points were merged into buckets."""
        return self.y_min is not None


def downsample(x: np.ndarray, y: np.ndarray, max_points: int) -> Downsampled:
    """Keep at most `max_points` points of (x, y), in order.

    Consecutive points are grouped into `max_points` buckets of near-equal size;
    each bucket becomes its mean x and mean y, with its min and max y kept so a
    single spike stays visible as the envelope. NaN values are ignored within a
    bucket; a bucket of only NaN gives NaN.
    """
    if max_points < 1:
        raise ValueError(f"max_points must be at least 1, got {max_points}")
    count = len(y)
    if count <= max_points:
        return Downsampled(x, y, None, None)
    starts = (np.arange(max_points, dtype=np.int64) * count) // max_points
    sizes = np.diff(np.append(starts, count))
    x_mean = np.add.reduceat(x.astype(np.float64), starts) / sizes
    nan = np.isnan(y)
    if not nan.any():
        y_mean = np.add.reduceat(y, starts) / sizes
        return Downsampled(
            x_mean, y_mean, np.minimum.reduceat(y, starts), np.maximum.reduceat(y, starts)
        )
    present = np.add.reduceat(~nan, starts, dtype=np.int64)
    totals = np.add.reduceat(np.where(nan, 0.0, y), starts)
    with np.errstate(invalid="ignore", divide="ignore"):
        y_mean = np.where(present > 0, totals / present, np.nan)
    return Downsampled(x_mean, y_mean, np.fmin.reduceat(y, starts), np.fmax.reduceat(y, starts))


def downsample_blocks(
    count: np.ndarray,
    x_sum: np.ndarray,
    finite: np.ndarray,
    value_sum: np.ndarray,
    value_min: np.ndarray,
    value_max: np.ndarray,
    max_points: int,
) -> Downsampled:
    """`downsample` from per-block summaries (consecutive blocks of a series, in order).

    Each block goes whole into the bucket its first point falls in, so buckets hold
    near-equal numbers of points; the result has at most `max_points` buckets.
    """
    if max_points < 1:
        raise ValueError(f"max_points must be at least 1, got {max_points}")
    total = int(count.sum())
    first_point = np.cumsum(count) - count
    bucket = (first_point.astype(np.int64) * max_points) // max(total, 1)
    edges = np.flatnonzero(np.concatenate(([True], bucket[1:] != bucket[:-1])))
    points = np.add.reduceat(count, edges)
    present = np.add.reduceat(finite, edges)
    with np.errstate(invalid="ignore", divide="ignore"):
        y_mean = np.where(present > 0, np.add.reduceat(value_sum, edges) / present, np.nan)
    return Downsampled(
        np.add.reduceat(x_sum, edges) / points,
        y_mean,
        np.fmin.reduceat(value_min, edges),
        np.fmax.reduceat(value_max, edges),
    )
