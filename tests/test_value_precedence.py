"""Two processes log the same step of one run: the value logged last wins everywhere,
whichever process's commit reaches the file last."""

import csv
import json
import signal
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest
from child_output import wait_for_line

import trackio

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="SIGSTOP and /proc/PID/stat")

INIT = 'trackio.init(project="race", id="shared", name="shared", resume="allow")'

FIRST_LOGGER = textwrap.dedent(
    f"""
    import os, signal, time
    import trackio
    {INIT}
    print("logged_at", repr(time.time()), flush=True)
    trackio.log({{"x": 111.0}}, step=5)
    os.kill(os.getpid(), signal.SIGSTOP)
    trackio.finish()
    print("done", flush=True)
    """
)

SECOND_LOGGER = textwrap.dedent(
    f"""
    import time
    import trackio
    {INIT}
    print("logged_at", repr(time.time()), flush=True)
    trackio.log({{"x": 222.0}}, step=5)
    trackio.finish()
    """
)


def _wait_until_stopped(proc, timeout=30):
    stat = Path(f"/proc/{proc.pid}/stat")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"child exited with {proc.returncode} instead of stopping"
        state = stat.read_text().rpartition(")")[2].split()[0]
        if state == "T":
            return
        time.sleep(0.01)
    raise AssertionError("child never stopped itself")


def _get(server, path, **params):
    url = server.url + path.lstrip("/") + "?" + urlencode(params)
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def _logged_at(text):
    (line,) = [line for line in text.splitlines() if line.startswith("logged_at")]
    return float(line.split()[1])


def test_value_logged_last_wins_even_when_committed_first(child_env, cli, server, tmp_path):
    first = subprocess.Popen(
        [sys.executable, "-c", FIRST_LOGGER],
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        first_time = _logged_at(wait_for_line(first, "logged_at"))
        _wait_until_stopped(first)
        (before,) = trackio.Api().runs("race")
        assert before.history() == [], "the stopped process wrote before it was stopped"

        second = subprocess.run(
            [sys.executable, "-c", SECOND_LOGGER],
            env=child_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 0, second.stderr
        second_time = _logged_at(second.stdout)
        assert second_time > first_time
        assert first.poll() is None

        first.send_signal(signal.SIGCONT)
        out, err = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.send_signal(signal.SIGCONT)
            first.kill()
            first.wait()
    assert first.returncode == 0, err.decode()
    assert out.decode().splitlines()[-1] == "done"

    run = trackio.Api().run("race/shared")
    at_five = [row for row in run.history() if row["step"] == 5]
    assert len(at_five) == 1, at_five
    assert at_five[0]["x"] == 222.0
    assert at_five[0]["timestamp"] >= second_time
    assert run.summary["x"] == 222.0

    got = cli("get", "metric", "--project", "race", "--run", "shared", "--metric", "x", "--json")
    assert got.returncode == 0, got.stderr
    points = [p for p in json.loads(got.stdout)["values"] if p["step"] == 5]
    assert [p["value"] for p in points] == [222.0]

    output = tmp_path / "race.csv"
    exported = cli("export", "--project", "race", "--format", "csv", "--output", output)
    assert exported.returncode == 0, exported.stderr
    with output.open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["step"] == "5"]
    assert [float(row["x"]) for row in rows] == [222.0]

    payload = _get(server, "/api/series", project="race", metric="x")
    (series,) = payload["series"]
    ys = [y for x, y in zip(series["x"], series["y"], strict=True) if x == 5]
    assert ys == [222.0]
