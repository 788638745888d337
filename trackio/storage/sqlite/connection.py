"""Connections to one project file: opening read-only or for writing, a cache per
thread that notices the file being replaced, transactions that never surface
"database is locked", and SQLite's failures turned into the store's errors."""

from __future__ import annotations

import errno
import os
import random
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

from trackio.storage.errors import (
    NotAProjectFileError,
    ProjectFileGoneError,
    StorageFullError,
    StorageUnavailableError,
    StoreError,
)
from trackio.storage.paths import file_identity

BUSY_TIMEOUT_SECONDS = 60.0
_RETRY_DEADLINE_SECONDS = 600.0

T = TypeVar("T")


def is_lock_error(error: BaseException) -> bool:
    """Whether `error` is SQLite's transient "database is locked/busy" condition."""
    if not isinstance(error, sqlite3.OperationalError):
        return False
    message = str(error).lower()
    return "locked" in message or "busy" in message


_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
_PASSING_ERRNOS = frozenset({errno.EIO, errno.EACCES, errno.EPERM, errno.EROFS, errno.EAGAIN})
_PASSING_MESSAGES = ("locked", "busy", "disk i/o error", "readonly database", "unable to open")


def as_store_error(error: sqlite3.Error | OSError, what: str) -> StoreError:
    """The store's error for a failure of SQLite or the file system while doing `what`:
    a full disk, a passing condition worth retrying (a lock, an I/O error, a file the
    process may not write yet), or anything else, which retrying will not cure."""
    message = str(error).lower()
    if isinstance(error, OSError):
        if error.errno in _FULL_ERRNOS:
            return StorageFullError(f"disk full: {error}")
        if error.errno in _PASSING_ERRNOS:
            return StorageUnavailableError(f"{what}: {error}")
        return StoreError(f"{what}: {error}")
    if "disk is full" in message:
        return StorageFullError(f"disk full: {error}")
    if isinstance(error, sqlite3.OperationalError) and any(
        text in message for text in _PASSING_MESSAGES
    ):
        return StorageUnavailableError(f"{what}: {error}")
    if "not a database" in message:
        return NotAProjectFileError(f"{what}: the file is not a trackio project file ({error})")
    return StoreError(f"{what}: {error}")


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


