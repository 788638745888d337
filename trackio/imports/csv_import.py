"""`import_csv`: one CSV file becomes one run."""

from __future__ import annotations

import csv
import math
import sys
import time
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

from trackio.imports.progress import progress_bar
from trackio.imports.run_store import ImportedRun, store_runs
from trackio.storage.chunks import INT64_MAX

_STEP_NAMES = ("step",)
_TIME_NAMES = ("timestamp", "time")
_BOOLEANS = {"true": True, "false": False}
_TEXT = object()
_EPOCH_MILLISECONDS_ABOVE = 1e11
_SNIFF_CHARACTERS = 64 * 1024
_MAX_FIELD_CHARACTERS = min(sys.maxsize, 2**31 - 1)
"""A cell may be as long as a logged string (the csv module stops at 128 KB)."""
"""Epoch times this large (past the year 5000 in seconds) are read as milliseconds."""


class CSVImportError(ValueError):
    """The CSV file cannot be imported; the message says where and why."""


def import_csv(
    csv_path: str | Path,
    project: str,
    name: str | None = None,
    space_id: str | None = None,
    dataset_id: str | None = None,
    private: bool | None = None,
    force: bool = False,
) -> str:
    """Import a CSV file as a new run of `project`; returns the run's id.

    A column named `step` (any case) gives the steps, else the row number does; a
    column named `timestamp` or `time` (ISO-8601 or epoch seconds) gives the times.
    Every other column is a metric under its own name: numbers (ints stay ints;
    `nan`, `inf`, `true`/`false` understood) or, if any cell is not a number, text.
    Empty cells are values that were not logged. The run is named `name`, else after
    the file; a name already used in the project is an error unless `force=True`.
    `space_id`, `dataset_id` and `private` are accepted for compatibility and unused.
    A malformed file raises `CSVImportError` and leaves the project as it was.
    """
    path = Path(csv_path)
    run = read_csv_run(path, name or path.stem)
    (run_id,) = store_runs(project, [run], allow_same_names=force)
    return run_id


def read_csv_run(path: Path, name: str) -> ImportedRun:
    """Parse the CSV file at `path` into a run named `name`."""
    csv.field_size_limit(_MAX_FIELD_CHARACTERS)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            delimiter = _delimiter(handle.read(_SNIFF_CHARACTERS))
            handle.seek(0)
            rows = list(csv.reader(handle, delimiter=delimiter, strict=True))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise CSVImportError(f"cannot read CSV file {path}: {error}") from None
    rows = [row for row in rows if row]
    if not rows:
        raise CSVImportError(f"CSV file {path} is empty: it needs a header row")
    header, body = _unique_names(rows[0]), rows[1:]
    for line, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise CSVImportError(
                f"{path}, line {line}: {len(row)} fields where the header has {len(header)}"
            )
    lowered = [column.strip().lower() for column in header]
    step_column = next((i for i, c in enumerate(lowered) if c in _STEP_NAMES), None)
    time_column = next((i for i, c in enumerate(lowered) if c in _TIME_NAMES), None)
    steps = _steps(path, body, step_column)
    times = _times(path, body, time_column)
    run = ImportedRun(name)
    columns = [i for i in range(len(header)) if i not in (step_column, time_column)]
    progress = progress_bar(len(columns), f"importing {path.name}", "column")
    for column in columns:
        cells = [row[column] for row in body]
        parsed = [_number(cell) for cell in cells]
        as_text = any(value is _TEXT for value in parsed)
        for step, cell, value, moment in zip(steps, cells, parsed, times, strict=True):
            if not cell.strip():
                continue
            run.add(header[column], step, cell if as_text else value, moment)
        progress.update(1)
    progress.close()
    if not body:
        warnings.warn(f"{path} has a header but no rows: the run has no values", stacklevel=3)
    elif not any(_is_number(value) for values in run.series.values() for value in values[1]):
        warnings.warn(
            f"{path}: no column holds numbers, so nothing can be charted; every metric was "
            "imported as text",
            stacklevel=3,
        )
    return run


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float))


def _delimiter(sample: str) -> str:
    """The sample's field separator (`,` `;` tab or `|`), a comma when it cannot tell."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _unique_names(header: list[str]) -> list[str]:
    names: list[str] = []
    for index, column in enumerate(header):
        name = column if column != "" else f"column_{index + 1}"
        candidate, copy = name, 1
        while candidate in names:
            candidate = f"{name}.{copy}"
            copy += 1
        names.append(candidate)
    return names


def _steps(path: Path, body: list[list[str]], column: int | None) -> list[int]:
    if column is None:
        return list(range(len(body)))
    steps = []
    for line, row in enumerate(body, start=2):
        try:
            step = int(row[column])
        except ValueError:
            raise CSVImportError(
                f"{path}, line {line}: step {row[column]!r} is not an integer"
            ) from None
        if not 0 <= step <= INT64_MAX:
            raise CSVImportError(
                f"{path}, line {line}: step {step} is out of range (0 to {INT64_MAX}), "
                "as it is for log(step=...)"
            )
        steps.append(step)
    return steps


def _times(path: Path, body: list[list[str]], column: int | None) -> list[float]:
    if column is None:
        return [time.time()] * len(body)
    times = []
    for line, row in enumerate(body, start=2):
        cell = row[column].strip()
        try:
            moment = float(cell)
        except ValueError:
            try:
                moment = datetime.fromisoformat(cell.replace("Z", "+00:00")).timestamp()
            except ValueError:
                raise CSVImportError(
                    f"{path}, line {line}: time {cell!r} is neither epoch seconds nor ISO-8601"
                ) from None
        if not math.isfinite(moment) or moment < 0:
            raise CSVImportError(f"{path}, line {line}: time {cell!r} is not a moment in time")
        times.append(moment / 1000 if moment > _EPOCH_MILLISECONDS_ABOVE else moment)
    return times


def _number(cell: str) -> Any:
    cell = cell.strip()
    if "_" in cell:
        return _TEXT
    try:
        return int(cell)
    except ValueError:
        pass
    try:
        return float(cell)
    except ValueError:
        pass
    return _BOOLEANS.get(cell.lower(), _TEXT) if cell else None
