"""The project file on disk: complete by itself once a process ends, values kept through
a full disk, and a project deleted under a running process stays deleted."""

import json
import shutil
import subprocess
import sys
import textwrap

import pytest

import trackio

LOG_THOUSAND = textwrap.dedent(
    """
    import trackio
    trackio.init(project={project!r}, name="copied")
    for i in range(1000):
        trackio.log({{"loss": i / 1000}})
    {ending}
    """
)

FILL_THE_DISK = textwrap.dedent(
    """
    import errno, json, os, sys, time
    import trackio

    filler = sys.argv[1]
    trackio.init(project="full", name="filled")
    for i in range(100):
        trackio.log({"a": i, "b": i * 0.5, "c": -i})
    time.sleep(1.5)

    with open(filler, "wb", buffering=0) as handle:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    handle.write(b"\\0" * size)
            except OSError as error:
                assert error.errno == errno.ENOSPC, error

    for i in range(100, 20100):
        trackio.log({"a": i, "b": i * 0.5, "c": -i, "d": i % 7, "e": float(i)})
    try:
        trackio.finish()
        finish_error = None
    except Exception as error:
        finish_error = repr(error)

    os.remove(filler)
    deadline = time.monotonic() + 20
    while True:
        rows = trackio.Api().runs("full")[0].history()
        if len(rows) == 20100 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    print(json.dumps({
        "finish_error": finish_error,
        "rows": len(rows),
        "steps_in_order": [r["step"] for r in rows] == list(range(len(rows))),
    }), flush=True)
    """
)

DELETE_WHILE_LOGGING = textwrap.dedent(
    """
    import time
    import trackio
    trackio.init(project="gone", name="orphan")
    for i in range(10):
        trackio.log({"v": i})
    time.sleep(1.5)
    trackio.Api().delete_project("gone")
    for i in range(5):
        trackio.log({"v": 10 + i})
    time.sleep(1.5)
    for i in range(5):
        trackio.log({"v": 15 + i})
    trackio.finish()
    print("exiting", flush=True)
    """
)


@pytest.mark.parametrize(
    ("project", "ending"),
    [("copyme", "trackio.finish()"), ("copyme2", "")],
    ids=["finish", "interpreter-exit"],
)
def test_db_file_alone_holds_everything_after_the_process_ends(
    project, ending, run_child, trackio_dir, tmp_path, monkeypatch
):
    proc = run_child(LOG_THOUSAND.format(project=project, ending=ending))
    assert proc.returncode == 0, proc.stderr

    copy_dir = tmp_path / "copy"
    copy_dir.mkdir()
    shutil.copyfile(trackio_dir / f"{project}.db", copy_dir / f"{project}.db")
    monkeypatch.setenv("TRACKIO_DIR", str(copy_dir))
    (run,) = trackio.Api().runs(project)
    assert run.status == "finished"
    rows = run.history()
    assert len(rows) == 1000
    assert rows[-1]["loss"] == 0.999

    wal = trackio_dir / f"{project}.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0, f"{wal} holds {wal.stat().st_size} bytes"


@pytest.fixture
def small_disk(mount_tmpfs):
    return mount_tmpfs("4m")


@pytest.mark.skipif(sys.platform != "linux", reason="mounts a tmpfs")
def test_full_disk_keeps_values_queued_until_there_is_room(small_disk, child_env, monkeypatch):
    data = small_disk / "data"
    data.mkdir()
    env = dict(child_env, TRACKIO_DIR=str(data))
    proc = subprocess.run(
        [sys.executable, "-c", FILL_THE_DISK, str(small_disk / "filler")],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.splitlines()[-1])

    assert result["finish_error"] is not None, "finish() on a full disk raised nothing"
    assert "disk full" in result["finish_error"].lower(), result["finish_error"]
    assert "cannot rollback" not in result["finish_error"].lower(), result["finish_error"]
    assert result["rows"] == 20100
    assert result["steps_in_order"]

    monkeypatch.setenv("TRACKIO_DIR", str(data))
    (run,) = trackio.Api().runs("full")
    assert run.status == "finished"
    rows = run.history()
    assert len(rows) == 20100
    assert rows[-1] == {
        "step": 20099,
        "timestamp": rows[-1]["timestamp"],
        "a": 20099,
        "b": 20099 * 0.5,
        "c": -20099,
        "d": 20099 % 7,
        "e": 20099.0,
    }


def test_project_deleted_while_logging_stays_deleted(run_child, trackio_dir):
    proc = run_child(DELETE_WHILE_LOGGING)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "exiting"
    assert proc.stderr.count("was deleted or replaced") == 1, proc.stderr
    assert not (trackio_dir / "gone.db").exists()
    assert "gone" not in trackio.Api().projects()


REPLACE_WHILE_LOGGING = textwrap.dedent(
    """
    import os, sqlite3, time
    import trackio
    run = trackio.init(project="restored", name="kept")
    for i in range(10):
        trackio.log({"v": i})
    time.sleep(1.5)
    path = os.path.join(os.environ["TRACKIO_DIR"], "restored.db")
    source, copy = sqlite3.connect(path), sqlite3.connect(path + ".copy")
    source.backup(copy)
    source.close(), copy.close()
    os.replace(path + ".copy", path)
    for i in range(5):
        trackio.log({"v": 10 + i})
    time.sleep(1.5)
    for i in range(5):
        trackio.log({"v": 15 + i})
    trackio.finish()
    """
)


def test_project_file_replaced_while_logging_gets_the_later_values(run_child, read_run):
    proc = run_child(REPLACE_WHILE_LOGGING)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("was replaced while this process was logging") == 1, proc.stderr
    run = read_run("restored")
    assert run.status == "finished"
    assert [row["v"] for row in run.history()] == list(range(20))


MANY_PROJECTS = textwrap.dedent(
    """
    import os
    import trackio

    open_files = []
    for index in range(40):
        with trackio.init(project=f"p{index}", name="r") as run:
            run.log({"x": float(index)})
        open_files.append(len(os.listdir("/proc/self/fd")))
    print(open_files[4], open_files[-1])
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="counts /proc/self/fd")
def test_a_process_logging_to_many_projects_keeps_few_files_open(run_child):
    result = run_child(MANY_PROJECTS)
    assert result.returncode == 0, result.stderr
    early, late = map(int, result.stdout.split()[-2:])
    assert late <= early + 2, (early, late)
    assert sorted(trackio.Api().projects()) == sorted(f"p{index}" for index in range(40))