def connect(path: Path, *, writable: bool, create: bool = False) -> sqlite3.Connection:
    """Open the file at `path`. Read-only connections never create, migrate or write
    it; a writable one creates it only when `create` is true, and uses WAL with
    `synchronous=NORMAL` (`make_durable` asks for more), or, with
    `TRACKIO_SQLITE_JOURNAL=delete`, a rollback journal synced on every commit: WAL
    needs shared memory that a network or FUSE mount (a Space's bucket) may not keep."""
    mode = "ro" if not writable else ("rwc" if create else "rw")
    if writable and create:
        path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(
        f"file:{quote(str(path))}?mode={mode}",
        uri=True,
        timeout=BUSY_TIMEOUT_SECONDS,
        isolation_level=None,
        check_same_thread=False,
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
        if writable and os.environ.get("TRACKIO_SQLITE_JOURNAL", "").lower() == "delete":
            retry_when_locked(lambda: conn.execute("PRAGMA journal_mode = DELETE").fetchone())
            conn.execute("PRAGMA synchronous = FULL")
        elif writable:
            retry_when_locked(lambda: conn.execute("PRAGMA journal_mode = WAL").fetchone())
            conn.execute("PRAGMA synchronous = NORMAL")
    except BaseException:
        conn.close()
        raise
    return conn


def copy_database(source: Path, destination: Path) -> None:
    """Copy the database at `source` to `destination` with SQLite's backup API: a
    consistent copy, complete on its own, while other processes go on writing."""
    src = connect(source, writable=False)
    try:
        dst = sqlite3.connect(str(destination))
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def make_durable(conn: sqlite3.Connection) -> None:
    """Sync the log on every commit, so a committed transaction survives a power cut
    (in WAL mode `NORMAL` may lose the last commits, never corrupt)."""
    conn.execute("PRAGMA synchronous = FULL")


@contextmanager
def snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """Run the body's statements against one snapshot of the file (a read transaction),
    so a writer committing in between cannot make them disagree."""
    if conn.in_transaction:
        yield conn
        return
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        with suppress(sqlite3.Error):
            conn.execute("COMMIT")


def read_only_query(path: Path, query: Callable[[sqlite3.Connection], T], default: T) -> T:
    """`query` run on one snapshot of a read-only connection to `path`; `default` if
    the file is not a database SQLite can read."""
    try:
        conn = connect(path, writable=False)
    except sqlite3.Error:
        return default
    try:
        with snapshot(conn):
            return query(conn)
    except sqlite3.Error:
        return default
    finally:
        conn.close()


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """`BEGIN IMMEDIATE ... COMMIT`, rolled back if the body raises.

    Taking the write lock up front means a writer never has to upgrade a read
    lock, the case where SQLite gives up at once instead of waiting. Failures come
    out as the store's errors (`as_store_error`): a full disk as `StorageFullError`,
    not as the failed rollback that follows it.
    """
    try:
        retry_when_locked(lambda: conn.execute("BEGIN IMMEDIATE"))
        try:
            yield conn
        except BaseException:
            if conn.in_transaction:
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise
        try:
            retry_when_locked(lambda: conn.execute("COMMIT"))
        except BaseException:
            if conn.in_transaction:
                with suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise
    except (sqlite3.Error, OSError) as error:
        raise as_store_error(error, "writing failed") from error


def placeholders(count: int) -> str:
    """`?, ?, ...` for an `IN (...)` of `count` values."""
    return ", ".join("?" * count)


class ConnectionCache:
    """One connection per thread to one project file, reopened when the file was
    replaced (a cached connection would keep using the unlinked old file)."""

    def __init__(self, path: Path, *, writable: bool) -> None:
        self.path = path
        self.writable = writable
        self._local = threading.local()
        self._all: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._lock = threading.Lock()
        self.identity: int | None = None
        """The file identity the newest connection was opened on."""
        self.replacements = 0
        """How often a cached connection was found to point at a replaced file."""

    def adopt(self, conn: sqlite3.Connection) -> None:
        """Use `conn`, just opened on the file by the caller, as this thread's connection."""
        self._keep(file_identity(self.path), conn)

    def _keep(self, identity: int | None, conn: sqlite3.Connection) -> None:
        """Cache `conn` for the calling thread; connections of threads that have ended
        (a server's pool retires idle workers) are closed, so they do not pile up."""
        with self._lock:
            ended = [entry for entry in self._all if not entry[0].is_alive()]
            self._all = [entry for entry in self._all if entry[0].is_alive()]
            self._all.append((threading.current_thread(), conn))
        for _, stale in ended:
            with suppress(sqlite3.Error):
                stale.close()
        self._local.entry = (identity, conn)
        self.identity = identity

    def get(self, on_open: Callable[[sqlite3.Connection], None]) -> sqlite3.Connection:
        """The calling thread's connection; `on_open` runs on each new one.

        Raises `ProjectFileGoneError` if the file no longer exists.
        """
        identity = file_identity(self.path)
        cached: tuple[int | None, sqlite3.Connection] | None = getattr(self._local, "entry", None)
        if cached is not None and cached[0] == identity and identity is not None:
            return cached[1]
        if cached is not None:
            self._discard(cached[1])
            self._local.entry = None
            if identity is not None:
                self.replacements += 1
        if identity is None:
            raise ProjectFileGoneError(f"the project file {self.path} no longer exists")
        try:
            conn = connect(self.path, writable=self.writable)
        except sqlite3.OperationalError as error:
            if file_identity(self.path) is None:
                raise ProjectFileGoneError(
                    f"the project file {self.path} no longer exists"
                ) from None
            raise error
        try:
            on_open(conn)
        except BaseException:
            conn.close()
            raise
        self._keep(identity, conn)
        return conn

    def _discard(self, conn: sqlite3.Connection) -> None:
        with self._lock:
            self._all = [entry for entry in self._all if entry[1] is not conn]
        conn.close()

    def checkpoint(self) -> None:
        """Move the WAL's contents into the database file and empty the WAL, so the file
        alone is complete (best effort: a reader in the middle of a read keeps its pages)."""
        with self._lock:
            connections = [conn for _, conn in self._all]
        if connections and file_identity(self.path) == self.identity:
            with suppress(sqlite3.Error):
                connections[0].execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()

    def close_all(self, *, checkpoint: bool = False) -> None:
        """Close every thread's connection, after a `checkpoint` if asked."""
        if checkpoint:
            self.checkpoint()
        with self._lock:
            connections, self._all = [conn for _, conn in self._all], []
        for conn in connections:
            with suppress(sqlite3.Error):
                conn.close()
        self._local = threading.local()
