"""The `metric_keys` table: one row per metric name, its id used by every series."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from trackio.storage.tables.sql import Connection, placeholders
from trackio.system.names import PREFIX as SYSTEM_PREFIX


@dataclass(frozen=True)
class MetricSet:
    """Which metrics a query reads: only `ids` (`inside`), or all but them."""

    ids: tuple[int, ...]
    inside: bool

    def clause(self) -> tuple[str, list[Any]]:
        """An `AND metric ...` condition and its parameters."""
        if not self.ids:
            return (" AND 1 = 0" if self.inside else ""), []
        operator = "IN" if self.inside else "NOT IN"
        return f" AND metric {operator} ({placeholders(len(self.ids))})", list(self.ids)


def stream(conn: Connection, *, system: bool) -> MetricSet:
    """The system metrics (`system=True`), or every metric but them."""
    rows = conn.execute(
        "SELECT id FROM metric_keys WHERE substr(name, 1, ?) = ?",
        (len(SYSTEM_PREFIX), SYSTEM_PREFIX),
    )
    return MetricSet(tuple(sorted(row[0] for row in rows)), inside=system)


def metric_id(conn: Connection, name: str, cache: dict[str, int]) -> int:
    """The id of metric `name`, inserting it if new; call inside a write transaction."""
    known = cache.get(name)
    if known is not None:
        return known
    row = conn.execute("SELECT id FROM metric_keys WHERE name = ?", (name,)).fetchone()
    if row is None:
        # Two servers sharing a database may add the same name at once: the later
        # insert waits for the first to commit, does nothing, and reads its id.
        row = (
            conn.execute(
                "INSERT INTO metric_keys (name) VALUES (?) ON CONFLICT (name) DO NOTHING "
                "RETURNING id",
                (name,),
            ).fetchone()
            or conn.execute("SELECT id FROM metric_keys WHERE name = ?", (name,)).fetchone()
        )
    cache[name] = int(row[0])
    return cache[name]


def find_id(conn: Connection, name: str) -> int | None:
    """The id of metric `name`, or None if nothing was ever logged under it."""
    row = conn.execute("SELECT id FROM metric_keys WHERE name = ?", (name,)).fetchone()
    return row[0] if row else None


def ids_by_name(conn: Connection) -> dict[str, int]:
    """Every metric name of the project with its id."""
    return dict(conn.execute("SELECT name, id FROM metric_keys"))


def names_by_id(conn: Connection) -> dict[int, str]:
    """Every metric id of the project with its name."""
    return dict(conn.execute("SELECT id, name FROM metric_keys"))
