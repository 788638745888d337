"""Team mode: client processes logging into a real `trackio server`, with the server
killed, the clients killed, bad tokens and bad batches."""

from __future__ import annotations

import gzip
import json
import math
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from child_output import wait_for_line
from team_support import (
    WRITE_TOKEN,
    TeamServer,
    client_env,
    ingest_body,
    latest_line,
    post_batch,
    send_signal,
    spool_files,
    start_logger,
    values_exactly_once,
    wait_until,
)

import trackio
from trackio.remote.wire import MAGIC, encode_batch
from trackio.storage import use_database
from trackio.storage.records import RunBatch


@pytest.fixture
def team(request, child_env, trackio_dir):
    """A team server on SQLite files, or (parametrised "postgres") on a PostgreSQL
    database, which this process's `Api` then reads too."""
    extra: tuple[str, ...] = ()
    if getattr(request, "param", "sqlite") == "postgres":
        url = request.getfixturevalue("postgres_url")
        use_database(url)
        extra = ("--db", url)
    server = TeamServer(child_env, trackio_dir, *extra).start()
    try:
        yield server
    finally:
        server.stop()
        use_database(None)


ON_BOTH_BACKENDS = pytest.mark.parametrize("team", ["sqlite", "postgres"], indirect=True)


@ON_BOTH_BACKENDS
def test_values_of_every_type_arrive_as_logged(team, child_env, tmp_path):
    script = textwrap.dedent(
        """
        import trackio
        run = trackio.init(project="types", name="r", config={"lr": 0.5, "layers": [1, 2]})
        trackio.log({"f": 1.5, "i": 7, "big": 2**70, "b": True, "s": "text", "nan": float("nan"),
                     "inf": float("inf"), "nested": {"a": 1.0}})
        pixels = __import__("numpy").zeros((4, 6, 3), "uint8")
        trackio.log({"f": -0.25, "img": trackio.Image(pixels)})
        run.summary["best"] = 3
        trackio.finish()
        print("url", run.url)
        """
    )
    env = client_env(child_env, tmp_path / "client", team)
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert f"url {team.url}/?project=types&runs=" in done.stdout
    run = trackio.Api().run("types/r")
    assert run.status == "finished"
    assert run.config == {"lr": 0.5, "layers": [1, 2]}
    first, second = run.history()
    assert first["f"] == 1.5 and first["i"] == 7 and first["big"] == 2**70
    assert first["b"] is True and first["s"] == "text" and math.isnan(first["nan"])
    assert first["inf"] == math.inf and first["nested/a"] == 1.0
    assert second["f"] == -0.25 and second["img"]["_type"] == "image"
    assert run.summary["best"] == 3
    assert spool_files(tmp_path / "client") == []


@ON_BOTH_BACKENDS
def test_eight_clients_at_once_every_value_exactly_once(team, child_env, tmp_path):
    env = client_env(child_env, tmp_path / "clients", team)
    clients = [start_logger(env, "crowd", f"c{index}", 5000, 10) for index in range(8)]
    for client in clients:
        out, err = client.communicate(timeout=300)
        assert client.returncode == 0, err
    for index in range(8):
        run = values_exactly_once("crowd", f"c{index}", 5000, 10)
        assert run.status == "finished"


@ON_BOTH_BACKENDS
def test_server_killed_mid_run_and_restarted_loses_nothing(team, child_env, tmp_path):
    env = client_env(child_env, tmp_path / "client", team, TRACKIO_FINISH_TIMEOUT="60")
    client = start_logger(env, "outage", "r", 400, 4, 0.01)
    wait_for_line(client, "halfway")
    team.kill(signal.SIGKILL)
    time.sleep(5)
    team.start()
    out, err = client.communicate(timeout=120)
    assert client.returncode == 0, err
    assert "finished" in out and "are not yet on" not in err
    assert err.count("cannot be reached") == 1, err
    run = values_exactly_once("outage", "r", 400, 4)
    assert run.status == "finished"


