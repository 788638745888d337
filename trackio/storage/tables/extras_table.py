"""The `extras` table: values that are not 64-bit numbers (text, huge integers,
other JSON), one row each."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from trackio.storage.tables.sql import Connection, placeholders


def encode(value: Any) -> tuple[str, str]:
    """(kind, text) a value is stored as."""
    if isinstance(value, str):
        return "str", value
    if isinstance(value, int):
        return "int", format(value, "x")
    return "json", json.dumps(value)


def decode(kind: str, text: str) -> Any:
    """The value stored as (kind, text)."""
    if kind == "str":
        return text
    if kind == "int":
        return int(text, 16)
    return json.loads(text)


def insert(conn: Connection, rows: Iterable[tuple[int, int, int, float, Any]]) -> None:
    """Store (run, metric, step, time, value) rows."""
    conn.executemany(
        "INSERT INTO extras (run, metric, step, time, kind, value) VALUES (?, ?, ?, ?, ?, ?)",
        [(run, metric, step, stamp, *encode(value)) for run, metric, step, stamp, value in rows],
    )


def points(
    conn: Connection, run: int, metric: int, low: int, high: int
) -> list[tuple[int, float, Any]]:
    """(step, time, value) of one series within [low, high], in writing order."""
    return [
        (step, stamp, decode(kind, text))
        for step, stamp, kind, text in conn.execute(
            "SELECT step, time, kind, value FROM extras WHERE run = ? AND metric = ? "
            "AND step BETWEEN ? AND ? ORDER BY id",
            (run, metric, low, high),
        )
    ]


def newest(conn: Connection, runs: list[int]) -> list[tuple[int, int, float, Any]]:
    """Per (run, metric) of `runs`, the (run, metric, time, value) logged last."""
    marks = placeholders(len(runs))
    rows = conn.execute(
        "SELECT run, metric, time, kind, value FROM (SELECT run, metric, kind, time, value, "
        "row_number() OVER (PARTITION BY run, metric ORDER BY time DESC, id DESC) AS newest "
        f"FROM extras WHERE run IN ({marks})) AS ranked WHERE newest = 1",
        runs,
    )
    return [(run, metric, stamp, decode(kind, text)) for run, metric, stamp, kind, text in rows]


def steps(conn: Connection, runs: list[int]) -> list[tuple[int, int]]:
    """(run, step) of every value of `runs`."""
    return conn.execute(
        f"SELECT run, step FROM extras WHERE run IN ({placeholders(len(runs))})", runs
    ).fetchall()


def first_step_from(conn: Connection, run: int, low: int) -> int | None:
    """The lowest step of a value of `run` at or above `low`."""
    row = conn.execute(
        "SELECT min(step) FROM extras WHERE run = ? AND step >= ?", (run, low)
    ).fetchone()
    return row[0]


def max_step(conn: Connection, run: int) -> int | None:
    """The highest step of a value of `run`."""
    return conn.execute("SELECT max(step) FROM extras WHERE run = ?", (run,)).fetchone()[0]


def metric_ids(conn: Connection, run: int | None) -> set[int]:
    """Metrics with values here, of one run or (None) of any run."""
    if run is None:
        return {row[0] for row in conn.execute("SELECT DISTINCT metric FROM extras")}
    return {
        row[0] for row in conn.execute("SELECT DISTINCT metric FROM extras WHERE run = ?", (run,))
    }


def delete_run(conn: Connection, run: int) -> None:
    """Delete every value of `run`."""
    conn.execute("DELETE FROM extras WHERE run = ?", (run,))
