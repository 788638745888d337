"""The background thread that moves logged values from memory into the project store.

`log()` puts one `LoggedRow` on the writer's queue and returns. The writer thread
wakes every `FLUSH_INTERVAL_SECONDS`, or sooner when the queue grows past
`WAKE_AT_ENTRIES`, takes everything queued, and hands it to each project's store
as one batch (one transaction). A batch that fails for a passing reason stays
queued and is retried, so a full disk or a long-held lock delays values but never
drops them. Every `HEARTBEAT_SECONDS` the open runs are marked alive, so a run
whose process died reads as `crashed`; when the last open run of a project
finishes, its store is checkpointed, so the `.db` file alone is complete (the store
stays open for the next run of the process).
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trackio.media.base import is_media
from trackio.remote.links import RemoteLinks
from trackio.storage import ProjectStore, open_store
from trackio.storage.errors import (
    ProjectFileGoneError,
    ProjectNotFoundError,
    StorageUnavailableError,
)
from trackio.storage.paths import project_db_path
from trackio.storage.records import HEARTBEAT_SECONDS, AppendResult, RunBatch

if TYPE_CHECKING:
    from trackio.remote.http import ServerAddress
    from trackio.remote.wire import OpenRequest

FLUSH_INTERVAL_SECONDS = 0.5
WAKE_AT_ENTRIES = 2000
REMOTE_BATCH_ENTRIES = 5000
MAX_QUEUED_ENTRIES = 200_000
_FAILURE_BACKOFF_SECONDS = 1.0


@dataclass(frozen=True)
class RunTarget:
    """Where one run's values go: its project, the data directory it was started in,
    its id, and the team server it logs to (None: the local project store)."""

    project: str
    directory: Path
    run_id: str
    server: str | None = None

    @property
    def key(self) -> tuple[Path, str]:
        """Which project store the run's values go to."""
        return self.directory, self.project


StoreKey = tuple[Path, str]
"""(data directory, project): which store a writer hands values to."""

LoggedRow = tuple[RunTarget, int, float, dict[str, Any]]
"""One `log()` call's values: (target, step, wall time, flat row). A plain tuple,
because building anything richer shows in the cost of `log()`; the queue's other
items are `RunOperation` and `SyncMarker` objects."""


@dataclass
class RunOperation:
    """A change to a run (`config`, `summary`, `metric_defs`, `finish`), applied after
    every value logged before it."""

    target: RunTarget
    name: str
    payload: Any


@dataclass
class SyncMarker:
    """Set once everything queued before it is written; failures are collected."""

    done: threading.Event = field(default_factory=threading.Event)
    errors: list[BaseException] = field(default_factory=list)


QueueItem = LoggedRow | RunOperation | SyncMarker


class WriteError(RuntimeError):
    """Raised by `Writer.sync` when queued values could not be written yet."""