def test_clients_killed_while_the_server_is_down_then_sync_pending(
    team, child_env, tmp_path, cli_env
):
    client_dir = tmp_path / "client"
    env = client_env(child_env, client_dir, team, TRACKIO_FINISH_TIMEOUT="1")
    team.kill(signal.SIGKILL)
    termed = start_logger(env, "down", "termed", 1_000_000, 2, 0.001)
    killed = start_logger(env, "down", "killed", 1_000_000, 2, 0.001)
    for client in (termed, killed):
        wait_for_line(client, "started")
    time.sleep(2)
    send_signal(termed, signal.SIGTERM)
    logged_by = int(latest_line(killed, "at ").split()[1])
    time.sleep(0.6)
    send_signal(killed, signal.SIGKILL)
    assert spool_files(client_dir)

    team.start()
    sync = subprocess.run(
        [sys.executable, "-m", "trackio.cli", "sync", "--pending"],
        env=dict(cli_env, TRACKIO_DIR=str(client_dir), TRACKIO_WRITE_TOKEN=WRITE_TOKEN),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert sync.returncode == 0, sync.stdout + sync.stderr
    assert spool_files(client_dir) == []
    runs = {r.name: r for r in trackio.Api().runs("down")}
    for name in ("termed", "killed"):
        rows = runs[name].history()
        steps = [row["step"] for row in rows]
        assert steps == list(range(len(steps))), f"{name}: a gap or a repeat"
        assert len(steps) > 100
        assert all(row["m1"] == row["step"] * 10.0 + 1 for row in rows)
    assert runs["termed"].status == "failed"
    assert len(runs["killed"].history()) > logged_by, "a value logged 0.6 s before SIGKILL is lost"
    again = subprocess.run(
        [sys.executable, "-m", "trackio.cli", "sync", "--pending"],
        env=dict(cli_env, TRACKIO_DIR=str(client_dir), TRACKIO_WRITE_TOKEN=WRITE_TOKEN),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert again.returncode == 0 and "delivered 0" in again.stdout


def test_tokens_are_required_and_checked(team):
    assert post_batch(team, ingest_body(), token=None)[0] == 401
    status, answer = post_batch(team, ingest_body(), token="wrong")
    assert status == 403 and "wrong" in answer["error"]
    assert "guarded" not in trackio.Api().projects()
    assert post_batch(team, ingest_body())[0] == 200
    assert [r["loss"] for r in trackio.Api().run("guarded/r").history()] == [1.0, 2.0]


@ON_BOTH_BACKENDS
def test_duplicate_batches_are_stored_once(team):
    body = ingest_body(batch_id="same-batch-id")
    assert post_batch(team, body) == (200, {"stored": 2, "duplicate": False, "missing_runs": []})
    assert post_batch(team, body)[1]["duplicate"] is True
    assert len(trackio.Api().run("guarded/r").history()) == 2


def test_malformed_and_oversized_batches_store_nothing(team, child_env, tmp_path):
    frame = gzip.decompress(ingest_body())
    start = len(MAGIC) + 8
    size = int.from_bytes(frame[len(MAGIC) : start], "little")
    header, columns = json.loads(frame[start : start + size]), frame[start + size :]

    def framed(document, blob=columns):
        text = json.dumps(document).encode()
        return MAGIC + len(text).to_bytes(8, "little") + text + blob

    broken = json.loads(json.dumps(header))
    broken["runs"].append({"run_id": "run00001", "series": {"x": {"steps": 0, "times": 99}}})
    status, answer = post_batch(team, framed(broken), gzip_header=False)
    assert status == 400 and "runs[1]" in answer["error"] and "columns" in answer["error"]
    status, answer = post_batch(team, framed(header, columns[:-8]), gzip_header=False)
    assert status == 400 and "columns add up to" in answer["error"]
    for steps, times, problem in (
        ([-1, 0], [1.0, 2.0], "steps must be 0 or more"),
        ([0, 1], [1.0, math.nan], "times must be finite"),
    ):
        odd = RunBatch("run00001")
        odd.series["loss"] = (steps, [1.0, 2.0], times)
        status, answer = post_batch(team, encode_batch("odd-batch-id", "guarded", [], [odd]))
        assert status == 400 and problem in answer["error"]
    for body in (b"not json", gzip.compress(b"[1, 2]"), b"\x1f\x8b broken gzip"):
        assert post_batch(team, body, gzip_header=False)[0] == 400
    assert "guarded" not in trackio.Api().projects()

    small = TeamServer(child_env, tmp_path / "small", "--max-body-mb", "0.001").start()
    try:
        large = ingest_body(values=[float(i) for i in range(5000)])
        assert post_batch(small, large)[0] == 413
        assert post_batch(small, gzip.compress(b" " * 50_000), gzip_header=True)[0] == 413
    finally:
        small.stop()


def test_a_host_header_that_is_not_allowed_is_refused(team):
    assert post_batch(team, ingest_body(), host="evil.example")[0] == 400
    assert "guarded" not in trackio.Api().projects()


def test_a_wrong_token_says_so_once_and_keeps_everything_for_sync(
    team, child_env, tmp_path, cli_env
):
    client_dir = tmp_path / "client"
    env = client_env(
        child_env, client_dir, team, TRACKIO_WRITE_TOKEN="nope", TRACKIO_FINISH_TIMEOUT="2"
    )
    client = start_logger(env, "tokens", "r", 50, 2)
    out, err = client.communicate(timeout=120)
    assert client.returncode == 0, err
    assert err.count("refused the write token") == 1, err
    assert "stay in the local spool" in err
    assert "tokens" not in trackio.Api().projects()

    sync = subprocess.run(
        [sys.executable, "-m", "trackio.cli", "sync", "--pending", "--write-token", WRITE_TOKEN],
        env=dict(cli_env, TRACKIO_DIR=str(client_dir)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert sync.returncode == 0, sync.stdout + sync.stderr
    run = values_exactly_once("tokens", "r", 50, 2)
    assert run.status == "finished"


@ON_BOTH_BACKENDS
def test_sync_sends_a_local_project_and_twice_adds_nothing(team, child_env, tmp_path, cli_env):
    local_dir = tmp_path / "laptop"
    local_dir.mkdir()
    script = textwrap.dedent(
        """
        import trackio
        import numpy as np
        for name in ("a", "b"):
            run = trackio.init(project="laptop", name=name, config={"who": name})
            for step in range(300):
                trackio.log({"loss": 1.0 / (step + 1), "acc": step})
            pixels = np.full((3, 5, 3), 200, dtype=np.uint8)
            trackio.log({"picture": trackio.Image(pixels, caption=name)}, step=299)
            run.summary["best"] = 1
            trackio.finish()
        """
    )
    made = subprocess.run(
        [sys.executable, "-c", script],
        env=dict(cli_env, TRACKIO_DIR=str(local_dir)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    command = [
        sys.executable,
        "-m",
        "trackio.cli",
        "sync",
        "--project",
        "laptop",
        "--server-url",
        team.url,
    ]
    env = dict(cli_env, TRACKIO_DIR=str(local_dir), TRACKIO_WRITE_TOKEN=WRITE_TOKEN)
    first = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert "2 run(s), 1202 value(s)" in first.stdout
    second = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert second.returncode == 0 and "nothing new" in second.stdout, second.stdout
    for name in ("a", "b"):
        run = trackio.Api().run(f"laptop/{name}")
        assert run.config == {"who": name} and run.status == "finished"
        rows = run.history()
        assert [row["acc"] for row in rows] == list(range(300))
        assert run.summary["best"] == 1
        picture = rows[299]["picture"]
        assert picture["_type"] == "image" and picture["caption"] == name
        from PIL import Image

        with Image.open(picture["path"]) as image:
            assert image.size == (5, 3) and image.getpixel((0, 0))[0] == 200


def test_reads_need_the_read_token_when_the_server_has_one(child_env, trackio_dir):
    server = TeamServer(child_env, trackio_dir, "--read-token", "let-me-read").start()
    try:
        trackio.init(project="secret", name="r").finish()
        assert server.request("/api/projects")[0] == 401
        assert server.request("/version")[0] == 200
        status, body = server.request("/openapi.json")
        described = json.loads(body)["paths"]
        assert status == 200 and {"/version", "/api/ingest", "/api/runs/open"} <= set(described)
        assert {"/api/bulk_log", "/api/upload", "/api/get_run_summary"} <= set(described)
        status, body = server.request(
            "/api/projects", headers={"X-Trackio-Read-Token": "let-me-read"}
        )
        assert status == 200 and json.loads(body) == {"projects": ["secret"]}
        status, _ = server.request(
            "/api/session",
            json.dumps({"token": "nope"}).encode(),
            {"Content-Type": "application/json"},
        )
        assert status == 403
        request = urllib_request(
            server.url + "/api/session", json.dumps({"token": "let-me-read"}).encode()
        )
        with request as response:
            cookie = response.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie
        status, _ = server.request("/api/projects", headers={"Cookie": cookie.split(";")[0]})
        assert status == 200
    finally:
        server.stop()


def test_series_asked_in_a_post_body_need_the_read_token_too(child_env, trackio_dir):
    server = TeamServer(child_env, trackio_dir, "--read-token", "let-me-read").start()
    try:
        run = trackio.init(project="secret", name="r")
        run.log({"loss": 0.5})
        run.finish()
        body = json.dumps({"project": "secret", "metrics": ["loss"]}).encode()
        plain = {"Content-Type": "application/json"}
        status, answer = server.request("/api/series", body, plain)
        assert status == 401 and b"loss" not in answer
        status, answer = server.request(
            "/api/series", body, {**plain, "X-Trackio-Read-Token": "let-me-read"}
        )
        assert status == 200 and json.loads(answer)["series"][0]["y"] == [0.5]
    finally:
        server.stop()


def urllib_request(url, body):
    import urllib.request

    return urllib.request.urlopen(
        urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"}),
        timeout=30,
    )


def test_bound_beyond_loopback_reads_need_a_printed_read_token(child_env, trackio_dir):
    server = TeamServer(child_env, trackio_dir, "--host", "0.0.0.0").start()
    try:
        (line,) = [line for line in server.banner if line.startswith("* reading needs")]
        token = line.split(":", 1)[1].split()[0]
        trackio.init(project="lan", name="r").finish()
        assert server.request("/api/projects")[0] == 401
        status, body = server.request("/api/projects", headers={"X-Trackio-Read-Token": token})
        assert status == 200 and json.loads(body) == {"projects": ["lan"]}
    finally:
        server.stop()
    public = TeamServer(child_env, trackio_dir, "--host", "0.0.0.0", "--public-read").start()
    try:
        assert public.request("/api/projects")[0] == 200
    finally:
        public.stop()


def test_the_next_process_logging_there_delivers_a_dead_process_spool(team, child_env, tmp_path):
    client_dir = tmp_path / "client"
    env = client_env(child_env, client_dir, team)
    team.kill(signal.SIGKILL)
    dead = start_logger(env, "relay", "dead", 1_000_000, 2, 0.001)
    wait_for_line(dead, "started")
    time.sleep(1.5)
    logged_by = int(latest_line(dead, "at ").split()[1])
    time.sleep(0.6)
    send_signal(dead, signal.SIGKILL)
    assert spool_files(client_dir)
    team.start()

    later = start_logger(env, "relay", "later", 20, 2)
    out, err = later.communicate(timeout=120)
    assert later.returncode == 0, err

    def dead_rows():
        runs = [r for r in trackio.Api().runs("relay") if r.name == "dead"]
        return runs[0].history() if runs else []

    wait_until(lambda: len(dead_rows()) > logged_by, timeout=60)
    rows = dead_rows()
    assert [row["step"] for row in rows] == list(range(len(rows)))
    values_exactly_once("relay", "later", 20, 2)
    wait_until(lambda: spool_files(client_dir) == [], timeout=30)


def test_a_token_in_the_url_never_reaches_the_server_output(child_env, trackio_dir):
    server = TeamServer(child_env, trackio_dir).start()
    try:
        status, _ = server.request(
            f"/api/ingest?write_token={WRITE_TOKEN}", ingest_body(), {"Content-Encoding": "gzip"}
        )
        assert status == 200
        assert server.request("/api/ingest?write_token=not-the-token", ingest_body())[0] == 403
    finally:
        server.kill(signal.SIGTERM)
    process_output = "\n".join(server.banner)
    assert WRITE_TOKEN not in process_output and "not-the-token" not in process_output


def _self_signed(folder):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate for the HTTPS test")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def test_https_with_the_servers_certificate_and_one_message_without_it(
    child_env, trackio_dir, tmp_path
):
    cert, key = _self_signed(tmp_path)
    server = TeamServer(
        child_env, trackio_dir, "--ssl-certfile", str(cert), "--ssl-keyfile", str(key)
    )
    server.url = server.url.replace("http://", "https://")
    server.start()
    try:
        assert any(
            line.startswith("* trackio server running at https://") for line in server.banner
        )
        trusted = client_env(child_env, tmp_path / "trusted", server, TRACKIO_CA_BUNDLE=str(cert))
        client = start_logger(trusted, "tls", "ok", 30, 2)
        out, err = client.communicate(timeout=120)
        assert client.returncode == 0, err
        values_exactly_once("tls", "ok", 30, 2)

        untrusted = client_env(
            child_env, tmp_path / "untrusted", server, TRACKIO_FINISH_TIMEOUT="2"
        )
        client = start_logger(untrusted, "tls", "refused", 30, 2)
        out, err = client.communicate(timeout=120)
        assert client.returncode == 0, err
        assert err.count("CERTIFICATE_VERIFY_FAILED") == 1, err
        assert "stay in the local spool" in err
        assert [r.name for r in trackio.Api().runs("tls")] == ["ok"]
    finally:
        server.stop()


@pytest.fixture
def small_disk(mount_tmpfs):
    return mount_tmpfs("8m")


@pytest.mark.skipif(sys.platform != "linux", reason="mounts a tmpfs")
def test_a_full_disk_on_the_server_is_a_503_and_the_client_waits(
    small_disk, child_env, tmp_path, monkeypatch
):
    data = small_disk / "data"
    server = TeamServer(child_env, data).start()
    filler = small_disk / "filler"
    try:
        env = client_env(child_env, tmp_path / "client", server, TRACKIO_FINISH_TIMEOUT="120")
        client = start_logger(env, "full", "r", 3000, 10, 0.001)
        wait_for_line(client, "started")
        time.sleep(0.5)
        with open(filler, "wb") as handle:
            try:
                while True:
                    handle.write(b"\0" * 65536)
                    handle.flush()
            except OSError:
                pass
        status, answer = server.request(
            "/api/ingest",
            ingest_body(project="full-too", batch_id="full-disk-batch"),
            {"Content-Encoding": "gzip", "X-Trackio-Write-Token": WRITE_TOKEN},
        )
        assert status == 503, (status, answer)
        assert b"storage is not available" in answer
        time.sleep(2)
        filler.unlink()
        out, err = client.communicate(timeout=180)
        assert client.returncode == 0, err
        assert "are not yet on" not in err, err
    finally:
        server.stop()
        filler.unlink(missing_ok=True)
    monkeypatch.setenv("TRACKIO_DIR", str(data))
    run = values_exactly_once("full", "r", 3000, 10)
    assert run.status == "finished"
