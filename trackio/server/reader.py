"""What the dashboard's JSON API returns, read through each project's store.

The server keeps one read-only store per project (each with its own connection
per server thread); reading never takes the write lock, so a dashboard can never
block or fail a training process.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from trackio.server.downsample import downsample, downsample_blocks
from trackio.server.run_overview import run_overviews
from trackio.server.series_answer import SeriesAnswer
from trackio.server.series_cache import SeriesCache
from trackio.server.store_cache import StoreCache
from trackio.storage import ProjectStore, list_projects, open_store
from trackio.storage.errors import MetricNotFoundError
from trackio.storage.numeric import NumericSeries, SeriesBlocks, pair_by_step
from trackio.storage.records import RunRecord, SeriesVersion

X_AXES = ("step", "time", "relative")


@dataclass(frozen=True)
class SeriesAnswers:
    """The series of a request for `metrics` along axis `x`: (metric, answer) pairs,
    metric by metric and run by run in the order asked, and the asked run ids that do
    not exist."""

    x: str
    metrics: list[str]
    series: list[tuple[str, SeriesAnswer]]
    missing: list[str]

    def json(self) -> dict[str, Any]:
        """The answer as `/api/series` writes it in JSON (`metric` when one was asked)."""
        payload: dict[str, Any] = {
            "x": self.x,
            "series": [{"metric": metric, **answer.json()} for metric, answer in self.series],
            "missing": self.missing,
        }
        if len(self.metrics) == 1:
            payload["metric"] = self.metrics[0]
        return payload


class ProjectReader:
    """The server's read-only stores, one per project (the `capacity` most recently
    used), shared by its worker threads; `open_project` opens one (default: from
    `TRACKIO_DIR` or the database in use)."""

    def __init__(
        self, capacity: int = 64, open_project: Callable[[str], ProjectStore] = open_store
    ) -> None:
        self._stores = StoreCache(open_project, capacity)
        self._runs_by_project: dict[str, tuple[ProjectStore, tuple[Any, ...], list[RunRecord]]] = {}
        self._series_cache = SeriesCache()

    def _runs(self, project: str, store: ProjectStore) -> list[RunRecord]:
        """The project's runs, decoded again only when a run changed: a chart of 1,000
        runs would otherwise decode every config for each of its requests."""
        mark = store.change_mark()
        known = self._runs_by_project.get(project)
        # The same store too: another backend or folder may hold a project of that name.
        if known is not None and known[0] is store and known[1] == mark:
            return known[2]
        mark, records = store.marked_runs()
        self._runs_by_project[project] = (store, mark, records)
        return records

    def store(self, project: str) -> ProjectStore:
        """The read-only store of `project` (`ProjectNotFoundError` if it does not exist)."""
        return self._stores.store(project)

    def close(self) -> None:
        """Close every store."""
        self._stores.close()

    def projects(self) -> list[str]:
        """Every project name."""
        return list_projects()

    def runs(self, project: str, cursor: str | None = None) -> dict[str, Any]:
        """The project's runs and the cursor to poll with next; given a `cursor`, only
        the runs that changed since it was handed out, each change once, with configs
        only where they changed. `run_ids` lists every run when one was deleted."""
        after, crashed_before = parse_runs_cursor(cursor)
        changes = self.store(project).run_changes(after)
        crashed = sorted(r.run_id for r in changes.running if r.status == "crashed")
        crashed_now = _digest(crashed)
        records = changes.changed
        if after is not None and crashed_now != crashed_before:
            # Turning crashed is not a write: re-send the runs it may have happened to.
            seen = {r.run_id for r in records}
            records = records + [r for r in changes.running if r.run_id not in seen]
        payload: dict[str, Any] = {
            "runs": run_overviews(self.store(project), records, configs_after=after),
            "cursor": f"{changes.cursor}.{crashed_now}",
        }
        if changes.run_ids is not None:
            payload["run_ids"] = changes.run_ids
        return payload

    def metrics(self, project: str) -> list[str]:
        """Names of the project's numeric training metrics, in first-logged order."""
        return self.store(project).numeric_metric_names()

    def system_metrics(self, project: str) -> list[str]:
        """Stored names (`system/...`) of the project's system metrics, first-logged
        first. Their series are read like any metric's; along `relative` their x is
        seconds since the run's start, as a training metric's is."""
        return self.store(project).numeric_metric_names(system=True)

    def series(
        self,
        project: str,
        metrics: list[str],
        *,
        run_ids: list[str] | None,
        x: str = "step",
        max_points: int = 1000,
        after: dict[str, int] | None = None,
        step_min: int | None = None,
        step_max: int | None = None,
    ) -> SeriesAnswers:
        """Downsampled series of each of `metrics` for the given runs (all runs if None):
        per metric, then per run, its series."""
        store = self.store(project)
        for metric in metrics:
            if not store.has_metric(metric):
                raise MetricNotFoundError(f"project {project!r} has no metric {metric!r}")
        if x not in X_AXES and not store.has_metric(x):
            raise MetricNotFoundError(
                f"x axis {x!r} is neither one of {', '.join(X_AXES)} nor a metric of {project!r}"
            )
        records = self._runs(project, store)
        missing: list[str] = []
        if run_ids is not None:
            by_id = {r.run_id: r for r in records}
            missing = [run_id for run_id in run_ids if run_id not in by_id]
            records = [by_id[run_id] for run_id in run_ids if run_id in by_id]
        after = after or {}
        series: list[tuple[str, SeriesAnswer]] = []
        for metric in metrics:
            # One statement for the versions of every run read from `step_min` (a
            # round trip per run costs on a database server).
            whole = [r for r in records if r.run_id not in after] if x in X_AXES else []
            versions = store.series_versions(whole, metric, step_min, step_max)
            queries = []
            for record in records:
                low = step_min
                if record.run_id in after:
                    low = max(after[record.run_id] + 1, low if low is not None else 0)
                queries.append(_SeriesQuery(store, record, metric, x, max_points, low, step_max))
            uncached = [
                query.record
                for query in queries
                if query.record.run_id in versions
                and self._series_cache.get(query.key(), versions[query.record.run_id]) is None
            ]
            read = {}
            if uncached:
                read = store.chart_series_many(
                    uncached,
                    metric,
                    max_points=max_points,
                    versions=versions,
                    step_min=step_min,
                    step_max=step_max,
                    with_times=x in ("time", "relative"),
                )
            for query in queries:
                run_id = query.record.run_id
                answer = self._one_series(query, versions.get(run_id), read.get(run_id))
                series.append((metric, answer))
        return SeriesAnswers(x, metrics, series, missing)

    def _one_series(
        self,
        query: _SeriesQuery,
        version: SeriesVersion | None = None,
        data: NumericSeries | SeriesBlocks | None = None,
    ) -> SeriesAnswer:
        """One series' answer: from the cache when its points are unchanged, else from
        `data` (read already) or a read of its own."""
        if query.x not in X_AXES:
            return query.against_metric()
        if version is None:
            version = query.store.series_version(
                query.record, query.metric, query.step_min, query.step_max
            )
        key = query.key()
        cached = self._series_cache.get(key, version)
        if cached is not None:
            return cached
        result = query.downsampled(version, data)
        self._series_cache.put(key, version, result)
        return result


