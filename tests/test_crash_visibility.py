"""A run whose process died without finishing shows as "crashed" in every reader,
while a live run stays "running" and finished or terminated runs keep their status."""

import json
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from urllib.parse import urlencode

import pytest
from child_output import wait_for_line

import trackio

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")

LOG_THEN_SLEEP = textwrap.dedent(
    """
    import time
    import trackio
    trackio.init(project="crash", name="victim")
    for i in range(50):
        trackio.log({"v": i * 0.5})
    print("ready", flush=True)
    time.sleep(60)
    print("not killed", flush=True)
    """
)


def _get(server, path, **params):
    url = server.url + path.lstrip("/") + "?" + urlencode(params)
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def _start_victim(child_env):
    proc = subprocess.Popen(
        [sys.executable, "-c", LOG_THEN_SLEEP],
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    wait_for_line(proc, "ready")
    deadline = time.monotonic() + 10
    while True:
        runs = trackio.Api().runs("crash")
        if runs and len(runs[0].history()) == 50:
            return proc
        assert time.monotonic() < deadline, "logged values never reached the project file"
        time.sleep(0.1)


def _stop(proc):
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def _statuses(cli, server, project, name):
    listed = cli("list", "runs", "--project", project, "--json")
    assert listed.returncode == 0, listed.stderr
    got = cli("get", "run", "--project", project, "--run", name, "--json")
    assert got.returncode == 0, got.stderr
    (served,) = [r for r in _get(server, "/api/runs", project=project)["runs"] if r["name"] == name]
    (from_api,) = [r for r in trackio.Api().runs(project) if r.name == name]
    (from_list,) = [r for r in json.loads(listed.stdout)["runs"] if r["name"] == name]
    return {
        "api": from_api.status,
        "list runs": from_list["status"],
        "get run": json.loads(got.stdout)["status"],
        "server": served["status"],
    }


def _everywhere(status):
    return dict.fromkeys(["api", "list runs", "get run", "server"], status)


def test_killed_run_is_crashed_everywhere(child_env, cli, server):
    proc = _start_victim(child_env)
    try:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        _stop(proc)
    assert proc.returncode == -signal.SIGKILL
    assert _statuses(cli, server, "crash", "victim") == _everywhere("crashed")
    (run,) = trackio.Api().runs("crash")
    assert [row["v"] for row in run.history()] == [i * 0.5 for i in range(50)]


def test_live_run_is_running_and_failed_after_sigterm(child_env, cli, server):
    proc = _start_victim(child_env)
    try:
        assert _statuses(cli, server, "crash", "victim") == _everywhere("running")
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)
    finally:
        _stop(proc)
    assert proc.returncode == -signal.SIGTERM
    assert _statuses(cli, server, "crash", "victim") == _everywhere("failed")


def test_finished_run_is_finished(cli, server):
    with trackio.init(project="crash", name="calm") as run:
        for i in range(50):
            run.log({"v": i * 0.5})
    assert _statuses(cli, server, "crash", "calm") == _everywhere("finished")
