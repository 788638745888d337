"""The dashboard's JSON API, served by a real uvicorn server on a loopback port."""

import json
import math
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from child_output import first_lines_of_show

import trackio


def get(server, path, **params):
    url = server.url + path.lstrip("/") + ("?" + urlencode(params) if params else "")
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def get_error(server, path, **params):
    with pytest.raises(urllib.error.HTTPError) as caught:
        get(server, path, **params)
    return caught.value.code, json.loads(caught.value.read())["error"]


def log_run(project, name, rows, config=None, finish=True):
    run = trackio.init(project=project, name=name, config=config)
    for row in rows:
        run.log(row)
    if finish:
        run.finish()
    return run


def test_projects_runs_and_metrics(server):
    log_run("alpha", "first", [{"loss": 1.0, "note": "text"}, {"loss": 0.5}], config={"lr": 0.1})
    log_run("a/b c", "second", [{"acc": 1}])
    assert get(server, "/api/projects") == {"projects": ["a/b c", "alpha"]}

    payload = get(server, "/api/runs", project="alpha")
    (run,) = payload["runs"]
    assert run["name"] == "first"
    assert run["status"] == "finished"
    assert run["config"] == {"lr": 0.1}
    assert run["summary"] == {"loss": 0.5, "note": "text"}
    assert (run["last_step"], run["step_count"]) == (1, 2)
    assert run["updated_at"] >= run["created_at"]
    assert get(server, "/api/metrics", project="alpha") == {"metrics": ["loss"]}
    assert get(server, "/api/runs", project="a/b c")["runs"][0]["name"] == "second"


def test_runs_say_nothing_of_where_the_server_keeps_media_files(server, trackio_dir):
    import numpy as np

    log_run("pics", "r", [{"sample": trackio.Image(np.zeros((4, 4, 3), dtype=np.uint8))}])
    (run,) = get(server, "/api/runs", project="pics")["runs"]
    image = run["summary"]["sample"]
    assert image["_type"] == "image" and "path" not in image, image
    assert str(trackio_dir) not in json.dumps(run)


def test_cursor_returns_only_runs_changed_later(server):
    log_run("live", "old", [{"x": 1.0}])
    cursor = get(server, "/api/runs", project="live")["cursor"]
    assert get(server, "/api/runs", project="live", cursor=cursor)["runs"] == []
    log_run("live", "new", [{"x": 2.0}])
    names = [r["name"] for r in get(server, "/api/runs", project="live", cursor=cursor)["runs"]]
    assert names == ["new"]


def test_small_series_come_back_raw_with_nan_as_null(server):
    rows = [{"loss": v} for v in (3.0, math.nan, 1.0, math.inf)]
    run = log_run("raw", "r", rows)
    (series,) = get(server, "/api/series", project="raw", metric="loss")["series"]
    assert series["run"] == run.id
    assert series["x"] == [0, 1, 2, 3]
    assert series["y"] == [3.0, None, 1.0, None]
    assert series["min"] is None and series["max"] is None
    assert series["downsampled"] is False
    assert (series["last_step"], series["total"]) == (3, 4)


def test_downsampling_keeps_a_spike_in_the_envelope(server):
    rows = [{"loss": 1.0 if step != 7312 else 500.0} for step in range(10_000)]
    run = log_run("spiky", "r", rows)
    payload = get(
        server, "/api/series", project="spiky", metric="loss", runs=run.id, max_points=100
    )
    (series,) = payload["series"]
    assert series["downsampled"] is True
    assert len(series["x"]) == len(series["y"]) == len(series["max"]) == 100
    assert max(series["max"]) == 500.0
    assert min(series["min"]) == 1.0
    spike_bucket = series["max"].index(500.0)
    assert series["x"][spike_bucket] - 50 <= 7312 <= series["x"][spike_bucket] + 50
    assert series["total"] == 10_000


