"""The read side shared by `Api`, the CLI and the dashboard: series, history rows, summaries."""

from __future__ import annotations

import gc
import json
import math
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from trackio.storage import chunks
from trackio.storage.database import placeholders
from trackio.storage.paths import media_dir_of
from trackio.storage.runs import RunRecord

ROW_FIELDS = ("step", "timestamp")
SUMMARY_MODES = ("last", "min", "max", "mean", "first", "none")


@dataclass
class Series:
    """One metric of one run: parallel lists sorted by step, one value per step."""

    steps: list[int]
    values: list[Any]
    times: list[float]


def metric_names(conn: sqlite3.Connection, run_pk: int) -> list[str]:
    """Names of every metric run `run_pk` logged, in first-logged order."""
    rows = conn.execute(
        "SELECT m.name FROM metric_keys m WHERE m.id IN "
        "(SELECT metric FROM chunks WHERE run = ? UNION SELECT metric FROM extras WHERE run = ? "
        "UNION SELECT metric FROM media WHERE run = ?) ORDER BY m.id",
        (run_pk, run_pk, run_pk),
    )
    return [row[0] for row in rows]


def project_metric_names(conn: sqlite3.Connection) -> list[str]:
    """Names of every metric a run of the project holds values of (deleted runs' not)."""
    rows = conn.execute(
        "SELECT name FROM metric_keys WHERE id IN (SELECT metric FROM chunks "
        "UNION SELECT metric FROM extras UNION SELECT metric FROM media) ORDER BY id"
    )
    return [row[0] for row in rows]


def _extra_value(kind: str, text: str) -> Any:
    if kind == "str":
        return text
    if kind == "int":
        return int(text, 16)
    return json.loads(text)


def media_value(
    media_dir: Path, kind: str, path: str | None, caption: str | None, details: dict[str, Any]
) -> dict[str, Any]:
    """A stored media record as `history()` returns it: `_type`, absolute `path`,
    `caption` and the kind's details (size, format, bins...)."""
    details = {key: value for key, value in details.items() if key != "index"}
    return {
        "_type": kind,
        "path": None if path is None else str(media_dir / path),
        "caption": caption,
        **details,
    }


def media_points(conn: sqlite3.Connection, rows: list[tuple]) -> list[tuple[int, float, Any]]:
    """(step, time, value) per logged media value; several media logged under one key
    in one call (`log({"k": [img, img]})`) become one list value."""
    media_dir = media_dir_of(conn)
    grouped: dict[tuple[int, float], list[dict[str, Any]]] = {}
    listed: set[tuple[int, float]] = set()
    for step, stamp, kind, path, caption, meta in rows:
        details = json.loads(meta)
        if "index" in details:
            listed.add((step, stamp))
        grouped.setdefault((step, stamp), []).append(
            media_value(media_dir, kind, path, caption, details)
        )
    return [(*key, items if key in listed else items[0]) for key, items in grouped.items()]


def read_series(conn: sqlite3.Connection, run_pk: int, name: str) -> Series:
    """Every point of metric `name` of run `run_pk`, sorted by step.

    Where one step was written more than once, the value written last wins.
    """
    row = conn.execute("SELECT id FROM metric_keys WHERE name = ?", (name,)).fetchone()
    if row is None:
        return Series([], [], [])
    mid = row[0]
    parts: list[tuple[Sequence[int], list[Any], Sequence[float]]] = [
        chunks.decode(*chunk)
        for chunk in conn.execute(
            "SELECT kind, n, first_step, steps, vals, times FROM chunks "
            "WHERE run = ? AND metric = ? ORDER BY id",
            (run_pk, mid),
        )
    ]
    extras = [
        (step, stamp, _extra_value(kind, text))
        for step, stamp, kind, text in conn.execute(
            "SELECT step, time, kind, value FROM extras WHERE run = ? AND metric = ? ORDER BY id",
            (run_pk, mid),
        )
    ]
    extras += media_points(
        conn,
        conn.execute(
            "SELECT step, time, kind, path, caption, meta FROM media "
            "WHERE run = ? AND metric = ? ORDER BY id",
            (run_pk, mid),
        ).fetchall(),
    )
    if not extras and _in_order(parts):
        steps: list[int] = []
        values: list[Any] = []
        times: list[float] = []
        for step_seq, value_list, time_seq in parts:
            steps.extend(step_seq)
            values.extend(value_list)
            times.extend(time_seq)
        return Series(steps, values, times)
    return _merge(parts, extras)


