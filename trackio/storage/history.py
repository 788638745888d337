"""Turning series into history rows: one dict per step, as `wandb`'s `history()`."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from trackio.storage.records import Series

ROW_FIELDS = ("step", "timestamp")


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: building tens of thousands of row dicts
    triggers it over and over although none of them can form a cycle."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def rows_by_step(
    names: list[str], read: Callable[[str], Series], require_all: bool
) -> list[dict[str, Any]]:
    """One dict per step with `step`, `timestamp` (the newest time of the step) and
    each metric logged there, in step order.

    With `require_all`, only the steps where every one of `names` has a value. A
    metric named like a row field (`step`, `timestamp`) is left out of the rows:
    there the field's own meaning wins.
    """
    rows: dict[int, dict[str, Any]] = {}
    with collector_paused():
        for name in names:
            series = read(name)
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
    ordered = list(rows.values()) if len(names) == 1 else [rows[s] for s in sorted(rows)]
    if require_all and len(names) > 1:
        present = [name for name in names if name not in ROW_FIELDS]
        ordered = [row for row in ordered if all(name in row for name in present)]
    return ordered


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


def media_points(
    media_dir: Path,
    records: list[tuple[int, float, str, str | None, str | None, dict[str, Any]]],
    localize: Callable[[str], object] | None = None,
) -> list[tuple[int, float, Any]]:
    """(step, time, value) per logged media value from (step, time, kind, path,
    caption, details) records; several media logged under one key in one call
    (`log({"k": [img, img]})`) become one list value. `localize` is called with each
    file's relative path first (to fetch it when it is kept elsewhere)."""
    grouped: dict[tuple[int, float], list[dict[str, Any]]] = {}
    listed: set[tuple[int, float]] = set()
    for step, stamp, kind, path, caption, details in records:
        if localize is not None and path is not None:
            localize(path)
        if "index" in details:
            listed.add((step, stamp))
        grouped.setdefault((step, stamp), []).append(
            media_value(media_dir, kind, path, caption, details)
        )
    return [(*key, items if key in listed else items[0]) for key, items in grouped.items()]
