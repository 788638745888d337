"""The background thread that moves logged values from memory into SQLite.

`log()` appends one entry to `Writer.queue` and returns. The writer thread wakes
every `FLUSH_INTERVAL_SECONDS`, or sooner when the queue grows past
`WAKE_AT_ENTRIES`, takes everything queued, and writes it per project in one
transaction. A batch that fails stays queued and is retried, so a full disk or a
long-held lock delays values but never drops them.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import warnings
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trackio.media.base import is_media
from trackio.storage.database import connect, write_transaction
from trackio.storage.paths import file_identity
from trackio.storage.series_writer import SeriesWriter

FLUSH_INTERVAL_SECONDS = 0.5
WAKE_AT_ENTRIES = 2000
MAX_QUEUED_ENTRIES = 200_000
_FAILURE_BACKOFF_SECONDS = 1.0

OP = object()
"""Marks a queue entry that is an operation rather than logged values."""


@dataclass(eq=False)
class RunTarget:
    """Where one run's values go: its project file and its row id there."""

    path: Path
    run_pk: int


class WriteError(RuntimeError):
    """Raised by `Writer.sync` when queued values could not be written yet."""


class Writer:
    """One per process: drains queued entries into the project databases."""

    def __init__(self) -> None:
        self.queue: deque[tuple] = deque()
        self._wake = threading.Event()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._sinks: dict[Path, tuple[int | None, SeriesWriter]] = {}
        self._warned: set[str] = set()

    def ensure_started(self) -> None:
        """Start the writer thread if it is not running (first use, or after a fork)."""
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run_forever, name="trackio-writer", daemon=True
                )
                self._thread.start()

    def wake(self) -> None:
        """Ask the thread to write now instead of at its next interval."""
        self._wake.set()

    def wait_for_room(self) -> None:
        """Block while the queue is over its bound, so memory stays bounded."""
        self.ensure_started()
        while len(self.queue) > MAX_QUEUED_ENTRIES:
            self._wake.set()
            time.sleep(0.001)

    def submit(self, target: RunTarget, name: str, payload: Any) -> None:
        """Queue an operation, ordered after every value logged before it."""
        self.queue.append((target, OP, name, payload))

    def sync(self, timeout: float | None = None) -> None:
        """Return once everything queued before the call is committed to disk.

        Raises `WriteError` if the writer could not write it (the values stay
        queued and are retried).
        """
        self.ensure_started()
        done = threading.Event()
        outcome: list[BaseException] = []
        self.queue.append((None, OP, "sync", (done, outcome)))
        self._wake.set()
        if not done.wait(timeout):
            raise WriteError(f"logged values were not written within {timeout} s")
        if outcome:
            raise WriteError(str(outcome[0])) from outcome[0]

    def _run_forever(self) -> None:
        while True:
            self._wake.wait(FLUSH_INTERVAL_SECONDS)
            self._wake.clear()
            try:
                failed = self._drain()
            except Exception as error:  # noqa: BLE001 - the writer thread must not die
                self._warn_once(f"trackio writer error: {error!r}")
                failed = True
            if failed:
                time.sleep(_FAILURE_BACKOFF_SECONDS)

    def _drain(self) -> bool:
        queue = self.queue
        entries = [queue.popleft() for _ in range(len(queue))]
        if not entries:
            return False
        by_path: dict[Path, list[tuple]] = {}
        syncs: list[tuple[threading.Event, list[BaseException]]] = []
        for entry in entries:
            target = entry[0]
            if target is None:
                syncs.append(entry[3])
            else:
                by_path.setdefault(target.path, []).append(entry)
        errors: list[BaseException] = []
        for path, items in by_path.items():
            try:
                self._write_batch(path, items)
            except Exception as error:  # noqa: BLE001 - sorted out below, nothing is lost silently
                self._forget(path)
                if _is_transient(error):
                    errors.append(error)
                    queue.extendleft(reversed(items))
                    self._warn_once(f"trackio could not write to {path}: {error}; will retry")
                else:
                    errors.extend(self._write_one_by_one(path, items))
        for done, outcome in syncs:
            outcome.extend(errors)
            done.set()
        return bool(errors)

    def _write_one_by_one(self, path: Path, items: list[tuple]) -> list[BaseException]:
        """Write entries singly after a batch failed for a reason retrying cannot cure,
        so one entry SQLite refuses costs only that entry."""
        for index, item in enumerate(items):
            try:
                self._write_batch(path, [item])
            except Exception as error:  # noqa: BLE001 - reported, and the rest still written
                self._forget(path)
                if _is_transient(error):
                    self.queue.extendleft(reversed(items[index:]))
                    return [error]
                self._warn_once(f"trackio dropped an entry it cannot store in {path}: {error!r}")
        return []

    def _forget(self, path: Path) -> None:
        cached = self._sinks.pop(path, None)
        if cached is not None:
            cached[1].conn.close()

    def _sink(self, path: Path) -> SeriesWriter:
        """The writer of the project file at `path`, reopened if the file was deleted or
        replaced since (its cached connection would write into the unlinked file)."""
        identity = file_identity(path)
        cached = self._sinks.get(path)
        if cached is not None and cached[0] == identity:
            return cached[1]
        if cached is not None:
            self._forget(path)
        conn = connect(path, create=True)
        conn.execute("PRAGMA synchronous = FULL")
        sink = SeriesWriter(conn)
        self._sinks[path] = (file_identity(path), sink)
        return sink

    def _write_batch(self, path: Path, items: list[tuple]) -> None:
        sink = self._sink(path)
        pending: dict[int, dict[str, tuple[list, list, list]]] = {}
        last_time: dict[int, float] = {}
        ops: list[tuple[RunTarget, str, Any]] = []
        for target, step, stamp, row in items:
            if step is OP:
                ops.append((target, stamp, row))
                continue
            run_pk = target.run_pk
            series_of_run = pending.get(run_pk)
            if series_of_run is None:
                series_of_run = pending[run_pk] = {}
            last_time[run_pk] = stamp
            for key, value in row.items():
                series = series_of_run.get(key)
                if series is None:
                    series = series_of_run[key] = ([], [], [])
                series[0].append(step)
                series[1].append(value)
                series[2].append(stamp)
        _prepare_media(pending)
        with write_transaction(sink.conn):
            for run_pk, series_of_run in pending.items():
                still_there = sink.conn.execute(
                    "UPDATE runs SET updated_at = ? WHERE id = ?", (last_time[run_pk], run_pk)
                ).rowcount
                if not still_there:
                    sink.forget_run(run_pk)
                    continue
                for name, (steps, values, times) in series_of_run.items():
                    sink.write(run_pk, name, steps, values, times)
            for target, name, payload in ops:
                _apply(sink, target, name, payload)

    def _warn_once(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            warnings.warn(message, RuntimeWarning, stacklevel=2)


_NUMBERS = frozenset({float, int, bool})


def _prepare_media(pending: dict[int, dict[str, tuple[list, list, list]]]) -> None:
    """Encode the batch's media before the write lock is taken, so a slow video
    encode does not keep other processes from writing to the project."""
    for series_of_run in pending.values():
        for _, values, _ in series_of_run.values():
            if _NUMBERS.issuperset(map(type, values)):
                continue
            for value in values:
                if is_media(value):
                    for item in value if isinstance(value, tuple) else (value,):
                        item.prepare()


def _is_transient(error: BaseException) -> bool:
    """Whether retrying later may succeed: a lock, a full disk, an I/O error."""
    return isinstance(error, (sqlite3.OperationalError, OSError))


def _apply(sink: SeriesWriter, target: RunTarget, name: str, payload: Any) -> None:
    if name in ("config", "summary", "metric_defs"):
        sink.conn.execute(f"UPDATE runs SET {name} = ? WHERE id = ?", (payload, target.run_pk))
    elif name == "finish":
        status, exit_code, finished_at = payload
        sink.seal_run(target.run_pk)
        sink.conn.execute(
            "UPDATE runs SET status = ?, exit_code = ?, finished_at = ?, updated_at = ? "
            "WHERE id = ?",
            (status, exit_code, finished_at, finished_at, target.run_pk),
        )
    else:
        raise ValueError(f"unknown writer operation {name!r}")


_writer = Writer()


def get_writer() -> Writer:
    """The process's writer."""
    return _writer


def _after_fork_in_child() -> None:
    global _writer
    _writer = Writer()


os.register_at_fork(after_in_child=_after_fork_in_child)
