"""The PyPI trackio's own client (0.43.0, in its own virtual environment) logging to
our team server, and its wire protocol posted by hand: values arrive exactly once,
re-sent batches store nothing, a wrong token or a malformed body stores nothing."""

import http.server
import json
import math
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest
from pypi_trackio_venv import PYPI_TRACKIO_VERSION, pypi_trackio_python

import trackio
from trackio.server.access import Access
from trackio.server.app import start_server
from trackio.server.team import Team
from trackio.storage import list_projects, open_store

TOKEN = "tok-pypi-interop"

# Run by the PyPI trackio's interpreter, in its own folders; prints the runs' ids.
CLIENT = r"""
import json, sys, time
import numpy as np
import trackio

url = sys.argv[1]
ids = {}
run = trackio.init(project="interop", name="alpha", server_url=url,
                   config={"lr": 0.01, "layers": [1, 2], "opt": {"name": "adam"}})
ids["alpha"] = run.id
trackio.log({"loss": 1.5, "acc": 0.25})
trackio.log({"loss": 1.0, "nested": {"a": 1, "b": {"c": 2.5}}}, step=5)
trackio.log({"loss": float("nan"), "peak": float("inf"), "low": float("-inf"), "note": "hello",
             "hist": trackio.Histogram([1, 2, 2, 3, 3, 3], num_bins=3)})
time.sleep(0.8)
trackio.log({"flag": True, "big": 2**40, "step": 3, "timestamp": 7, "__x": 1})
run.log_system({"cpu/util": 12.5})
trackio.alert("Loss low", text="loss < 1", level=trackio.AlertLevel.INFO)
time.sleep(0.8)  # so the system values reach the server before step 9 does
pixels = np.zeros((4, 6, 3), dtype=np.uint8)
pixels[:, :, 0] = 200
trackio.log({"sample": trackio.Image(pixels, caption="red")}, step=9)
trackio.finish()

run = trackio.init(project="interop", name="beta", server_url=url, group="g1",
                   config={"seed": 3})
ids["beta"] = run.id
for i in range(3):
    trackio.log({"x": i * 0.5})
trackio.finish()

run = trackio.init(project="interop", name="alpha", server_url=url, resume="allow")
ids["alpha-resumed"] = run.id
trackio.log({"loss": 0.25})
trackio.log({"loss": 0.125})
trackio.finish()
print("IDS " + json.dumps(ids), flush=True)
"""


@pytest.fixture(scope="module")
def pypi_python():
    try:
        return pypi_trackio_python()
    except RuntimeError as error:
        pytest.skip(f"cannot install the PyPI trackio {PYPI_TRACKIO_VERSION} to test with: {error}")


@pytest.fixture(scope="module")
def team_server():
    """Our team server in this process; it reads TRACKIO_DIR per request, so each test
    writes into its own folder."""
    handle = start_server("127.0.0.1", 0, team=Team(Access(TOKEN)))
    yield handle
    handle.stop()


