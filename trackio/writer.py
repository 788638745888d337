"""The background thread that moves logged values from memory into the project store.

`log()` puts one `LoggedRow` on the writer's queue and returns. The writer thread
wakes every `FLUSH_INTERVAL_SECONDS`, or sooner when the queue grows past
`WAKE_AT_ENTRIES`, takes everything queued, and hands it to each project's store
as one batch (one transaction). A batch that fails for a passing reason stays
queued and is retried, so a full disk or a long-held lock delays values but never
drops them. Every `HEARTBEAT_SECONDS` the open runs are marked alive, so a run
whose process died reads as `crashed`; when the last open run of a project
finishes, its store is checkpointed and closed, so the `.db` file alone is complete.
"""

from __future__ import annotations

import os
import threading
import time
import warnings
from collections import deque
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple

from trackio.media.base import is_media
from trackio.storage import ProjectStore, open_store
from trackio.storage.errors import (
    ProjectFileGoneError,
    ProjectNotFoundError,
    StorageUnavailableError,
)
from trackio.storage.paths import project_db_path
from trackio.storage.records import HEARTBEAT_SECONDS, RunBatch

FLUSH_INTERVAL_SECONDS = 0.5
WAKE_AT_ENTRIES = 2000
MAX_QUEUED_ENTRIES = 200_000
_FAILURE_BACKOFF_SECONDS = 1.0


@dataclass(frozen=True)
class RunTarget:
    """Where one run's values go: its project and its id there."""

    project: str
    run_id: str


class LoggedRow(NamedTuple):
    """One `log()` call's values, stamped with its step and wall time."""

    target: RunTarget
    step: int
    time: float
    row: dict[str, Any]


new_logged_row = partial(tuple.__new__, LoggedRow)
"""`LoggedRow` from a 4-tuple at C speed (`log()` is the hot path)."""


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
        self._stores: dict[str, ProjectStore] = {}
        self._open_runs: dict[str, set[str]] = {}
        self._open_lock = threading.Lock()
        self._next_heartbeat = time.monotonic() + HEARTBEAT_SECONDS
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
        with self._open_lock:
            self._open_runs.setdefault(target.project, set()).add(target.run_id)

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
        by_project: dict[str, list[LoggedRow | RunOperation]] = {}
        syncs: list[SyncMarker] = []
        for item in items:
            if isinstance(item, SyncMarker):
                syncs.append(item)
            else:
                by_project.setdefault(item.target.project, []).append(item)
        errors: list[BaseException] = []
        for project, entries in by_project.items():
            try:
                self._write(project, entries)
            except (ProjectFileGoneError, ProjectNotFoundError):
                self._forget(project)
                self._project_gone(project)
            except StorageUnavailableError as error:
                self._forget(project)
                errors.append(error)
                queue.extendleft(reversed(entries))
                self._warn_once(
                    f"trackio could not write to project {project!r}: {error}; will retry"
                )
            except Exception:  # noqa: BLE001 - written one by one below, nothing lost silently
                self._forget(project)
                errors.extend(self._write_one_by_one(project, entries))
        for marker in syncs:
            marker.errors.extend(errors)
            marker.done.set()
        return bool(errors)

    def _write_one_by_one(
        self, project: str, entries: list[LoggedRow | RunOperation]
    ) -> list[BaseException]:
        """Write entries singly after a batch failed for a reason retrying cannot cure,
        so one entry the store refuses costs only that entry."""
        for index, entry in enumerate(entries):
            try:
                self._write(project, [entry])
            except (ProjectFileGoneError, ProjectNotFoundError):
                self._forget(project)
                self._project_gone(project)
                return []
            except StorageUnavailableError as error:
                self._forget(project)
                self._queue.extendleft(reversed(entries[index:]))
                return [error]
            except Exception as error:  # noqa: BLE001 - reported, and the rest still written
                self._forget(project)
                self._warn_once(
                    f"trackio dropped an entry it cannot store in project {project!r}: {error!r}"
                )
        return []

    def _store(self, project: str) -> ProjectStore:
        store = self._stores.get(project)
        if store is None:
            store = self._stores[project] = open_store(project, write=True)
        return store

    def _forget(self, project: str) -> None:
        store = self._stores.pop(project, None)
        if store is not None:
            store.close()

    def _project_gone(self, project: str) -> None:
        with self._open_lock:
            self._open_runs.pop(project, None)
        self._warn_once(
            f"trackio: the file of project {project!r} ({project_db_path(project)}) was "
            "deleted or replaced while this process was logging to it; values logged to "
            "it since then are not stored"
        )

    def _write(self, project: str, entries: list[LoggedRow | RunOperation]) -> None:
        batches: dict[str, RunBatch] = {}
        finished: list[str] = []
        for entry in entries:
            run_id = entry.target.run_id
            batch = batches.get(run_id)
            if batch is None:
                batch = batches[run_id] = RunBatch(run_id)
            if isinstance(entry, RunOperation):
                batch.operations.append((entry.name, entry.payload))
                if entry.name == "finish":
                    finished.append(run_id)
                continue
            series = batch.series
            batch.last_time = entry.time
            for key, value in entry.row.items():
                points = series.get(key)
                if points is None:
                    points = series[key] = ([], [], [])
                points[0].append(entry.step)
                points[1].append(value)
                points[2].append(entry.time)
        _prepare_media(batches.values())
        store = self._store(project)
        for run_id in store.append(list(batches.values())):
            self._warn_once(
                f"trackio: run {run_id!r} no longer exists in project {project!r} (it was "
                "deleted, or the project file was replaced); values logged to it are not stored"
            )
        if finished:
            self._close_if_done(project, finished)

    def _close_if_done(self, project: str, finished: list[str]) -> None:
        with self._open_lock:
            open_runs = self._open_runs.get(project, set())
            open_runs.difference_update(finished)
            if open_runs:
                return
            self._open_runs.pop(project, None)
        store = self._stores.pop(project, None)
        if store is not None:
            store.close(checkpoint=True)

    def _heartbeat(self) -> None:
        self._next_heartbeat = time.monotonic() + HEARTBEAT_SECONDS
        with self._open_lock:
            open_runs = {project: sorted(ids) for project, ids in self._open_runs.items() if ids}
        for project, run_ids in open_runs.items():
            try:
                self._store(project).append([RunBatch(run_id) for run_id in run_ids])
            except (ProjectFileGoneError, ProjectNotFoundError):
                self._forget(project)
                self._project_gone(project)
            except StorageUnavailableError:
                self._forget(project)

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