class Writer:
    """One per process: drains queued entries into the project stores."""

    def __init__(self) -> None:
        self._queue: deque[QueueItem] = deque()
        self._wake = threading.Event()
        self._start_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stores: dict[StoreKey, ProjectStore] = {}
        self._open_runs: dict[StoreKey, set[str]] = {}
        self._reopened: set[StoreKey] = set()
        """Stores whose file may have been replaced while no run of theirs was open (a
        project deleted and started again): that is no news to warn about."""
        self._idle: StoreKey | None = None
        """The one store kept open after its last run finished, for the next run."""
        self._open_lock = threading.Lock()
        self._next_heartbeat = time.monotonic() + HEARTBEAT_SECONDS
        self._warned: set[str] = set()
        self._remote = RemoteLinks()

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

    def put(self, item: LoggedRow) -> None:
        """Queue logged values; wakes the thread when the queue grows and blocks while
        it is over its bound, so memory stays bounded."""
        queue = self._queue
        queue.append(item)
        if len(queue) >= WAKE_AT_ENTRIES:
            self._crowded()

    def _crowded(self) -> None:
        self._wake.set()
        if len(self._queue) > MAX_QUEUED_ENTRIES:
            self.ensure_started()
            while len(self._queue) > MAX_QUEUED_ENTRIES:
                self._wake.set()
                time.sleep(0.001)

    def track(self, target: RunTarget) -> None:
        """Count the run as open in this process: it gets heartbeats until it finishes."""
        if target.server is not None:
            self._remote.track(target)
            return
        with self._open_lock:
            open_runs = self._open_runs.setdefault(target.key, set())
            if not open_runs:
                self._reopened.add(target.key)
            open_runs.add(target.run_id)

    def submit(self, target: RunTarget, name: str, payload: Any) -> None:
        """Queue an operation, ordered after every value logged before it, and wake the thread."""
        self._queue.append(RunOperation(target, name, payload))
        self._wake.set()

    def sync(self, timeout: float | None = None) -> None:
        """Return once everything queued before the call is committed to disk.

        Raises `WriteError` if the writer could not write it (the values stay
        queued and are retried).
        """
        self.ensure_started()
        marker = SyncMarker()
        self._queue.append(marker)
        self._wake.set()
        if not marker.done.wait(timeout):
            raise WriteError(f"logged values were not written within {timeout} s")
        if marker.errors:
            raise WriteError(str(marker.errors[0])) from marker.errors[0]

    def _run_forever(self) -> None:
        while True:
            self._wake.wait(FLUSH_INTERVAL_SECONDS)
            self._wake.clear()
            try:
                failed = self._drain()
                if time.monotonic() >= self._next_heartbeat:
                    self._heartbeat()
            except Exception as error:  # noqa: BLE001 - the writer thread must not die
                self._warn_once(f"trackio writer error: {error!r}")
                failed = True
            if failed:
                time.sleep(_FAILURE_BACKOFF_SECONDS)

    def _drain(self) -> bool:
        queue = self._queue
        items = [queue.popleft() for _ in range(len(queue))]
        if not items:
            return False
        by_store: dict[StoreKey, list[LoggedRow | RunOperation]] = {}
        by_server: dict[tuple[str, str], list[LoggedRow | RunOperation]] = {}
        syncs: list[SyncMarker] = []
        for item in items:
            if isinstance(item, SyncMarker):
                syncs.append(item)
                continue
            target = item.target if isinstance(item, RunOperation) else item[0]
            if target.server is None:
                by_store.setdefault(target.key, []).append(item)
            else:
                by_server.setdefault((target.server, target.project), []).append(item)
        errors: list[BaseException] = []
        try:
            for (server, project), entries in by_server.items():
                self._spool_entries(server, project, entries, errors)
            self._write_stores(by_store, errors)
        finally:
            for marker in syncs:
                marker.errors.extend(errors)
                marker.done.set()
        return bool(errors)

    def _spool_entries(
        self,
        server: str,
        project: str,
        entries: list[LoggedRow | RunOperation],
        errors: list[BaseException],
    ) -> None:
        """Spool one project's entries for `server` in slices, so the server stores one
        while the next is encoded. A local disk problem puts them back on the queue; an
        entry that cannot be encoded at all is dropped alone, with a warning."""
        for start in range(0, len(entries), REMOTE_BATCH_ENTRIES):
            piece = entries[start : start + REMOTE_BATCH_ENTRIES]
            try:
                self._spool_piece(server, project, piece)
            except OSError as error:
                errors.append(error)
                self._queue.extendleft(reversed(entries[start:]))
                self._warn_once(f"trackio could not write to its local spool: {error}; will retry")
                return
            except Exception:  # noqa: BLE001 - sent one by one below, nothing lost silently
                for offset, entry in enumerate(piece):
                    try:
                        self._spool_piece(server, project, [entry])
                    except OSError as error:
                        errors.append(error)
                        self._queue.extendleft(reversed(entries[start + offset :]))
                        return
                    except Exception as error:  # noqa: BLE001 - this entry only
                        self._warn_once(
                            f"trackio dropped an entry it cannot send to {server}: {error!r}"
                        )

    def _spool_piece(
        self, server: str, project: str, entries: list[LoggedRow | RunOperation]
    ) -> None:
        batches, finished = _collect(entries)
        _prepare_media(batches.values())
        self._remote.spool_batch(server, project, list(batches.values()), finished)

    def _write_stores(
        self,
        by_store: dict[StoreKey, list[LoggedRow | RunOperation]],
        errors: list[BaseException],
    ) -> None:
        queue = self._queue
        for key, entries in by_store.items():
            try:
                self._write(key, entries)
            except (ProjectFileGoneError, ProjectNotFoundError):
                self._forget(key)
                self._project_gone(key)
            except StorageUnavailableError as error:
                self._forget(key)
                errors.append(error)
                queue.extendleft(reversed(entries))
                self._warn_once(
                    f"trackio could not write to project {key[1]!r}: {error}; will retry"
                )
            except Exception:  # noqa: BLE001 - written one by one below, nothing lost silently
                self._forget(key)
                errors.extend(self._write_one_by_one(key, entries))

    def _write_one_by_one(
        self, key: StoreKey, entries: list[LoggedRow | RunOperation]
    ) -> list[BaseException]:
        """Write entries singly after a batch failed for a reason retrying cannot cure,
        so one entry the store refuses costs only that entry."""
        for index, entry in enumerate(entries):
            try:
                self._write(key, [entry])
            except (ProjectFileGoneError, ProjectNotFoundError):
                self._forget(key)
                self._project_gone(key)
                return []
            except StorageUnavailableError as error:
                self._forget(key)
                self._queue.extendleft(reversed(entries[index:]))
                return [error]
            except Exception as error:  # noqa: BLE001 - reported, and the rest still written
                self._forget(key)
                self._warn_once(
                    f"trackio dropped an entry it cannot store in project {key[1]!r}: {error!r}"
                )
        return []

    def _store(self, key: StoreKey) -> ProjectStore:
        store = self._stores.get(key)
        if store is None:
            directory, project = key
            store = self._stores[key] = open_store(project, write=True, directory=directory)
        return store

    def _forget(self, key: StoreKey) -> None:
        store = self._stores.pop(key, None)
        if store is not None:
            store.close()

    def _project_gone(self, key: StoreKey) -> None:
        with self._open_lock:
            self._open_runs.pop(key, None)
        directory, project = key
        self._warn_once(
            f"trackio: the file of project {project!r} ({project_db_path(project, directory)}) was "
            "deleted or replaced while this process was logging to it; values logged to "
            "it since then are not stored"
        )

    def _write(self, key: StoreKey, entries: list[LoggedRow | RunOperation]) -> None:
        batches, finished = _collect(entries)
        _prepare_media(batches.values())
        self._report(key, self._store(key).append(list(batches.values())))
        if finished:
            self._checkpoint_if_done(key, finished)

    def _report(self, key: StoreKey, result: AppendResult) -> None:
        directory, project = key
        with self._open_lock:
            reopened = key in self._reopened
            self._reopened.discard(key)
        if result.file_replaced and not reopened:
            self._warn_once(
                f"trackio: the file of project {project!r} "
                f"({project_db_path(project, directory)}) was replaced while this process "
                "was logging to it; values logged from now on go to the new file"
            )
        if result.missing_runs:
            with self._open_lock:
                self._open_runs.get(key, set()).difference_update(result.missing_runs)
        for run_id in result.missing_runs:
            self._warn_once(
                f"trackio: run {run_id!r} no longer exists in project {project!r} (it was "
                "deleted, or the project file was replaced); values logged to it are not stored"
            )

    def _checkpoint_if_done(self, key: StoreKey, finished: list[str]) -> None:
        """Once no run of the store is open, make its file complete by itself. The store
        stays open for a next run (sweeps log run after run to one project) until
        another store goes idle, so a process holds no more files than it uses."""
        with self._open_lock:
            open_runs = self._open_runs.get(key, set())
            open_runs.difference_update(finished)
            if open_runs:
                return
            self._open_runs.pop(key, None)
            previous, self._idle = self._idle, key
        store = self._stores.get(key)
        if store is not None:
            store.checkpoint()
        if previous is not None and previous != key and previous not in self._open_runs:
            self._forget(previous)

    def link(self, address: ServerAddress) -> str:
        """Log to the server at `address` from now on; returns the URL runs name it by."""
        return self._remote.register(address)

    def said_unreachable(self, server: str) -> None:
        """The user was told `server` cannot be reached: the sender need not say it."""
        self._remote.said_unreachable(server)

    def refused(self, server: str, message: str) -> None:
        """The server refused this process's token (already said): spool, do not send."""
        self._remote.refuse(server, message)

    def announce(self, target: RunTarget, request: OpenRequest) -> None:
        """Open the run on its server with its first batch (it could not be asked)."""
        self._remote.announce(target, request)

    def close_remote(self) -> None:
        """At exit: stop sending, and remove this process's spool if it is empty (what
        is left in it is sent by the next process logging to its server)."""
        self._remote.close()

    def deliver(self, server: str, timeout: float) -> tuple[int, int, int]:
        """Wait up to `timeout` s for this process's batches to reach `server`; returns
        the (batches, values) still in the spool and the values the server refused."""
        return self._remote.wait_delivered(server, timeout)

    def _heartbeat(self) -> None:
        self._next_heartbeat = time.monotonic() + HEARTBEAT_SECONDS
        try:
            self._remote.heartbeat()
        except OSError as error:
            self._warn_once(f"trackio could not write to its local spool: {error}; will retry")
        with self._open_lock:
            open_runs = {key: sorted(ids) for key, ids in self._open_runs.items() if ids}
        for key, run_ids in open_runs.items():
            try:
                self._report(key, self._store(key).append([RunBatch(run_id) for run_id in run_ids]))
            except (ProjectFileGoneError, ProjectNotFoundError):
                self._forget(key)
                self._project_gone(key)
            except StorageUnavailableError:
                self._forget(key)

    def _warn_once(self, message: str) -> None:
        if message not in self._warned:
            self._warned.add(message)
            warnings.warn(message, RuntimeWarning, stacklevel=2)


