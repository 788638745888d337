"""`GET /api/alerts` of the real server: a project's alerts newest first, filtered by
level and run, with the errors the other endpoints give; behind a team server's read
token like every read."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest

import trackio
from trackio.server.access import Access
from trackio.server.app import start_server
from trackio.server.team import Team


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def alerts(server, **params: str) -> tuple[int, dict]:
    return fetch(f"{server.url}api/alerts?{urlencode(params)}")


def runs(server, **params: str) -> dict:
    return fetch(f"{server.url}api/runs?{urlencode(params)}")[1]


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_alerts_newest_first_with_their_runs_filtered_by_level_and_run(server):
    before = time.time()
    first = trackio.init(project="small", name="first", auto_log_cpu=False)
    trackio.log({"loss": 1.0})
    trackio.alert("loss diverged", "loss is nan", level="ERROR")
    trackio.alert("slow step", level="INFO", step=5)
    first.finish()
    second = trackio.init(project="small", name="second", auto_log_cpu=False)
    trackio.alert("grad norm high", "412 > 100", level="warning", step=2)
    second.finish()
    after = time.time()

    status, body = alerts(server, project="small")
    assert status == 200
    times = [alert.pop("time") for alert in body["alerts"]]
    assert body == {
        "alerts": [
            {
                "run_id": second.id,
                "run": "second",
                "step": 2,
                "level": "WARN",
                "title": "grad norm high",
                "text": "412 > 100",
            },
            {
                "run_id": first.id,
                "run": "first",
                "step": 5,
                "level": "INFO",
                "title": "slow step",
                "text": None,
            },
            {
                "run_id": first.id,
                "run": "first",
                "step": 0,
                "level": "ERROR",
                "title": "loss diverged",
                "text": "loss is nan",
            },
        ]
    }
    assert before <= times[2] <= times[1] <= times[0] <= after

    def titles(**params: str) -> list[str]:
        status, body = alerts(server, project="small", **params)
        assert status == 200, body
        return [alert["title"] for alert in body["alerts"]]

    # A level is the least grave shown, in any case; WARNING is WARN, as trackio.alert reads it.
    assert titles(level="INFO") == ["grad norm high", "slow step", "loss diverged"]
    assert titles(level="warn") == titles(level="WARNING") == ["grad norm high", "loss diverged"]
    assert titles(level="ERROR") == ["loss diverged"]
    assert titles(runs=first.id) == ["slow step", "loss diverged"]
    assert titles(runs=f"{second.id},no-such-run") == ["grad norm high"]
    assert titles(runs=first.id, level="ERROR") == ["loss diverged"]


def test_a_bad_level_is_a_400_a_missing_project_a_404(server):
    trackio.init(project="quiet", name="r", auto_log_cpu=False)
    trackio.log({"x": 1.0})
    trackio.finish()
    assert alerts(server, project="quiet") == (200, {"alerts": []})
    assert alerts(server, project="quiet", level="loud") == (
        400,
        {"error": "query parameter 'level' must be one of INFO, WARN, ERROR, got 'loud'"},
    )
    status, body = alerts(server, project="nowhere")
    assert status == 404 and "'nowhere' not found" in body["error"]
    assert alerts(server) == (400, {"error": "query parameter 'project' is required"})


def test_an_alert_raised_alone_marks_its_run_changed_for_the_live_dashboard(server):
    run = trackio.init(project="poll", name="r", auto_log_cpu=False)
    trackio.log({"loss": 1.0})
    wait_for(lambda: runs(server, project="poll")["runs"][0]["last_step"] == 0)
    cursor = runs(server, project="poll")["cursor"]
    run.alert("eval stalled", level="WARN")
    wait_for(lambda: alerts(server, project="poll")[1]["alerts"] != [])
    changed = runs(server, project="poll", cursor=cursor)["runs"]
    run.finish()
    assert [one["name"] for one in changed] == ["r"]


@pytest.fixture
def guarded():
    handle = start_server(host="127.0.0.1", port=0, team=Team(Access("w-secret", "r-secret")))
    yield handle
    handle.stop()


def test_alerts_need_the_read_token_of_a_server_that_has_one(guarded):
    trackio.init(project="team", name="r", auto_log_cpu=False)
    trackio.alert("disk almost full", level="WARN")
    trackio.finish()
    url = f"{guarded.url}api/alerts?project=team"
    status, body = fetch(url)
    assert (status, body["needs"]) == (401, "read_token")
    status, body = fetch(url, {"X-Trackio-Read-Token": "r-secret"})
    assert status == 200
    assert [alert["title"] for alert in body["alerts"]] == ["disk almost full"]
