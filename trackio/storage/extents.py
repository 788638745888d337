"""A run's extent, its last step and how many distinct steps it logged at, from
intervals of contiguous steps and loose steps, without listing every step."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable


def run_extent(intervals: list[tuple[int, int]], loose: Iterable[int]) -> tuple[int, int] | None:
    """(last step, number of distinct steps) covered by inclusive `intervals` and the
    `loose` steps, or None when there are none."""
    merged = _merge_intervals(intervals)
    starts = [start for start, _ in merged]
    covered = sum(end - start + 1 for start, end in merged)
    outside = [step for step in set(loose) if not _covered(merged, starts, step)]
    if not merged and not outside:
        return None
    last = max([end for _, end in merged] + outside)
    return last, covered + len(outside)


def _merge_intervals(intervals: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _covered(merged: list[tuple[int, int]], starts: list[int], step: int) -> bool:
    index = bisect_right(starts, step) - 1
    return index >= 0 and merged[index][1] >= step