def run_pypi_client(python, url, tmp_path, code=CLIENT):
    """Run `code` with the PyPI trackio, in a folder and TRACKIO_DIR of its own (its
    client keeps failed batches there), never seeing our package."""
    home = tmp_path / "pypi-client"
    home.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TRACKIO_") and k not in ("PYTHONPATH", "PYTHONHOME")
    }
    env.update(
        TRACKIO_DIR=str(home / "trackio"),
        HF_HOME=str(home / "hf"),
        TRACKIO_WRITE_TOKEN=TOKEN,
        PYTHONUNBUFFERED="1",
    )
    done = subprocess.run(
        [str(python), "-c", code, url],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    return done, home / "trackio"


def post(url, path, body, token=TOKEN, raw=None):
    """POST JSON (or `raw` bytes) as their client does; (status, decoded answer)."""
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["x-trackio-write-token"] = token
    data = raw if raw is not None else json.dumps(body, separators=(",", ":")).encode()
    request = urllib.request.Request(url + path, data=data, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def points(project, run_id):
    """Every stored point of each metric, repeats included: (step, value) lists."""
    with open_store(project) as store:
        exported = store.export_run(run_id)
    return {
        name: list(zip(steps, values, strict=True))
        for name, (steps, values, _) in exported.series.items()
    }


def entry(run_id, step, metrics, log_id=None, config=None, project="wire", run="r1"):
    return {
        "project": project,
        "run": run,
        "run_id": run_id,
        "metrics": metrics,
        "step": step,
        "config": config,
        "log_id": log_id or uuid.uuid4().hex,
    }


def bulk_log(entries):
    return {"args": [], "kwargs": {"hf_token": None, "logs": entries}}


def test_pypi_client_logs_every_value_exactly_once(pypi_python, team_server, tmp_path):
    started = time.monotonic()
    child, client_dir = run_pypi_client(pypi_python, team_server.url, tmp_path)
    elapsed = time.monotonic() - started
    assert child.returncode == 0, child.stderr[-3000:]
    assert "Could not flush" not in child.stdout + child.stderr
    # Their client keeps batches the server refused in its own project file: none.
    assert not list(client_dir.glob("*.db")), child.stderr[-2000:]
    ids = json.loads(child.stdout.split("IDS ", 1)[1])
    # Their client sends init's config and everything it logged in well under its
    # 30 s give-up time; a refused batch would make it hang there.
    assert elapsed < 25, (elapsed, child.stderr[-2000:])
    # The resumed run is the same run, found through get_runs_for_project.
    assert ids["alpha-resumed"] == ids["alpha"]

    runs = {run.name: run for run in trackio.Api().runs("interop")}
    assert sorted(runs) == ["alpha", "beta"]
    alpha, beta = runs["alpha"], runs["beta"]
    assert alpha.id == ids["alpha"] and beta.id == ids["beta"]
    assert alpha.config == {"lr": 0.01, "layers": [1, 2], "opt": {"name": "adam"}}
    assert beta.config == {"seed": 3}
    assert beta.group == "g1"

    stored = points("interop", alpha.id)
    assert stored["loss"][:2] == [(0, 1.5), (5, 1.0)]
    assert stored["loss"][2][0] == 6 and math.isnan(stored["loss"][2][1])
    # get_run_summary told the resumed client the last step (9): it went on at 10.
    assert stored["loss"][3:] == [(10, 0.25), (11, 0.125)]
    assert stored["acc"] == [(0, 0.25)]
    assert stored["nested/a"] == [(5, 1)]
    assert stored["nested/b/c"] == [(5, 2.5)]
    assert stored["peak"] == [(6, math.inf)]
    assert stored["low"] == [(6, -math.inf)]
    assert stored["note"] == [(6, "hello")]
    # Their client renamed `step`, `timestamp` and `__x`; stored as our log() would.
    assert stored["flag"] == [(7, True)]
    assert stored["big"] == [(7, 2**40)]
    assert stored["__step"] == [(7, 3)]
    assert stored["timestamp"] == [(7, 7)]
    assert stored["__x"] == [(7, 1)]
    # System metrics at wall-time milliseconds, apart from the steps; alerts as alerts.
    [(system_step, system_value)] = stored["system/cpu/util"]
    assert system_value == 12.5 and abs(system_step / 1000 - time.time()) < 600
    assert [(a["title"], a["text"], a["level"], a["step"]) for a in alpha.alerts()] == [
        ("Loss low", "loss < 1", "INFO", 7)
    ]
    [(image_step, image)] = stored["sample"]
    assert image_step == 9 and image.kind == "image" and image.caption == "red"
    assert sorted(stored) == sorted(
        [
            "loss",
            "acc",
            "nested/a",
            "nested/b/c",
            "peak",
            "low",
            "note",
            "flag",
            "big",
            "__step",
            "timestamp",
            "__x",
            "system/cpu/util",
            "sample",
            "hist",
        ]
    )
    assert points("interop", beta.id) == {"x": [(0, 0.0), (1, 0.5), (2, 1.0)]}

    rows = {row["step"]: row for row in alpha.history()}
    assert sorted(rows) == [0, 5, 6, 7, 9, 10, 11]
    picture = rows[9]["sample"]
    assert picture["_type"] == "image" and picture["caption"] == "red"
    from PIL import Image

    with Image.open(picture["path"]) as opened:
        assert opened.size == (6, 4)
        assert opened.convert("RGB").getpixel((0, 0)) == (200, 0, 0)
    assert alpha.summary["loss"] == 0.125
    histogram = rows[6]["hist"]
    assert histogram["_type"] == "histogram"
    assert histogram["counts"] == [1, 2, 3]
    assert histogram["edges"] == pytest.approx([1, 5 / 3, 7 / 3, 3])


def test_resent_bulk_log_stores_nothing_new_even_after_a_restart(team_server):
    run_id = uuid.uuid4().hex
    first = [
        entry(
            run_id,
            0,
            {"loss": 1.0, "acc": "NaN"},
            config={
                "lr": 0.1,
                "_Group": "g",
                "_Username": None,
                "_Created": "2026-01-01T00:00:00+00:00",
            },
        ),
        entry(run_id, 1, {"loss": 0.5}),
        entry(run_id, None, {"loss": 0.25, "deep": {"x": "Infinity"}}),
    ]
    assert post(team_server.url, "api/bulk_log", bulk_log(first)) == (200, {"data": None})
    expected = {
        "loss": [(0, 1.0), (1, 0.5), (2, 0.25)],
        "acc": [(0, math.nan)],
        "deep/x": [(2, math.inf)],
    }
    stored = points("wire", run_id)
    assert stored.keys() == expected.keys()
    assert stored["loss"] == expected["loss"] and stored["deep/x"] == expected["deep/x"]
    assert stored["acc"][0][0] == 0 and math.isnan(stored["acc"][0][1])
    [run] = trackio.Api().runs("wire")
    assert (run.id, run.name, run.group, run.config) == (run_id, "r1", "g", {"lr": 0.1})

    # The same body again, then regrouped as their client replays it: a `timestamp`
    # added, config null, with one entry it had never sent.
    assert post(team_server.url, "api/bulk_log", bulk_log(first)) == (200, {"data": None})
    replay = [
        {**item, "config": None, "timestamp": "2026-01-01T00:00:05+00:00"} for item in first[1:]
    ]
    new = entry(run_id, 3, {"loss": 0.125})
    new["timestamp"] = "2026-01-01T00:00:06+00:00"
    body = {"args": [], "kwargs": {"logs": [*replay, new, dict(new)], "hf_token": None}}
    assert post(team_server.url, "api/bulk_log", body) == (200, {"data": None})
    after = points("wire", run_id)
    assert after["loss"] == [*expected["loss"], (3, 0.125)]
    assert after["deep/x"] == expected["deep/x"] and len(after["acc"]) == 1
    with open_store("wire") as store:
        moment = store.read_series(store.get_run(run_id), "loss", 3, 3).times[0]
    assert moment == pytest.approx(1767225606.0)

    # The ids are kept in the project file: a new server (new stores and connections)
    # stores nothing either.
    other = start_server("127.0.0.1", 0, team=Team(Access(TOKEN)))
    try:
        assert post(other.url, "api/bulk_log", bulk_log(first)) == (200, {"data": None})
        assert post(other.url, "api/bulk_log", body) == (200, {"data": None})
    finally:
        other.stop()
    assert same_points(points("wire", run_id), after)


def same_points(left, right):
    """Equal point lists, NaN equal to NaN."""

    def key(pairs):
        return [(s, "nan" if isinstance(v, float) and math.isnan(v) else v) for s, v in pairs]

    return left.keys() == right.keys() and all(key(left[k]) == key(right[k]) for k in left)


def test_wrong_or_missing_token_stores_nothing(team_server):
    body = bulk_log([entry(uuid.uuid4().hex, 0, {"loss": 1.0})])
    status, answer = post(team_server.url, "api/bulk_log", body, token="not-the-token")
    assert status == 403 and "token" in answer["error"]
    status, answer = post(team_server.url, "api/bulk_log", body, token=None)
    assert status == 401 and "token" in answer["error"]
    status, _ = post(team_server.url, "api/bulk_log_system", body, token="nope")
    assert status == 403
    assert list_projects() == []


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (bulk_log([entry("a" * 32, 0, {"x": 1}), entry("bad id!", 1, {"x": 2})]), "logs[1]"),
        (bulk_log([entry("a" * 32, 0, {"x": 1}), entry("a" * 32, -1, {"x": 2})]), "'step'"),
        (
            bulk_log([entry("a" * 32, 0, {"x": 1}), {**entry("a" * 32, 1, {}), "metrics": 3}]),
            "'metrics'",
        ),
        (bulk_log([entry("a" * 32, 0, {"x": 1}), entry("a" * 32, 1, {}, project="")]), "'project'"),
        (
            bulk_log([entry("a" * 32, 0, {"x": 1}), {**entry("a" * 32, 1, {}), "timestamp": "x"}]),
            "'timestamp'",
        ),
        ({"args": [], "kwargs": {"logs": "nope", "hf_token": None}}, "'logs'"),
        ({"args": [], "kwargs": []}, "'kwargs'"),
        (None, "JSON"),
    ],
)
def test_malformed_body_is_refused_and_nothing_stored(team_server, body, named):
    raw = b"{not json" if body is None else None
    status, answer = post(team_server.url, "api/bulk_log", body, raw=raw)
    assert status == 400
    assert named in answer["error"]
    assert list_projects() == []