def _in_order(parts: list[tuple[Sequence[int], list[Any], Sequence[float]]]) -> bool:
    previous = None
    for step_seq, _, _ in parts:
        if not isinstance(step_seq, range) and any(
            b <= a for a, b in zip(step_seq, step_seq[1:], strict=False)
        ):
            return False
        if previous is not None and step_seq[0] <= previous:
            return False
        previous = step_seq[-1]
    return True


def _merge(
    parts: list[tuple[Sequence[int], list[Any], Sequence[float]]], extras: list[tuple]
) -> Series:
    latest: dict[int, tuple[float, Any]] = {}
    timed: list[tuple[float, int, Any]] = []
    for step_seq, value_list, time_seq in parts:
        timed.extend(zip(time_seq, step_seq, value_list, strict=True))
    for step, stamp, value in extras:
        timed.append((stamp, step, value))
    timed.sort(key=lambda point: point[0])
    for stamp, step, value in timed:
        latest[step] = (stamp, value)
    ordered = sorted(latest)
    return Series(ordered, [latest[s][1] for s in ordered], [latest[s][0] for s in ordered])


@contextmanager
def _collector_paused() -> Iterator[None]:
    # Building tens of thousands of row dicts triggers the cyclic collector over
    # and over although none of them can form a cycle; pausing it halves the time.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def history_rows(
    conn: sqlite3.Connection, run_pk: int, keys: Iterable[str] | None = None
) -> list[dict[str, Any]]:
    """One dict per step with `step`, `timestamp` and the metrics logged at that step.

    With `keys`, only those metrics, and only the steps where all of them have a value.
    A metric named like a row field (`step`, `timestamp`) is left out of the rows:
    there the field's own meaning wins; read it with `read_series`.
    """
    wanted = list(keys) if keys is not None else metric_names(conn, run_pk)
    with _collector_paused():
        rows = _rows_by_step(conn, run_pk, wanted)
    ordered = list(rows.values()) if len(wanted) == 1 else [rows[s] for s in sorted(rows)]
    if keys is not None and len(wanted) > 1:
        present = [name for name in wanted if name not in ROW_FIELDS]
        ordered = [row for row in ordered if all(name in row for name in present)]
    return ordered


def _rows_by_step(
    conn: sqlite3.Connection, run_pk: int, wanted: list[str]
) -> dict[int, dict[str, Any]]:
    rows: dict[int, dict[str, Any]] = {}
    for name in wanted:
        series = read_series(conn, run_pk, name)
        shown = name not in ROW_FIELDS
        points = zip(series.steps, series.values, series.times, strict=True)
        if not rows:
            rows = {
                step: {"step": step, "timestamp": stamp, name: value}
                if shown
                else {"step": step, "timestamp": stamp}
                for step, value, stamp in points
            }
            continue
        for step, value, stamp in points:
            row = rows.get(step)
            if row is None:
                row = rows[step] = {"step": step, "timestamp": stamp}
            elif stamp > row["timestamp"]:
                row["timestamp"] = stamp
            if shown:
                row[name] = value
    return rows


def sample_rows(rows: list[dict[str, Any]], samples: int) -> list[dict[str, Any]]:
    """At most `samples` rows, evenly spaced, keeping the first and the last."""
    if samples <= 0:
        raise ValueError(f"samples must be positive, got {samples}")
    if len(rows) <= samples:
        return rows
    if samples == 1:
        return [rows[-1]]
    last = len(rows) - 1
    return [rows[round(i * last / (samples - 1))] for i in range(samples)]


