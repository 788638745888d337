"""Appending points to series inside a write transaction.

Series are written log-structured: each call adds a chunk per series, and once
a series' unsealed chunks hold `CHUNK_POINTS` points they are merged into one, so
slow logging neither rewrites big rows nor leaves many tiny ones behind. A call
bringing at least `DIRECT_POINTS` points of a series (fast logging) writes them as
finished chunks at once: merging those would only write every point twice. Numbers
go to `chunks`, media to files plus `media` records, anything else to `extras`.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from trackio.media.base import Media, MediaEncodingError, is_media
from trackio.storage import chunks
from trackio.storage.records import SeriesPoints
from trackio.storage.tables import chunks_table, extras_table, media_table
from trackio.storage.tables.metric_keys import metric_id
from trackio.storage.tables.sql import Connection

CHUNK_POINTS = 4096
DIRECT_POINTS = CHUNK_POINTS // 4


@dataclass
class _SeriesState:
    run_pk: int
    metric: int
    kind: int | None = None
    ids: list[int] = field(default_factory=list)
    count: int = 0


class SeriesWriter:
    """Writes points of any number of series of one project database.

    It remembers which recent chunks of each series are still unsealed, so it
    must only be used with the connection it was created for, and forgotten
    (replaced) when a transaction it took part in is rolled back.
    """

    def __init__(
        self,
        conn: Connection,
        media_dir: Path,
        media_written: Callable[[Path, list[str]], None] | None = None,
    ) -> None:
        self.conn = conn
        self.media_dir = media_dir
        self._media_written = media_written
        """Called with (folder, file names) once a media item's files are written,
        before its record is: uploads them where media are kept beyond this machine."""
        self._metric_ids: dict[str, int] = {}
        self._series: dict[tuple[str, int], _SeriesState] = {}
        """Unsealed chunks per (run id, metric): keyed by run id, which is never reused,
        unlike row ids once a run is deleted."""
        self._pending: list[tuple[int, int, tuple[Any, ...], _SeriesState | None]] = []
        """Chunks (run, metric, columns, the series' state if unsealed) not inserted
        yet: each `write` inserts them, in order and in one go, before it returns, and
        before merging a series that has some, so a series' chunk ids keep its logging
        order (a merged chunk keeps the id of its first)."""

    def write(
        self,
        run_pk: int,
        run_id: str,
        name: str,
        steps: Sequence[int],
        values: Sequence[Any],
        times: Sequence[float],
    ) -> None:
        """Append points to series `name` of run `run_pk` (whose id is `run_id`)."""
        self._write(run_pk, run_id, name, steps, values, times)
        self._flush()

    def write_all(
        self,
        run_pk: int,
        run_id: str,
        series: Mapping[str, SeriesPoints],
    ) -> None:
        """Append points to each series of run `run_pk`, by name: (steps, values,
        times); the finished chunks of all of them go in one multi-row insert."""
        for name, (steps, values, times) in series.items():
            self._write(run_pk, run_id, name, steps, values, times)
        self._flush()

    def _write(
        self,
        run_pk: int,
        run_id: str,
        name: str,
        steps: Sequence[int],
        values: Sequence[Any],
        times: Sequence[float],
    ) -> None:
        mid = metric_id(self.conn, name, self._metric_ids)
        total = len(values)
        uniform = _uniform_kind(values)
        start = 0
        while start < total:
            if uniform is None:
                kind = chunks.kind_of(values[start])
                end = start + 1
                while end < total and chunks.kind_of(values[end]) == kind:
                    end += 1
            else:
                kind, end = uniform, total
            if kind is None:
                self._write_others(
                    run_pk, run_id, mid, steps[start:end], values[start:end], times[start:end]
                )
            else:
                self._append(
                    run_pk, run_id, mid, kind, steps[start:end], values[start:end], times[start:end]
                )
            start = end

    def seal_run(self, run_id: str) -> None:
        """Merge every unsealed chunk of run `run_id` (call when the run finishes)."""
        for key in [key for key in self._series if key[0] == run_id]:
            self._seal(self._series.pop(key))

    def forget_run(self, run_id: str) -> None:
        """Drop what is known of run `run_id`'s unsealed chunks (the run was deleted)."""
        for key in [key for key in self._series if key[0] == run_id]:
            del self._series[key]

    def seal_all(self) -> None:
        """Merge every unsealed chunk this writer knows of."""
        for state in self._series.values():
            self._seal(state)
        self._series.clear()

    def _append(
        self,
        run_pk: int,
        run_id: str,
        mid: int,
        kind: int,
        steps: Sequence[int],
        values: Sequence[Any],
        times: Sequence[float],
    ) -> None:
        key = (run_id, mid)
        state = self._series.get(key)
        if state is None or state.run_pk != run_pk:
            state = self._series[key] = _SeriesState(run_pk, mid)
        if state.kind != kind:
            self._seal(state)
            state.kind = kind
        start, end = 0, len(values)
        if end >= DIRECT_POINTS:
            self._seal(state)
            state.kind = kind
            pieces = -(-end // CHUNK_POINTS)
            for index in range(pieces):
                low, high = end * index // pieces, end * (index + 1) // pieces
                encoded = chunks.encode(kind, steps[low:high], values[low:high], times[low:high])
                self._pending.append((run_pk, mid, encoded, None))
            return
        while start < end:
            stop = min(end, start + CHUNK_POINTS - state.count)
            encoded = chunks.encode(kind, steps[start:stop], values[start:stop], times[start:stop])
            self._pending.append((run_pk, mid, encoded, state))
            state.count += stop - start
            if state.count >= CHUNK_POINTS:
                self._seal(state)
                state.kind = kind
            start = stop

    def _write_others(
        self,
        run_pk: int,
        run_id: str,
        mid: int,
        steps: Sequence[int],
        values: Sequence[Any],
        times: Sequence[float],
    ) -> None:
        rows = []
        for step, value, stamp in zip(steps, values, times, strict=True):
            if is_media(value):
                self._write_media(run_pk, run_id, mid, step, stamp, value)
            else:
                rows.append((run_pk, mid, step, stamp, value))
        extras_table.insert(self.conn, rows)

    def _write_media(
        self,
        run_pk: int,
        run_id: str,
        mid: int,
        step: int,
        stamp: float,
        value: Media | tuple[Media, ...],
    ) -> None:
        """Write the media file(s) first, then the record(s): a record never points at
        a missing or half-written file. File names are made here, never from user text.

        An object that cannot be encoded is skipped with a warning; failing to write
        the file (disk full) raises `OSError`, so the batch is retried."""
        items = value if isinstance(value, tuple) else (value,)
        digest = hashlib.sha1(f"{run_pk}:{mid}:{step}:{stamp!r}".encode()).hexdigest()[:12]
        for index, item in enumerate(items):
            stem = f"m{mid}-s{step}-{digest}-{index}"
            try:
                name, meta = item.write(self.media_dir / run_id, stem)
                if self._media_written is not None:
                    folder = self.media_dir / run_id
                    self._media_written(folder, item.files_written(folder, stem, name))
            except MediaEncodingError as error:
                warnings.warn(
                    f"trackio skipped the {item.kind} logged at step {step}: {error}",
                    RuntimeWarning,
                    stacklevel=2,
                )
                continue
            if isinstance(value, tuple):
                meta = {**meta, "index": index}
            path = None if name is None else f"{run_id}/{name}"
            media_table.insert(
                self.conn, run_pk, mid, step, stamp, item.kind, path, item.caption, meta
            )

    def _flush(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, []
            ids = chunks_table.insert_each(self.conn, [row[:3] for row in pending])
            for (_, _, _, state), chunk_id in zip(pending, ids, strict=True):
                if state is not None:
                    state.ids.append(chunk_id)

    def _seal(self, state: _SeriesState) -> None:
        if state.count and self._pending:
            self._flush()
        rows = chunks_table.take(self.conn, state.ids, state.run_pk, state.metric)
        if rows:
            all_steps: list[int] = []
            all_values: list[Any] = []
            all_times: list[float] = []
            for kind, count, first, steps, vals, times, _ in rows:
                step_seq, values, time_seq = chunks.decode(kind, count, first, steps, vals, times)
                all_steps.extend(step_seq)
                all_values.extend(values)
                all_times.extend(time_seq)
            # The merged chunk keeps the first id so chunks still sort in logging order.
            merged = chunks.encode(rows[0][0], all_steps, all_values, all_times)
            chunks_table.insert_with_id(self.conn, rows[0][6], state.run_pk, state.metric, merged)
        state.ids.clear()
        state.count = 0
        state.kind = None


def _uniform_kind(values: Sequence[Any]) -> int | None:
    types = set(map(type, values))
    if len(types) != 1:
        return None
    only = types.pop()
    if only is float:
        return chunks.FLOAT
    if only is bool:
        return chunks.BOOL
    if only is int and min(values) >= chunks.INT64_MIN and max(values) <= chunks.INT64_MAX:
        return chunks.INT
    return None
