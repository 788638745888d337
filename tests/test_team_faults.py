"""Team mode under the faults a review found: broken media, answers that are not a
trackio server's, refused batches, resuming offline, bad spools, hostile requests."""

from __future__ import annotations

import gzip
import http.server
import json
import signal
import subprocess
import sys
import textwrap
import threading
import time

import pytest
from child_output import wait_for_line
from team_support import WRITE_TOKEN, TeamServer, client_env, spool_files

import trackio
from trackio.remote.wire import encode_batch
from trackio.storage.records import RunBatch


@pytest.fixture
def team(child_env, trackio_dir):
    server = TeamServer(child_env, trackio_dir).start()
    yield server
    server.stop()


def _client(env, script, timeout=120):
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_a_media_value_that_cannot_be_encoded_costs_only_itself(team, child_env, tmp_path):
    script = """
        import numpy as np, trackio
        from trackio.media.image import Image

        class Broken(Image):
            def _encode(self):
                raise RuntimeError("the encoder failed")

        trackio.init(project="broken", name="r")
        for i in range(20):
            row = {"x": float(i)}
            if i == 10:
                row["vid"] = Broken(np.zeros((4, 4, 3), "uint8"))
            trackio.log(row)
        trackio.finish()
        print("finished")
    """
    done = _client(client_env(child_env, tmp_path / "c", team), script)
    assert done.returncode == 0 and "finished" in done.stdout, done.stderr
    assert "skipped a image" in done.stderr
    rows = trackio.Api().run("broken/r").history()
    assert [row["x"] for row in rows] == [float(i) for i in range(20)]
    assert all("vid" not in row for row in rows)


class _NotTrackio(http.server.BaseHTTPRequestHandler):
    """Answers everything with a web page, as a misrouted proxy would."""

    def _page(self):
        body = b"<html>Welcome to nginx</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self._page()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self._page()

    def log_message(self, *args):
        pass


def test_a_200_that_is_not_a_trackio_answer_keeps_the_values(child_env, tmp_path):
    fake = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NotTrackio)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    try:
        env = dict(
            child_env,
            TRACKIO_DIR=str(tmp_path / "c"),
            TRACKIO_SERVER_URL=f"http://127.0.0.1:{fake.server_address[1]}",
            TRACKIO_WRITE_TOKEN=WRITE_TOKEN,
            TRACKIO_QUIET="1",
            TRACKIO_FINISH_TIMEOUT="2",
        )
        done = _client(
            env,
            'import trackio\ntrackio.init(project="p", name="r")\n'
            'trackio.log({"x": 1.0})\ntrackio.finish()\n',
        )
    finally:
        fake.shutdown()
    assert done.returncode == 0, done.stderr
    assert "not trackio's" in done.stderr
    assert "1 values (1 batches) of run 'r' are not yet on" in done.stderr
    assert spool_files(tmp_path / "c")


def test_a_run_id_a_server_cannot_take_is_refused_at_init(team, child_env, tmp_path):
    done = _client(
        client_env(child_env, tmp_path / "c", team),
        'import trackio\ntrackio.init(project="p", id="exp 1")\n',
    )
    assert done.returncode != 0 and "cannot be sent to a server" in done.stderr


