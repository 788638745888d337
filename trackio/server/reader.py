"""What the dashboard's JSON API returns, read from the project files.

Each server thread keeps its own read connections; reading never takes the
write lock, so a dashboard can never block or fail a training process.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from trackio.storage.chunks import BLOCK_POINTS
from trackio.storage.database import retry_when_locked
from trackio.storage.downsample import Downsampled, downsample, downsample_blocks
from trackio.storage.numeric_series import (
    NumericSeries,
    chunk_extent,
    metric_ids,
    pair_by_step,
    read_numeric_series,
    read_series_blocks,
)
from trackio.storage.paths import file_identity, project_db_path, validate_project_name
from trackio.storage.projects import ProjectNotFoundError, list_projects, open_project
from trackio.storage.run_overview import run_overviews
from trackio.storage.runs import RunRecord, list_runs

X_AXES = ("step", "time", "relative")
_POINTS_PER_BUCKET_FOR_BLOCKS = 4 * BLOCK_POINTS
"""Downsample from stored block summaries once a bucket spans at least four blocks."""
LIVE_OVERLAP_SECONDS = 5.0
"""The `since` cursor lags the newest update by this much: a writer's commit can
land after a later one's, and re-sending a run costs less than missing it."""


class NotFoundError(LookupError):
    """A project, run or metric that the request names does not exist."""


class SeriesCache:
    """Downsampled series kept for as long as the chunks they came from are unchanged,
    so reloading a page or a second viewer costs a metadata query per series."""

    def __init__(self, capacity: int = 4096) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[tuple, tuple[tuple, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, version: tuple) -> dict[str, Any] | None:
        """The result stored under `key` if it was computed from chunks at `version`."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry[0] != version:
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def put(self, key: tuple, version: tuple, result: dict[str, Any]) -> None:
        """Store a result, evicting the least recently used beyond capacity."""
        with self._lock:
            self._entries[key] = (version, result)
            self._entries.move_to_end(key)
            while len(self._entries) > self._capacity:
                self._entries.popitem(last=False)


class ProjectReader:
    """Per-thread, per-project SQLite connections for the server's worker threads."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._series_cache = SeriesCache()

    def connection(self, project: str) -> sqlite3.Connection:
        """A connection to `project` owned by the calling thread."""
        validate_project_name(project)
        path = project_db_path(project)
        identity = file_identity(path)
        cache: dict[str, tuple[int | None, sqlite3.Connection]] = (
            getattr(self._local, "connections", None) or {}
        )
        self._local.connections = cache
        cached = cache.get(project)
        if cached is not None and cached[0] == identity and identity is not None:
            return cached[1]
        if cached is not None:
            cached[1].close()
            del cache[project]
        try:
            conn = open_project(project, create=False)
        except ProjectNotFoundError as error:
            raise NotFoundError(str(error)) from None
        cache[project] = (file_identity(path), conn)
        return conn

    def projects(self) -> list[str]:
        """Every project name."""
        return list_projects()

    def runs(self, project: str, since: float | None = None) -> dict[str, Any]:
        """The project's runs (only those updated after `since` if given) and the next cursor."""
        conn = self.connection(project)
        return retry_when_locked(lambda: _runs_payload(conn, since))

    def metrics(self, project: str) -> list[str]:
        """Names of the project's numeric metrics, in first-logged order."""
        conn = self.connection(project)
        rows = retry_when_locked(
            lambda: conn.execute(
                "SELECT name FROM metric_keys WHERE id IN (SELECT DISTINCT metric FROM chunks) "
                "ORDER BY id"
            ).fetchall()
        )
        return [row[0] for row in rows]

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
    ) -> dict[str, Any]:
        """Downsampled series of each of `metrics` for the given runs (all runs if None)."""
        conn = self.connection(project)
        return retry_when_locked(
            lambda: _series_payload(
                conn,
                project,
                metrics,
                run_ids,
                x,
                max_points,
                after or {},
                step_min,
                step_max,
                self._series_cache,
            )
        )


def _runs_payload(conn: sqlite3.Connection, since: float | None) -> dict[str, Any]:
    records = list_runs(conn)
    newest = max((r.updated_at for r in records), default=0.0)
    if since is not None:
        records = [r for r in records if r.updated_at > since]
    return {"runs": run_overviews(conn, records), "cursor": newest - LIVE_OVERLAP_SECONDS}


def _series_payload(
    conn: sqlite3.Connection,
    project: str,
    metrics: list[str],
    run_ids: list[str] | None,
    x: str,
    max_points: int,
    after: dict[str, int],
    step_min: int | None,
    step_max: int | None,
    cache: SeriesCache,
) -> dict[str, Any]:
    ids = metric_ids(conn)
    source = project_db_path(project)
    for metric in metrics:
        if metric not in ids:
            raise NotFoundError(f"project {project!r} has no metric {metric!r}")
    if x not in X_AXES and x not in ids:
        raise NotFoundError(
            f"x axis {x!r} is neither one of {', '.join(X_AXES)} nor a metric of {project!r}"
        )
    records = list_runs(conn)
    missing: list[str] = []
    if run_ids is not None:
        by_id = {r.run_id: r for r in records}
        missing = [run_id for run_id in run_ids if run_id not in by_id]
        records = [by_id[run_id] for run_id in run_ids if run_id in by_id]
    series = []
    for metric in metrics:
        for record in records:
            low = step_min
            if record.run_id in after:
                low = max(after[record.run_id] + 1, low if low is not None else 0)
            query = _SeriesQuery(record, ids[metric], x, max_points, low, step_max)
            one = _one_series(conn, query, ids, cache, source)
            series.append({"metric": metric, **one})
    payload: dict[str, Any] = {"x": x, "series": series, "missing": missing}
    if len(metrics) == 1:
        payload["metric"] = metrics[0]
    return payload


