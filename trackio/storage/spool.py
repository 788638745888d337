"""The durable queue of batches a process has not yet delivered to a team server (in
storage because it is a file trackio writes with the same care as project files).

Each process logging to a server keeps its own spool: a small SQLite file under
`TRACKIO_DIR/.spool/`, written with `synchronous=FULL` before a batch is sent and
cleared of it only once the server acknowledged it. The process holds an exclusive
lock on the file's `.lock` companion while it lives; a spool whose lock can be taken
belongs to a process that is gone, and the next process logging to the same server
(or `trackio sync --pending`) delivers it, in order, and removes it.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from trackio.storage.paths import data_dir

SPOOL_SUFFIX = ".spool"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    batch_id TEXT NOT NULL,
    server_url TEXT NOT NULL,
    project TEXT NOT NULL,
    points INTEGER NOT NULL,
    body BLOB NOT NULL,
    created_at REAL NOT NULL,
    refused TEXT
)
"""


def spool_dir(directory: Path | None = None) -> Path:
    """Where spools live: `.spool` in the data directory."""
    return (directory or data_dir()) / ".spool"


def _try_lock(path: Path) -> IO[bytes] | None:
    """An open handle holding an exclusive lock on `path`, or None if another process
    holds it."""
    handle = open(path, "a+b")  # noqa: SIM115 - kept open: the lock lives as long as it
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; every spool counts as owned.
        return handle
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        return None
    return handle


class Spool:
    """One spool file, locked by this process."""

    def __init__(self, path: Path, lock: IO[bytes]) -> None:
        self.path = path
        self._lock = lock
        # The writer thread adds and the sender thread reads and removes.
        self._mutex = threading.Lock()
        self._conn = sqlite3.connect(path, timeout=30, check_same_thread=False)
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._conn.execute(_SCHEMA)
        except sqlite3.Error:
            self._conn.close()
            raise

    @classmethod
    def create(cls, directory: Path | None = None) -> Spool:
        """A new spool of this process."""
        folder = spool_dir(directory)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{os.getpid()}-{uuid.uuid4().hex[:12]}{SPOOL_SUFFIX}"
        lock = _try_lock(path.with_suffix(".lock"))
        assert lock is not None, "a new spool's lock is free"
        return cls(path, lock)

    def add(self, batch_id: str, server_url: str, project: str, points: int, body: bytes) -> None:
        """Keep a batch until `remove`; on disk when this returns. A disk that is full or
        failing raises `OSError`, nothing kept."""
        try:
            with self._mutex, self._conn:
                self._conn.execute(
                    "INSERT INTO batches (batch_id, server_url, project, points, body, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (batch_id, server_url, project, points, body, time.time()),
                )
        except sqlite3.Error as error:
            raise OSError(f"cannot write the spool {self.path}: {error}") from error

    def oldest(self, server_url: str) -> tuple[int, str, str, bytes] | None:
        """(seq, batch id, project, body) of the oldest batch for `server_url` that the
        server did not refuse, or None."""
        with self._mutex:
            row = self._conn.execute(
                "SELECT seq, batch_id, project, body FROM batches WHERE server_url = ? "
                "AND refused IS NULL ORDER BY seq LIMIT 1",
                (server_url,),
            ).fetchone()
        return None if row is None else (row[0], row[1], row[2], bytes(row[3]))

    def remove(self, seq: int) -> None:
        """Forget a delivered batch. Not synced to disk at once: should a crash undo the
        removal, the batch is sent again and the server, which knows its id, ignores it."""
        with self._mutex:
            self._conn.execute("PRAGMA synchronous=NORMAL")
            try:
                with self._conn:
                    self._conn.execute("DELETE FROM batches WHERE seq = ?", (seq,))
            finally:
                self._conn.execute("PRAGMA synchronous=FULL")

    def refuse(self, seq: int, reason: str) -> None:
        """Keep a batch the server refused as malformed, but stop sending it."""
        with self._mutex, self._conn:
            self._conn.execute("UPDATE batches SET refused = ? WHERE seq = ?", (reason, seq))

    def pending(self, server_url: str | None = None) -> tuple[int, int]:
        """(batches, values) not yet delivered, for `server_url` or every server."""
        return self._count("refused IS NULL", server_url)

    def set_aside(self, server_url: str | None = None) -> tuple[int, int]:
        """(batches, values) the server refused as malformed (413, 400...), kept here."""
        return self._count("refused IS NOT NULL", server_url)

    def _count(self, which: str, server_url: str | None) -> tuple[int, int]:
        query = f"SELECT count(*), coalesce(sum(points), 0) FROM batches WHERE {which}"
        args: tuple[str, ...] = ()
        if server_url is not None:
            query += " AND server_url = ?"
            args = (server_url,)
        with self._mutex:
            count, points = self._conn.execute(query, args).fetchone()
        return int(count), int(points)

    def servers(self) -> list[str]:
        """The servers this spool holds batches for."""
        with self._mutex:
            rows = self._conn.execute(
                "SELECT DISTINCT server_url FROM batches WHERE refused IS NULL ORDER BY server_url"
            ).fetchall()
        return [row[0] for row in rows]

    def close(self, *, remove_if_empty: bool = True) -> None:
        """Close the file, deleting it when nothing is left in it; release the lock."""
        with self._mutex:
            empty = not self._conn.execute("SELECT 1 FROM batches LIMIT 1").fetchone()
            self._conn.close()
        if empty and remove_if_empty:
            for path in (self.path, *self._side_files()):
                path.unlink(missing_ok=True)
        self._lock.close()
        if empty and remove_if_empty:
            self.path.with_suffix(".lock").unlink(missing_ok=True)

    def _side_files(self) -> list[Path]:
        return [self.path.with_name(self.path.name + suffix) for suffix in ("-wal", "-shm")]


def spooled_elsewhere(directory: Path | None = None) -> bool:
    """Whether any spool file exists (an ended process may have left one)."""
    folder = spool_dir(directory)
    return folder.is_dir() and any(folder.glob(f"*{SPOOL_SUFFIX}"))


def orphaned_spools(directory: Path | None = None) -> Iterator[Spool]:
    """The spools of processes that are gone, each locked for the caller, oldest first."""
    folder = spool_dir(directory)
    if not folder.is_dir():
        return
    for path in sorted(folder.glob(f"*{SPOOL_SUFFIX}"), key=_modified):
        lock = _try_lock(path.with_suffix(".lock"))
        if lock is None:
            continue
        if not path.exists():
            lock.close()
            continue
        try:
            spool = Spool(path, lock)
        except sqlite3.DatabaseError:
            # Not a spool any more (a disk fault, a stray file): kept aside, out of the way.
            lock.close()
            path.rename(path.with_name(path.name + ".bad"))
            continue
        yield spool


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return 0.0