class NullWriter(Writer):
    """The writer of a disabled run: it takes everything and stores nothing."""

    def ensure_started(self) -> None:
        """Nothing to start."""

    def put(self, item: LoggedRow) -> None:
        """Drop the values."""

    def track(self, target: RunTarget) -> None:
        """Nothing to track."""

    def submit(self, target: RunTarget, name: str, payload: Any) -> None:
        """Drop the operation."""

    def sync(self, timeout: float | None = None) -> None:
        """Nothing is ever pending."""


_NUMBERS = frozenset({float, int, bool})


def _collect(entries: list[LoggedRow | RunOperation]) -> tuple[dict[str, RunBatch], list[str]]:
    """The entries as one batch per run (points per metric, then operations), and the
    runs they finish.

    Consecutive rows of a run with the same keys (the usual training loop) are
    gathered as one segment: its steps and times once, a list of values per key."""
    batches: dict[str, RunBatch] = {}
    finished: list[str] = []
    segments: dict[str, list[tuple[tuple[str, ...], list[int], list[float], list[list[Any]]]]] = {}
    for entry in entries:
        if isinstance(entry, RunOperation):
            run_id = entry.target.run_id
            if run_id not in batches:
                batches[run_id] = RunBatch(run_id)
            batches[run_id].operations.append((entry.name, entry.payload))
            if entry.name == "finish":
                finished.append(run_id)
            continue
        target, step, stamp, row = entry
        run_id = target.run_id
        batch = batches.get(run_id)
        if batch is None:
            batch = batches[run_id] = RunBatch(run_id)
        batch.last_time = stamp
        runs_segments = segments.setdefault(run_id, [])
        keys = tuple(row)
        if runs_segments and runs_segments[-1][0] == keys:
            _, steps, times, columns = runs_segments[-1]
        else:
            steps, times = [], []
            columns = [[] for _ in keys]
            runs_segments.append((keys, steps, times, columns))
        steps.append(step)
        times.append(stamp)
        for column, value in zip(columns, row.values(), strict=True):
            column.append(value)
    for run_id, runs_segments in segments.items():
        series = batches[run_id].series
        private: set[str] = set()
        for keys, steps, times, columns in runs_segments:
            for name, values in zip(keys, columns, strict=True):
                points = series.get(name)
                if points is None:
                    # The series of one segment share its steps and times lists.
                    series[name] = (steps, values, times)
                    continue
                if name not in private:
                    points = series[name] = (list(points[0]), points[1], list(points[2]))
                    private.add(name)
                points[0].extend(steps)
                points[1].extend(values)
                points[2].extend(times)
    return batches, finished


def _prepare_media(batches: Any) -> None:
    """Encode the batch's media before the store takes the write lock, so a slow video
    encode does not keep other processes from writing to the project."""
    for batch in batches:
        for _, values, _ in batch.series.values():
            if _NUMBERS.issuperset(map(type, values)):
                continue
            for value in values:
                if is_media(value):
                    for item in value if isinstance(value, tuple) else (value,):
                        item.prepare()


_writer = Writer()


def get_writer() -> Writer:
    """The process's writer."""
    return _writer


def _after_fork_in_child() -> None:
    global _writer
    _writer = Writer()


os.register_at_fork(after_in_child=_after_fork_in_child)
