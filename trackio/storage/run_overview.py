"""One JSON-ready description per run (metadata, config, summary, extent), read in bulk.

Shared by the dashboard's `/api/runs` and the CLI's `list runs` / `get run`.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from trackio.storage import queries
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
    if not pks:
        return {}
    placeholders = ",".join("?" * len(pks))
    rows = conn.execute(
        f"SELECT run, max(last), max(points) FROM (SELECT run, metric, max(max_step) AS last, "
        f"sum(n) AS points FROM chunks WHERE run IN ({placeholders}) GROUP BY run, metric) "
        "GROUP BY run",
        pks,
    )
    return {run: (last, points) for run, last, points in rows}


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
