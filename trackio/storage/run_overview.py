"""One JSON-ready description per run (metadata, config, summary, extent), read in bulk.

Shared by the dashboard's `/api/runs` and the CLI's `list runs` / `get run`.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_right
from typing import Any

from trackio.storage import chunks, queries
from trackio.storage.database import placeholders
from trackio.storage.runs import RunRecord


def run_overviews(conn: sqlite3.Connection, records: list[RunRecord]) -> list[dict[str, Any]]:
    """For each run: id, name, group, status, times, last step, step count, config, summary."""
    pks = [record.pk for record in records]
    last = queries.last_values(conn, pks)
    extents = _run_extents(conn, pks)
    return [
        _overview(conn, record, last.get(record.pk, {}), extents.get(record.pk))
        for record in records
    ]


def _run_extents(conn: sqlite3.Connection, pks: list[int]) -> dict[int, tuple[int, int]]:
    """Per run: (last step, number of distinct steps any metric was logged at).

    Chunks whose steps count up by one are intervals known from their columns alone;
    only the step arrays of the others, and extras' steps, are read.
    """
    if not pks:
        return {}
    marks = placeholders(len(pks))
    intervals: dict[int, list[tuple[int, int]]] = {pk: [] for pk in pks}
    loose: dict[int, set[int]] = {pk: set() for pk in pks}
    for run, first, count, packed in conn.execute(
        f"SELECT run, first_step, n, steps FROM chunks WHERE run IN ({marks})", pks
    ):
        if packed is None:
            intervals[run].append((first, first + count - 1))
        else:
            loose[run].update(chunks.decode_steps(packed))
    for run, step in conn.execute(
        f"SELECT run, step FROM extras WHERE run IN ({marks}) "
        f"UNION ALL SELECT run, step FROM media WHERE run IN ({marks})",
        pks * 2,
    ):
        loose[run].add(step)
    extents = {}
    for pk in pks:
        merged = _merge_intervals(intervals[pk])
        starts = [start for start, _ in merged]
        covered = sum(end - start + 1 for start, end in merged)
        outside = [s for s in loose[pk] if not _covered(merged, starts, s)]
        if merged or outside:
            last = max([end for _, end in merged] + outside)
            extents[pk] = (last, covered + len(outside))
    return extents


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


def _overview(
    conn: sqlite3.Connection,
    record: RunRecord,
    last: dict[str, Any],
    extent: tuple[int, int] | None,
) -> dict[str, Any]:
    return {
        "id": record.run_id,
        "name": record.name,
        "group": record.group,
        "status": record.status,
        "exit_code": record.exit_code,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "finished_at": record.finished_at,
        "last_step": extent[0] if extent else None,
        "step_count": extent[1] if extent else 0,
        "config": record.config,
        "summary": queries.compute_summary(conn, record, last),
        "tags": record.tags,
        "notes": record.notes,
    }
