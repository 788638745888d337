"""`ProjectStore`: the interface every storage backend implements.

`Api`, the CLI, the dashboard server, exports, imports and the writer thread hold
a store and call these methods; none of them speaks SQL. The SQLite backend
(`trackio.storage.sqlite.store.SQLiteProjectStore`) is the one used today; a
PostgreSQL backend implements the same interface and passes the same tests
(`tests/test_project_store.py`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

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
)

if TYPE_CHECKING:
    from trackio.storage.numeric import NumericSeries, SeriesBlocks


class ProjectStore(Protocol):
    """One project's runs, values and media. Errors come from `trackio.storage.errors`."""

    project: str
    media_dir: Path
    writable: bool

    def __enter__(self) -> ProjectStore:
        """The store itself; leaving the `with` block closes it."""

    def __exit__(self, *exc: object) -> None:
        """Close the store."""

    def close(self, *, checkpoint: bool = False) -> None:
        """Release connections, after a `checkpoint` if asked."""

    def checkpoint(self) -> None:
        """Make the stored files complete on their own (nothing left in side logs)."""

    def migrate(self) -> bool:
        """Upgrade stored data written by older versions (a writable store does so when it
        is opened); True if it needed it."""

    def list_runs(self) -> list[RunRecord]:
        """Every run, oldest first."""

    def run_changes(self, after: int | None = None) -> RunChanges:
        """What changed after change number `after`: the runs written since (every run
        if None), the runs stored as running, the run ids if one was deleted, and the
        newest number. Numbers grow in commit order, so asking again with the returned
        `cursor` reports each later change exactly once."""

    def get_run(self, run_id: str) -> RunRecord:
        """The run with this id (`RunNotFoundError` if none)."""

    def resolve_run(self, key: str) -> RunRecord:
        """The run with id `key`, else the one run named `key`."""

    def open_run(self, request: RunRequest) -> OpenedRun:
        """Create or resume the run `init()` asks for."""

    def rename_run(self, run_id: str, new_name: str) -> RunRecord:
        """Rename a run; a name another run has is a `ValueError`."""

    def delete_run(self, run_id: str) -> None:
        """Delete a run with its values and media."""

    def export_run(self, run_id: str) -> ImportedRun:
        """The whole run as `import_runs` takes it (every point, its media as files)."""

    def move_run(self, run_id: str, project: str) -> RunRecord:
        """Move a run that is not running, with its values and media, to `project`."""

    def delete_project(self) -> None:
        """Delete the whole project."""

    def metric_names(self, run: RunRecord | None = None, *, system: bool = False) -> list[str]:
        """Training metrics with values (with `system`, system metrics), of one run or of
        any, first-logged first."""

    def has_metric(self, name: str) -> bool:
        """Whether anything was ever logged under metric `name`."""

    def numeric_metric_names(self, *, system: bool = False) -> list[str]:
        """Training (or system) metrics with numeric values, first-logged first."""

    def read_series(
        self, run: RunRecord, name: str, step_min: int | None = None, step_max: int | None = None
    ) -> Series:
        """One metric's values, one per step (`winner.latest_per_step`), by step."""

    def history(
        self,
        run: RunRecord,
        keys: list[str] | None = None,
        step_min: int | None = None,
        step_max: int | None = None,
        *,
        system: bool = False,
    ) -> list[dict[str, Any]]:
        """History rows: `step`, `timestamp` and the (training, or system) metrics of
        each step."""

    def history_pages(
        self,
        run: RunRecord,
        keys: list[str] | None = None,
        page_size: int = 1000,
        *,
        system: bool = False,
    ) -> Iterator[list[dict[str, Any]]]:
        """History rows in pages of at most `page_size` steps, read lazily."""

    def last_values(self, runs: list[RunRecord]) -> dict[str, dict[str, Any]]:
        """Per run id, each metric's most recently logged value."""

    def alerts(
        self, runs: list[RunRecord] | None = None, min_level: str | None = None
    ) -> list[AlertRecord]:
        """The alerts of `runs` (None: every run) at `min_level` or graver, oldest first."""

    def change_mark(self) -> tuple[Any, ...]:
        """A mark that changes whenever a run is written, added or deleted."""

    def marked_runs(self) -> tuple[tuple[Any, ...], list[RunRecord]]:
        """`change_mark()` and `list_runs()` from one snapshot."""

    def summary(self, run: RunRecord, last: dict[str, Any] | None = None) -> dict[str, Any]:
        """The run's summary (`define_metric` modes, overrides on top)."""

    def run_extents(self, runs: list[RunRecord]) -> dict[str, tuple[int, int]]:
        """Per run id: (last step, number of distinct steps)."""

    def numeric_series(
        self,
        run: RunRecord,
        metric: str,
        *,
        step_min: int | None = None,
        step_max: int | None = None,
        with_times: bool = True,
    ) -> NumericSeries:
        """A numeric series as numpy arrays."""

    def series_version(
        self, run: RunRecord, metric: str, step_min: int | None = None, step_max: int | None = None
    ) -> SeriesVersion:
        """Changes whenever the series' stored points within the steps change."""

    def series_versions(
        self,
        runs: list[RunRecord],
        metric: str,
        step_min: int | None = None,
        step_max: int | None = None,
    ) -> dict[str, SeriesVersion]:
        """`series_version` of many runs at once, by run id."""

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
        """Points, or block summaries when those serve a `max_points` chart as well;
        `version` is the series' `series_version` when the caller just read it."""

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
        """`chart_series` of many runs at once (by run id), from their `series_versions`."""

    def list_media(
        self,
        run_ids: list[str] | None = None,
        kind: str | None = None,
        key: str | None = None,
        after: dict[str, int] | None = None,
    ) -> list[MediaRecord]:
        """Media records, filtered, sorted by key, run and step; for a run in `after`,
        only those with a larger `media_id` than given (ids grow as a run logs)."""

    def local_media(self, relative: str, *, with_parts: bool = False) -> Path:
        """The local path of the media file at `relative` in the media folder (fetched
        first when media are kept at a URL and this machine lacks it)."""

    def table_file(self, run: RunRecord, key: str, step: int | None = None) -> tuple[Path, int]:
        """The file of a logged table and its step."""

    def append(self, batches: list[RunBatch], *, batch_id: str | None = None) -> AppendResult:
        """The writer's batch: points then operations per run, in one transaction; says
        which runs no longer exist and whether the stored file was replaced. A batch
        whose `batch_id` was stored before is not stored again (`duplicate`)."""

    def has_batch(self, batch_id: str) -> bool:
        """Whether a batch with this id was stored by `append`."""

    def import_runs(self, runs: list[ImportedRun], *, allow_same_names: bool = False) -> list[str]:
        """Whole runs at once, all or nothing; returns their ids."""
