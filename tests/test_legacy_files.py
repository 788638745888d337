import hashlib
import json
import math
import sqlite3

import pytest
from pypi_trackio_files import SCHEMA_OLD, write_043

import trackio


def _legacy_rows(path):
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute("SELECT * FROM metrics ORDER BY id").fetchall()
    finally:
        conn.close()


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _assert_imported(project):
    (run,) = trackio.Api().runs(project)
    assert run.name == "old-run"
    assert run.status == "finished"
    assert run.group == "g1"
    assert run.config == {"lr": 0.1}
    rows = run.history()
    assert [r["step"] for r in rows] == [0, 1, 2]
    assert [r["loss"] for r in rows] == [1.0, 0.5, 1.0 / 3]
    assert [r["__step"] for r in rows] == [0, 10, 20], "a metric logged as `step` is `__step`"
    assert all(math.isnan(r["acc"]) for r in rows)
    assert rows[2]["peak"] == math.inf


def _migrate(cli, project):
    with pytest.raises(ValueError, match="trackio migrate"):
        trackio.Api().runs(project)
    result = cli("migrate", "--project", project)
    assert result.returncode == 0, result.stderr
    assert f"migrated project {project!r}" in result.stdout
    assert "PyPI trackio" in result.stderr


def test_same_file_name_is_backed_up_then_migrated_beside_old_tables(trackio_dir, cli):
    path = trackio_dir / "legacy-proj.db"
    write_043(path)
    before = _legacy_rows(path)

    assert "legacy-proj" in trackio.Api().projects()
    _migrate(cli, "legacy-proj")
    _assert_imported("legacy-proj")

    backup = trackio_dir / "legacy-proj.db.pypi-trackio-backup"
    assert _legacy_rows(backup) == before
    assert _legacy_rows(path) == before

    with trackio.init(project="legacy-proj", name="new-run") as run:
        run.log({"loss": 0.1})
    assert sorted(r.name for r in trackio.Api().runs("legacy-proj")) == ["new-run", "old-run"]
    assert _legacy_rows(path) == before


def test_other_file_name_is_copied_and_original_left_untouched(trackio_dir, cli):
    path = trackio_dir / "LegacyProj.db"
    write_043(path)
    digest = _digest(path)

    assert trackio.Api().projects() == ["LegacyProj"]
    _migrate(cli, "LegacyProj")
    _assert_imported("LegacyProj")
    assert _digest(path) == digest
    assert trackio.Api().projects() == ["LegacyProj"]


def test_oldest_schema_without_run_ids_is_read(trackio_dir, cli):
    path = trackio_dir / "ancient.db"
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_OLD)
    conn.execute(
        "INSERT INTO metrics (timestamp, run_name, step, metrics) VALUES (?,?,?,?)",
        ("2024-05-01T10:00:00", "first", 0, json.dumps({"x": 5})),
    )
    conn.execute(
        "INSERT INTO configs (run_name, config, created_at) VALUES (?,?,?)",
        ("first", json.dumps({"seed": 1}), "2024-05-01T10:00:00"),
    )
    conn.commit()
    conn.close()

    _migrate(cli, "ancient")
    (run,) = trackio.Api().runs("ancient")
    assert run.name == "first"
    assert run.config == {"seed": 1}
    assert [(r["step"], r["x"]) for r in run.history()] == [(0, 5)]