def parse_runs_cursor(cursor: str | None) -> tuple[int | None, str | None]:
    """The change number and crashed-runs digest of a cursor `runs()` handed out;
    (None, None) for no cursor. A malformed one is a `ValueError`."""
    if cursor is None:
        return None, None
    number, _, digest = cursor.partition(".")
    if not number.isdigit() or not digest or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError(f"'cursor' must be a value /api/runs returned, got {cursor!r}")
    return int(number), digest


def _digest(run_ids: list[str]) -> str:
    return format(zlib.crc32("\n".join(run_ids).encode()), "x")


class _SeriesQuery:
    """One series to answer: which run and metric, along which axis, how many points."""

    def __init__(
        self,
        store: ProjectStore,
        record: RunRecord,
        metric: str,
        x: str,
        max_points: int,
        step_min: int | None,
        step_max: int | None,
    ) -> None:
        self.store = store
        self.record = record
        self.metric = metric
        self.x = x
        self.max_points = max_points
        self.step_min = step_min
        self.step_max = step_max

    def axis(self, steps: np.ndarray, times: np.ndarray, counts: Any = 1) -> np.ndarray:
        """The x values (or per-block sums of them) for steps and times of `counts` points."""
        if self.x == "step":
            return steps
        if self.x == "time":
            return times
        return times - self.record.created_at * counts

    def key(self) -> tuple[Any, ...]:
        """What the answer is cached under (with the version of the points it is from)."""
        return (
            self.store.project,
            self.record.run_id,
            self.record.created_at,
            self.metric,
            self.x,
            self.max_points,
            self.step_min,
            self.step_max,
        )

    def downsampled(
        self, version: SeriesVersion, data: NumericSeries | SeriesBlocks | None = None
    ) -> SeriesAnswer:
        """The series along step, wall time or relative time, at most `max_points`
        points, from `data` when the caller read it already."""
        if data is None:
            data = self.store.chart_series(
                self.record,
                self.metric,
                max_points=self.max_points,
                step_min=self.step_min,
                step_max=self.step_max,
                with_times=self.x in ("time", "relative"),
                version=version,
            )
        if isinstance(data, SeriesBlocks):
            reduced = downsample_blocks(
                data.count,
                self.axis(data.step_sum, data.time_sum, data.count),
                data.finite,
                data.value_sum,
                data.value_min,
                data.value_max,
                self.max_points,
            )
            return SeriesAnswer.of(
                self.record.run_id, reduced, data.last_step, int(data.count.sum())
            )
        reduced = downsample(self.axis(data.steps, data.times), data.values, self.max_points)
        last_step = int(data.steps[-1]) if len(data) else None
        return SeriesAnswer.of(self.record.run_id, reduced, last_step, len(data))

    def against_metric(self) -> SeriesAnswer:
        """The series with another metric's values at the same steps as x."""
        read = self.store.numeric_series
        points = read(
            self.record,
            self.metric,
            step_min=self.step_min,
            step_max=self.step_max,
            with_times=False,
        )
        axis = read(
            self.record, self.x, step_min=self.step_min, step_max=self.step_max, with_times=False
        )
        xs, values, paired = pair_by_step(axis, points)
        last_step = int(paired[-1]) if len(paired) else None
        reduced = downsample(xs, values, self.max_points)
        return SeriesAnswer.of(self.record.run_id, reduced, last_step, len(values))
