"""Writing runs out as CSV, JSON Lines or Parquet."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from trackio.formatting import json_safe
from trackio.storage import open_store
from trackio.storage.chunks import INT64_MAX, INT64_MIN
from trackio.storage.history import ROW_FIELDS
from trackio.storage.records import RunRecord
from trackio.system.names import shown_name

FORMATS = ("csv", "jsonl", "parquet")
_EXTENSIONS = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
STDOUT = "-"


def export_format(output: str | Path, fmt: str | None) -> str:
    """The format to write `output` in: `fmt`, else the one its extension names (CSV
    when it names none). A `fmt` the extension contradicts is an error."""
    if fmt is not None and fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    named = None if str(output) == STDOUT else _EXTENSIONS.get(Path(output).suffix.lower())
    if fmt is not None and named is not None and named != fmt:
        raise ValueError(f"{output} has the extension of {named} but the format asked is {fmt}")
    chosen = fmt or named or "csv"
    if str(output) == STDOUT and chosen == "parquet":
        raise ValueError("Parquet cannot be written to standard output; name a file")
    return chosen


def export_project(
    project: str,
    output: str | Path,
    *,
    runs: list[RunRecord] | None = None,
    fmt: str | None = None,
    long: bool = False,
    system: bool = False,
) -> int:
    """Write `runs` of `project` (all runs if None) to `output` (`"-"`: standard output)
    in `fmt`, by default the format its extension names, else CSV; returns rows written.

    Wide (default): one row per run and step, with `step`, `timestamp` and a column
    per metric. `long=True`: one row per value (`step`, `timestamp`, `metric`,
    `value`). When more than one run is exported, `run` and `run_id` columns lead.
    CSV keeps every value exact (floats in shortest round-trip form, `nan`, `inf`),
    so `import_csv` of a one-run export gives the same values back. `system=True`
    writes the runs' system metrics instead, one row per sample (`timestamp` and the
    metrics under the PyPI trackio's names).
    """
    fmt = export_format(output, fmt)
    with open_store(project) as store:
        selected = runs if runs is not None else store.list_runs()
        tagged = len(selected) != 1
        rows: list[dict[str, Any]] = []
        columns: dict[str, None] = dict.fromkeys(["run", "run_id"] if tagged else [])
        columns.update(dict.fromkeys(["timestamp"] if system else ["step", "timestamp"]))
        for record in selected:
            if system:
                names = [shown_name(n) for n in store.metric_names(record, system=True)]
                history = [
                    {"timestamp": row["timestamp"], **{shown_name(k): v for k, v in row.items()}}
                    for row in store.history(record, system=True)
                ]
                for row in history:
                    del row["step"]
            else:
                names = store.metric_names(record)
                history = store.history(record)
            prefix = {"run": record.name, "run_id": record.run_id} if tagged else {}
            if long:
                columns.update(dict.fromkeys(["metric", "value"]))
                rows.extend(
                    {
                        **prefix,
                        **({} if system else {"step": row["step"]}),
                        "timestamp": row["timestamp"],
                        "metric": name,
                        "value": row[name],
                    }
                    for row in history
                    for name in names
                    if name in row and name not in ROW_FIELDS
                )
            else:
                columns.update(dict.fromkeys(n for n in names if n not in ROW_FIELDS))
                rows.extend({**prefix, **row} for row in history)
    if fmt == "parquet":
        _write_parquet(Path(output), list(columns), rows)
        return len(rows)
    write = _write_csv if fmt == "csv" else _write_jsonl
    if str(output) == STDOUT:
        write(sys.stdout, list(columns), rows)
        sys.stdout.flush()
    else:
        with Path(output).open("w", newline="", encoding="utf-8") as handle:
            write(handle, list(columns), rows)
    return len(rows)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


def _write_csv(handle: TextIO, columns: list[str], rows: list[dict[str, Any]]) -> None:
    writer = csv.writer(handle)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_cell(row.get(column)) for column in columns])


def _write_jsonl(handle: TextIO, columns: list[str], rows: list[dict[str, Any]]) -> None:
    for row in rows:
        record = {c: json_safe(row[c]) for c in columns if c in row}
        handle.write(json.dumps(record, ensure_ascii=False, allow_nan=False) + "\n")


def _write_parquet(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise ImportError("Parquet export needs pyarrow: pip install 'trackio[parquet]'") from None
    arrays = {}
    for column in columns:
        values = [row.get(column) for row in rows]
        kinds = {type(v) for v in values if v is not None}
        if int in kinds and any(
            isinstance(v, int) and not INT64_MIN <= v <= INT64_MAX for v in values
        ):
            values = [None if v is None else str(v) for v in values]
        elif len(kinds) > 1 and kinds <= {int, float}:
            values = [None if v is None else float(v) for v in values]
        elif len(kinds) > 1:
            values = [None if v is None else str(v) for v in values]
        arrays[column] = pa.array(values)
    pq.write_table(pa.table(arrays), path)
