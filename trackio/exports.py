"""Writing runs out as CSV, JSON Lines or Parquet."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from trackio.formatting import json_safe
from trackio.storage import open_store
from trackio.storage.chunks import INT64_MAX, INT64_MIN
from trackio.storage.history import ROW_FIELDS
from trackio.storage.records import RunRecord

FORMATS = ("csv", "jsonl", "parquet")


def export_project(
    project: str,
    output: str | Path,
    *,
    runs: list[RunRecord] | None = None,
    fmt: str = "csv",
    long: bool = False,
) -> int:
    """Write `runs` of `project` (all runs if None) to `output`; returns rows written.

    Wide (default): one row per run and step, with `step`, `timestamp` and a column
    per metric. `long=True`: one row per value (`step`, `timestamp`, `metric`,
    `value`). When more than one run is exported, `run` and `run_id` columns lead.
    CSV keeps every value exact (floats in shortest round-trip form, `nan`, `inf`),
    so `import_csv` of a one-run export gives the same values back.
    """
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    with open_store(project) as store:
        selected = runs if runs is not None else store.list_runs()
        tagged = len(selected) != 1
        rows: list[dict[str, Any]] = []
        columns: dict[str, None] = dict.fromkeys(["run", "run_id"] if tagged else [])
        columns.update(dict.fromkeys(["step", "timestamp"]))
        for record in selected:
            names = store.metric_names(record)
            history = store.history(record)
            prefix = {"run": record.name, "run_id": record.run_id} if tagged else {}
            if long:
                columns.update(dict.fromkeys(["metric", "value"]))
                rows.extend(
                    {
                        **prefix,
                        "step": row["step"],
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
    writer = {"csv": _write_csv, "jsonl": _write_jsonl, "parquet": _write_parquet}[fmt]
    writer(Path(output), list(columns), rows)
    return len(rows)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


def _write_csv(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_cell(row.get(column)) for column in columns])


def _write_jsonl(path: Path, columns: list[str], rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
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
