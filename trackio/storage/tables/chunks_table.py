"""The `chunks` table: consecutive points of one (run, metric) series packed in a row
(see `trackio.storage.chunks`), with their step range, extremes and block summaries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trackio.storage import chunks
from trackio.storage.tables.metric_keys import MetricSet
from trackio.storage.tables.sql import Connection, placeholders, returning_each

_COLUMNS = (
    "run, metric, kind, n, first_step, min_step, max_step, vmin, vmax, last_time, "
    "last_value, steps, vals, times, blocks"
)
_COUNT = len(_COLUMNS.split(","))
_INSERT = f"INSERT INTO chunks ({_COLUMNS}) VALUES ({placeholders(_COUNT)}) RETURNING id"
_INSERT_WITH_ID = f"INSERT INTO chunks (id, {_COLUMNS}) VALUES ({placeholders(_COUNT + 1)})"
_LOW, _HIGH = chunks.INT64_MIN, chunks.INT64_MAX


def insert_with_id(
    conn: Connection, chunk_id: int, run: int, metric: int, encoded: tuple[Any, ...]
) -> None:
    """Store one chunk (`chunks.encode`'s columns) under the id `chunk_id` (a merged
    chunk keeps the id of its first, so chunks still sort in logging order)."""
    conn.execute(_INSERT_WITH_ID, (chunk_id, run, metric, *encoded))


def insert_each(conn: Connection, rows: list[tuple[int, int, tuple[Any, ...]]]) -> list[int]:
    """Store chunks given as (run, metric, `chunks.encode`'s columns), in this order
    (in one round trip where the connection pipelines); returns their ids."""
    found = returning_each(
        conn, _INSERT, [(run, metric, *encoded) for run, metric, encoded in rows]
    )
    return [int(row[0]) for row in found]


def take(conn: Connection, ids: list[int], run: int, metric: int) -> list[tuple[Any, ...]]:
    """Remove those of the chunks `ids` that still belong to series (run, metric), when
    there are at least two of them and no other chunk of the series lies between them,
    and return their (kind, n, first_step, steps, vals, times, id) in id order, for
    merging into one; else change nothing and return [].

    Another chunk between them is one another writer added (a second server sharing
    the database took a batch of the run): merging around it would put points out of
    logging order, so they are left as they are."""
    if len(ids) < 2:
        return []
    marks = placeholders(len(ids))
    rows = conn.execute(
        f"SELECT kind, n, first_step, steps, vals, times, id FROM chunks WHERE id IN ({marks}) "
        "AND run = ? AND metric = ? ORDER BY id",
        [*ids, run, metric],
    ).fetchall()
    if len(rows) < 2:
        return []
    between = conn.execute(
        "SELECT count(*) FROM chunks WHERE run = ? AND metric = ? AND id BETWEEN ? AND ?",
        (run, metric, rows[0][6], rows[-1][6]),
    ).fetchone()[0]
    if between != len(rows):
        return []
    conn.execute(
        f"DELETE FROM chunks WHERE id IN ({placeholders(len(rows))})", [r[6] for r in rows]
    )
    return rows


def encoded_points(
    conn: Connection,
    run: int,
    metric: int,
    low: int = _LOW,
    high: int = _HIGH,
    with_times: bool = True,
) -> list[tuple[Any, ...]]:
    """(kind, n, first_step, steps, vals, times) of the chunks of one series that
    touch steps [low, high], in writing order; `times` is NULL unless `with_times`."""
    return [row[1:] for row in encoded_points_of(conn, [run], metric, low, high, with_times)]


def encoded_points_of(
    conn: Connection,
    runs: list[int],
    metric: int,
    low: int = _LOW,
    high: int = _HIGH,
    with_times: bool = True,
) -> list[tuple[Any, ...]]:
    """`encoded_points` of the series of several runs in one statement, each row with
    its run first, by run and writing order."""
    times = "times" if with_times else "NULL"
    return conn.execute(
        f"SELECT run, kind, n, first_step, steps, vals, {times} FROM chunks "
        f"WHERE run IN ({placeholders(len(runs))}) AND metric = ? AND max_step >= ? "
        "AND min_step <= ? ORDER BY run, id",
        (*runs, metric, low, high),
    ).fetchall()


def encoded_blocks_of(
    conn: Connection, runs: list[int], metric: int, low: int, high: int
) -> list[tuple[Any, ...]]:
    """(run, kind, n, first_step, steps, vals, times, blocks, max_step) of the chunks
    of several runs' series touching [low, high], by run and writing order: chunks
    wholly inside with block summaries give only those, the others their points and
    times."""
    return conn.execute(
        "SELECT run, kind, n, first_step, steps, CASE WHEN raw THEN vals END, "
        "CASE WHEN raw THEN times END, CASE WHEN raw THEN NULL ELSE blocks END, max_step "
        "FROM (SELECT *, (blocks IS NULL OR min_step < ? OR max_step > ?) AS raw FROM chunks "
        f"WHERE run IN ({placeholders(len(runs))}) AND metric = ? AND max_step >= ? "
        "AND min_step <= ?) AS touching ORDER BY run, id",
        (low, high, *runs, metric, low, high),
    ).fetchall()


def extent(
    conn: Connection, run: int, metric: int, low: int, high: int
) -> list[tuple[int, int, int, int, float]]:
    """(n, min_step, max_step, id, last_time) of the chunks touching [low, high]."""
    return conn.execute(
        "SELECT n, min_step, max_step, id, last_time FROM chunks WHERE run = ? AND metric = ? "
        "AND max_step >= ? AND min_step <= ? ORDER BY id",
        (run, metric, low, high),
    ).fetchall()


def extents(
    conn: Connection, runs: list[int], metric: int, low: int, high: int
) -> list[tuple[int, int, int, int, int, float]]:
    """(run, n, min_step, max_step, id, last_time) of the chunks of `runs` touching
    [low, high], by run and id: `extent` of many runs in one statement."""
    return conn.execute(
        "SELECT run, n, min_step, max_step, id, last_time FROM chunks "
        f"WHERE run IN ({placeholders(len(runs))}) AND metric = ? AND max_step >= ? "
        "AND min_step <= ? ORDER BY run, id",
        (*runs, metric, low, high),
    ).fetchall()


def _among(metrics: MetricSet | None) -> tuple[str, list[Any]]:
    return ("", []) if metrics is None else metrics.clause()


def newest(
    conn: Connection, runs: list[int], metrics: MetricSet | None = None
) -> list[tuple[int, int, float, Any]]:
    """Per (run, metric) of `runs` (and of `metrics`), the (run, metric, time, value)
    logged last."""
    among, params = _among(metrics)
    rows = conn.execute(
        "SELECT run, metric, kind, last_time, last_value FROM (SELECT run, metric, kind, "
        "last_time, last_value, row_number() OVER (PARTITION BY run, metric "
        "ORDER BY last_time DESC, id DESC) AS newest FROM chunks "
        f"WHERE run IN ({placeholders(len(runs))}){among}) AS ranked WHERE newest = 1",
        [*runs, *params],
    )
    return [
        (run, metric, stamp, chunks.scalar(kind, value)) for run, metric, kind, stamp, value in rows
    ]


def step_layout(
    conn: Connection, runs: list[int], metrics: MetricSet | None = None
) -> list[tuple[int, int, int, Any]]:
    """(run, first_step, n, packed steps or None when contiguous) of every chunk (of
    `metrics`)."""
    among, params = _among(metrics)
    return conn.execute(
        "SELECT run, first_step, n, steps FROM chunks "
        f"WHERE run IN ({placeholders(len(runs))}){among}",
        [*runs, *params],
    ).fetchall()


def first_step_from(
    conn: Connection, run: int, low: int, metrics: MetricSet | None = None
) -> int | None:
    """The lowest step of a point of `run` (of `metrics`) at or above `low`."""
    among, params = _among(metrics)
    row = conn.execute(
        f"SELECT min(min_step) FROM chunks WHERE run = ? AND min_step >= ?{among}",
        (run, low, *params),
    ).fetchone()
    best: int | None = row[0]
    straddling = conn.execute(
        "SELECT n, first_step, steps FROM chunks "
        f"WHERE run = ? AND min_step < ? AND max_step >= ?{among}",
        (run, low, low, *params),
    )
    for count, first, packed in straddling:
        steps: Sequence[int] = (
            range(first, first + count) if packed is None else chunks.decode_steps(packed)
        )
        above = [step for step in steps if step >= low]
        if above and (best is None or min(above) < best):
            best = min(above)
    return best


def max_step(conn: Connection, run: int, metrics: MetricSet | None = None) -> int | None:
    """The highest step of a point of `run` (of `metrics`)."""
    among, params = _among(metrics)
    return conn.execute(
        f"SELECT max(max_step) FROM chunks WHERE run = ?{among}", (run, *params)
    ).fetchone()[0]


def metric_ids(conn: Connection, run: int | None, metrics: MetricSet | None = None) -> set[int]:
    """Metrics (of `metrics`) with points here, of one run or (None) of any run."""
    among, params = _among(metrics)
    if run is None:
        sql = f"SELECT DISTINCT metric FROM chunks WHERE 1 = 1{among}"
        return {row[0] for row in conn.execute(sql, params)}
    sql = f"SELECT DISTINCT metric FROM chunks WHERE run = ?{among}"
    return {row[0] for row in conn.execute(sql, (run, *params))}


def delete_run(conn: Connection, run: int) -> None:
    """Delete every point of `run`."""
    conn.execute("DELETE FROM chunks WHERE run = ?", (run,))
