"""`trackio.Api`: reading projects, runs and their histories back, as `wandb.Api` does."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from trackio.formatting import iso_utc
from trackio.saved_files import SavedFile, files_dir, list_saved
from trackio.storage import ProjectStore, list_projects, open_store
from trackio.storage.errors import NotFoundError, ProjectNotFoundError, StoreError
from trackio.storage.history import sample_rows
from trackio.storage.records import RunRecord
from trackio.system.names import shown_name, stored_name


@contextmanager
def _store(project: str, *, write: bool = False) -> Iterator[ProjectStore]:
    """The project's store; its lookup and storage errors come out as `ValueError`
    (what `wandb.Api` users catch), with the store's message."""
    try:
        with open_store(project, write=write) as store:
            yield store
    except (NotFoundError, StoreError) as error:
        raise ValueError(str(error)) from None


class ApiRun:
    """A stored run: its metadata, config, summary and history."""

    def __init__(self, project: str, record: RunRecord) -> None:
        self.project = project
        self._record = record
        self._summary: dict[str, Any] | None = None

    @property
    def name(self) -> str:
        """The run's display name."""
        return self._record.name

    @property
    def id(self) -> str:
        """The run's unique id within the project."""
        return self._record.run_id

    @property
    def group(self) -> str | None:
        """The group passed to `init(group=...)`."""
        return self._record.group

    @property
    def job_type(self) -> str | None:
        """The job type passed to `init(job_type=...)`."""
        return self._record.job_type

    @property
    def tags(self) -> list[str]:
        """The run's tags."""
        return list(self._record.tags)

    @property
    def notes(self) -> str | None:
        """The run's notes."""
        return self._record.notes

    @property
    def status(self) -> str:
        """`"running"`, `"finished"`, `"failed"`, or `"crashed"` when the run is marked
        running but its process is gone (killed, or no heartbeat for two minutes)."""
        return self._record.status

    @property
    def exit_code(self) -> int | None:
        """The exit code the run finished with, if any."""
        return self._record.exit_code

    @property
    def created_at(self) -> str:
        """When the run started, as an ISO-8601 UTC timestamp."""
        return iso_utc(self._record.created_at) or ""

    @property
    def updated_at(self) -> str:
        """When the run last wrote anything, as an ISO-8601 UTC timestamp."""
        return iso_utc(self._record.updated_at) or ""

    @property
    def config(self) -> dict[str, Any]:
        """The run's config as stored."""
        return dict(self._record.config)

    @property
    def summary(self) -> dict[str, Any]:
        """Each metric's summary value (last logged by default) and user overrides."""
        if self._summary is None:
            with _store(self.project) as store:
                self._summary = store.summary(self._record)
        return dict(self._summary)

    def alerts(self, level: str | None = None) -> list[dict[str, Any]]:
        """The alerts this run raised (at `level` or graver), oldest first: dicts with
        `title`, `text`, `level`, `step` and `timestamp`."""
        with _store(self.project) as store:
            found = store.alerts([self._record], level.upper() if level else None)
        return [
            {
                "title": a.title,
                "text": a.text,
                "level": a.level,
                "step": a.step,
                "timestamp": iso_utc(a.time),
            }
            for a in found
        ]

    def metrics(self) -> list[str]:
        """Names of the metrics this run logged."""
        with _store(self.project) as store:
            return store.metric_names(self._record)

    def history(
        self,
        keys: list[str] | None = None,
        samples: int | None = None,
        pandas: bool = False,
        stream: str = "default",
    ) -> Any:
        """Rows of logged values: dicts with `step`, `timestamp` and each metric.

        `keys` keeps only those metrics and the rows that have all of them;
        `samples` returns at most that many evenly spaced rows; `pandas=True`
        returns a pandas DataFrame instead of a list. `stream="system"` returns the
        system metrics instead (see `system_metrics`).
        """
        if stream == "system":
            return self.system_metrics(keys, samples, pandas)
        if stream != "default":
            raise ValueError(f"stream must be 'default' or 'system', got {stream!r}")
        with _store(self.project) as store:
            rows = store.history(self._record, keys)
        return _shaped(rows, samples, pandas)

    def system_metrics(
        self, keys: list[str] | None = None, samples: int | None = None, pandas: bool = False
    ) -> Any:
        """The system metrics sampled while the run ran: one dict per sample with its
        `timestamp` and the metrics (the PyPI trackio's names: `cpu/utilization`,
        `memory/used`, `gpu/0/utilization`, ...). `keys`, `samples` and `pandas` as in
        `history`."""
        stored = None if keys is None else [stored_name(key) for key in keys]
        with _store(self.project) as store:
            rows = store.history(self._record, stored, system=True)
        shown = [
            {
                "timestamp": row["timestamp"],
                **{shown_name(k): v for k, v in row.items() if k not in ("step", "timestamp")},
            }
            for row in rows
        ]
        return _shaped(shown, samples, pandas)

    def table(self, key: str, step: int | None = None, pandas: bool = False) -> Any:
        """The rows of the `Table` logged under `key` at `step` (else the latest one), as
        a list of dicts keyed by column (media cells as dicts with an absolute `path`),
        or a pandas DataFrame with `pandas=True`; `ValueError` if there is none."""
        with _store(self.project) as store:
            path, _ = store.table_file(self._record, key, step)
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ValueError(f"the file of table {key!r} cannot be read: {error}") from None
        columns = document["columns"]
        rows = [
            dict(zip(columns, (_with_path(cell, path.parent) for cell in row), strict=True))
            for row in document["data"]
        ]
        if pandas:
            import pandas as pd

            return pd.DataFrame(rows, columns=columns)
        return rows

    def scan_history(
        self, keys: list[str] | None = None, page_size: int = 1000
    ) -> Iterator[dict[str, Any]]:
        """Every row of logged values, in step order (as `history`, never sampled),
        read `page_size` steps at a time so memory does not grow with the run."""
        with _store(self.project) as store:
            for page in store.history_pages(self._record, keys, page_size):
                yield from page

    def files(self) -> list[SavedFile]:
        """The files saved with `trackio.save()` or written into `run.dir`, sorted by
        name: each has `name` (its path inside the run's folder), `path` (absolute),
        `size` (bytes), `updated_at` and `download(root=".")`, as wandb's `File`."""
        with _store(self.project) as store:
            folder = files_dir(store.media_dir, self.id)
        return list_saved(folder)

    def file(self, name: str) -> SavedFile:
        """The saved file `name` (a path inside the run's folder, as `files()` names
        it); `ValueError` naming the files there if there is none."""
        saved = self.files()
        for found in saved:
            if found.name == name:
                return found
        names = [found.name for found in saved]
        raise ValueError(
            f"run {self.name!r} ({self.id}) of {self.project!r} has no saved file {name!r}; "
            f"it has {names}"
        )

    def rename(self, new_name: str) -> ApiRun:
        """Give the run a new name; returns the run."""
        with _store(self.project, write=True) as store:
            self._record = store.rename_run(self._record.run_id, new_name)
        return self

    def move(self, project: str) -> ApiRun:
        """Move the run, with everything it logged, to `project` (created if needed);
        returns the run. It keeps its id and name; a running run cannot be moved."""
        with _store(self.project, write=True) as store:
            self._record = store.move_run(self._record.run_id, project)
        self.project = project
        return self

    def delete(self) -> bool:
        """Delete the run and everything it logged; returns True."""
        with _store(self.project, write=True) as store:
            store.delete_run(self._record.run_id)
        return True

    def __repr__(self) -> str:
        return f"<Run {self.project}/{self.name} ({self.id}) {self.status}>"


