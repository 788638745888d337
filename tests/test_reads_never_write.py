"""Reading a project (Api, CLI, dashboard server) never writes to its directory; files
written by the PyPI trackio are changed only by an explicit `trackio migrate`."""

import hashlib
import json
import sqlite3
import textwrap
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from child_output import first_lines_of_show
from pypi_trackio_files import write_043

import trackio
from trackio.storage.errors import StoreError

WRITE_PROJECT = textwrap.dedent(
    """
    import trackio
    with trackio.init(project="steady", name="done", config={"lr": 0.1}) as run:
        for i in range(300):
            run.log({"loss": 1 / (i + 1), "acc": i / 300, "note": str(i)})
    """
)


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _listing(folder):
    return sorted(p.name for p in folder.iterdir())


def _url(server, path, **params):
    return server.url + path.lstrip("/") + "?" + urlencode(params)


def _get(server, path, **params):
    with urllib.request.urlopen(_url(server, path, **params), timeout=30) as response:
        return json.loads(response.read())


def test_listing_an_empty_file_writes_nothing(cli, trackio_dir):
    (trackio_dir / "empty.db").touch()

    listed = cli("list", "runs", "--project", "empty")
    assert listed.returncode == 0, listed.stderr
    assert len(listed.stdout.strip().splitlines()) <= 1, listed.stdout
    as_json = cli("list", "runs", "--project", "empty", "--json")
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == {"project": "empty", "runs": []}

    assert _listing(trackio_dir) == ["empty.db"]
    assert (trackio_dir / "empty.db").stat().st_size == 0


def test_pypi_file_is_read_only_until_migrated(cli, server, trackio_dir):
    path = trackio_dir / "legacy-proj.db"
    write_043(path)
    digest = _digest(path)

    with pytest.raises(ValueError, match="trackio migrate"):
        trackio.Api().runs("legacy-proj")

    listed = cli("list", "runs", "--project", "legacy-proj")
    assert listed.returncode == 1
    assert len(listed.stderr.strip().splitlines()) == 1, listed.stderr
    assert "trackio migrate" in listed.stderr

    with pytest.raises(urllib.error.HTTPError) as served:
        _get(server, "/api/runs", project="legacy-proj")
    assert served.value.code == 409
    assert "trackio migrate" in json.loads(served.value.read())["error"]

    assert _digest(path) == digest
    assert _listing(trackio_dir) == ["legacy-proj.db"]

    migrated = cli("migrate", "--project", "legacy-proj")
    assert migrated.returncode == 0, migrated.stderr
    assert any("migrated" in line for line in migrated.stdout.splitlines()), migrated.stdout
    assert (trackio_dir / "legacy-proj.db.pypi-trackio-backup").is_file()

    (run,) = trackio.Api().runs("legacy-proj")
    assert run.name == "old-run"
    assert [(r["step"], r["loss"]) for r in run.history()] == [(0, 1.0), (1, 0.5), (2, 1.0 / 3)]


def test_migrate_without_project_migrates_every_old_file_once(cli, run_child, trackio_dir):
    written = run_child(WRITE_PROJECT)
    assert written.returncode == 0, written.stderr
    for name in ("leg-a", "leg-b"):
        write_043(trackio_dir / f"{name}.db")

    first = cli("migrate")
    assert first.returncode == 0, first.stderr
    assert "migrated" in first.stdout.lower(), first.stdout
    assert "leg-a" in first.stdout and "leg-b" in first.stdout, first.stdout
    for name in ("leg-a", "leg-b"):
        assert (trackio_dir / f"{name}.db.pypi-trackio-backup").is_file()
        assert [r.name for r in trackio.Api().runs(name)] == ["old-run"]
    assert not (trackio_dir / "steady.db.pypi-trackio-backup").exists()

    digests = {p.name: _digest(p) for p in trackio_dir.glob("*.db*") if p.is_file()}
    second = cli("migrate")
    assert second.returncode == 0, second.stderr
    assert "migrated" not in second.stdout.lower(), second.stdout
    assert "nothing" in second.stdout.lower() or "no project" in second.stdout.lower(), (
        second.stdout
    )
    assert {p: _digest(trackio_dir / p) for p in digests} == digests


def test_reading_a_finished_project_leaves_its_file_untouched(
    cli, server, run_child, trackio_dir, tmp_path
):
    written = run_child(WRITE_PROJECT)
    assert written.returncode == 0, written.stderr
    path = trackio_dir / "steady.db"
    before = (_digest(path), path.stat().st_mtime_ns)

    (run,) = trackio.Api().runs("steady")
    assert len(run.history()) == 300
    assert sum(1 for _ in run.scan_history()) == 300
    assert run.summary["note"] == "299"
    assert trackio.Api().run("steady/done").config == {"lr": 0.1}

    commands = [
        ("list", "runs", "--project", "steady", "--json"),
        ("get", "run", "--project", "steady", "--run", "done", "--json"),
        ("list", "metrics", "--project", "steady", "--json"),
        ("get", "metric", "--project", "steady", "--run", "done", "--metric", "loss", "--json"),
        ("export", "--project", "steady", "--format", "csv", "--output", tmp_path / "out.csv"),
    ]
    for command in commands:
        result = cli(*command)
        assert result.returncode == 0, (command, result.stderr)

    assert _get(server, "/api/runs", project="steady")["runs"][0]["status"] == "finished"
    (series,) = _get(server, "/api/series", project="steady", metric="loss")["series"]
    assert series["total"] == 300

    assert (_digest(path), path.stat().st_mtime_ns) == before


def test_show_names_the_projects_that_need_migrating(cli_env, trackio_dir):
    write_043(trackio_dir / "legacy-proj.db")
    digest = _digest(trackio_dir / "legacy-proj.db")
    lines = first_lines_of_show(cli_env)
    assert "dashboard running at" in lines[0]
    assert "legacy-proj" in lines[1] and "trackio migrate" in lines[1]
    assert _digest(trackio_dir / "legacy-proj.db") == digest


def test_files_that_are_not_projects_are_refused_and_left_alone(cli, trackio_dir):
    (trackio_dir / "junk.db").write_bytes(b"this is not a database")
    foreign = sqlite3.connect(trackio_dir / "notes.db")
    foreign.execute("CREATE TABLE notes (text TEXT)")
    foreign.commit()
    foreign.close()
    write_043(trackio_dir / "legacy-proj.db")
    digests = {name: _digest(trackio_dir / name) for name in ("junk.db", "notes.db")}

    for project in ("junk", "notes"):
        listed = cli("list", "runs", "--project", project)
        assert listed.returncode == 1
        (line,) = listed.stderr.splitlines()
        assert "not a trackio project file" in line, line
        with pytest.raises(StoreError, match="not a trackio project file"):
            trackio.init(project=project)
    renamed = cli("rename", "--project", "junk", "--run", "a", "--to", "b")
    assert renamed.returncode == 1 and len(renamed.stderr.splitlines()) == 1

    migrated = cli("migrate")
    assert migrated.returncode == 0, migrated.stderr
    assert "migrated project 'legacy-proj'" in migrated.stdout
    assert {name: _digest(trackio_dir / name) for name in digests} == digests
    assert not (trackio_dir / "notes.db-wal").exists()
