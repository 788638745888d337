"""The `alerts` table: what `trackio.alert` raised, per run, with its time and step."""

from __future__ import annotations

from typing import Any

from trackio.storage.tables.sql import Connection, placeholders

LEVELS = ("INFO", "WARN", "ERROR")
"""Alert levels, least grave first."""


def insert(conn: Connection, run: int, alert: dict[str, Any]) -> None:
    """Store one alert of `run` (a dict with time, step, level, title, text)."""
    conn.execute(
        "INSERT INTO alerts (run, time, step, level, title, text) VALUES (?, ?, ?, ?, ?, ?)",
        (run, alert["time"], alert.get("step"), alert["level"], alert["title"], alert.get("text")),
    )


def rows(
    conn: Connection, runs: list[int] | None, min_level: str | None
) -> list[tuple[int, float, int | None, str, str, str | None]]:
    """(run, time, step, level, title, text) of the alerts of `runs` (None: every run)
    at `min_level` or graver, oldest first."""
    where: list[str] = []
    params: list[Any] = []
    if runs is not None:
        where.append(f"run IN ({placeholders(len(runs))})" if runs else "1 = 0")
        params.extend(runs)
    if min_level is not None:
        graver = list(LEVELS[LEVELS.index(min_level) :])
        where.append(f"level IN ({placeholders(len(graver))})")
        params.extend(graver)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    return conn.execute(
        f"SELECT run, time, step, level, title, text FROM alerts{clause} ORDER BY time, id",
        params,
    ).fetchall()


def delete_run(conn: Connection, run: int) -> None:
    """Delete the alerts of `run`."""
    conn.execute("DELETE FROM alerts WHERE run = ?", (run,))
