"""`trackio.alert`: printed, stored with the run and read back (Api, CLI), throttled,
and POSTed to webhooks received by a real local HTTP server (generic, Slack-shaped
and Discord-shaped URLs), including webhooks that fail or hang; and in team mode,
stored by the server."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from team_support import TeamServer, client_env

import trackio


class Receiver:
    """A local webhook endpoint recording (path, JSON body); `status` answers, `delay`
    seconds late."""

    def __init__(self, status: int = 200, delay: float = 0.0) -> None:
        self.received: list[tuple[str, dict]] = []
        received, answer = self.received, (status, delay)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append((self.path, json.loads(body)))
                time.sleep(answer[1])
                self.send_response(answer[0])
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


@pytest.fixture
def receiver():
    made = []

    def make(**options):
        made.append(Receiver(**options))
        return made[-1]

    yield make
    for one in made:
        one.close()


def test_alerts_are_printed_stored_and_listed(trackio_dir, capsys, cli):
    run = trackio.init(project="al", name="r", auto_log_cpu=False)
    for step in range(3):
        trackio.log({"loss": float(step)})
    trackio.alert("loss diverged", "loss is nan", level="ERROR")
    run.alert("checkpoint", level=trackio.AlertLevel.INFO, step=7)
    run.finish()
    err = capsys.readouterr().err
    assert "trackio: [ERROR] loss diverged: loss is nan" in err
    assert "trackio: [INFO] checkpoint" in err

    alerts = trackio.Api().run("al/r").alerts()
    assert [(a["title"], a["text"], a["level"], a["step"]) for a in alerts] == [
        ("loss diverged", "loss is nan", "ERROR", 2),
        ("checkpoint", None, "INFO", 7),
    ]
    assert trackio.Api().run("al/r").alerts(level="error")[0]["title"] == "loss diverged"

    listed = cli("list", "alerts", "--project", "al", "--level", "warn", "--json")
    assert listed.returncode == 0, listed.stderr
    (only,) = json.loads(listed.stdout)["alerts"]
    assert (only["run"], only["title"], only["level"]) == ("r", "loss diverged", "ERROR")
    table = cli("list", "alerts", "--project", "al")
    assert "loss diverged" in table.stdout and "checkpoint" in table.stdout
    bad = cli("list", "alerts", "--project", "al", "--level", "loud")
    assert bad.returncode == 2 and "LOUD" in bad.stderr


def test_a_repeated_title_waits_its_wait_duration(trackio_dir):
    run = trackio.init(project="al", name="w", auto_log_cpu=False)
    for _ in range(3):
        trackio.alert("slow step", "3 s", wait_duration=60)
    trackio.alert("slow step", level="warning", wait_duration=timedelta(0))
    trackio.alert("other", wait_duration=60)
    with pytest.raises(ValueError, match="level"):
        trackio.alert("x", level="LOUD")
    with pytest.raises(ValueError, match="title"):
        trackio.alert("")
    run.finish()
    titles = [a["title"] for a in trackio.Api().run("al/w").alerts()]
    assert titles == ["slow step", "slow step", "other"]


def test_webhooks_get_slack_discord_or_plain_json_by_url(trackio_dir, receiver, monkeypatch):
    hook = receiver()
    run = trackio.init(project="al", name="h", auto_log_cpu=False, webhook_url=hook.url + "/plain")
    trackio.log({"loss": 1.0})
    trackio.alert("plain", "text 1", level="WARN")
    trackio.alert("slack", "text 2", webhook_url=hook.url + "/services/T0/B0/xyz")
    trackio.alert("discord", "text 3", level="ERROR", webhook_url=hook.url + "/api/webhooks/1/t")
    monkeypatch.setenv("TRACKIO_WEBHOOK_MIN_LEVEL", "ERROR")
    trackio.alert("quiet", level="WARN")
    monkeypatch.setenv("TRACKIO_WEBHOOK_MIN_LEVEL", "loud")
    with pytest.warns(UserWarning, match="TRACKIO_WEBHOOK_MIN_LEVEL is ignored"):
        trackio.alert("still sent", level="INFO")
    run.finish()
    by_path = dict(hook.received)
    assert len(hook.received) == 4 and by_path["/plain"]["title"] == "still sent"
    by_path["/plain"] = hook.received[0][1]
    plain = by_path["/plain"]
    assert {k: plain[k] for k in ("title", "text", "level", "project", "run", "step")} == {
        "title": "plain",
        "text": "text 1",
        "level": "WARN",
        "project": "al",
        "run": "h",
        "step": 0,
    }
    assert set(by_path["/services/T0/B0/xyz"]) == {"text"}
    assert by_path["/services/T0/B0/xyz"]["text"].startswith("*[WARN] slack*\ntext 2")
    assert set(by_path["/api/webhooks/1/t"]) == {"content"}
    assert by_path["/api/webhooks/1/t"]["content"].startswith("**[ERROR] discord**\ntext 3")


def test_a_failing_or_hanging_webhook_never_stops_training(trackio_dir, receiver, monkeypatch):
    monkeypatch.setenv("TRACKIO_WEBHOOK_TIMEOUT", "0.3")
    broken, hanging = receiver(status=500), receiver(delay=2.0)
    script = f"""