def _with_path(cell: Any, folder: Path) -> Any:
    """A table cell with its media files' paths made absolute."""
    if isinstance(cell, list):
        return [_with_path(item, folder) for item in cell]
    if isinstance(cell, dict) and "_type" in cell and cell.get("path"):
        return {**cell, "path": str(folder / cell["path"])}
    return cell


class Runs(list):
    """The runs of a project, oldest first: a list of `ApiRun`."""


class Api:
    """Read access to every project in the data directory (`TRACKIO_DIR`)."""

    def projects(self) -> list[str]:
        """Names of all projects."""
        return list_projects()

    def runs(self, project: str) -> Runs:
        """The runs of `project`; raises `ValueError` if it does not exist."""
        with _store(project) as store:
            records = store.list_runs()
        return Runs(ApiRun(project, record) for record in records)

    def run(self, path: str) -> ApiRun:
        """The run `"project/id-or-name"`: the run with that id, else the one run of that
        name; raises `ValueError` naming the runs that exist (or the ids sharing the name).

        Project and run names may hold `/` (TensorBoard imports make such runs): each
        way of cutting the path is tried, the shortest project first. wandb's
        `"entity/project/run_id"` works too (the entity is ignored).
        """
        parts = path.split("/")
        if len(parts) < 2 or not all(parts):
            raise ValueError(f"run path must look like 'project/run', got {path!r}")
        cuts = [("/".join(parts[:i]), "/".join(parts[i:])) for i in range(1, len(parts))]
        cuts += [("/".join(parts[1:i]), "/".join(parts[i:])) for i in range(2, len(parts))]
        failures: list[NotFoundError] = []
        for project, key in cuts:
            try:
                with open_store(project) as store:
                    return ApiRun(project, store.resolve_run(key))
            except NotFoundError as error:
                failures.append(error)
            except StoreError as error:
                raise ValueError(str(error)) from None
        named = [error for error in failures if not isinstance(error, ProjectNotFoundError)]
        raise ValueError(str((named or failures)[-1])) from None

    def delete_project(self, project: str) -> None:
        """Delete `project` and all its runs."""
        with _store(project) as store:
            store.delete_project()


def _shaped(rows: list[dict[str, Any]], samples: int | None, pandas: bool) -> Any:
    """`rows`, at most `samples` of them evenly spaced, as a list or a DataFrame."""
    if samples is not None:
        rows = sample_rows(rows, samples)
    if pandas:
        try:
            import pandas as pd
        except ImportError as error:
            raise ImportError("history(pandas=True) needs pandas: pip install pandas") from error
        return pd.DataFrame(rows)
    return rows
