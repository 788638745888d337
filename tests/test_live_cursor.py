"""`/api/runs?cursor=`: an idle dashboard is told nothing, a change is told once, a
config only when it changed, a deletion and a crash without any write."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from child_output import wait_for_line

import trackio

BIG_CONFIG = {"blob": "x" * 200_000, "lr": 0.1}


def get(server, path, **params):
    url = server.url + path.lstrip("/") + "?" + urlencode(params)
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def poll(server, project, cursor):
    return get(server, "/api/runs", project=project, cursor=cursor)


def test_idle_project_sends_nothing_after_the_first_answer(server):
    for index in range(3):
        run = trackio.init(project="idle", name=f"r{index}", config=BIG_CONFIG)
        run.log({"loss": 1.0})
        run.finish()
    first = get(server, "/api/runs", project="idle")
    assert len(first["runs"]) == 3
    assert all(run["config"]["lr"] == 0.1 for run in first["runs"])
    again = poll(server, "idle", first["cursor"])
    assert again == {"runs": [], "cursor": first["cursor"]}
    assert poll(server, "idle", again["cursor"])["runs"] == []


def test_a_change_is_sent_once_and_the_config_only_when_it_changed(server):
    run = trackio.init(project="once", name="a", config=BIG_CONFIG)
    run.log({"loss": 1.0})
    trackio.init(project="once", name="b", reinit="create_new").finish()
    run._sync()
    cursor = get(server, "/api/runs", project="once")["cursor"]

    run.log({"loss": 0.5})
    run._sync()
    changed = poll(server, "once", cursor)
    (overview,) = changed["runs"]
    assert (overview["name"], overview["last_step"], overview["summary"]["loss"]) == ("a", 1, 0.5)
    assert "config" not in overview
    assert poll(server, "once", changed["cursor"])["runs"] == []

    run.config["lr"] = 0.2
    run._sync()
    (with_config,) = poll(server, "once", changed["cursor"])["runs"]
    assert with_config["config"]["lr"] == 0.2
    run.finish()


def test_a_deleted_run_is_reported_through_the_run_ids(server):
    for name in ("keep", "drop"):
        trackio.init(project="gone", name=name).finish()
    first = get(server, "/api/runs", project="gone")
    assert "run_ids" not in first
    keep, drop = (r["id"] for r in first["runs"])
    trackio.Api().run(f"gone/{drop}").delete()
    after = poll(server, "gone", first["cursor"])
    assert after["runs"] == [] and after["run_ids"] == [keep]
    assert "run_ids" not in poll(server, "gone", after["cursor"])


def test_a_killed_run_is_sent_once_as_crashed(server, child_env, tmp_path):
    script = textwrap.dedent(
        """
        import sys, time, trackio
        run = trackio.init(project="dies", name="victim")
        run.log({"loss": 1.0})
        run._sync()
        print("ready", flush=True)
        time.sleep(600)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], env=child_env, stdout=subprocess.PIPE, text=True
    )
    try:
        wait_for_line(child, "ready")
        first = get(server, "/api/runs", project="dies")
        assert [r["status"] for r in first["runs"]] == ["running"]
        assert poll(server, "dies", first["cursor"])["runs"] == []
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
        told = poll(server, "dies", first["cursor"])
        assert [(r["name"], r["status"]) for r in told["runs"]] == [("victim", "crashed")]
        assert poll(server, "dies", told["cursor"])["runs"] == []
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()


def test_following_the_cursor_while_a_process_writes_misses_nothing(server, child_env):
    script = textwrap.dedent(
        """
        import trackio
        runs = [trackio.init(project="busy", name=f"r{i}", reinit="create_new") for i in range(4)]
        for step in range(300):
            for run in runs:
                run.log({"v": float(step)})
        for run in runs:
            run.finish()
        """
    )
    trackio.init(project="busy", name="seed").finish()
    first = get(server, "/api/runs", project="busy")
    known = {r["id"]: r for r in first["runs"]}
    cursor = first["cursor"]
    child = subprocess.Popen([sys.executable, "-c", script], env=child_env)
    try:
        while True:
            done = child.poll() is not None
            answer = poll(server, "busy", cursor)
            for overview in answer["runs"]:
                known.setdefault(overview["id"], {}).update(overview)
            cursor = answer["cursor"]
            if done:
                break
    finally:
        if child.poll() is None:
            child.kill()
    assert child.wait() == 0
    full = {r["id"]: r for r in get(server, "/api/runs", project="busy")["runs"]}
    followed = {run_id: (r["status"], r["last_step"], r["summary"]) for run_id, r in known.items()}
    assert followed == {
        run_id: (r["status"], r["last_step"], r["summary"]) for run_id, r in full.items()
    }
    assert sorted((r["name"], r["last_step"]) for r in full.values()) == [
        ("r0", 299),
        ("r1", 299),
        ("r2", 299),
        ("r3", 299),
        ("seed", None),
    ]


@pytest.mark.parametrize("cursor", ["5", "x.1", "-1.0", "3.zz", ".1"])
def test_a_malformed_cursor_is_a_400(server, cursor):
    trackio.init(project="bad-cursor", name="r").finish()
    with pytest.raises(urllib.error.HTTPError) as caught:
        poll(server, "bad-cursor", cursor)
    assert caught.value.code == 400
    assert "cursor" in json.loads(caught.value.read())["error"]
