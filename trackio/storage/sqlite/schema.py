"""The project file's schema, its forward migrations, and the `trackio_meta` table.

Each entry of `MIGRATIONS` moves a database from version `index` to `index + 1`;
a database records the version it is at in `trackio_meta`. Migrating is a write,
done only by the store's writers (`init`, imports, `trackio migrate`), never on read.
"""

from __future__ import annotations

import sqlite3

from trackio.storage.errors import NewerSchemaError

_V1 = """
CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    group_name TEXT,
    job_type TEXT,
    notes TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL,
    exit_code INTEGER,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    finished_at REAL,
    config TEXT NOT NULL DEFAULT '{}',
    summary TEXT NOT NULL DEFAULT '{}',
    metric_defs TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX runs_by_name ON runs (name, id);

CREATE TABLE metric_keys (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- A chunk holds consecutive points of one series: kind 0 = float64, 1 = int64,
-- 2 = bool. `steps` is NULL when the steps run first_step, first_step + 1, ...
-- `last_time` and `last_value` belong to its last point, the one logged last.
-- `blocks` summarises every 64 points (see chunks.BLOCK_FIELDS) for downsampling.
CREATE TABLE chunks (
    id INTEGER PRIMARY KEY,
    run INTEGER NOT NULL,
    metric INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    n INTEGER NOT NULL,
    first_step INTEGER NOT NULL,
    min_step INTEGER NOT NULL,
    max_step INTEGER NOT NULL,
    vmin REAL,
    vmax REAL,
    last_time REAL NOT NULL,
    last_value,
    steps BLOB,
    vals BLOB NOT NULL,
    times BLOB NOT NULL,
    blocks BLOB
);
CREATE INDEX chunks_by_series ON chunks (run, metric, id);

-- Values that are not 64-bit numbers, one row each: kind 'str' (the text itself),
-- 'int' (an integer beyond 64 bits, in hexadecimal), 'json' (anything else).
CREATE TABLE extras (
    id INTEGER PRIMARY KEY,
    run INTEGER NOT NULL,
    metric INTEGER NOT NULL,
    step INTEGER NOT NULL,
    time REAL NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL
);
CREATE INDEX extras_by_series ON extras (run, metric, step);
"""

_V2 = """
-- Logged media: images, videos, audio, tables (files in the project's media folder,
-- `path` relative to it) and histograms (`path` NULL, bins in `meta`).
CREATE TABLE media (
    id INTEGER PRIMARY KEY,
    run INTEGER NOT NULL,
    metric INTEGER NOT NULL,
    step INTEGER NOT NULL,
    time REAL NOT NULL,
    kind TEXT NOT NULL,
    path TEXT,
    caption TEXT,
    meta TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX media_by_series ON media (run, metric, step);
"""

_V3 = """
-- The writer's heartbeat and where it runs, so a run whose process is gone reads
-- as crashed.
ALTER TABLE runs ADD COLUMN heartbeat_at REAL;
ALTER TABLE runs ADD COLUMN pid INTEGER;
ALTER TABLE runs ADD COLUMN host TEXT;
"""

_V4 = """
-- Change numbers, so a reader can ask what changed after the last number it saw and
-- get each change once: every write to a run takes the next number of the project's
-- counter (writes are serialised, so numbers are handed out in commit order).
-- `config_seq` is the number of the run's last config change, `deleted_seq` that of
-- the last deletion of a run.
ALTER TABLE runs ADD COLUMN change_seq INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN config_seq INTEGER NOT NULL DEFAULT 0;
CREATE TABLE run_changes (
    id INTEGER PRIMARY KEY CHECK (id = 0),
    seq INTEGER NOT NULL,
    deleted_seq INTEGER NOT NULL
);
INSERT INTO run_changes (id, seq, deleted_seq) VALUES (0, 0, 0);
"""

_V5 = """
-- Ids of the batches a team server stored, written in the same transaction as the
-- batch: a batch a client sends again (it saw no answer) is stored once.
CREATE TABLE ingested_batches (
    id TEXT PRIMARY KEY,
    received_at REAL NOT NULL
) WITHOUT ROWID;
"""

_V6 = """
-- Alerts a run raised (`trackio.alert`): when, at which step, how grave, and what.
CREATE TABLE alerts (
    id INTEGER PRIMARY KEY,
    run INTEGER NOT NULL,
    time REAL NOT NULL,
    step INTEGER,
    level TEXT NOT NULL,
    title TEXT NOT NULL,
    text TEXT
);
CREATE INDEX alerts_by_run ON alerts (run, time);
"""

MIGRATIONS: list[str] = [_V1, _V2, _V3, _V4, _V5, _V6]
SCHEMA_VERSION = len(MIGRATIONS)
READABLE_SINCE = 5
"""The oldest version a reader takes as it is: version 6 only added the alerts table,
so an older file reads as having raised no alert (a writer upgrades it)."""


def schema_version(conn: sqlite3.Connection) -> int:
    """The version a database is at; 0 for a database trackio never wrote to."""
    has_meta = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'trackio_meta'"
    ).fetchone()
    if not has_meta:
        return 0
    row = conn.execute("SELECT value FROM trackio_meta WHERE key = 'schema_version'").fetchone()
    return int(row[0]) if row else 0


def table_names(conn: sqlite3.Connection) -> set[str]:
    """Names of the tables in the file."""
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def stored_project_name(conn: sqlite3.Connection) -> str | None:
    """The project name kept in a file whose name had to be shortened with a hash."""
    if "trackio_meta" not in table_names(conn):
        return None
    row = conn.execute("SELECT value FROM trackio_meta WHERE key = 'project_name'").fetchone()
    return row[0] if row else None


def store_project_name(conn: sqlite3.Connection, project: str) -> None:
    """Keep the project name in the file; call inside a write transaction."""
    conn.execute(
        "INSERT OR IGNORE INTO trackio_meta (key, value) VALUES ('project_name', ?)", (project,)
    )


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the database up to `SCHEMA_VERSION`; the caller holds a write transaction."""
    version = schema_version(conn)
    if version > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"this project file has schema version {version}, newer than this trackio "
            f"understands ({SCHEMA_VERSION}); upgrade trackio to read it"
        )
    if version == SCHEMA_VERSION:
        return
    conn.execute("CREATE TABLE IF NOT EXISTS trackio_meta (key TEXT PRIMARY KEY, value TEXT)")
    for script in MIGRATIONS[version:]:
        for statement in _statements(script):
            conn.execute(statement)
    conn.execute(
        "INSERT OR REPLACE INTO trackio_meta (key, value) VALUES ('schema_version', ?)",
        (str(SCHEMA_VERSION),),
    )


def _statements(script: str) -> list[str]:
    lines = [line for line in script.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
