"""Connections to a PostgreSQL database: one pool per database URL in a process,
the table modules' `?` statements adapted to psycopg, transactions scoped to one
project's schema, and psycopg's failures turned into the store's errors."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any, TypeVar

import psycopg
import psycopg.errors
from psycopg import sql
from psycopg_pool import ConnectionPool, PoolTimeout

from trackio.storage.errors import (
    ProjectFileGoneError,
    StorageFullError,
    StorageUnavailableError,
    StoreError,
)

T = TypeVar("T")
POOL_MAX_SIZE = 8
POOL_TIMEOUT_SECONDS = 30.0
CONNECT_TIMEOUT_SECONDS = 5

_pools: dict[str, ConnectionPool] = {}
_pools_lock = threading.Lock()
_search_paths: weakref.WeakKeyDictionary[psycopg.Connection, str] = weakref.WeakKeyDictionary()
_statements: dict[str, str] = {}

_PASSING = (
    psycopg.OperationalError,
    psycopg.errors.SerializationFailure,
    psycopg.errors.DeadlockDetected,
    psycopg.errors.AdminShutdown,
    psycopg.errors.CannotConnectNow,
    psycopg.errors.QueryCanceled,
    PoolTimeout,
)


def describe_url(url: str) -> str:
    """The database URL with its password hidden, for messages."""
    try:
        params = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the database URL (unreadable)"
    host = params.get("host") or "localhost"
    port = params.get("port") or 5432
    return f"postgresql://{params.get('user') or ''}@{host}:{port}/{params.get('dbname') or ''}"


def as_store_error(error: BaseException, what: str) -> StoreError:
    """The store's error for a failure of PostgreSQL while doing `what`: a passing one
    (the server restarting or unreachable, a deadlock a retry resolves) or a full disk
    as `StorageUnavailableError`, tables dropped under the store (the project was
    deleted) as `ProjectFileGoneError`, anything else as `StoreError`."""
    if isinstance(error, psycopg.errors.UndefinedTable | psycopg.errors.InvalidSchemaName):
        return ProjectFileGoneError(f"{what}: the project's tables are gone ({error})")
    if isinstance(error, psycopg.errors.DiskFull):
        return StorageFullError(f"the database's disk is full: {error}")
    if isinstance(error, _PASSING):
        return StorageUnavailableError(f"{what}: the database is not available ({error})")
    return StoreError(f"{what}: {error}")


class Adapted:
    """A psycopg connection speaking the table modules' SQL: `?` placeholders, results
    in binary (exact floats, raw bytes)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.raw = conn

    def execute(self, statement: str, parameters: Sequence[Any] = (), /) -> psycopg.Cursor:
        """Run one statement, its `?` placeholders bound to `parameters`."""
        return self.raw.execute(_adapted(statement), parameters or None, binary=True)

    def executemany(self, statement: str, parameters: Iterable[Sequence[Any]], /) -> None:
        """Run one statement per parameter row, pipelined."""
        rows = list(parameters)
        if rows:
            with self.raw.cursor(binary=True) as cursor:
                cursor.executemany(_adapted(statement), rows)

    def execute_each(self, statement: str, rows: list[Sequence[Any]]) -> list[Any]:
        """Run a statement with RETURNING once per parameter row, pipelined in one round
        trip; the first row each execution returned, in order."""
        if not rows:
            return []
        found = []
        with self.raw.cursor(binary=True) as cursor:
            cursor.executemany(_adapted(statement), rows, returning=True)
            while True:
                found.append(cursor.fetchone())
                if not cursor.nextset():
                    break
        return found


def _adapted(statement: str) -> str:
    found = _statements.get(statement)
    if found is None:
        found = statement.replace("%", "%%").replace("?", "%s")
        _statements[statement] = found
    return found


def pool(url: str) -> ConnectionPool:
    """The process's pool of connections to the database at `url`, opened on first use.

    Connections are not checked before use (that would cost a round trip each time);
    a statement failing on a dead one (the database restarted) has the pool test all
    its idle connections (`connection`), and reads are retried once."""
    with _pools_lock:
        found = _pools.get(url)
        if found is None:
            found = ConnectionPool(
                url,
                min_size=1,
                max_size=POOL_MAX_SIZE,
                timeout=POOL_TIMEOUT_SECONDS,
                kwargs={"autocommit": True, "connect_timeout": CONNECT_TIMEOUT_SECONDS},
                open=False,
                name="trackio",
            )
            found.open(wait=False)
            _pools[url] = found
        return found


def close_pools() -> None:
    """Close every pool of this process."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for each in pools:
        each.close()


def once_more_if_dropped(action: Callable[[], T]) -> T:
    """`action`, run again once if the database dropped its connection (it restarted:
    the pool has replaced its dead connections since). Only for actions that are safe
    to repeat: reads, and transactions that failed whole."""
    try:
        return action()
    except StorageUnavailableError:
        return action()


def check_reachable(url: str) -> None:
    """Connect once to `url`; a `StoreError` saying why if that fails."""
    try:
        with psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_SECONDS) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise StoreError(f"cannot reach the database {describe_url(url)}: {reason}") from None


def _use_schema(conn: psycopg.Connection, schema: str | None) -> None:
    if schema is not None and _search_paths.get(conn) != schema:
        conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
        _search_paths[conn] = schema


@contextmanager
def connection(url: str, schema: str | None, what: str) -> Iterator[Adapted]:
    """A pooled connection in autocommit mode whose tables are those of `schema`."""
    connections = pool(url)
    try:
        with connections.connection() as conn:
            _use_schema(conn, schema)
            yield Adapted(conn)
    except psycopg.Error as error:
        if isinstance(error, psycopg.OperationalError) and not isinstance(error, PoolTimeout):
            with suppress(psycopg.Error, PoolTimeout):
                connections.check()
        raise as_store_error(error, what) from error


@contextmanager
def transaction(
    url: str, schema: str | None, what: str, *, read_only: bool = False, first: str = ""
) -> Iterator[Adapted]:
    """A transaction on a pooled connection, committed when the body ends, rolled back
    if it raises. A read-only one sees one snapshot (repeatable read) throughout.
    `first`, a statement without parameters, is sent with the BEGIN (one round trip)."""
    with connection(url, schema, what) as conn:
        begin = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" if read_only else "BEGIN"
        conn.raw.execute(f"{begin}; {first}" if first else begin)
        try:
            yield conn
        except BaseException:
            if not conn.raw.closed:
                with suppress(psycopg.Error):
                    conn.raw.execute("ROLLBACK")
            raise
        conn.raw.execute("COMMIT")
