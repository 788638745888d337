"""Opening project databases and running transactions that never surface "locked"."""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

from trackio.storage.schema import SCHEMA_VERSION, migrate, schema_version

BUSY_TIMEOUT_SECONDS = 60.0
_RETRY_DEADLINE_SECONDS = 600.0

T = TypeVar("T")


def is_lock_error(error: BaseException) -> bool:
    """Whether `error` is SQLite's transient "database is locked/busy" condition."""
    if not isinstance(error, sqlite3.OperationalError):
        return False
    message = str(error).lower()
    return "locked" in message or "busy" in message


def retry_when_locked(action: Callable[[], T]) -> T:
    """Run `action`, retrying with jittered back-off while another process holds the lock.

    The busy timeout already waits inside SQLite; this covers the cases it does not
    (switching to WAL, recovering a WAL another process left behind).
    """
    deadline = time.monotonic() + _RETRY_DEADLINE_SECONDS
    delay = 0.005
    while True:
        try:
            return action()
        except sqlite3.OperationalError as error:
            if not is_lock_error(error) or time.monotonic() > deadline:
                raise
        time.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 0.5)


def connect_read_only(path: Path) -> sqlite3.Connection:
    """Open a database file without creating, migrating or ever writing to it."""
    return sqlite3.connect(f"file:{quote(str(path))}?mode=ro", uri=True)


def read_only_query(path: Path, query: Callable[[sqlite3.Connection], T], default: T) -> T:
    """`query` run on a read-only connection to `path`; `default` if the file is not a
    database SQLite can read."""
    try:
        conn = connect_read_only(path)
    except sqlite3.Error:
        return default
    try:
        return query(conn)
    except sqlite3.Error:
        return default
    finally:
        conn.close()


def connect(path: Path, *, create: bool, back_up_legacy: bool = True) -> sqlite3.Connection:
    """Open the project database at `path`, creating or migrating it as needed.

    With `create=False` a missing file raises `FileNotFoundError` instead of
    being created. A PyPI-trackio file is backed up before it is migrated unless
    `back_up_legacy` is False (the file is already a copy).
    """
    if not create and not path.exists():
        raise FileNotFoundError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        str(path), timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        retry_when_locked(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone())
        conn.execute("PRAGMA synchronous = NORMAL")
        if retry_when_locked(lambda: schema_version(conn)) < SCHEMA_VERSION:
            _upgrade(conn, path, back_up_legacy)
    except BaseException:
        conn.close()
        raise
    return conn


def _upgrade(conn: sqlite3.Connection, path: Path, back_up_legacy: bool) -> None:
    from trackio.storage import legacy

    if back_up_legacy and legacy.is_legacy_database(conn):
        legacy.back_up(path)
    with write_transaction(conn):
        if schema_version(conn) < SCHEMA_VERSION:
            was_legacy = legacy.is_legacy_database(conn)
            migrate(conn)
            if was_legacy:
                legacy.import_rows(conn)


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """`BEGIN IMMEDIATE ... COMMIT`, rolled back if the body raises.

    Taking the write lock up front means a writer never has to upgrade a read
    lock, the case where SQLite gives up at once instead of waiting.
    """
    retry_when_locked(lambda: conn.execute("BEGIN IMMEDIATE"))
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    retry_when_locked(lambda: conn.execute("COMMIT"))


def placeholders(count: int) -> str:
    """`?, ?, ...` for an `IN (...)` of `count` values."""
    return ", ".join("?" * count)


def metric_id(conn: sqlite3.Connection, name: str, cache: dict[str, int]) -> int:
    """The id of metric `name`, inserting it if new; call inside a write transaction."""
    known = cache.get(name)
    if known is not None:
        return known
    row = conn.execute("SELECT id FROM metric_keys WHERE name = ?", (name,)).fetchone()
    if row is None:
        row = (conn.execute("INSERT INTO metric_keys (name) VALUES (?)", (name,)).lastrowid,)
    cache[name] = row[0]
    return row[0]
