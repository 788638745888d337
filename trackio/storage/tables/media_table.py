"""The `media` table: one row per logged image, video, audio clip, table or histogram,
pointing at its file in the project's media folder (histograms keep bins in `meta`)."""

from __future__ import annotations

import json
from typing import Any

from trackio.storage.tables.sql import Connection, placeholders

MediaRow = tuple[int, float, str, "str | None", "str | None", dict[str, Any]]
"""(step, time, kind, path, caption, details) of one record."""


def insert(
    conn: Connection,
    run: int,
    metric: int,
    step: int,
    stamp: float,
    kind: str,
    path: str | None,
    caption: str | None,
    meta: dict[str, Any],
) -> None:
    """Store one media record; its file is already written."""
    conn.execute(
        "INSERT INTO media (run, metric, step, time, kind, path, caption, meta) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (run, metric, step, stamp, kind, path, caption, json.dumps(meta)),
    )


def _decoded(rows: Any) -> list[MediaRow]:
    return [
        (step, stamp, kind, path, caption, json.loads(meta))
        for step, stamp, kind, path, caption, meta in rows
    ]


def records(conn: Connection, run: int, metric: int, low: int, high: int) -> list[MediaRow]:
    """The records of one series within steps [low, high], in writing order."""
    return _decoded(
        conn.execute(
            "SELECT step, time, kind, path, caption, meta FROM media WHERE run = ? AND metric = ? "
            "AND step BETWEEN ? AND ? ORDER BY id",
            (run, metric, low, high),
        )
    )


def newest(conn: Connection, runs: list[int]) -> dict[tuple[int, int], list[MediaRow]]:
    """Per (run, metric) of `runs`, the records sharing the newest time (one `log()`)."""
    marks = placeholders(len(runs))
    found: dict[tuple[int, int], list[MediaRow]] = {}
    rows = conn.execute(
        "SELECT run, metric, step, time, kind, path, caption, meta FROM media "
        f"WHERE run IN ({marks}) AND (run, metric, time) IN (SELECT run, metric, max(time) "
        f"FROM media WHERE run IN ({marks}) GROUP BY run, metric) ORDER BY id",
        runs * 2,
    )
    for run, metric, *record in rows:
        found.setdefault((run, metric), []).extend(_decoded([record]))
    return found


def steps(conn: Connection, runs: list[int]) -> list[tuple[int, int]]:
    """(run, step) of every record of `runs`."""
    return conn.execute(
        f"SELECT run, step FROM media WHERE run IN ({placeholders(len(runs))})", runs
    ).fetchall()


def first_step_from(conn: Connection, run: int, low: int) -> int | None:
    """The lowest step of a record of `run` at or above `low`."""
    row = conn.execute("SELECT min(step) FROM media WHERE run = ? AND step >= ?", (run, low))
    return row.fetchone()[0]


def max_step(conn: Connection, run: int) -> int | None:
    """The highest step of a record of `run`."""
    return conn.execute("SELECT max(step) FROM media WHERE run = ?", (run,)).fetchone()[0]


def metric_ids(conn: Connection, run: int | None) -> set[int]:
    """Metrics with records here, of one run or (None) of any run."""
    if run is None:
        return {row[0] for row in conn.execute("SELECT DISTINCT metric FROM media")}
    return {
        row[0] for row in conn.execute("SELECT DISTINCT metric FROM media WHERE run = ?", (run,))
    }


def listing(
    conn: Connection,
    runs: list[int] | None,
    kind: str | None,
    metric: int | None,
    after: dict[int, int] | None = None,
) -> list[tuple[int, int, int, float, str, str | None, str | None, dict[str, Any], int]]:
    """(run, metric, step, time, kind, path, caption, details, id) of every record,
    filtered by runs, kind and metric, and for the runs in `after` only records with
    a larger id than given; ordered by run and step."""
    query = "SELECT run, metric, step, time, kind, path, caption, meta, id FROM media"
    clauses: list[str] = []
    params: list[Any] = []
    if runs is not None:
        clauses.append(f"run IN ({placeholders(len(runs))})")
        params += runs
    for run, last_id in (after or {}).items():
        clauses.append("(run != ? OR id > ?)")
        params += [run, last_id]
    if kind is not None:
        clauses.append("kind = ?")
        params.append(kind)
    if metric is not None:
        clauses.append("metric = ?")
        params.append(metric)
    if clauses:
        query += " WHERE " + " AND ".join(clauses)
    return _with_runs(conn.execute(query + " ORDER BY run, step, id", params))


def _with_runs(
    rows: Any,
) -> list[tuple[int, int, int, float, str, str | None, str | None, dict[str, Any], int]]:
    return [
        (run, metric, step, stamp, kind, path, caption, json.loads(meta), media_id)
        for run, metric, step, stamp, kind, path, caption, meta, media_id in rows
    ]


def latest_table(
    conn: Connection, run: int, metric: int, step: int | None
) -> tuple[str, int] | None:
    """(path, step) of the table logged under `metric` at `step`, else the latest one."""
    query = "SELECT path, step FROM media WHERE run = ? AND metric = ? AND kind = 'table'"
    params: list[Any] = [run, metric]
    if step is not None:
        query += " AND step = ?"
        params.append(step)
    row = conn.execute(query + " ORDER BY step DESC, id DESC LIMIT 1", params).fetchone()
    return (row[0], row[1]) if row else None


def delete_run(conn: Connection, run: int) -> None:
    """Delete every record of `run` (its files are the store's to remove)."""
    conn.execute("DELETE FROM media WHERE run = ?", (run,))