def test_x_axes_time_relative_and_metric(server):
    rows = [{"loss": 1.0 / (s + 1), "epoch": s // 2} for s in range(6)]
    log_run("axes", "r", rows)
    by_time = get(server, "/api/series", project="axes", metric="loss", x="time")["series"][0]
    assert by_time["x"] == sorted(by_time["x"]) and by_time["x"][0] > 1e9
    relative = get(server, "/api/series", project="axes", metric="loss", x="relative")
    assert 0 <= relative["series"][0]["x"][0] < 60
    by_epoch = get(server, "/api/series", project="axes", metric="loss", x="epoch")["series"][0]
    assert by_epoch["x"] == [0, 0, 1, 1, 2, 2]
    assert by_epoch["y"][1] == pytest.approx(0.5)


def test_after_cursor_and_step_range(server):
    run = log_run("cursor", "r", [{"v": float(s)} for s in range(10)])
    series = get(server, "/api/series", project="cursor", metric="v", after=f"{run.id}:6")
    assert series["series"][0]["x"] == [7, 8, 9]
    ranged = get(server, "/api/series", project="cursor", metric="v", step_min=2, step_max=4)
    assert ranged["series"][0]["y"] == [2.0, 3.0, 4.0]


def test_unknown_names_and_bad_parameters_are_clear_errors(server):
    log_run("errs", "r", [{"v": 1.0}])
    code, message = get_error(server, "/api/runs", project="nope")
    assert code == 404 and "'nope'" in message and "errs" in message
    code, message = get_error(server, "/api/series", project="errs", metric="missing")
    assert code == 404 and "'missing'" in message
    gone = get(server, "/api/series", project="errs", metric="v", runs="zzz")
    assert gone["series"] == [] and gone["missing"] == ["zzz"]
    code, message = get_error(server, "/api/series", project="errs", metric="v", x="bogus")
    assert code == 404 and "'bogus'" in message
    code, message = get_error(server, "/api/series", project="errs", metric="v", max_points=0)
    assert code == 400 and "max_points" in message
    code, message = get_error(server, "/api/runs")
    assert code == 400 and "'project'" in message


def test_reading_while_another_process_logs_never_fails_either_side(server, child_env):
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import trackio\n"
            "run = trackio.init(project='busy', name='w')\n"
            "for step in range(3000):\n"
            "    run.log({'loss': 1.0 / (step + 1), 'acc': step})\n"
            "run.finish()\n"
            "print('done')\n",
        ],
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = 0
    while writer.poll() is None:
        try:
            payload = get(server, "/api/series", project="busy", metric="loss")
        except urllib.error.HTTPError as error:
            assert error.code == 404
            continue
        seen = max(seen, payload["series"][0]["total"])
    out, err = writer.communicate(timeout=60)
    assert writer.returncode == 0, err
    assert "Traceback" not in err
    final = get(server, "/api/series", project="busy", metric="loss", max_points=5000)
    assert final["series"][0]["total"] == 3000
    assert seen <= 3000


def test_trackio_show_falls_back_to_the_next_free_port(child_env):
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "trackio.cli", "show", "--no-browser", "--port", str(port)],
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert "http://127.0.0.1:" in line, line + proc.stderr.read()
        url = line.split()[-1]
        assert int(url.rsplit(":", 1)[1].strip("/")) > port
        with urllib.request.urlopen(url + "api/projects", timeout=10) as response:
            assert json.loads(response.read()) == {"projects": []}
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        taken.close()


