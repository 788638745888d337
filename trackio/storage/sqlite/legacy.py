"""Project files written by the PyPI `trackio` package (its `metrics`/`configs` tables).

Such a file is never modified in place without a copy: when our file name for a
project is the same as the old one, a backup (`<file>.pypi-trackio-backup`) is
taken first and our tables are added beside the old ones, which stay untouched;
when the names differ, the old file is copied to our name and imported there.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import secrets
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

from trackio.storage.paths import data_dir, media_dir_for
from trackio.storage.sqlite.connection import copy_database, read_only_query
from trackio.storage.sqlite.schema import table_names
from trackio.storage.tables import runs_table
from trackio.storage.tables.series_writer import SeriesWriter

BACKUP_SUFFIX = ".pypi-trackio-backup"
_MAX_FILE_STEM_BYTES = 200
_RESERVED_KEYS = {"project", "run", "timestamp", "time", "metrics"}
"""Keys the PyPI trackio stores as `__<key>`, given back their names. Not `step`: a
metric of that name is stored as `__step` here too (in rows, `step` is the row's)."""
_SPECIAL_FLOATS = {"Infinity": math.inf, "-Infinity": -math.inf, "NaN": math.nan}


def is_legacy_database(conn: sqlite3.Connection) -> bool:
    """Whether `conn` is a PyPI-trackio project file trackio has not imported yet."""
    tables = table_names(conn)
    return "metrics" in tables and "trackio_meta" not in tables


def legacy_path_for(project: str, directory: Path | None = None) -> Path | None:
    """The file PyPI trackio would use for `project` in `directory` (default
    `data_dir()`), if its naming keeps the name intact."""
    stem = "".join(char for char in project if char.isalnum() or char in "-_").rstrip()
    if not stem or stem != project or len(stem.encode("utf-8")) > _MAX_FILE_STEM_BYTES:
        return None
    return (directory or data_dir()) / f"{stem}.db"


def is_legacy_file(path: Path) -> bool:
    """Whether the file at `path` is a PyPI-trackio project file."""
    return read_only_query(path, is_legacy_database, False)


def back_up(path: Path) -> None:
    """Copy the file at `path` to `<path>.pypi-trackio-backup` unless a backup exists."""
    destination = path.with_name(path.name + BACKUP_SUFFIX)
    if not destination.exists():
        copy_database(path, destination)


def copy_to(source: Path, destination: Path) -> None:
    """Copy a legacy file to `destination` atomically; a concurrent copier may win."""
    temporary = destination.with_name(f"{destination.name}.{os.getpid()}.importing")
    try:
        copy_database(source, temporary)
        with contextlib.suppress(FileExistsError):
            os.link(temporary, destination)
    finally:
        temporary.unlink(missing_ok=True)


def import_rows(conn: sqlite3.Connection, path: Path) -> None:
    """Read the legacy tables of the file at `path` into trackio's; the caller holds
    a write transaction."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(metrics)")}
    key_column = "run_id" if "run_id" in columns else "run_name"
    configs = _legacy_configs(conn, key_column)
    runs: dict[str, int] = {}
    series: dict[int, dict[str, tuple[list, list, list]]] = {}
    rows = conn.execute(
        f"SELECT {key_column}, run_name, step, timestamp, metrics FROM metrics ORDER BY id"
    )
    for run_key, run_name, step, stamp, blob in rows:
        moment = _parse_time(stamp)
        run_pk = runs.get(run_key)
        if run_pk is None:
            run_pk = runs[run_key] = _insert_run(
                conn, run_key, run_name, configs.get(run_key), moment
            )
        per_run = series.setdefault(run_pk, {})
        for key, value in _decode_metrics(blob).items():
            steps, values, times = per_run.setdefault(key, ([], [], []))
            steps.append(int(step))
            values.append(value)
            times.append(moment)
    sink = SeriesWriter(conn, media_dir_for(path))
    run_ids = runs_table.run_ids_by_pk(conn)
    for run_pk, per_run in series.items():
        for key, (steps, values, times) in per_run.items():
            sink.write(run_pk, run_ids[run_pk], key, steps, values, times)
    sink.seal_all()


def _legacy_configs(conn: sqlite3.Connection, key_column: str) -> dict[str, tuple[dict, Any]]:
    if "configs" not in table_names(conn):
        return {}
    columns = {row[1] for row in conn.execute("PRAGMA table_info(configs)")}
    config_key = key_column if key_column in columns else "run_name"
    created = "created_at" if "created_at" in columns else "NULL"
    found = {}
    for run_key, text, created_at in conn.execute(
        f"SELECT {config_key}, config, {created} FROM configs"
    ):
        try:
            config = json.loads(text)
        except (TypeError, ValueError):
            config = {}
        found[run_key] = (config if isinstance(config, dict) else {}, created_at)
    return found


def _insert_run(
    conn: sqlite3.Connection,
    run_key: str,
    run_name: str,
    config_entry: tuple[dict, Any] | None,
    first_seen: float,
) -> int:
    config, created_at = config_entry if config_entry else ({}, None)
    group = config.get("_Group")
    user_config = {k: v for k, v in config.items() if not k.startswith("_")}
    created = _parse_time(created_at) if created_at else first_seen
    return runs_table.insert_run(
        conn,
        run_id=run_key if run_key != run_name else secrets.token_hex(4),
        name=run_name,
        group=group,
        job_type=None,
        notes=None,
        tags=[],
        status="finished",
        config_json=json.dumps(user_config),
        created_at=created,
        updated_at=first_seen,
        finished_at=first_seen,
    )


def _parse_time(stamp: Any) -> float:
    if isinstance(stamp, (int, float)):
        return float(stamp)
    try:
        return datetime.fromisoformat(str(stamp)).timestamp()
    except ValueError:
        return 0.0


def _decode_metrics(blob: str | bytes) -> dict[str, Any]:
    try:
        decoded = json.loads(blob)
    except (TypeError, ValueError):
        return {}
    if not isinstance(decoded, dict):
        return {}
    metrics = {}
    for key, value in decoded.items():
        if key.startswith("__") and key[2:] in _RESERVED_KEYS:
            key = key[2:]
        if isinstance(value, str) and value in _SPECIAL_FLOATS:
            value = _SPECIAL_FLOATS[value]
        metrics[key] = value
    return metrics