import trackio
run = trackio.init(project="al", name="f", auto_log_cpu=False, webhook_url="{broken.url}/x")
trackio.alert("one")
trackio.alert("two")
trackio.alert("three", webhook_url="{hanging.url}/y")
for step in range(100):
    trackio.log({{"loss": step}})
run.finish()
print("finished")
"""
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**__import__("os").environ},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0 and done.stdout.strip().endswith("finished"), done.stderr
    said = [line for line in done.stderr.splitlines() if "could not be sent" in line]
    assert len(said) == 2, done.stderr
    assert "HTTP 500" in said[0] and "timed out" in said[1]
    assert len(broken.received) == 6 and len(hanging.received) == 3
    assert len(trackio.Api().run("al/f").history()) == 100
    assert len(trackio.Api().run("al/f").alerts()) == 3


def test_alerts_and_system_metrics_of_a_team_client_are_stored_by_the_server(
    child_env, tmp_path, monkeypatch
):
    team = TeamServer(child_env, tmp_path / "server").start()
    try:
        env = client_env(child_env, tmp_path / "client", team)
        script = (
            "import trackio\n"
            "run = trackio.init(project='al', name='t', auto_log_cpu=False)\n"
            "trackio.log({'loss': 1.0})\n"
            "trackio.alert('from afar', 'over the wire', level='ERROR')\n"
            "trackio.log_system({'gpu/0/temp': 61.0})\n"
            "run.finish()\n"
        )
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
    finally:
        team.stop()
    monkeypatch.setenv("TRACKIO_DIR", str(tmp_path / "server"))
    (sample,) = trackio.Api().run("al/t").system_metrics()
    assert sample["gpu/0/temp"] == 61.0
    (alert,) = trackio.Api().run("al/t").alerts()
    assert (alert["title"], alert["text"], alert["level"], alert["step"]) == (
        "from afar",
        "over the wire",
        "ERROR",
        0,
    )


def test_a_project_from_before_alerts_reads_as_it_is_and_is_upgraded_by_a_writer(trackio_dir):
    import sqlite3

    run = trackio.init(project="old", name="r", auto_log_cpu=False)
    trackio.log({"loss": 1.0})
    run.finish()
    with sqlite3.connect(trackio_dir / "old.db") as conn:
        conn.execute("DROP TABLE alerts")
        conn.execute("UPDATE trackio_meta SET value = '5' WHERE key = 'schema_version'")
    before = (trackio_dir / "old.db").read_bytes()
    old = trackio.Api().run("old/r")
    assert old.alerts() == [] and old.history()[0]["loss"] == 1.0
    assert (trackio_dir / "old.db").read_bytes() == before

    again = trackio.init(project="old", name="r", resume="allow", auto_log_cpu=False)
    trackio.alert("after the upgrade")
    again.finish()
    assert [a["title"] for a in trackio.Api().run("old/r").alerts()] == ["after the upgrade"]
