"""Project files as the PyPI trackio package writes them, for the migration tests."""

import json
import sqlite3

SCHEMA_043 = """
CREATE TABLE metrics (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL,
    timestamp TEXT NOT NULL, run_name TEXT NOT NULL, step INTEGER NOT NULL,
    metrics TEXT NOT NULL, log_id TEXT, space_id TEXT);
CREATE TABLE configs (id INTEGER PRIMARY KEY AUTOINCREMENT, run_id TEXT NOT NULL,
    run_name TEXT NOT NULL, config TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE(run_id));
"""
SCHEMA_OLD = """
CREATE TABLE metrics (id INTEGER PRIMARY KEY AUTOINCREMENT, timestamp TEXT,
    run_name TEXT, step INTEGER, metrics TEXT);
CREATE TABLE configs (id INTEGER PRIMARY KEY AUTOINCREMENT, run_name TEXT NOT NULL,
    config TEXT NOT NULL, created_at TEXT NOT NULL, UNIQUE(run_name));
"""


def write_043(path):
    """A project file as the PyPI trackio 0.4.3 writes it: run 'old-run' (id uuid-a),
    steps 0-2 of loss 1, 1/2, 1/3, NaN acc and an infinite peak, config lr and a group."""
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_043)
    for step in range(3):
        blob = {"loss": 1.0 / (step + 1), "__step": step * 10, "acc": "NaN"}
        if step == 2:
            blob["peak"] = "Infinity"
        conn.execute(
            "INSERT INTO metrics (run_id, timestamp, run_name, step, metrics) VALUES (?,?,?,?,?)",
            (
                "uuid-a",
                f"2025-01-01T00:00:0{step}+00:00",
                "old-run",
                step,
                json.dumps(blob).encode(),
            ),
        )
    conn.execute(
        "INSERT INTO configs (run_id, run_name, config, created_at) VALUES (?,?,?,?)",
        (
            "uuid-a",
            "old-run",
            json.dumps({"lr": 0.1, "_Group": "g1", "_Created": "x"}),
            "2025-01-01T00:00:00+00:00",
        ),
    )
    conn.commit()
    conn.close()
