"""`TableProjectStore`: the project store's logic on the shared tables, whatever
database holds them.

Every method reads through `_read` (one consistent snapshot) or writes in one of
the backend's transactions; the SQL lives in the table modules. A backend
(`trackio.storage.sqlite.store`, `trackio.storage.postgres.store`) supplies
connections, transactions, the schema and what a project is on it.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from trackio.names import generate_run_name, new_run_id
from trackio.storage import chunks
from trackio.storage.errors import MetricNotFoundError, RunNotFoundError, StoreError
from trackio.storage.extents import run_extent
from trackio.storage.history import media_points, rows_by_step
from trackio.storage.lookup import resolve_run
from trackio.storage.paths import (
    data_dir,
    media_dir_for,
    project_db_path,
    saved_files_dir,
    validate_project_name,
)
from trackio.storage.records import (
    AlertRecord,
    AppendResult,
    ImportedRun,
    MediaRecord,
    OpenedRun,
    RunBatch,
    RunChanges,
    RunRecord,
    RunRequest,
    Series,
    SeriesVersion,
    this_host,
)
from trackio.storage.summary import build_summary
from trackio.storage.tables import (
    alerts_table,
    chunks_table,
    extras_table,
    ingested_table,
    media_table,
    metric_keys,
    runs_table,
)
from trackio.storage.tables.metric_keys import MetricSet
from trackio.storage.tables.series_writer import CHUNK_POINTS, SeriesWriter
from trackio.storage.tables.sql import Connection
from trackio.storage.winner import latest_per_step, strictly_increasing

if TYPE_CHECKING:
    from trackio.storage import ProjectStore
    from trackio.storage.media_mirror import MediaMirror
    from trackio.storage.numeric import NumericSeries, SeriesBlocks

T = TypeVar("T")
S = TypeVar("S", bound="TableProjectStore")
_LOW, _HIGH = chunks.INT64_MIN, chunks.INT64_MAX
_POINTS_PER_BUCKET_FOR_BLOCKS = 4 * chunks.BLOCK_POINTS
"""Downsample from stored block summaries once a bucket spans at least four blocks."""
_SCAN_WINDOW_STEPS = 2 * CHUNK_POINTS


def _step_bounds(step_min: int | None, step_max: int | None) -> tuple[int, int]:
    """The inclusive step range asked for, an open end taken as the int64 limit."""
    return (_LOW if step_min is None else step_min, _HIGH if step_max is None else step_max)


def _by_run(rows: list[tuple[Any, ...]]) -> defaultdict[int, list[tuple[Any, ...]]]:
    """Rows whose first column is a run, grouped by it (the rest of each row kept)."""
    grouped: defaultdict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for row in rows:
        grouped[row[0]].append(row[1:])
    return grouped


def _version(rows: list[tuple[int, int, int, int, float]]) -> SeriesVersion:
    """The version of a series from its chunks' (n, min_step, max_step, id, last_time)."""
    return SeriesVersion(
        tuple((row[3], row[0], row[4]) for row in rows),
        sum(row[0] for row in rows),
        all(rows[i][1] > rows[i - 1][2] for i in range(1, len(rows))),
    )