def test_a_batch_the_server_refuses_is_counted_at_finish(child_env, trackio_dir, tmp_path):
    small = TeamServer(child_env, trackio_dir, "--max-body-mb", "0.05").start()
    try:
        script = """
            import numpy as np, trackio
            trackio.init(project="big", name="r")
            noise = np.random.default_rng(0).integers(0, 255, (300, 300, 3), dtype="uint8")
            trackio.log({"picture": trackio.Image(noise)})
            trackio.finish()
        """
        done = _client(
            client_env(child_env, tmp_path / "c", small, TRACKIO_FINISH_TIMEOUT="5"), script
        )
    finally:
        small.stop()
    assert done.returncode == 0, done.stderr
    assert "413" in done.stderr and "set aside" in done.stderr
    assert "refused 1 values" in done.stderr
    sync = subprocess.run(
        [sys.executable, "-m", "trackio.cli", "sync", "--pending"],
        env=dict(child_env, TRACKIO_DIR=str(tmp_path / "c"), TRACKIO_WRITE_TOKEN=WRITE_TOKEN),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert sync.returncode == 1 and "1 refused by" in sync.stdout, sync.stdout


def test_resuming_while_the_server_is_down_logs_to_a_new_run(team, child_env, tmp_path):
    env = client_env(child_env, tmp_path / "c", team)
    first = _client(
        env,
        """
        import trackio
        run = trackio.init(project="again", name="job")
        for step in range(10):
            trackio.log({"x": float(step)})
        trackio.finish()
        print("ID", run.id)
    """,
    )
    run_id = first.stdout.split("ID ")[1].strip()
    team.kill()
    second = _client(
        dict(env, TRACKIO_FINISH_TIMEOUT="1"),
        f"""
        import trackio
        run = trackio.init(project="again", id="{run_id}", resume="allow")
        for step in range(5):
            trackio.log({{"x": 100.0 + step}})
        trackio.finish()
        print("ID", run.id)
    """,
    )
    assert second.returncode == 0, second.stderr
    assert "cannot be resumed" in second.stderr
    assert second.stdout.split("ID ")[1].strip() != run_id
    team.start()
    sync = subprocess.run(
        [sys.executable, "-m", "trackio.cli", "sync", "--pending"],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert sync.returncode == 0, sync.stdout
    original = trackio.Api().run(f"again/{run_id}").history()
    assert [row["x"] for row in original] == [float(step) for step in range(10)]


def test_a_corrupt_spool_left_behind_does_not_stop_delivery(team, child_env, tmp_path):
    client_dir = tmp_path / "c"
    (client_dir / ".spool").mkdir(parents=True)
    (client_dir / ".spool" / "999-garbage.spool").write_bytes(b"not a database" * 100)
    done = _client(
        client_env(child_env, client_dir, team),
        """
        import trackio
        trackio.init(project="after-garbage", name="r")
        trackio.log({"x": 1.0})
        trackio.finish()
    """,
    )
    assert done.returncode == 0, done.stderr
    assert [row["x"] for row in trackio.Api().run("after-garbage/r").history()] == [1.0]
    assert (client_dir / ".spool" / "999-garbage.spool.bad").exists()
    assert "sending to" not in done.stderr, done.stderr


def _post(team, body, headers=None):
    sent = {"X-Trackio-Write-Token": WRITE_TOKEN, **(headers or {})}
    return team.request("/api/ingest", body, sent)


def _one_point_batch(batch_id="fault-batch-01", last_time=1.0):
    batch = RunBatch("run00001")
    batch.series["x"] = ([0], [1.0], [1.0])
    batch.last_time = last_time
    return encode_batch(batch_id, "faults", [], [batch])


def test_hostile_bodies_are_refused_before_anything_is_stored(team):
    twice = gzip.compress(_one_point_batch())
    assert _post(team, twice, {"Content-Encoding": "gzip"})[0] == 200
    bomb = gzip.compress(gzip.compress(b"\0" * (80 * 1024 * 1024)))
    status, answer = _post(team, bomb, {"Content-Encoding": "gzip"})
    assert status == 400 and b"unpacks to more than" in answer
    status, answer = _post(team, _one_point_batch("fault-batch-02", float("nan")))
    assert status == 400 and b"finite" in answer
    nested = b"TRACKIO-BATCH\n" + (200000).to_bytes(8, "little") + b"[" * 200000
    assert _post(team, nested)[0] == 400
    padded = json.dumps({"token": WRITE_TOKEN, "pad": "x" * 50_000}).encode()
    status, _ = team.request("/api/session", padded, {"Content-Type": "application/json"})
    assert status == 403, "a sign-in body is read up to 4 KB, no more"
    small = json.dumps({"token": WRITE_TOKEN}).encode()
    assert team.request("/api/session", small, {"Content-Type": "application/json"})[0] == 200


def test_media_files_of_the_wrong_type_are_refused(team):
    from trackio.remote.wire_decoding import ReceivedMedia

    page = ReceivedMedia("image", None, "x.html", {}, {"x.html": b"<script>alert(1)</script>"})
    batch = RunBatch("run00001")
    batch.series["img"] = ([0], [page], [1.0])
    body = encode_batch("fault-batch-03", "faults-media", [], [batch])
    status, answer = _post(team, body, {"Content-Encoding": "gzip"})
    assert status == 400 and b"cannot bring a file named 'x.html'" in answer


def test_head_requests_need_the_read_token_too(child_env, trackio_dir):
    server = TeamServer(child_env, trackio_dir, "--read-token", "reader").start()
    try:
        trackio.init(project="secret", name="r").finish()
        request = __import__("urllib.request").request.Request(
            server.url + "/api/runs?project=secret", method="HEAD"
        )
        with pytest.raises(__import__("urllib.error").error.HTTPError) as refused:
            __import__("urllib.request").request.urlopen(request, timeout=30)
        assert refused.value.code == 401
    finally:
        server.stop()


def test_a_pause_longer_than_keep_alive_is_not_called_an_outage(team, child_env, tmp_path):
    done = _client(
        client_env(child_env, tmp_path / "c", team),
        """
        import time, trackio
        trackio.init(project="pause", name="r")
        trackio.log({"x": 1.0})
        time.sleep(7)
        trackio.log({"x": 2.0})
        trackio.finish()
    """,
    )
    assert done.returncode == 0, done.stderr
    assert "cannot be reached" not in done.stderr and "does not take" not in done.stderr
    assert [row["x"] for row in trackio.Api().run("pause/r").history()] == [1.0, 2.0]


def test_a_config_with_a_huge_integer_opens_and_lists(team, child_env, tmp_path):
    done = _client(
        client_env(child_env, tmp_path / "c", team),
        """
        import trackio
        run = trackio.init(project="huge", name="r", config={"seed": 2**64})
        trackio.log({"x": 1.0})
        trackio.finish()
        print("ID", run.id)
    """,
    )
    assert done.returncode == 0, done.stderr
    assert "could not open the run" not in done.stderr
    (run,) = trackio.Api().runs("huge")
    assert run.config == {"seed": 2**64}
    status, body = team.request("/api/runs?project=huge")
    assert status == 200 and json.loads(body)["runs"][0]["config"]["seed"] == 2**64


def test_a_requeued_job_resumes_after_what_its_killed_run_left_in_the_spool(
    team, child_env, tmp_path
):
    env = client_env(child_env, tmp_path / "c", team, TRACKIO_FINISH_TIMEOUT="1")
    script = """
import sys, time, trackio
run = trackio.init(project="requeue", id="job00001", resume="allow")
print("opened", flush=True)
sys.stdin.readline()
for step in range(300):
    trackio.log({"x": float(step)})
print("logged", flush=True)
time.sleep(600)
"""
    first = subprocess.Popen(
        [sys.executable, "-c", script],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    wait_for_line(first, "opened")
    team.kill()
    first.stdin.write(b"go\n")
    first.stdin.flush()
    wait_for_line(first, "logged")
    time.sleep(1.0)
    first.send_signal(signal.SIGTERM)
    first.wait(timeout=60)
    team.start()
    second = _client(
        env,
        """
        import trackio
        run = trackio.init(project="requeue", id="job00001", resume="allow")
        trackio.log({"x": 1000.0})
        trackio.finish()
    """,
    )
    assert second.returncode == 0, second.stderr
    run = trackio.Api().run("requeue/job00001")
    rows = run.history()
    assert [row["x"] for row in rows] == [float(step) for step in range(300)] + [1000.0]
    assert [row["step"] for row in rows] == list(range(301))
    assert run.status == "finished"