def test_long_series_downsample_from_block_summaries_with_envelope(server):
    values = [math.sin(step / 500) for step in range(60_000)]
    values[41_234] = 80.0
    values[12_000] = math.nan
    run = trackio.init(project="long", name="r")
    for value in values:
        run.log({"v": value})
    run.finish()
    finite = [v for v in values if not math.isnan(v)]

    (whole,) = get(server, "/api/series", project="long", metric="v", max_points=50)["series"]
    assert whole["downsampled"] and whole["total"] == 60_000
    assert len(whole["x"]) <= 50
    assert max(whole["max"]) == 80.0
    assert min(whole["min"]) == pytest.approx(min(finite), abs=1e-6)
    assert whole["x"] == sorted(whole["x"]) and 0 < whole["x"][0] < whole["x"][-1] < 60_000
    for low, mean, high in zip(whole["min"], whole["y"], whole["max"], strict=True):
        assert low - 1e-6 <= mean <= high + 1e-6
    assert whole["last_step"] == 59_999

    zoomed = get(
        server,
        "/api/series",
        project="long",
        metric="v",
        max_points=10,
        step_min=5_000,
        step_max=45_000,
    )["series"][0]
    assert zoomed["total"] == 40_001
    assert zoomed["x"][0] >= 5_000 and zoomed["x"][-1] <= 45_000
    assert max(zoomed["max"]) == 80.0
    assert zoomed["last_step"] == 45_000

    by_time = get(server, "/api/series", project="long", metric="v", x="relative", max_points=20)
    assert by_time["series"][0]["x"] == sorted(by_time["series"][0]["x"])


def test_raw_values_keep_full_precision_and_range(server):
    log_run("precise", "r", [{"v": 123_456_789}, {"v": 1e39}, {"v": 1e-46}, {"v": 0.1}])
    (series,) = get(server, "/api/series", project="precise", metric="v")["series"]
    assert series["y"] == [123_456_789, 1e39, 1e-46, 0.1]


def test_metric_x_axis_reports_the_last_paired_step(server):
    run = trackio.init(project="pairs", name="r")
    for step in range(3):
        run.log({"loss": 1.0 / (step + 1), "tok": step * 10})
    run.log({"loss": 0.1})
    run.finish()
    (series,) = get(server, "/api/series", project="pairs", metric="loss", x="tok")["series"]
    assert series["x"] == [0, 10, 20] and series["last_step"] == 2


def test_out_of_range_numbers_and_foreign_files_are_json_errors(server, trackio_dir):
    log_run("range", "r", [{"v": 1.0}])
    code, message = get_error(server, "/api/series", project="range", metric="v", step_min=2**70)
    assert code == 400 and "out of range" in message
    code, _ = get_error(server, "/api/series", project="range", metric="v", after="x:" + "9" * 30)
    assert code == 400
    (trackio_dir / "junk.db").write_bytes(b"this is not a database" * 100)
    code, message = get_error(server, "/api/runs", project="junk")
    assert code == 500 and "cannot read the project file" in message


def test_several_metrics_in_one_request(server):
    run = log_run("multi", "r", [{"a": 1.0, "b": 2.0}, {"a": 3.0, "b": 4.0}])
    url = (
        server.url
        + "api/series?"
        + urlencode([("project", "multi"), ("metric", "a"), ("metric", "b")])
    )
    with urllib.request.urlopen(url, timeout=30) as response:
        payload = json.loads(response.read())
    assert "metric" not in payload
    assert [(s["metric"], s["run"], s["y"]) for s in payload["series"]] == [
        ("a", run.id, [1.0, 3.0]),
        ("b", run.id, [2.0, 4.0]),
    ]


def test_repeated_requests_see_points_logged_in_between(server):
    run = trackio.init(project="fresh", name="r")
    run.log({"v": 1.0})
    dict(run.summary)
    first = get(server, "/api/series", project="fresh", metric="v")["series"][0]
    assert get(server, "/api/series", project="fresh", metric="v")["series"][0] == first
    run.log({"v": 2.0})
    run.finish()
    again = get(server, "/api/series", project="fresh", metric="v")["series"][0]
    assert (first["y"], again["y"]) == ([1.0], [1.0, 2.0])


