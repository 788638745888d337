"""The `metric_keys` table: one row per metric name, its id used by every series."""

from __future__ import annotations

import sqlite3


def metric_id(conn: sqlite3.Connection, name: str, cache: dict[str, int]) -> int:
    """The id of metric `name`, inserting it if new; call inside a write transaction."""
    known = cache.get(name)
    if known is not None:
        return known
    row = conn.execute("SELECT id FROM metric_keys WHERE name = ?", (name,)).fetchone()
    if row is None:
        row = (conn.execute("INSERT INTO metric_keys (name) VALUES (?)", (name,)).lastrowid,)
    cache[name] = row[0]
    return int(row[0])


def find_id(conn: sqlite3.Connection, name: str) -> int | None:
    """The id of metric `name`, or None if nothing was ever logged under it."""
    row = conn.execute("SELECT id FROM metric_keys WHERE name = ?", (name,)).fetchone()
    return row[0] if row else None


def ids_by_name(conn: sqlite3.Connection) -> dict[str, int]:
    """Every metric name of the project with its id."""
    return dict(conn.execute("SELECT name, id FROM metric_keys"))


def names_by_id(conn: sqlite3.Connection) -> dict[int, str]:
    """Every metric id of the project with its name."""
    return dict(conn.execute("SELECT id, name FROM metric_keys"))
