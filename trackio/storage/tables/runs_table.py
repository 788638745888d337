"""The `runs` table: one row per run with its metadata, config and status."""

from __future__ import annotations

import json
import time
from typing import Any

from trackio.storage.records import RunChanges, RunRecord, reported_status
from trackio.storage.tables.sql import Connection

_COLUMNS = (
    "id, run_id, name, group_name, job_type, notes, tags, status, exit_code, created_at, "
    "updated_at, finished_at, config, summary, metric_defs, heartbeat_at, pid, host, "
    "change_seq, config_seq"
)
_SETTABLE = frozenset({"config", "summary", "metric_defs"})


def _record(row: tuple[Any, ...], now: float) -> RunRecord:
    return RunRecord(
        pk=row[0],
        run_id=row[1],
        name=row[2],
        group=row[3],
        job_type=row[4],
        notes=row[5],
        tags=json.loads(row[6]),
        status=reported_status(
            row[7], row[15] if row[15] is not None else row[10], row[16], row[17], now
        ),
        exit_code=row[8],
        created_at=row[9],
        updated_at=row[10],
        finished_at=row[11],
        config=json.loads(row[12]),
        summary_overrides=json.loads(row[13]),
        metric_defs=json.loads(row[14]),
        heartbeat_at=row[15],
        pid=row[16],
        host=row[17],
        change_seq=row[18],
        config_seq=row[19],
    )


def list_runs(conn: Connection) -> list[RunRecord]:
    """Every run of the project, oldest first."""
    now = time.time()
    return [_record(row, now) for row in conn.execute(f"SELECT {_COLUMNS} FROM runs ORDER BY id")]


def change_mark(conn: Connection) -> tuple[Any, ...]:
    """The project's change counter, its last deletion's number and its first and last
    runs' ids (random: a project deleted and made again, whose counter starts over,
    differs in them). Equal marks, the same runs as stored (a `crashed` status is
    worked out when read)."""
    seq, deleted_seq = conn.execute("SELECT seq, deleted_seq FROM run_changes").fetchone()
    ends = conn.execute(
        "SELECT (SELECT run_id FROM runs ORDER BY id LIMIT 1), "
        "(SELECT run_id FROM runs ORDER BY id DESC LIMIT 1)"
    ).fetchone()
    return (int(seq), int(deleted_seq), *ends)


def changes(conn: Connection, after: int | None) -> RunChanges:
    """The runs written after change number `after` (all runs if None), every run
    stored as running, and the newest change number; read in the caller's snapshot."""
    now = time.time()
    seq, deleted_seq = conn.execute("SELECT seq, deleted_seq FROM run_changes").fetchone()
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM runs WHERE change_seq > ? OR status = 'running' ORDER BY id",
        (-1 if after is None else after,),
    ).fetchall()
    records = [_record(row, now) for row in rows]
    changed = [r for r in records if after is None or r.change_seq > after]
    running = [r for r, row in zip(records, rows, strict=True) if row[7] == "running"]
    run_ids = None
    if after is not None and deleted_seq > after:
        run_ids = [row[0] for row in conn.execute("SELECT run_id FROM runs ORDER BY id")]
    return RunChanges(cursor=seq, changed=changed, running=running, run_ids=run_ids)


def _next_change(conn: Connection) -> int:
    """The next change number; call inside the write transaction that makes the change."""
    return int(conn.execute("UPDATE run_changes SET seq = seq + 1 RETURNING seq").fetchall()[0][0])


def get_run(conn: Connection, pk: int) -> RunRecord | None:
    """The run with row id `pk`, or None."""
    row = conn.execute(f"SELECT {_COLUMNS} FROM runs WHERE id = ?", (pk,)).fetchone()
    return _record(row, time.time()) if row else None


