"""What the table modules need of a database connection, met by `sqlite3.Connection`
and by the PostgreSQL backend's adapter."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol


class Cursor(Protocol):
    """The result of one statement."""

    rowcount: int

    def fetchone(self) -> Any:
        """The next row, or None."""

    def fetchall(self) -> list[Any]:
        """Every remaining row."""

    def __iter__(self) -> Iterator[Any]:
        """The remaining rows."""


class Connection(Protocol):
    """A connection inside the caller's transaction."""

    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Any:
        """Run one statement with `?` placeholders."""

    def executemany(self, sql: str, parameters: Iterable[Sequence[Any]], /) -> Any:
        """Run one statement once per parameter row."""


def placeholders(count: int) -> str:
    """`?, ?, ...` for an `IN (...)` of `count` values."""
    return ", ".join("?" * count)


def returning_each(conn: Connection, sql: str, rows: list[Sequence[Any]]) -> list[Any]:
    """The row `sql` (a statement with RETURNING) returns for each parameter row, in
    order: pipelined in one round trip by a connection that can (`execute_each`, the
    PostgreSQL adapter's), else one statement after another (SQLite, in-process)."""
    each = getattr(conn, "execute_each", None)
    if each is not None:
        return list(each(sql, rows))
    return [conn.execute(sql, row).fetchone() for row in rows]