def test_thousand_entries_in_one_request(team_server):
    run_id = uuid.uuid4().hex
    entries = [
        entry(run_id, step, {"loss": 1 / (step + 1), "acc": step / 1000, "epoch": step // 100})
        for step in range(1000)
    ]
    started = time.perf_counter()
    assert post(team_server.url, "api/bulk_log", bulk_log(entries)) == (200, {"data": None})
    first = time.perf_counter() - started
    started = time.perf_counter()
    assert post(team_server.url, "api/bulk_log", bulk_log(entries)) == (200, {"data": None})
    again = time.perf_counter() - started
    print(f"1000 entries: stored in {first:.3f} s, re-sent in {again:.3f} s")
    stored = points("wire", run_id)
    assert stored["loss"] == [(step, 1 / (step + 1)) for step in range(1000)]
    assert stored["epoch"] == [(step, step // 100) for step in range(1000)]
    # A generous bound: a full fsync per entry on a slow disk still fits.
    assert first < 10 and again < 5


def _multipart(name, data):
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="{name}"\r\n'
            f"Content-Type: image/png\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return boundary, body


def _upload(url, name, data, token=TOKEN):
    boundary, body = _multipart(name, data)
    request = urllib.request.Request(
        url + "api/upload",
        data=body,
        method="POST",
        headers={
            "Content-Type": f"multipart/form-data; boundary={boundary}",
            "x-trackio-write-token": token,
        },
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())["paths"][0]


def _png(color):
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (3, 2), color).save(buffer, format="PNG")
    return buffer.getvalue()


def _wav():
    import io
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as sound:
        sound.setnchannels(1)
        sound.setsampwidth(2)
        sound.setframerate(8000)
        sound.writeframes(bytes(range(200)))
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("kind", "file_first"), [("image", False), ("image", True), ("audio", True)]
)
def test_uploaded_file_becomes_media_in_either_order(team_server, trackio_dir, kind, file_first):
    run_id = uuid.uuid4().hex
    name = f"{uuid.uuid4()}.{'png' if kind == 'image' else 'wav'}"
    value = {"_type": f"trackio.{kind}", "file_path": f"wire/r1/4/{name}", "caption": "c"}
    logs = bulk_log([entry(run_id, 4, {"media": value, "loss": 0.5})])
    data = _png((0, 0, 255)) if kind == "image" else _wav()

    def send_file():
        handle = _upload(team_server.url, name, data)
        uploads = [
            {
                "project": "wire",
                "run": "r1",
                "run_id": run_id,
                "step": 4,
                "relative_path": None,
                "uploaded_file": {
                    "path": handle,
                    "meta": {"_type": "gradio.FileData"},
                    "orig_name": name,
                },
            }
        ]
        body = {"args": [], "kwargs": {"hf_token": None, "uploads": uploads}}
        assert post(team_server.url, "api/bulk_upload_media", body) == (200, {"data": None})

    if file_first:
        send_file()
        assert trackio.Api().projects() == []  # the file waits for its value
        assert post(team_server.url, "api/bulk_log", logs) == (200, {"data": None})
    else:
        assert post(team_server.url, "api/bulk_log", logs) == (200, {"data": None})
        [row] = trackio.Api().runs("wire")[0].history()
        assert "media" not in row  # the value waits for its file
        send_file()
        send_file()  # their client re-sends a failed upload: it is not stored twice
    [run] = trackio.Api().runs("wire")
    [row] = run.history()
    assert row["step"] == 4 and row["loss"] == 0.5
    assert row["media"]["_type"] == kind and row["media"]["caption"] == "c"
    assert Path(row["media"]["path"]).read_bytes() == data
    with open_store("wire") as store:
        [media] = store.list_media()
    assert (media.key, media.step, media.kind) == ("media", 4, kind)
    # Nothing is left waiting.
    parked = trackio_dir / ".pypi-uploads" / "parked"
    assert list(parked.iterdir()) == []


def test_resume_reads_answer_from_our_store(team_server):
    run_id = uuid.uuid4().hex
    body = bulk_log([entry(run_id, 7, {"loss": 1.0}, config={"lr": 3})])
    assert post(team_server.url, "api/bulk_log", body) == (200, {"data": None})
    status, answer = post(
        team_server.url, "api/get_runs_for_project", {"args": [], "kwargs": {"project": "wire"}}
    )
    assert status == 200
    [record] = answer["data"]
    assert (record["id"], record["name"]) == (run_id, "r1")
    assert record["created_at"].endswith("+00:00")
    status, answer = post(
        team_server.url,
        "api/get_run_summary",
        {"args": [], "kwargs": {"project": "wire", "run_id": run_id}},
    )
    assert status == 200
    assert answer["data"] == {
        "project": "wire",
        "run": "r1",
        "run_id": run_id,
        "num_logs": 1,
        "metrics": ["loss"],
        "config": {"lr": 3},
        "last_step": 7,
    }
    status, answer = post(
        team_server.url, "api/get_runs_for_project", {"args": [], "kwargs": {"project": "none"}}
    )
    assert (status, answer) == (200, {"data": []})
    assert "none" not in list_projects()


def test_reads_need_the_read_token_when_the_server_has_one():
    handle = start_server("127.0.0.1", 0, team=Team(Access(TOKEN, read_token="reader")))
    try:
        body = {"args": [], "kwargs": {"project": "wire"}}
        status, answer = post(handle.url, "api/get_runs_for_project", body, token=None)
        assert status == 401 and "token" in answer["error"]
        # Their client sends only its write token, which allows reading too.
        assert post(handle.url, "api/get_runs_for_project", body) == (200, {"data": []})
    finally:
        handle.stop()


def test_flat_body_of_the_go_javascript_and_rust_clients(team_server):
    # Their shape: no ids, -1 for "no step", "" for "no timestamp", keyed by run name.
    body = {
        "project": "wire",
        "run": "go-run",
        "metrics_list": [{"a": 1}, {"a": 2.5, "b": {"c": "NaN"}}, {"a": 3}],
        "steps": [0, -1, 5],
        "timestamps": ["2026-01-01T00:00:00Z", "", ""],
        "config": {"k": 1},
    }
    status, _ = post(team_server.url, "api/bulk_log", body)
    assert status == 200
    [run] = trackio.Api().runs("wire")
    assert (run.name, run.config) == ("go-run", {"k": 1})
    stored = points("wire", run.id)
    assert stored["a"] == [(0, 1), (1, 2.5), (5, 3)]
    assert stored["b/c"][0][0] == 1 and math.isnan(stored["b/c"][0][1])
    with open_store("wire") as store:
        assert store.read_series(store.get_run(run.id), "a", 0, 0).times == [1767225600.0]
    # The next batch goes to the same run (by name), its unset steps after the last.
    body = {"project": "wire", "run": "go-run", "metrics_list": [{"a": 4}], "steps": [-1]}
    assert post(team_server.url, "api/bulk_log", body)[0] == 200
    [again] = trackio.Api().runs("wire")
    assert again.id == run.id
    assert points("wire", run.id)["a"][-1] == (6, 4)
    status, answer = post(team_server.url, "api/bulk_log", {**body, "steps": [1, 2]})
    assert status == 400 and "'steps'" in answer["error"]


class FlakyProxy:
    """Passes requests on to our server, but answers the first `failures` bulk_log
    requests with a 500 after the server has stored them: a reply lost on the way."""

    def __init__(self, target, failures):
        proxy = self
        self.bulk_bodies = []

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                self._forward(None)

            def do_POST(self):
                self._forward(self.rfile.read(int(self.headers.get("Content-Length", 0))))

            def _forward(self, body):
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() not in ("host", "accept-encoding", "connection")
                }
                request = urllib.request.Request(
                    target + self.path.lstrip("/"),
                    data=body,
                    headers=headers,
                    method=self.command,
                )
                try:
                    with urllib.request.urlopen(request, timeout=60) as response:
                        status, answer = response.status, response.read()
                except urllib.error.HTTPError as error:
                    status, answer = error.code, error.read()
                if self.path == "/api/bulk_log":
                    proxy.bulk_bodies.append(json.loads(body))
                    if len(proxy.bulk_bodies) <= failures:
                        status, answer = 500, b'{"error": "lost on the way"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


FLAKY_CLIENT = r"""
import sys, time
import trackio

run = trackio.init(project="flaky", name="r", server_url=sys.argv[1], config={"lr": 0.5})
for i in range(5):
    trackio.log({"v": i, "sq": i * i})
time.sleep(2.5)
for i in range(5, 8):
    trackio.log({"v": i, "sq": i * i})
trackio.finish()
"""


def test_pypi_client_replays_after_lost_replies_store_nothing_twice(
    pypi_python, team_server, tmp_path
):
    proxy = FlakyProxy(team_server.url, failures=2)
    try:
        child, client_dir = run_pypi_client(pypi_python, proxy.url, tmp_path, FLAKY_CLIENT)
    finally:
        proxy.close()
    assert child.returncode == 0, child.stderr[-3000:]
    # The first batch reached the server and was stored, yet their client was told it
    # failed: it re-sent those entries (same log_ids, with a timestamp, config null).
    first_ids = {item["log_id"] for item in proxy.bulk_bodies[0]["kwargs"]["logs"]}
    replays = [
        body
        for body in proxy.bulk_bodies[1:]
        if first_ids & {item["log_id"] for item in body["kwargs"]["logs"]}
    ]
    assert len(replays) >= 2
    assert all(
        "timestamp" in item and item["config"] is None
        for body in replays
        for item in body["kwargs"]["logs"]
        if item["log_id"] in first_ids
    )
    [run] = trackio.Api().runs("flaky")
    assert run.config == {"lr": 0.5}
    assert points("flaky", run.id) == {
        "v": [(i, i) for i in range(8)],
        "sq": [(i, i * i) for i in range(8)],
    }


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-v"]))


# Run by the PyPI trackio's interpreter: its own server, with its write token.
THEIR_SERVER = r"""
import sys, time, trackio
trackio.show(server_port=int(sys.argv[1]), host="127.0.0.1", open_browser=False,
             block_thread=False)
print("ready", flush=True)
while True:
    time.sleep(3600)
"""

# Run by the PyPI trackio's interpreter: what its server stored, as JSON.
THEIR_READER = r"""
import json, math, trackio
from trackio.sqlite_storage import SQLiteStorage
out = {}
for run in trackio.Api().runs("ours-to-theirs"):
    rows = SQLiteStorage.get_logs("ours-to-theirs", run_id=run.id)
    out[run.name] = {
        "id": run.id,
        "config": run.config,
        "rows": [{k: ("nan" if isinstance(v, float) and math.isnan(v) else v)
                  for k, v in row.items() if k != "timestamp"} for row in rows],
    }
print(json.dumps(out))
"""


def test_our_client_logs_to_the_pypi_trackio_server(pypi_python, tmp_path, child_env):
    from child_output import wait_for_line
    from team_support import free_port

    port = free_port()
    their_dir = tmp_path / "theirs"
    their_dir.mkdir()
    their_env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    their_env.update(TRACKIO_DIR=str(their_dir), TRACKIO_WRITE_TOKEN=TOKEN, BROWSER="true")
    server = subprocess.Popen(
        [str(pypi_python), "-c", THEIR_SERVER, str(port)],
        env=their_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )
    try:
        wait_for_line(server, "ready", timeout=120)
        script = (
            "import trackio\n"
            f"run = trackio.init(project='ours-to-theirs', name='ours', "
            f"server_url='http://127.0.0.1:{port}', config={{'lr': 0.1, 'depth': 3}})\n"
            "for step in range(50):\n"
            "    trackio.log({'loss': 1.0 / (step + 1), 'acc': step, 'nan': float('nan')})\n"
            "trackio.log({'late': 2.5}, step=80)\n"
            "trackio.finish()\n"
            "print('ID', run.id)\n"
        )
        env = dict(child_env, TRACKIO_DIR=str(tmp_path / "ours"), TRACKIO_WRITE_TOKEN=TOKEN)
        done = subprocess.run(
            [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        assert "are not yet on" not in done.stderr, done.stderr
        run_id = done.stdout.split("ID ")[1].strip()
        read = subprocess.run(
            [str(pypi_python), "-c", THEIR_READER],
            env=their_env,
            capture_output=True,
            text=True,
            timeout=120,
            cwd=tmp_path,
        )
        assert read.returncode == 0, read.stderr
        stored = json.loads(read.stdout)["ours"]
    finally:
        server.kill()
        server.wait()
    assert stored["id"] == run_id
    assert {k: v for k, v in stored["config"].items() if not k.startswith("_")} == {
        "lr": 0.1,
        "depth": 3,
    }
    rows = stored["rows"]
    assert [row["step"] for row in rows] == [*range(50), 80]
    for row in rows[:50]:
        assert row["loss"] == 1.0 / (row["step"] + 1) and row["acc"] == row["step"]
        assert row["nan"] == "nan"
    assert rows[50]["late"] == 2.5