def _raw_get(server, path, host):
    """A GET sent with the given Host header; (status, headers, body)."""
    import http.client
    from urllib.parse import urlparse

    address = urlparse(server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("host", ["evil.example", "attacker.test:80", "192.168.1.5"])
def test_requests_naming_another_host_are_refused(server, host):
    trackio.init(project="secret", name="r")
    trackio.log({"x": 1})
    trackio.finish()
    status, _, body = _raw_get(server, "/api/projects", host)
    assert status == 400
    assert b"secret" not in body


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "LOCALHOST:7860"])
def test_requests_naming_this_machine_are_answered_with_security_headers(server, host):
    status, headers, body = _raw_get(server, "/api/projects", host)
    assert status == 200, body
    lowered = {name.lower(): value for name, value in headers.items()}
    assert lowered["x-content-type-options"] == "nosniff"
    assert lowered["referrer-policy"] == "no-referrer"
    assert "default-src 'self'" in lowered["content-security-policy"]


def test_allowed_host_names_and_wildcard_binds():
    from trackio.server.security import allowed_hosts

    assert allowed_hosts("127.0.0.1") == ["localhost", "127.0.0.1", "[::1]", "127.0.0.1"]
    assert "box.lan" in allowed_hosts("10.0.0.2", ["Box.lan"])
    assert "[fe80::1]" in allowed_hosts("fe80::1")
    assert allowed_hosts("0.0.0.0") == ["*"]
    assert allowed_hosts("0.0.0.0", ["box.lan"]) == ["box.lan", "localhost", "127.0.0.1", "[::1]"]


def test_show_on_every_interface_warns_that_the_network_can_read_it(cli_env):
    lines = first_lines_of_show(cli_env, "--host", "0.0.0.0")
    assert "dashboard running at http://0.0.0.0:" in lines[0]
    assert "warning" in lines[1] and "--allowed-host" in lines[1]


def test_show_takes_the_pypi_trackio_keywords_and_unpacks_like_its_tuple(record_user_warnings):
    with record_user_warnings() as found:
        handle = trackio.show(
            open_browser=False, block_thread=False, server_port=0, theme="soft", footer=None
        )
    try:
        app, url, share_url, full_url = handle
        assert url == handle.url and full_url == handle.url and share_url is None
        assert callable(app)
        with urllib.request.urlopen(url + "api/projects", timeout=30) as response:
            assert json.loads(response.read()) == {"projects": []}
    finally:
        handle.stop()
    assert [str(w.message) for w in found] == [
        "trackio.show() ignores theme=: it has no effect here"
    ]


def test_large_answers_are_gzipped_for_clients_that_ask(server):
    import gzip

    log_run("zipped", "r", [{"loss": 1.0 / (i + 1)} for i in range(2_000)])
    run_id = get(server, "/api/runs", project="zipped")["runs"][0]["id"]
    url = (
        server.url
        + "api/series?"
        + urlencode({"project": "zipped", "metric": "loss", "runs": run_id, "max_points": 1000})
    )
    plain = urllib.request.urlopen(url, timeout=30)
    body = plain.read()
    assert plain.headers.get("Content-Encoding") is None
    asked = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(asked, timeout=30) as answer:
        assert answer.headers["Content-Encoding"] == "gzip"
        packed = answer.read()
    assert gzip.decompress(packed) == body and len(packed) < len(body) / 2


def test_series_see_runs_added_and_a_project_made_again(server):
    def names():
        answer = get(server, "/api/series", project="again", metric="loss")
        by_id = {r["id"]: r["name"] for r in get(server, "/api/runs", project="again")["runs"]}
        return sorted(by_id[s["run"]] for s in answer["series"])

    log_run("again", "a", [{"loss": 1.0}])
    assert names() == ["a"]
    log_run("again", "b", [{"loss": 2.0}])
    assert names() == ["a", "b"]
    trackio.Api().delete_project("again")
    log_run("again", "c", [{"loss": 3.0}])
    log_run("again", "d", [{"loss": 4.0}])
    assert names() == ["c", "d"]