class TableProjectStore:
    """The `ProjectStore` methods, on connections a backend subclass provides."""

    project: str
    media_dir: Path
    writable: bool
    _empty: bool = False
    """A project file that exists but was never written (SQLite only): reads find nothing."""
    mirror: MediaMirror | None = None
    """Where media files are kept beyond this machine (`use_media_url`), if anywhere."""
    _has_alerts: bool = True
    """False for a project of schema 5 read as it is: it has no alerts table."""

    def __init__(self, project: str, *, write: bool, directory: Path | None) -> None:
        """What every backend's store holds: the project's name (checked), whether it
        may write, the folder of its files or media (default `TRACKIO_DIR`) and its
        media folder there."""
        validate_project_name(project)
        self.project = project
        self.writable = write
        self.directory = directory or data_dir()
        self.media_dir = media_dir_for(project_db_path(project, self.directory))
        self.created = False
        """Whether opening this store created the project."""
        self._migrated = False
        self._metric_ids: dict[str, int] = {}

    def __enter__(self: S) -> S:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- media files -----------------------------------------------------------------

    def _media_key(self, relative: str) -> str:
        return f"{self.media_dir.name}/{relative}"

    def local_media(self, relative: str, *, with_parts: bool = False) -> Path:
        """The local copy of the media file at `relative` (inside the media folder),
        fetched from the media URL when this machine lacks it; with `with_parts`, the
        files written with it too (a table's cells)."""
        path = self.media_dir / relative
        if self.mirror is not None:
            if not path.exists():
                self.mirror.fetch(self._media_key(relative), path)
            if with_parts and "." in path.name:
                stem = relative.rsplit(".", 1)[0]
                for key in self.mirror.keys_under(self._media_key(stem)):
                    part = self.media_dir / key.split("/", 1)[1]
                    if not part.exists():
                        self.mirror.fetch(key, part)
        return path

    def _localize(self) -> Callable[[str], object] | None:
        return None if self.mirror is None else self.local_media

    def _media_written(self) -> Callable[[Path, list[str]], None] | None:
        """What the series writer calls once a media item's files are in `folder`:
        uploads them to the media URL, if there is one."""
        mirror = self.mirror
        if mirror is None:
            return None

        def upload(folder: Path, names: list[str]) -> None:
            for name in names:
                mirror.upload(folder / name, self._media_key(f"{folder.name}/{name}"))

        return upload

    def _forget_media(self, run_id: str | None = None) -> None:
        """Delete a run's media files (None: the whole project's) at the media URL."""
        if self.mirror is not None:
            folder = self.media_dir.name if run_id is None else self._media_key(run_id)
            self.mirror.remove(folder)

    # --- what a backend provides ---------------------------------------------------

    def close(self, *, checkpoint: bool = False) -> None:
        """Release connections."""
        raise NotImplementedError

    def _read(self, query: Callable[[Connection], T], *, statements: int = 2) -> T:
        """`query`'s result, its statements all reading one snapshot (a writer committing
        in between cannot make them disagree); `statements=1` may skip the snapshot."""
        raise NotImplementedError

    def _writing(self) -> AbstractContextManager[Connection]:
        """A write transaction: committed when the body ends, rolled back if it raises."""
        raise NotImplementedError

    def _appending(self) -> AbstractContextManager[tuple[Connection, SeriesWriter, bool]]:
        """`append`'s write transaction, durable on commit: its connection, the calling
        thread's series writer bound to it, and whether the stored data was replaced
        since the last append. The writer is dropped when the body raises."""
        raise NotImplementedError

    def _importing(self) -> AbstractContextManager[Connection]:
        """`import_runs`' write transaction, durable on commit."""
        return self._writing()

    def _open_sibling(self, project: str) -> ProjectStore:
        """A writable store of another project on the same backend, created if missing."""
        raise NotImplementedError

    def _discard_if_created_empty(self) -> None:
        """Remove the project again if this store created it and it holds no run."""

    def _require_writable(self) -> None:
        if not self.writable:
            raise StoreError(f"the store of project {self.project!r} was opened read-only")

    def _metric_id(self, conn: Connection, name: str) -> int | None:
        known = self._metric_ids.get(name)
        if known is None:
            known = metric_keys.find_id(conn, name)
            if known is not None:
                self._metric_ids[name] = known
        return known

    # --- runs ----------------------------------------------------------------------

    def list_runs(self) -> list[RunRecord]:
        """Every run of the project, oldest first."""
        return self._read(
            lambda conn: [] if self._empty else runs_table.list_runs(conn), statements=1
        )

    def change_mark(self) -> tuple[Any, ...]:
        """A mark that changes whenever a run is written, added or deleted (one row)."""
        if self._empty:
            return ()
        return self._read(runs_table.change_mark, statements=2)

    def marked_runs(self) -> tuple[tuple[Any, ...], list[RunRecord]]:
        """`change_mark()` and `list_runs()`, read in one snapshot."""
        if self._empty:
            return (), []
        return self._read(
            lambda conn: (runs_table.change_mark(conn), runs_table.list_runs(conn)), statements=3
        )

    def run_changes(self, after: int | None = None) -> RunChanges:
        """The runs written after change number `after` (every run if None), the runs
        stored as running, and the number to ask with next time, from one snapshot."""
        if self._empty:
            return RunChanges(cursor=0, changed=[], running=[], run_ids=None)
        return self._read(lambda conn: runs_table.changes(conn, after), statements=3)

    def get_run(self, run_id: str) -> RunRecord:
        """The run with id `run_id`; raises `RunNotFoundError`."""
        record = self._read(
            lambda conn: None if self._empty else runs_table.find_run(conn, run_id=run_id),
            statements=1,
        )
        if record is None:
            raise RunNotFoundError(f"project {self.project!r} has no run with id {run_id!r}")
        return record

    def resolve_run(self, key: str) -> RunRecord:
        """The run whose id is `key`, else the one run named `key`."""
        return resolve_run(self.list_runs(), self.project, key)

    def open_run(self, request: RunRequest) -> OpenedRun:
        """Create the run `init()` asks for, or reopen the one it resumes."""
        self._require_writable()
        config_json = json.dumps(request.config)
        with self._writing() as conn:
            existing = None
            if request.resume == "must" and request.name is None and request.run_id is None:
                raise ValueError("resume='must' needs a run name or id to resume")
            if request.resume != "never":
                existing = runs_table.find_run(conn, name=request.name, run_id=request.run_id)
                if existing is None and request.resume == "must":
                    what = (
                        f"id {request.run_id!r}"
                        if request.run_id is not None
                        else f"name {request.name!r}"
                    )
                    raise ValueError(
                        f"resume='must' but project {self.project!r} has no run with {what}"
                    )
            elif request.run_id is not None and runs_table.pk_of(conn, request.run_id):
                raise ValueError(
                    f"project {self.project!r} already has a run with id {request.run_id!r}; "
                    "pass resume='allow' to continue it"
                )
            if existing is not None:
                merged = json.dumps({**existing.config, **request.config})
                runs_table.reopen_run(
                    conn,
                    existing.pk,
                    merged,
                    request.pid or os.getpid(),
                    request.host or this_host(),
                )
                highest = self._last_step(conn, existing.pk)
                record = runs_table.get_run(conn, existing.pk)
                start_step = 0 if highest is None else highest + 1
            else:
                name = request.name
                if name is None:
                    taken = runs_table.names(conn)
                    name = generate_run_name(len(taken) + 1, taken)
                now = time.time()
                pk = runs_table.insert_run(
                    conn,
                    run_id=request.run_id or new_run_id(),
                    name=name,
                    group=request.group,
                    job_type=request.job_type,
                    notes=request.notes,
                    tags=request.tags,
                    status="running",
                    config_json=config_json,
                    created_at=now,
                    updated_at=now,
                    pid=request.pid or os.getpid(),
                    host=request.host or this_host(),
                )
                record = runs_table.get_run(conn, pk)
                start_step = 0
        assert record is not None
        return OpenedRun(record, start_step, existing)

    def rename_run(self, run_id: str, new_name: str) -> RunRecord:
        """Give the run a new name; another run already named so is an error."""
        self._require_writable()
        with self._writing() as conn:
            pk = self._pk(conn, run_id)
            runs_table.rename_run(conn, pk, new_name)
            record = runs_table.get_run(conn, pk)
        assert record is not None
        return record

    def delete_run(self, run_id: str) -> None:
        """Delete the run, every value it logged and its media files.

        The files go first, so a failure leaves records without files rather than
        files nothing points at.
        """
        self._require_writable()
        with self._writing() as conn:
            pk = self._pk(conn, run_id)
            shutil.rmtree(self.media_dir / run_id, ignore_errors=True)
            self._forget_media(run_id)
            chunks_table.delete_run(conn, pk)
            extras_table.delete_run(conn, pk)
            media_table.delete_run(conn, pk)
            alerts_table.delete_run(conn, pk)
            runs_table.delete_run(conn, pk)

    def export_run(self, run_id: str) -> ImportedRun:
        """The whole run as `import_runs` takes it: every stored point (repeated steps
        included, in writing order), its metadata, and its media as files to copy."""
        from trackio.media.stored import StoredMedia

        def query(conn: Connection) -> ImportedRun:
            record = runs_table.find_run(conn, run_id=run_id)
            if record is None:
                raise RunNotFoundError(f"project {self.project!r} has no run with id {run_id!r}")
            run = ImportedRun(
                record.name,
                config=record.config,
                group=record.group,
                job_type=record.job_type,
                notes=record.notes,
                tags=record.tags,
                status=record.status,
                exit_code=record.exit_code,
                created_at=record.created_at,
                finished_at=record.finished_at,
                run_id=record.run_id,
                summary_overrides=record.summary_overrides,
                metric_defs=record.metric_defs,
            )
            names = metric_keys.names_by_id(conn)
            pk = record.pk
            for mid in self._logged_metrics(conn, pk):
                name = names[mid]
                for row in chunks_table.encoded_points(conn, pk, mid):
                    for step, value, stamp in zip(*chunks.decode(*row), strict=True):
                        run.add(name, step, value, stamp)
                for step, stamp, value in extras_table.points(conn, pk, mid, _LOW, _HIGH):
                    run.add(name, step, value, stamp)
                listed: dict[tuple[int, float], list[StoredMedia]] = {}
                for step, stamp, kind, path, caption, details in media_table.records(
                    conn, pk, mid, _LOW, _HIGH
                ):
                    source = None if path is None else self.local_media(path, with_parts=True)
                    own = {key: value for key, value in details.items() if key != "index"}
                    item = StoredMedia(kind, source, caption, own)
                    if "index" in details:
                        listed.setdefault((step, stamp), []).append(item)
                    else:
                        run.add(name, step, item, stamp)
                for (step, stamp), items in listed.items():
                    run.add(name, step, tuple(items), stamp)
            return run

        return self._read(query)

    def move_run(self, run_id: str, project: str) -> RunRecord:
        """Move a finished (or crashed) run with its values and media to `project`
        (created if needed); it keeps its id and name, which must be free there."""
        self._require_writable()
        if project == self.project:
            raise ValueError(f"run {run_id!r} is already in project {project!r}")
        run = self.export_run(run_id)
        if run.status == "running":
            raise ValueError(f"run {run.name!r} ({run_id}) is still running; finish it first")
        with self._open_sibling(project) as destination:
            if any(other.name == run.name for other in destination.list_runs()):
                raise ValueError(
                    f"project {project!r} already has a run named {run.name!r}; rename one of "
                    "them first (trackio rename)"
                )
            destination.import_runs([run])
            moved = destination.get_run(run_id)
            saved = saved_files_dir(self.media_dir, run_id)
            if saved.is_dir():
                shutil.copytree(
                    saved, saved_files_dir(destination.media_dir, run_id), dirs_exist_ok=True
                )
        self.delete_run(run_id)
        return moved

    def _pk(self, conn: Connection, run_id: str) -> int:
        pk = runs_table.pk_of(conn, run_id)
        if pk is None:
            raise RunNotFoundError(f"project {self.project!r} has no run with id {run_id!r}")
        return pk

    # --- reading values ------------------------------------------------------------

    def metric_names(self, run: RunRecord | None = None, *, system: bool = False) -> list[str]:
        """Names of every training metric with values (of `run`, or of any run), first-logged
        first; with `system`, of every system metric instead (stored names)."""

        def query(conn: Connection) -> list[str]:
            if self._empty:
                return []
            names = metric_keys.names_by_id(conn)
            pk = None if run is None else run.pk
            metrics = metric_keys.stream(conn, system=system)
            return [names[i] for i in self._logged_metrics(conn, pk, metrics)]

        return self._read(query)

    def has_metric(self, name: str) -> bool:
        """Whether anything was ever logged under metric `name` in the project."""
        return self._read(
            lambda conn: not self._empty and self._metric_id(conn, name) is not None,
            statements=1,
        )

    def numeric_metric_names(self, *, system: bool = False) -> list[str]:
        """Names of the training metrics with numeric values (chartable), first-logged
        first; with `system`, of the system metrics instead (stored names)."""

        def query(conn: Connection) -> list[str]:
            if self._empty:
                return []
            names = metric_keys.names_by_id(conn)
            metrics = metric_keys.stream(conn, system=system)
            return [names[i] for i in sorted(chunks_table.metric_ids(conn, None, metrics))]

        return self._read(query)

    def read_series(
        self, run: RunRecord, name: str, step_min: int | None = None, step_max: int | None = None
    ) -> Series:
        """Every value of metric `name` of `run` within the steps, one per step (the
        winner by `winner.latest_per_step`), sorted by step."""
        low, high = _step_bounds(step_min, step_max)
        return self._read(lambda conn: self._series(conn, run.pk, name, low, high))

    def _series(self, conn: Connection, pk: int, name: str, low: int, high: int) -> Series:
        mid = self._metric_id(conn, name)
        if mid is None:
            return Series([], [], [])
        steps: list[int] = []
        values: list[Any] = []
        times: list[float] = []
        ordered = True
        for row in chunks_table.encoded_points(conn, pk, mid, low, high):
            step_seq, value_list, time_seq = chunks.decode(*row)
            if ordered and (
                not strictly_increasing(step_seq) or (steps and step_seq[0] <= steps[-1])
            ):
                ordered = False
            steps.extend(step_seq)
            values.extend(value_list)
            times.extend(time_seq)
        others = extras_table.points(conn, pk, mid, low, high)
        others += media_points(
            self.media_dir, media_table.records(conn, pk, mid, low, high), self._localize()
        )
        if others:
            ordered = False
            for step, stamp, value in others:
                steps.append(step)
                times.append(stamp)
                values.append(value)
        if not ordered:
            keep = latest_per_step(steps, times).tolist()
            steps = [steps[i] for i in keep]
            values = [values[i] for i in keep]
            times = [times[i] for i in keep]
        if low != _LOW or high != _HIGH:
            inside = [i for i, step in enumerate(steps) if low <= step <= high]
            if len(inside) != len(steps):
                steps = [steps[i] for i in inside]
                values = [values[i] for i in inside]
                times = [times[i] for i in inside]
        return Series(steps, values, times)

    def history(
        self,
        run: RunRecord,
        keys: list[str] | None = None,
        step_min: int | None = None,
        step_max: int | None = None,
        *,
        system: bool = False,
    ) -> list[dict[str, Any]]:
        """One dict per step with `step`, `timestamp` and the training metrics logged
        there (with `system`, the system metrics, whose steps are wall-time ms).

        With `keys`, only those metrics, and only the steps where all of them have a
        value. A metric named `step` or `timestamp` is left out of the rows.
        """
        names = list(keys) if keys is not None else self.metric_names(run, system=system)
        low, high = _step_bounds(step_min, step_max)
        return self._rows(run, names, low, high, keys is not None)

    def history_pages(
        self,
        run: RunRecord,
        keys: list[str] | None = None,
        page_size: int = 1000,
        *,
        system: bool = False,
    ) -> Iterator[list[dict[str, Any]]]:
        """`history` in pages of at most `page_size` rows, read a window of steps at a
        time (at least a chunk's worth, so no chunk is decoded once per page)."""
        if page_size < 1:
            raise ValueError(f"page_size must be positive, got {page_size}")
        names = list(keys) if keys is not None else self.metric_names(run, system=system)
        # System steps are milliseconds, seconds apart: a window of steps would hold one
        # sample, and a run's samples are few enough to read at once.
        window = _HIGH - _LOW if system else max(page_size, _SCAN_WINDOW_STEPS)
        first_from = partial(self._first_step_from, pk=run.pk, system=system)
        low = self._read(partial(first_from, low=_LOW))
        while low is not None:
            high = min(low + window - 1, _HIGH)
            rows = self._rows(run, names, low, high, keys is not None)
            for start in range(0, len(rows), page_size):
                yield rows[start : start + page_size]
            del rows
            if high == _HIGH:
                return
            low = self._read(partial(first_from, low=high + 1))

    def _rows(
        self, run: RunRecord, names: list[str], low: int, high: int, require_all: bool
    ) -> list[dict[str, Any]]:
        return self._read(
            lambda conn: rows_by_step(
                names, lambda name: self._series(conn, run.pk, name, low, high), require_all
            )
        )

    def _logged_metrics(
        self, conn: Connection, pk: int | None, metrics: MetricSet | None = None
    ) -> list[int]:
        """Ids of the metrics (of `metrics`) with values of run `pk` (None: of any run),
        first-logged first. System metrics are numbers: only chunks hold them."""
        found = chunks_table.metric_ids(conn, pk, metrics)
        if metrics is None or not metrics.inside:
            found |= extras_table.metric_ids(conn, pk) | media_table.metric_ids(conn, pk)
        return sorted(found)

    def _first_step_from(
        self, conn: Connection, *, pk: int, low: int, system: bool = False
    ) -> int | None:
        metrics = metric_keys.stream(conn, system=system)
        found = [chunks_table.first_step_from(conn, pk, low, metrics)]
        if not system:
            found += [
                extras_table.first_step_from(conn, pk, low),
                media_table.first_step_from(conn, pk, low),
            ]
        steps = [step for step in found if step is not None]
        return min(steps) if steps else None

    def _last_step(self, conn: Connection, pk: int) -> int | None:
        found = [
            step
            for step in (
                chunks_table.max_step(conn, pk, metric_keys.stream(conn, system=False)),
                extras_table.max_step(conn, pk),
                media_table.max_step(conn, pk),
            )
            if step is not None
        ]
        return max(found) if found else None

    def last_values(self, runs: list[RunRecord]) -> dict[str, dict[str, Any]]:
        """Per run id, each training metric's most recently logged value, first-logged
        metric first.

        Reads one small row per (run, metric): no series is decoded.
        """
        if not runs:
            return {}

        def query(conn: Connection) -> dict[str, dict[str, Any]]:
            pks = [run.pk for run in runs]
            newest: dict[tuple[int, int], tuple[float, Any]] = {}
            training = metric_keys.stream(conn, system=False)
            for pk, metric, stamp, value in chunks_table.newest(conn, pks, training):
                newest[(pk, metric)] = (stamp, value)
            for pk, metric, stamp, value in extras_table.newest(conn, pks):
                known = newest.get((pk, metric))
                if known is None or stamp >= known[0]:
                    newest[(pk, metric)] = (stamp, value)
            for key, records in media_table.newest(conn, pks).items():
                _, stamp, value = max(
                    media_points(self.media_dir, records, self._localize()),
                    key=lambda point: point[1],
                )
                known = newest.get(key)
                if known is None or stamp >= known[0]:
                    newest[key] = (stamp, value)
            names = metric_keys.names_by_id(conn)
            ids = {run.pk: run.run_id for run in runs}
            result: dict[str, dict[str, Any]] = {run.run_id: {} for run in runs}
            for (pk, metric), (_, value) in sorted(newest.items(), key=lambda item: item[0][1]):
                result[ids[pk]][names[metric]] = value
            return result

        return self._read(query)

    def summary(self, run: RunRecord, last: dict[str, Any] | None = None) -> dict[str, Any]:
        """The run's summary: per metric the value its `define_metric` mode asks for (the
        last logged value by default), the user's overrides on top. `last` may hold the
        run's entry of `last_values()` when it was read in bulk."""
        if last is None:
            last = self.last_values([run]).get(run.run_id, {})

        def in_log_order(name: str) -> list[Any]:
            series = self.read_series(run, name)
            order = sorted(range(len(series.times)), key=series.times.__getitem__)
            return [series.values[i] for i in order]

        return build_summary(last, run.metric_defs, run.summary_overrides, in_log_order)

    def run_extents(self, runs: list[RunRecord]) -> dict[str, tuple[int, int]]:
        """Per run id: (last step, number of distinct steps any training metric was
        logged at).

        Chunks whose steps count up by one are intervals known from their columns
        alone; only the step arrays of the others, and extras' steps, are read.
        """
        if not runs:
            return {}

        def query(conn: Connection) -> dict[str, tuple[int, int]]:
            pks = [run.pk for run in runs]
            intervals: dict[int, list[tuple[int, int]]] = {pk: [] for pk in pks}
            loose: dict[int, set[int]] = {pk: set() for pk in pks}
            training = metric_keys.stream(conn, system=False)
            for pk, first, count, packed in chunks_table.step_layout(conn, pks, training):
                if packed is None:
                    intervals[pk].append((first, first + count - 1))
                else:
                    loose[pk].update(chunks.decode_steps(packed))
            for pk, step in extras_table.steps(conn, pks) + media_table.steps(conn, pks):
                loose[pk].add(step)
            found = {}
            for run in runs:
                extent = run_extent(intervals[run.pk], loose[run.pk])
                if extent is not None:
                    found[run.run_id] = extent
            return found

        return self._read(query)

    def numeric_series(
        self,
        run: RunRecord,
        metric: str,
        *,
        step_min: int | None = None,
        step_max: int | None = None,
        with_times: bool = True,
    ) -> NumericSeries:
        """The numeric points of one series within the steps, as numpy arrays; with
        `with_times=False` wall times are not read and come back as NaN."""
        # Every array of the result comes from one statement (the second read, when
        # repeated steps need times, replaces the first whole), so no snapshot is needed.
        return self._read(
            lambda conn: self._numeric(conn, run, metric, step_min, step_max, with_times),
            statements=1,
        )

    def _numeric(
        self,
        conn: Connection,
        run: RunRecord,
        metric: str,
        step_min: int | None,
        step_max: int | None,
        with_times: bool,
    ) -> NumericSeries:
        mid = self._known_metric(conn, metric)
        low, high = _step_bounds(step_min, step_max)
        rows = chunks_table.encoded_points(conn, run.pk, mid, low, high, with_times)
        return self._numeric_rows(conn, run.pk, mid, rows, step_min, step_max, with_times)

    def _numeric_rows(
        self,
        conn: Connection,
        pk: int,
        mid: int,
        rows: list[tuple[Any, ...]],
        step_min: int | None,
        step_max: int | None,
        with_times: bool,
    ) -> NumericSeries:
        """The series from its chunks' `encoded_points` rows; read again with times
        when repeated steps need them to decide which value wins."""
        from trackio.storage import numeric

        if not rows:
            return numeric.empty_series()
        steps = numeric.steps_of(rows)
        resolve = numeric.needs_resolving(rows, steps)
        if resolve and not with_times:
            low, high = _step_bounds(step_min, step_max)
            rows = chunks_table.encoded_points(conn, pk, mid, low, high)
            steps = numeric.steps_of(rows)
            with_times = True
        times = numeric.times_of(rows) if with_times else None
        return numeric.series_from_rows(rows, steps, resolve, step_min, step_max, times)

    def _known_metric(self, conn: Connection, metric: str) -> int:
        mid = self._metric_id(conn, metric)
        if mid is None:
            raise MetricNotFoundError(f"project {self.project!r} has no metric {metric!r}")
        return mid

    def series_version(
        self,
        run: RunRecord,
        metric: str,
        step_min: int | None = None,
        step_max: int | None = None,
    ) -> SeriesVersion:
        """What the stored points of the series within the steps look like, without
        their data: it changes whenever they change, so results computed from them may
        be cached under it, and `chart_series` decides from it how to read them."""
        low, high = _step_bounds(step_min, step_max)

        def query(conn: Connection) -> SeriesVersion:
            rows = chunks_table.extent(conn, run.pk, self._known_metric(conn, metric), low, high)
            return _version(rows)

        return self._read(query, statements=1)

    def series_versions(
        self,
        runs: list[RunRecord],
        metric: str,
        step_min: int | None = None,
        step_max: int | None = None,
    ) -> dict[str, SeriesVersion]:
        """`series_version` of each run (by run id), read in one statement."""
        if not runs:
            return {}
        low, high = _step_bounds(step_min, step_max)

        def query(conn: Connection) -> dict[str, SeriesVersion]:
            mid = self._known_metric(conn, metric)
            by_run: dict[int, list[tuple[int, int, int, int, float]]] = {r.pk: [] for r in runs}
            for run_pk, count, first, last, chunk_id, stamp in chunks_table.extents(
                conn, list(by_run), mid, low, high
            ):
                by_run[run_pk].append((count, first, last, chunk_id, stamp))
            return {run.run_id: _version(by_run[run.pk]) for run in runs}

        return self._read(query, statements=1)

    def chart_series(
        self,
        run: RunRecord,
        metric: str,
        *,
        max_points: int,
        step_min: int | None = None,
        step_max: int | None = None,
        with_times: bool = True,
        version: SeriesVersion | None = None,
    ) -> NumericSeries | SeriesBlocks:
        """The series as a chart of `max_points` points needs it: its points, or, when
        so many points would fall in each bucket that stored block summaries serve as
        well, its blocks (reading about 1/64 of the data). `version` is the series'
        `series_version`, when the caller has just read it."""
        shape = version or self.series_version(run, metric, step_min, step_max)
        return self.chart_series_many(
            [run],
            metric,
            max_points=max_points,
            step_min=step_min,
            step_max=step_max,
            with_times=with_times,
            versions={run.run_id: shape},
        )[run.run_id]

    def chart_series_many(
        self,
        runs: list[RunRecord],
        metric: str,
        *,
        max_points: int,
        versions: dict[str, SeriesVersion],
        step_min: int | None = None,
        step_max: int | None = None,
        with_times: bool = True,
    ) -> dict[str, NumericSeries | SeriesBlocks]:
        """`chart_series` of many runs (by run id), their `series_versions` given: the
        block summaries of all that use them in one statement, the points of the
        others in another."""
        from trackio.storage import numeric

        low, high = _step_bounds(step_min, step_max)

        def by_blocks(run: RunRecord) -> bool:
            shape = versions[run.run_id]
            return shape.ordered and shape.points // max_points >= _POINTS_PER_BUCKET_FOR_BLOCKS

        summarised = [run for run in runs if by_blocks(run)]
        raw = [run for run in runs if not by_blocks(run)]

        def query(conn: Connection) -> dict[str, NumericSeries | SeriesBlocks]:
            mid = self._known_metric(conn, metric)
            found: dict[str, NumericSeries | SeriesBlocks] = {}
            if summarised:
                pks = [run.pk for run in summarised]
                rows = _by_run(chunks_table.encoded_blocks_of(conn, pks, mid, low, high))
                for run in summarised:
                    found[run.run_id] = numeric.blocks_from_rows(rows[run.pk], low, high)
            if raw:
                pks = [run.pk for run in raw]
                rows = _by_run(
                    chunks_table.encoded_points_of(conn, pks, mid, low, high, with_times)
                )
                for run in raw:
                    found[run.run_id] = self._numeric_rows(
                        conn, run.pk, mid, rows[run.pk], step_min, step_max, with_times
                    )
            return found

        return self._read(query)

    # --- media ---------------------------------------------------------------------

    def list_media(
        self,
        run_ids: list[str] | None = None,
        kind: str | None = None,
        key: str | None = None,
        after: dict[str, int] | None = None,
    ) -> list[MediaRecord]:
        """Every media record, filtered by runs, kind and key, sorted by key, run and step;
        for a run in `after`, only its records with a larger `media_id` than given."""

        def query(conn: Connection) -> list[MediaRecord]:
            if self._empty:
                return []
            ids_by_pk = runs_table.run_ids_by_pk(conn)
            pks = None
            if run_ids is not None:
                wanted = set(run_ids)
                pks = [pk for pk, run_id in ids_by_pk.items() if run_id in wanted]
            metric = None
            if key is not None:
                metric = self._metric_id(conn, key)
                if metric is None:
                    return []
            names = metric_keys.names_by_id(conn)
            pk_of = {run_id: pk for pk, run_id in ids_by_pk.items()}
            after_pks = {pk_of[r]: last for r, last in (after or {}).items() if r in pk_of}
            found = [
                MediaRecord(
                    ids_by_pk[pk], names[mid], step, stamp, kind_, path, caption, meta, media_id
                )
                for pk, mid, step, stamp, kind_, path, caption, meta, media_id in (
                    media_table.listing(conn, pks, kind, metric, after_pks)
                )
            ]
            order = {pk: index for index, pk in enumerate(sorted(ids_by_pk))}
            by_id = {run_id: order[pk] for pk, run_id in ids_by_pk.items()}
            found.sort(key=lambda record: (record.key, by_id[record.run_id], record.step))
            return found

        return self._read(query)

    def table_file(self, run: RunRecord, key: str, step: int | None = None) -> tuple[Path, int]:
        """The file of the table logged under `key` at `step` (else the latest) and its step."""

        def query(conn: Connection) -> tuple[str, int] | None:
            mid = self._metric_id(conn, key)
            return None if mid is None else media_table.latest_table(conn, run.pk, mid, step)

        found = self._read(query)
        if found is None:
            at = f" at step {step}" if step is not None else ""
            raise MetricNotFoundError(
                f"run {run.run_id!r} of {self.project!r} has no table {key!r}{at}"
            )
        return self.local_media(found[0], with_parts=True), found[1]

    # --- writing -------------------------------------------------------------------

    def append(self, batches: list[RunBatch], *, batch_id: str | None = None) -> AppendResult:
        """Write each run's new points, then its operations, in one transaction; a run
        that has a heartbeat only (no points) records that its writer is alive.

        Says which runs the project no longer has (deleted, or the file was replaced;
        their batches are dropped) and whether the file was replaced since the last
        write. On any error nothing is written. With a `batch_id`, a batch whose id was
        stored before is not written again (`duplicate`): the id is stored with it.
        """
        self._require_writable()
        now = time.time()
        with self._appending() as (conn, sink, replaced):
            result = AppendResult(file_replaced=replaced)
            if batch_id is not None and not ingested_table.record(conn, batch_id, now):
                result.duplicate = True
                return result
            for batch in batches:
                pk = runs_table.pk_of(conn, batch.run_id)
                if pk is None:
                    sink.forget_run(batch.run_id)
                    result.missing_runs.append(batch.run_id)
                    continue
                runs_table.touch(conn, pk, batch.last_time, now)
                sink.write_all(pk, batch.run_id, batch.series)
                for operation, payload in batch.operations:
                    self._apply(conn, sink, pk, batch.run_id, operation, payload)
        return result

    def _apply(
        self,
        conn: Connection,
        sink: SeriesWriter,
        pk: int,
        run_id: str,
        operation: str,
        payload: Any,
    ) -> None:
        if operation == "finish":
            status, exit_code, finished_at = payload
            sink.seal_run(run_id)
            runs_table.finish_run(conn, pk, status, exit_code, finished_at)
        elif operation == "alert":
            alert = json.loads(payload)
            alerts_table.insert(conn, pk, alert)
            # A new alert is a change of the run: the live dashboard's poll must see it.
            runs_table.touch(conn, pk, alert["time"], time.time())
        else:
            runs_table.set_json_field(conn, pk, operation, payload)

    def alerts(
        self, runs: list[RunRecord] | None = None, min_level: str | None = None
    ) -> list[AlertRecord]:
        """The alerts of `runs` (None: of every run), at `min_level` (`INFO`, `WARN`,
        `ERROR`) or graver, oldest first."""
        if min_level is not None and min_level not in alerts_table.LEVELS:
            raise ValueError(f"level must be one of {alerts_table.LEVELS}, got {min_level!r}")

        def query(conn: Connection) -> list[AlertRecord]:
            if self._empty or not self._has_alerts:
                return []
            ids = runs_table.run_ids_by_pk(conn)
            pks = None if runs is None else [run.pk for run in runs]
            return [
                AlertRecord(ids[pk], stamp, step, level, title, text)
                for pk, stamp, step, level, title, text in alerts_table.rows(conn, pks, min_level)
                if pk in ids
            ]

        return self._read(query)

    def has_batch(self, batch_id: str) -> bool:
        """Whether a batch with this id was stored (see `append`)."""
        return self._read(
            lambda conn: not self._empty and ingested_table.contains(conn, batch_id), statements=1
        )

    def import_runs(self, runs: list[ImportedRun], *, allow_same_names: bool = False) -> list[str]:
        """Add whole runs in one transaction; returns their ids.

        A run named like an existing run of the project is an error unless
        `allow_same_names`. On any error the project is left exactly as it was (a
        project this store created is removed again).
        """
        self._require_writable()
        ids: list[str] = []
        try:
            with self._importing() as conn:
                self._refuse_clashes(conn, runs, check_names=not allow_same_names)
                sink = SeriesWriter(conn, self.media_dir, self._media_written())
                for run in runs:
                    ids.append(run.run_id or new_run_id())
                    self._import_one(conn, sink, run, ids[-1])
                sink.seal_all()
        except BaseException:
            for run_id in ids:
                shutil.rmtree(self.media_dir / run_id, ignore_errors=True)
            self._discard_if_created_empty()
            raise
        return ids

    def _refuse_clashes(
        self, conn: Connection, runs: list[ImportedRun], *, check_names: bool
    ) -> None:
        taken = runs_table.names(conn) if check_names else set()
        seen: set[str] = set()
        for run in runs:
            if run.run_id is not None and runs_table.pk_of(conn, run.run_id) is not None:
                raise ValueError(
                    f"project {self.project!r} already has a run with id {run.run_id!r}"
                )
            if check_names and (run.name in taken or run.name in seen):
                raise ValueError(
                    f"project {self.project!r} already has a run named {run.name!r}; "
                    "choose another name (name=... / --name) or import into another project"
                )
            seen.add(run.name)

    def _import_one(
        self, conn: Connection, sink: SeriesWriter, run: ImportedRun, run_id: str
    ) -> None:
        all_times = [t for _, _, times in run.series.values() for t in times]
        started = (
            run.created_at if run.created_at is not None else min(all_times, default=time.time())
        )
        ended = run.finished_at if run.finished_at is not None else max(all_times, default=started)
        pk = runs_table.insert_run(
            conn,
            run_id=run_id,
            name=run.name,
            group=run.group,
            job_type=run.job_type,
            notes=run.notes,
            tags=run.tags,
            status=run.status,
            exit_code=run.exit_code,
            config_json=json.dumps(run.config),
            summary_json=json.dumps(run.summary_overrides),
            metric_defs_json=json.dumps(run.metric_defs),
            created_at=started,
            updated_at=time.time(),
            finished_at=ended,
        )
        for metric, (steps, values, times) in run.series.items():
            sink.write(pk, run_id, metric, steps, values, times)