def compute_summary(
    conn: sqlite3.Connection, record: RunRecord, last: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The run's summary: per metric the value its `define_metric` mode asks for
    (the last logged value by default), then the user's own summary entries on top.

    `last` may hold the run's entry of `last_values()` when it was read in bulk.
    """
    if last is None:
        last = last_values(conn, [record.pk]).get(record.pk, {})
    summary: dict[str, Any] = {}
    for name, value in last.items():
        mode = summary_mode(record.metric_defs, name)
        if mode == "none":
            continue
        if mode != "last":
            value = _summarise(_series_in_log_order(conn, record.pk, name), mode)
        if value is not _MISSING:
            summary[name] = value
    summary.update(record.summary_overrides)
    return summary


_MISSING = object()

_LAST_CHUNKS = """
SELECT run, metric, kind, last_time, last_value FROM (
    SELECT run, metric, kind, last_time, last_value, row_number() OVER (
        PARTITION BY run, metric ORDER BY last_time DESC, id DESC) AS newest
    FROM chunks WHERE run IN ({runs})
) WHERE newest = 1
"""
_LAST_EXTRAS = """
SELECT run, metric, kind, time, value FROM (
    SELECT run, metric, kind, time, value, row_number() OVER (
        PARTITION BY run, metric ORDER BY time DESC, id DESC) AS newest
    FROM extras WHERE run IN ({runs})
) WHERE newest = 1
"""


_LAST_MEDIA = """
SELECT run, metric, step, time, kind, path, caption, meta FROM media
WHERE run IN ({runs}) AND (run, metric, time) IN (
    SELECT run, metric, max(time) FROM media WHERE run IN ({runs}) GROUP BY run, metric
) ORDER BY id
"""


def last_values(conn: sqlite3.Connection, run_pks: list[int]) -> dict[int, dict[str, Any]]:
    """Per run, each metric's most recently logged value, in first-logged metric order.

    Reads one small row per (run, metric): no series is decoded.
    """
    if not run_pks:
        return {}
    marks = placeholders(len(run_pks))
    newest: dict[tuple[int, int], tuple[float, Any]] = {}
    for run, metric, kind, stamp, value in conn.execute(_LAST_CHUNKS.format(runs=marks), run_pks):
        newest[(run, metric)] = (stamp, chunks.scalar(kind, value))
    for run, metric, kind, stamp, text in conn.execute(_LAST_EXTRAS.format(runs=marks), run_pks):
        known = newest.get((run, metric))
        if known is None or stamp >= known[0]:
            newest[(run, metric)] = (stamp, _extra_value(kind, text))
    media_rows: dict[tuple[int, int], list[tuple]] = {}
    for run, metric, *record in conn.execute(_LAST_MEDIA.format(runs=marks), run_pks * 2):
        media_rows.setdefault((run, metric), []).append(tuple(record))
    for key, records in media_rows.items():
        _, stamp, value = max(media_points(conn, records), key=lambda point: point[0])
        known = newest.get(key)
        if known is None or stamp >= known[0]:
            newest[key] = (stamp, value)
    names = dict(conn.execute("SELECT id, name FROM metric_keys"))
    result: dict[int, dict[str, Any]] = {pk: {} for pk in run_pks}
    for (run, metric), (_, value) in sorted(newest.items(), key=lambda item: item[0][1]):
        result[run][names[metric]] = value
    return result


def summary_mode(metric_defs: dict[str, dict[str, Any]], name: str) -> str:
    """The summary mode `define_metric` set for `name`: an exact definition first,
    else the first glob pattern (`"val/*"`) that matches, else `"last"`."""
    definition = metric_defs.get(name)
    if definition is None:
        definition = next(
            (
                d
                for pattern, d in metric_defs.items()
                if "*" in pattern and fnmatchcase(name, pattern)
            ),
            {},
        )
    return definition.get("summary") or "last"


def _series_in_log_order(conn: sqlite3.Connection, run_pk: int, name: str) -> list[Any]:
    series = read_series(conn, run_pk, name)
    order = sorted(range(len(series.times)), key=series.times.__getitem__)
    return [series.values[i] for i in order]


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _summarise(values: list[Any], mode: str) -> Any:
    if not values:
        return _MISSING
    if mode == "last":
        return values[-1]
    if mode == "first":
        return values[0]
    numbers = [v for v in values if isinstance(v, (int, float)) and not _is_nan(v)]
    if not numbers:
        return values[-1]
    if mode == "min":
        return min(numbers)
    if mode == "max":
        return max(numbers)
    return sum(numbers) / len(numbers)