def find_run(
    conn: Connection, *, name: str | None = None, run_id: str | None = None
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
    return _record(row, time.time()) if row else None


def pk_of(conn: Connection, run_id: str) -> int | None:
    """The row id of the run with id `run_id`, or None."""
    row = conn.execute("SELECT id FROM runs WHERE run_id = ?", (run_id,)).fetchone()
    return row[0] if row else None


def run_ids_by_pk(conn: Connection) -> dict[int, str]:
    """Every run's id by its row id."""
    return dict(conn.execute("SELECT id, run_id FROM runs"))


def names(conn: Connection) -> set[str]:
    """Every run name of the project."""
    return {row[0] for row in conn.execute("SELECT name FROM runs")}


def count(conn: Connection) -> int:
    """How many runs the project has."""
    return int(conn.execute("SELECT count(*) FROM runs").fetchone()[0])


def insert_run(
    conn: Connection,
    *,
    run_id: str,
    name: str,
    group: str | None,
    job_type: str | None,
    notes: str | None,
    tags: list[str],
    status: str,
    config_json: str,
    created_at: float,
    updated_at: float,
    finished_at: float | None = None,
    exit_code: int | None = None,
    summary_json: str = "{}",
    metric_defs_json: str = "{}",
    pid: int | None = None,
    host: str | None = None,
) -> int:
    """Insert a run and return its row id. Call inside a write transaction."""
    change = _next_change(conn)
    cursor = conn.execute(
        "INSERT INTO runs (run_id, name, group_name, job_type, notes, tags, status, exit_code, "
        "created_at, updated_at, finished_at, config, summary, metric_defs, heartbeat_at, pid, "
        "host, change_seq, config_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "?, ?) RETURNING id",
        (
            run_id,
            name,
            group,
            job_type,
            notes,
            json.dumps(tags),
            status,
            exit_code,
            created_at,
            updated_at,
            finished_at,
            config_json,
            summary_json,
            metric_defs_json,
            updated_at if status == "running" else None,
            pid,
            host,
            change,
            change,
        ),
    )
    return int(cursor.fetchone()[0])


def reopen_run(conn: Connection, pk: int, config_json: str, pid: int, host: str) -> None:
    """Mark a run running again in process `pid` of `host`, with its merged config."""
    now = time.time()
    change = _next_change(conn)
    conn.execute(
        "UPDATE runs SET status = 'running', exit_code = NULL, finished_at = NULL, "
        "updated_at = ?, heartbeat_at = ?, config = ?, pid = ?, host = ?, change_seq = ?, "
        "config_seq = ? WHERE id = ?",
        (now, now, config_json, pid, host, change, change, pk),
    )


def touch(conn: Connection, pk: int, updated_at: float | None, heartbeat_at: float) -> None:
    """Record that run `pk` wrote values up to `updated_at` and its writer is alive."""
    if updated_at is None:
        conn.execute("UPDATE runs SET heartbeat_at = ? WHERE id = ?", (heartbeat_at, pk))
    else:
        conn.execute(
            "UPDATE runs SET updated_at = ?, heartbeat_at = ?, change_seq = ? WHERE id = ?",
            (updated_at, heartbeat_at, _next_change(conn), pk),
        )


def set_json_field(conn: Connection, pk: int, field: str, text: str) -> None:
    """Replace the run's `config`, `summary` (overrides) or `metric_defs` JSON."""
    if field not in _SETTABLE:
        raise ValueError(f"unknown run field {field!r}")
    change = _next_change(conn)
    also = ", config_seq = ?" if field == "config" else ""
    conn.execute(
        f"UPDATE runs SET {field} = ?, updated_at = ?, change_seq = ?{also} WHERE id = ?",
        (text, time.time(), change, *((change,) if also else ()), pk),
    )


def finish_run(
    conn: Connection, pk: int, status: str, exit_code: int | None, finished_at: float
) -> None:
    """Mark the run finished (or failed) at `finished_at`."""
    conn.execute(
        "UPDATE runs SET status = ?, exit_code = ?, finished_at = ?, updated_at = ?, "
        "change_seq = ? WHERE id = ?",
        (status, exit_code, finished_at, finished_at, _next_change(conn), pk),
    )


def rename_run(conn: Connection, pk: int, new_name: str) -> None:
    """Rename run `pk`; another run already named `new_name` is an error."""
    if not isinstance(new_name, str) or not new_name.strip():
        raise ValueError("a run name must be a non-empty string")
    clash = conn.execute("SELECT 1 FROM runs WHERE name = ? AND id != ?", (new_name, pk)).fetchone()
    if clash:
        raise ValueError(f"a run named {new_name!r} already exists in this project")
    conn.execute(
        "UPDATE runs SET name = ?, updated_at = ?, change_seq = ? WHERE id = ?",
        (new_name, time.time(), _next_change(conn), pk),
    )


def delete_run(conn: Connection, pk: int) -> None:
    """Delete the run's row."""
    conn.execute("DELETE FROM runs WHERE id = ?", (pk,))
    conn.execute("UPDATE run_changes SET deleted_seq = ?", (_next_change(conn),))
