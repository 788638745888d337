"""The Space bundle run as a Space runs it: its wheel installed into a fresh virtual
environment, its start command with the variables and secrets a Space sets, clients
logging with the write token or a Hub token, a restart that brings every acknowledged
value back from the Dataset (on the local Hub stand-in), and a bucket mount that keeps
them through a kill."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import venv

import pytest
from hub_standin import TOKEN, USER, Repo
from team_support import free_port, start_logger, values_exactly_once

import trackio
from trackio.hub.space_bundle import APP_PORT, build_space_bundle

SPACE_ID = f"{USER}/dashboard"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The bundle's files, and a virtual environment with its wheel (and this Python's
    packages for the dependencies, so nothing downloads)."""
    folder = tmp_path_factory.mktemp("bundle")
    files = build_space_bundle(folder, SPACE_ID)
    environment = tmp_path_factory.mktemp("space-venv")
    venv.create(environment, system_site_packages=True, with_pip=False)
    python = environment / "bin" / "python"
    wheel = next(path for path in files if path.suffix == ".whl")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps"]
        + ["--no-index", str(wheel)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    return folder, environment


class SpaceProcess:
    """The bundle's start command, with the environment a Space gives it."""

    def __init__(self, folder, environment, env, data_dir, port=None, **variables) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = dict(
            env,
            PATH=f"{environment / 'bin'}{os.pathsep}{env['PATH']}",
            PORT=str(self.port),
            SPACE_ID=SPACE_ID,
            SPACE_HOST="tester-dashboard.hf.space",
            TRACKIO_WRITE_TOKEN="space-secret",
            TRACKIO_DATASET_ID=f"{SPACE_ID}-dataset",
            TRACKIO_DIR=str(data_dir),
        )
        self.env.update(variables)
        self.env = {key: value for key, value in self.env.items() if value is not None}
        self.env.pop("PYTHONPATH", None)
        self.process = subprocess.Popen(
            ["sh", "start.sh"],
            cwd=folder,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        import urllib.request

        while True:
            try:
                with urllib.request.urlopen(self.url + "/version", timeout=2) as answer:
                    assert answer.status == 200
                    break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(self.process.communicate()) from None
                time.sleep(0.2)

    def terminate(self, sig: int = signal.SIGTERM) -> tuple[str, str]:
        self.process.send_signal(sig)
        return self.process.communicate(timeout=60)


def test_the_bundle_declares_a_docker_space_that_installs_its_own_wheel(installed):
    folder, environment = installed
    header = (folder / "README.md").read_text().split("---")[1]
    assert "sdk: docker" in header and f"app_port: {APP_PORT}" in header
    dockerfile = (folder / "Dockerfile").read_text()
    assert "trackio-*.whl" in dockerfile and 'CMD ["sh", "start.sh"]' in dockerfile
    (wheel,) = folder.glob("trackio-*.whl")
    where = subprocess.run(
        [str(environment / "bin" / "python"), "-c", "import trackio; print(trackio.__file__)"],
        capture_output=True,
        text=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
        cwd=folder,
    )
    assert where.stdout.strip().startswith(str(environment)), where
    import zipfile

    assert "trackio/dashboard/dist/index.html" in zipfile.ZipFile(wheel).namelist()


def test_the_space_keeps_every_value_across_a_restart(
    installed, hub, child_env, tmp_path, monkeypatch
):
    folder, environment = installed
    stand_in, hub_env = hub
    env = dict(child_env, **hub_env)
    space = SpaceProcess(folder, environment, env, tmp_path / "space-data")
    logger_env = dict(
        child_env,
        TRACKIO_DIR=str(tmp_path / "client"),
        TRACKIO_SERVER_URL=space.url,
        TRACKIO_WRITE_TOKEN="space-secret",
        TRACKIO_QUIET="1",
    )
    wrong = start_logger(dict(logger_env, TRACKIO_WRITE_TOKEN="wrong"), "p", "x", 3, 1)
    assert "refused the write token" in wrong.communicate(timeout=60)[1]
    logger = start_logger(logger_env, "p", "r", 500, 3)
    out, err = logger.communicate(timeout=120)
    assert logger.returncode == 0, err
    out, err = space.terminate()
    assert "snapshot taken on stopping" in err, err
    dataset = stand_in.repo("dataset", f"{SPACE_ID}-dataset")
    assert dataset is not None and dataset.private and "p.db" in dataset.files
    assert not any(
        b"space-secret" in data or TOKEN.encode() in data for data in dataset.files.values()
    )

    shutil.rmtree(tmp_path / "space-data")
    restarted = SpaceProcess(folder, environment, env, tmp_path / "space-data")
    try:
        monkeypatch.setenv("TRACKIO_DIR", str(tmp_path / "space-data"))
        assert values_exactly_once("p", "r", 500, 3).status == "finished"
    finally:
        restarted.terminate()
    assert trackio.Api().run("p/r").config["name"] == "r"


def test_a_space_on_a_bucket_keeps_every_value_through_a_kill_and_takes_hub_tokens(
    installed, hub, child_env, tmp_path, monkeypatch
):
    """The bucket mounted at TRACKIO_BUCKET_MOUNT (a local folder here) holds the live
    projects, in rollback-journal mode; a teammate logs with a Hub token through
    `TRACKIO_SPACE_ID`, and SIGKILL loses nothing acknowledged."""
    folder, environment = installed
    stand_in, hub_env = hub
    env = dict(child_env, **hub_env)
    mount = tmp_path / "bucket"
    mount.mkdir()
    variables = {"TRACKIO_BUCKET_MOUNT": str(mount), "TRACKIO_DATASET_ID": None}
    space = SpaceProcess(folder, environment, env, tmp_path / "space-tmp", **variables)
    stand_in.repos[("space", SPACE_ID)] = Repo(
        "space", SPACE_ID, private=True, sdk="docker", host=space.url
    )
    logger_env = dict(
        env,
        TRACKIO_DIR=str(tmp_path / "client"),
        TRACKIO_SPACE_ID="dashboard",
        TRACKIO_QUIET="1",
    )
    logger_env.pop("TRACKIO_WRITE_TOKEN", None)
    logger = start_logger(logger_env, "p", "r", 500, 3)
    out, err = logger.communicate(timeout=120)
    assert logger.returncode == 0 and "trackio:" not in err, err
    out, err = space.terminate(signal.SIGKILL)
    database = mount / "trackio" / "p.db"
    assert database.is_file() and not (mount / "trackio" / "p.db-wal").exists()
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    assert not list((tmp_path / "space-tmp").glob("*.db"))
    assert TOKEN not in out + err

    restarted = SpaceProcess(folder, environment, env, tmp_path / "space-tmp", **variables)
    try:
        monkeypatch.setenv("TRACKIO_DIR", str(mount / "trackio"))
        assert values_exactly_once("p", "r", 500, 3).status == "finished"
    finally:
        restarted.terminate()
