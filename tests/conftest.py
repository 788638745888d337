import contextlib
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from cli_support import run_cli

import trackio

REPO_ROOT = Path(__file__).resolve().parent.parent
pytest_plugins = ["browser_support"]


@pytest.fixture(scope="session")
def postgres_session_url():
    """A fresh PostgreSQL database for this test session, dropped at its end. Skips
    where none answers, unless TRACKIO_REQUIRE_POSTGRES=1 (CI), where that fails."""
    import postgres_support

    why = postgres_support.admin_reachable()
    if why is not None:
        if os.environ.get("TRACKIO_REQUIRE_POSTGRES") == "1":
            pytest.fail(why)
        pytest.skip(why)
    url = postgres_support.create_database()
    yield url
    postgres_support.drop_database(url)


@pytest.fixture
def hub(tmp_path):
    """The Hub stand-in (`hub_standin`) on a loopback port, and the environment variables
    that point `huggingface_hub` at it with the stand-in's token."""
    from hub_standin import TOKEN, HubStandIn

    stand_in = HubStandIn().start()
    env = {
        "HF_ENDPOINT": stand_in.url,
        "HF_TOKEN": TOKEN,
        "HF_HOME": str(tmp_path / "hf-home"),
        "HF_HUB_DISABLE_TELEMETRY": "1",
        "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    }
    try:
        yield stand_in, env
    finally:
        stand_in.stop()


@pytest.fixture
def postgres_url(postgres_session_url):
    """The session's database, emptied of trackio's tables after the test."""
    import postgres_support

    yield postgres_session_url
    postgres_support.empty_database(postgres_session_url)


@pytest.fixture(autouse=True)
def trackio_dir(tmp_path, monkeypatch):
    data_dir = tmp_path / "trackio_data"
    data_dir.mkdir()
    monkeypatch.setenv("TRACKIO_DIR", str(data_dir))
    monkeypatch.delenv("TRACKIO_PROJECT", raising=False)
    monkeypatch.delenv("WANDB_PROJECT", raising=False)
    yield data_dir
    trackio.finish()


@pytest.fixture
def child_env(trackio_dir):
    env = dict(os.environ)
    env["TRACKIO_DIR"] = str(trackio_dir)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO_ROOT), env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    return env


@pytest.fixture
def run_child(child_env):
    def run(code, timeout=60):
        return subprocess.run(
            [sys.executable, "-c", code],
            env=child_env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    return run


@pytest.fixture(scope="module")
def server():
    """The real dashboard server on a free loopback port, shared by a module's tests;
    it reads TRACKIO_DIR per request, so each test still sees only its own data."""
    from trackio.server.app import start_server

    handle = start_server(host="127.0.0.1", port=0)
    yield handle
    handle.stop()


@pytest.fixture
def cli_env(child_env):
    return dict(child_env, TRACKIO_QUIET="1")


@pytest.fixture
def cli(cli_env):
    """Run `python -m trackio.cli ARGS...` in a child process; returns the completed process."""

    def run(*args, stdin=subprocess.DEVNULL, input=None):
        return run_cli(cli_env, *args, stdin=None if input is not None else stdin, input=input)

    return run


@pytest.fixture
def read_run():
    def read(project, name=None):
        runs = list(trackio.Api().runs(project))
        if name is None:
            assert len(runs) == 1, [r.name for r in runs]
            return runs[0]
        matching = [r for r in runs if r.name == name]
        assert len(matching) == 1, [r.name for r in runs]
        return matching[0]

    return read


@contextlib.contextmanager
def _record_user_warnings():
    found = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield found
    found.extend(w for w in caught if issubclass(w.category, UserWarning))


@pytest.fixture
def record_user_warnings():
    return _record_user_warnings


@pytest.fixture
def metrics():
    def strip(row):
        return {k: v for k, v in row.items() if k not in ("step", "timestamp")}

    return strip


@pytest.fixture
def mount_tmpfs(tmp_path):
    """Mount a tmpfs of the given size (`"4m"`) under `tmp_path` and return its folder;
    skips where mounting needs privileges the test lacks. Unmounted (lazily, in case a
    child process still holds a file there) at teardown."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        mount_point = tmp_path / f"tmpfs-{len(mounted)}"
        mount_point.mkdir()
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount_point)],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            pytest.skip(f"needs root to mount a small tmpfs: {result.stderr.strip()}")
        mounted.append(mount_point)
        return mount_point

    yield mount
    for mount_point in mounted:
        subprocess.run(["umount", "-l", str(mount_point)], check=True)