@dataclass(frozen=True)
class _SeriesQuery:
    """One series to answer: which run and metric, along which axis, how many points."""

    record: RunRecord
    metric: int
    x: str
    max_points: int
    step_min: int | None
    step_max: int | None

    @property
    def with_times(self) -> bool:
        """Whether the axis needs the points' wall times."""
        return self.x in ("time", "relative")

    def read_points(self, conn: sqlite3.Connection, metric: int, with_times: bool) -> NumericSeries:
        """The numeric points of `metric` of this run within the step range."""
        return read_numeric_series(
            conn,
            self.record.pk,
            metric,
            step_min=self.step_min,
            step_max=self.step_max,
            with_times=with_times,
        )

    def axis(self, steps: np.ndarray, times: np.ndarray, counts: Any = 1) -> np.ndarray:
        """The x values (or per-block sums of them) for steps and times of `counts` points."""
        if self.x == "step":
            return steps
        if self.x == "time":
            return times
        return times - self.record.created_at * counts


def _one_series(
    conn: sqlite3.Connection,
    query: _SeriesQuery,
    ids: dict[str, int],
    cache: SeriesCache,
    source: Path,
) -> dict[str, Any]:
    if query.x not in X_AXES:
        return _series_against_metric(conn, query, ids[query.x])
    extent = chunk_extent(conn, query.record.pk, query.metric, query.step_min, query.step_max)
    key = (
        source,
        query.record.pk,
        query.record.created_at,
        query.metric,
        query.x,
        query.max_points,
        query.step_min,
        query.step_max,
    )
    cached = cache.get(key, extent.version)
    if cached is not None:
        return cached
    if extent.ordered and extent.points // query.max_points >= _POINTS_PER_BUCKET_FOR_BLOCKS:
        result = _series_from_blocks(conn, query)
    else:
        result = _series_from_points(conn, query)
    cache.put(key, extent.version, result)
    return result


def _series_from_points(conn: sqlite3.Connection, query: _SeriesQuery) -> dict[str, Any]:
    points = query.read_points(conn, query.metric, query.with_times)
    reduced = downsample(query.axis(points.steps, points.times), points.values, query.max_points)
    last_step = int(points.steps[-1]) if len(points) else None
    return _series_json(query.record, reduced, last_step, len(points))


def _series_against_metric(
    conn: sqlite3.Connection, query: _SeriesQuery, axis_metric: int
) -> dict[str, Any]:
    points = query.read_points(conn, query.metric, with_times=False)
    axis = query.read_points(conn, axis_metric, with_times=False)
    xs, values, paired = pair_by_step(axis, points)
    last_step = int(paired[-1]) if len(paired) else None
    reduced = downsample(xs, values, query.max_points)
    return _series_json(query.record, reduced, last_step, len(values))


def _series_from_blocks(conn: sqlite3.Connection, query: _SeriesQuery) -> dict[str, Any]:
    blocks = read_series_blocks(
        conn,
        query.record.pk,
        query.metric,
        step_min=query.step_min,
        step_max=query.step_max,
        with_times=query.with_times,
    )
    reduced = downsample_blocks(
        blocks.count,
        query.axis(blocks.step_sum, blocks.time_sum, blocks.count),
        blocks.finite,
        blocks.value_sum,
        blocks.value_min,
        blocks.value_max,
        query.max_points,
    )
    return _series_json(query.record, reduced, blocks.last_step, int(blocks.count.sum()))


def _narrow(arrays: list[np.ndarray], exact: bool) -> list[np.ndarray]:
    """The arrays as float32 (half the JSON) when that loses nothing that matters: raw
    points only if each is exactly a float32; bucket means and extremes when their
    envelope is within float32's range (a 7-digit mean of a bucket is as good)."""
    with np.errstate(over="ignore"):
        narrow = [values.astype(np.float32) for values in arrays]
    if exact:
        values = arrays[0]
        finite = np.isfinite(values)
        keeps = np.array_equal(narrow[0].astype(np.float64)[finite], values[finite])
    else:
        envelope = np.abs(np.concatenate(arrays[1:]))
        envelope = envelope[np.isfinite(envelope)]
        keeps = bool(np.all((envelope == 0) | ((envelope > 1e-30) & (envelope < 1e38))))
    return narrow if keeps else arrays


def _series_json(
    record: RunRecord, reduced: Downsampled, last_step: int | None, total: int
) -> dict[str, Any]:
    if reduced.y_min is None or reduced.y_max is None:
        (y,) = _narrow([reduced.y], exact=True)
        y_min = y_max = None
    else:
        y, y_min, y_max = _narrow([reduced.y, reduced.y_min, reduced.y_max], exact=False)
    return {
        "run": record.run_id,
        "x": reduced.x,
        "y": y,
        "min": y_min,
        "max": y_max,
        "last_step": last_step,
        "downsampled": reduced.downsampled,
        "total": total,
    }
