"""The runs table: creating, finding, resuming, renaming and deleting runs."""

from __future__ import annotations

import json
import secrets
import shutil
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from trackio.names import generate_run_name
from trackio.storage.paths import media_dir_of

_RUN_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_COLUMNS = (
    "id, run_id, name, group_name, job_type, notes, tags, status, exit_code, created_at, "
    "updated_at, finished_at, config, summary, metric_defs"
)


@dataclass
class RunRecord:
    """One row of the runs table, with its JSON columns decoded."""

    pk: int
    run_id: str
    name: str
    group: str | None
    job_type: str | None
    notes: str | None
    tags: list[str]
    status: str
    exit_code: int | None
    created_at: float
    updated_at: float
    finished_at: float | None
    config: dict[str, Any]
    summary_overrides: dict[str, Any]
    metric_defs: dict[str, dict[str, Any]]


def _record(row: tuple) -> RunRecord:
    return RunRecord(
        pk=row[0],
        run_id=row[1],
        name=row[2],
        group=row[3],
        job_type=row[4],
        notes=row[5],
        tags=json.loads(row[6]),
        status=row[7],
        exit_code=row[8],
        created_at=row[9],
        updated_at=row[10],
        finished_at=row[11],
        config=json.loads(row[12]),
        summary_overrides=json.loads(row[13]),
        metric_defs=json.loads(row[14]),
    )


def new_run_id() -> str:
    """A random 8-character run id, as wandb makes them."""
    return "".join(secrets.choice(_RUN_ID_ALPHABET) for _ in range(8))


def list_runs(conn: sqlite3.Connection) -> list[RunRecord]:
    """Every run of the project, oldest first."""
    return [_record(row) for row in conn.execute(f"SELECT {_COLUMNS} FROM runs ORDER BY id")]


def get_run(conn: sqlite3.Connection, pk: int) -> RunRecord | None:
    """The run with row id `pk`, or None."""
    row = conn.execute(f"SELECT {_COLUMNS} FROM runs WHERE id = ?", (pk,)).fetchone()
    return _record(row) if row else None


def find_run(
    conn: sqlite3.Connection, *, name: str | None = None, run_id: str | None = None
) -> RunRecord | None:
    """The run with id `run_id` if given, else the newest run named `name`, or None."""
    if run_id is not None:
        row = conn.execute(f"SELECT {_COLUMNS} FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    elif name is not None:
        row = conn.execute(
            f"SELECT {_COLUMNS} FROM runs WHERE name = ? ORDER BY id DESC LIMIT 1", (name,)
        ).fetchone()
    else:
        return None
    return _record(row) if row else None


def create_run(
    conn: sqlite3.Connection,
    *,
    name: str | None,
    run_id: str | None,
    group: str | None,
    job_type: str | None,
    notes: str | None,
    tags: list[str],
    config_json: str,
) -> RunRecord:
    """Insert a running run; a missing name or id is generated. Call inside a write transaction."""
    if name is None:
        taken = {row[0] for row in conn.execute("SELECT name FROM runs")}
        name = generate_run_name(len(taken) + 1, taken)
    if run_id is None:
        run_id = new_run_id()
    now = time.time()
    pk = conn.execute(
        "INSERT INTO runs (run_id, name, group_name, job_type, notes, tags, status, created_at, "
        "updated_at, config) VALUES (?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)",
        (run_id, name, group, job_type, notes, json.dumps(tags), now, now, config_json),
    ).lastrowid
    record = get_run(conn, pk)
    assert record is not None
    return record


def reopen_run(conn: sqlite3.Connection, record: RunRecord, config_json: str) -> RunRecord:
    """Mark a run running again and store its merged config. Call inside a write transaction."""
    conn.execute(
        "UPDATE runs SET status = 'running', exit_code = NULL, finished_at = NULL, "
        "updated_at = ?, config = ? WHERE id = ?",
        (time.time(), config_json, record.pk),
    )
    reopened = get_run(conn, record.pk)
    assert reopened is not None
    return reopened


def last_step(conn: sqlite3.Connection, pk: int) -> int | None:
    """The highest step any value of run `pk` was logged at, or None if it has none."""
    row = conn.execute(
        "SELECT max(s) FROM (SELECT max(max_step) AS s FROM chunks WHERE run = ? "
        "UNION ALL SELECT max(step) FROM extras WHERE run = ? "
        "UNION ALL SELECT max(step) FROM media WHERE run = ?)",
        (pk, pk, pk),
    ).fetchone()
    return row[0]


def rename_run(conn: sqlite3.Connection, pk: int, new_name: str) -> None:
    """Rename run `pk`; another run already named `new_name` is an error."""
    if not isinstance(new_name, str) or not new_name.strip():
        raise ValueError("a run name must be a non-empty string")
    clash = conn.execute("SELECT 1 FROM runs WHERE name = ? AND id != ?", (new_name, pk)).fetchone()
    if clash:
        raise ValueError(f"a run named {new_name!r} already exists in this project")
    conn.execute(
        "UPDATE runs SET name = ?, updated_at = ? WHERE id = ?", (new_name, time.time(), pk)
    )


def delete_run(conn: sqlite3.Connection, pk: int) -> None:
    """Delete run `pk`, every value it logged and its media files.

    Call inside a write transaction; the files go first, so a failure leaves
    records without files rather than files nothing points at.
    """
    row = conn.execute("SELECT run_id FROM runs WHERE id = ?", (pk,)).fetchone()
    if row is not None:
        shutil.rmtree(media_dir_of(conn) / row[0], ignore_errors=True)
    conn.execute("DELETE FROM chunks WHERE run = ?", (pk,))
    conn.execute("DELETE FROM extras WHERE run = ?", (pk,))
    conn.execute("DELETE FROM media WHERE run = ?", (pk,))
    conn.execute("DELETE FROM runs WHERE id = ?", (pk,))
