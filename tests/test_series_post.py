"""`POST /api/series`: run ids in the body (a sweep's 1,000 do not fit a URL) and the
packed binary answer the dashboard reads, served by a real uvicorn server."""

from __future__ import annotations

import json
import math
import urllib.error
import urllib.request
from urllib.parse import urlencode

import numpy as np
import pytest

import trackio
from trackio.server.packed_series import MEDIA_TYPE, unpack_series
from trackio.server.series_answer import SeriesAnswer
from trackio.server.series_cache import SeriesCache
from trackio.storage.records import SeriesVersion


def post(server, body, headers=None):
    request = urllib.request.Request(
        server.url + "api/series",
        data=body if isinstance(body, bytes) else json.dumps(body).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.headers.get("Content-Type"), response.read()


def post_error(server, body):
    with pytest.raises(urllib.error.HTTPError) as caught:
        post(server, body)
    return caught.value.code, json.loads(caught.value.read())["error"]


def get(server, **params):
    url = server.url + "api/series?" + urlencode(params, doseq=True)
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def log_run(project, name, values):
    run = trackio.init(project=project, name=name, auto_log_cpu=False)
    for value in values:
        run.log({"loss": value, "acc": 1.0 - value if math.isfinite(value) else value})
    run.finish()
    return run


def test_packed_answers_hold_what_the_json_answer_holds(server):
    spiky = [1.0 / (s + 1) for s in range(3_000)]
    spiky[1234] = 80.0
    long = log_run("packed", "long", spiky)
    short = log_run("packed", "short", [3.0, math.nan, 1.0, 1e300, math.inf])
    query = {"project": "packed", "metrics": ["loss", "acc"], "runs": [long.id, short.id]}
    for x in ("step", "time", "relative"):
        body = {**query, "x": x, "max_points": 200}
        media_type, packed = post(server, {**body, "format": "packed"})
        assert media_type == MEDIA_TYPE
        unpacked = unpack_series(packed)
        as_json = get(
            server,
            project="packed",
            metric=["loss", "acc"],
            runs=f"{long.id},{short.id}",
            x=x,
            max_points=200,
        )
        assert unpacked["x"] == as_json["x"] == x
        assert unpacked["missing"] == []
        # Times need float64; bucket means of steps are exact in float32.
        assert unpacked["x_type"] == ("f4" if x == "step" else "f8")
        # 1e300 is no float32: every value of the answer stays float64.
        assert unpacked["y_type"] == "f8"
        assert len(unpacked["series"]) == len(as_json["series"]) == 4
        for got, want in zip(unpacked["series"], as_json["series"], strict=True):
            assert (got["metric"], got["run"]) == (want["metric"], want["run"])
            assert got["last_step"] == want["last_step"]
            assert got["total"] == want["total"]
            assert got["downsampled"] == want["downsampled"]
            for key in ("x", "y", "min", "max"):
                if want[key] is None:
                    assert got[key] is None
                    continue
                expected = np.array([math.nan if v is None else v for v in want[key]])
                # A series the JSON form narrows to float32 is widened back here, as
                # one value of this answer (1e300) needs float64.
                np.testing.assert_allclose(got[key], expected, rtol=1e-7, equal_nan=True)
    (loss,) = [s for s in unpacked["series"] if s["run"] == long.id and s["metric"] == "loss"]
    assert loss["downsampled"] and len(loss["x"]) == 200 and loss["max"].max() == 80.0
    (raw,) = [s for s in unpacked["series"] if s["run"] == short.id and s["metric"] == "loss"]
    assert not raw["downsampled"] and raw["min"] is None
    # Infinity is a missing value, as the JSON form's null: a chart cannot place it.
    assert np.isnan(raw["y"][1]) and raw["y"][3] == 1e300 and np.isnan(raw["y"][4])

    # Without the 1e300, the long run's buckets travel as float32, as in the JSON form.
    body = {"project": "packed", "metrics": ["loss"], "runs": [long.id], "max_points": 100}
    unpacked = unpack_series(post(server, {**body, "format": "packed"})[1])
    as_json = get(server, project="packed", metric="loss", runs=long.id, max_points=100)
    assert unpacked["y_type"] == "f4"
    (got,), (want,) = unpacked["series"], as_json["series"]
    for key in ("x", "y", "min", "max"):
        np.testing.assert_allclose(got[key], np.array(want[key]), rtol=1e-7)
    assert got["max"].max() == 80.0


def test_a_sweep_too_large_for_a_url_is_asked_in_the_body(server):
    names = [f"run-{i:04d}" for i in range(1_500)]
    runs = []
    for index, name in enumerate(names[:3]):
        runs.append(log_run("wide", name, [float(index), float(index) + 0.5]))
    # Run ids the project lacks are reported as missing, as in the URL form.
    asked = [run.id for run in runs] + [f"gone-{name}" for name in names[3:]]
    assert len(",".join(asked)) > 16_000
    _, body = post(
        server,
        {"project": "wide", "metrics": ["loss"], "runs": asked, "format": "packed"},
    )
    unpacked = unpack_series(body)
    assert [s["run"] for s in unpacked["series"]] == [run.id for run in runs]
    assert [list(s["y"]) for s in unpacked["series"]] == [[0.0, 0.5], [1.0, 1.5], [2.0, 2.5]]
    assert unpacked["x_type"] == unpacked["y_type"] == "f4"
    assert len(unpacked["missing"]) == 1_497
    _, as_json = post(server, {"project": "wide", "metrics": ["loss"], "runs": asked})
    assert [s["y"] for s in json.loads(as_json)["series"]] == [[0.0, 0.5], [1.0, 1.5], [2.0, 2.5]]


def test_after_cursors_in_the_body_send_only_later_points(server):
    run = log_run("tail", "r", [float(s) for s in range(10)])
    _, body = post(
        server,
        {"project": "tail", "metrics": ["loss"], "after": {run.id: 6}, "format": "packed"},
    )
    (series,) = unpack_series(body)["series"]
    assert list(series["x"]) == [7, 8, 9] and series["last_step"] == 9


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"{not json", "not JSON"),
        (b"[1, 2]", "JSON object"),
        ({"metrics": ["loss"]}, "'project'"),
        ({"project": "bad"}, "'metrics'"),
        ({"project": "bad", "metrics": "loss"}, "'metrics'"),
        ({"project": "bad", "metrics": ["loss"], "runs": "abc"}, "'runs'"),
        ({"project": "bad", "metrics": ["loss"], "max_points": 0}, "max_points"),
        ({"project": "bad", "metrics": ["loss"], "max_points": "9"}, "'max_points'"),
        ({"project": "bad", "metrics": ["loss"], "after": {"r": "x"}}, "'r'"),
        ({"project": "bad", "metrics": ["loss"], "after": {"r": None}}, "not null ('r')"),
        ({"project": "bad", "metrics": ["loss"], "step_min": 2**63}, "out of range"),
        ({"project": "bad", "metrics": ["loss"], "format": "csv"}, "'format'"),
        ({"project": "bad", "metrics": ["loss"], "colour": "red"}, "colour"),
    ],
)
def test_malformed_bodies_are_clear_errors(server, body, words):
    log_run("bad", "r", [1.0])
    code, message = post_error(server, body)
    assert code == 400 and words in message


def test_a_body_over_the_limit_is_refused_before_it_is_read(server):
    import http.client
    from urllib.parse import urlparse

    address = urlparse(server.url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    # Announced and never sent: the answer comes from the length alone.
    connection.putrequest("POST", "/api/series")
    connection.putheader("Content-Type", "application/json")
    connection.putheader("Content-Length", str(9 * 1024 * 1024))
    connection.endheaders()
    answer = connection.getresponse()
    assert answer.status == 413
    assert "limit of 8388608 bytes" in json.loads(answer.read())["error"]
    connection.close()


def test_unknown_names_in_the_body_are_404(server):
    log_run("named", "r", [1.0])
    code, message = post_error(server, {"project": "nope", "metrics": ["loss"]})
    assert code == 404 and "'nope'" in message
    code, message = post_error(server, {"project": "named", "metrics": ["nope"]})
    assert code == 404 and "'nope'" in message


def _answer(run_id: str, points: int) -> SeriesAnswer:
    values = np.arange(points, dtype=np.float64)
    return SeriesAnswer(run_id, values, values, None, None, points - 1, points)


def test_the_series_cache_is_bounded_by_points_not_entries():
    version = SeriesVersion(parts=(1,), points=50, ordered=True)
    sweep = SeriesCache(capacity_points=1_000_000)
    for index in range(10_000):
        sweep.put(("m", index), version, _answer(str(index), 50))
    assert len(sweep) == 10_000, "a sweep's ten charts of 1,000 runs stay cached"
    assert sweep.get(("m", 0), version) is not None

    small = SeriesCache(capacity_points=1_000)
    for index in range(5):
        small.put(("m", index), version, _answer(str(index), 200))
    small.get(("m", 1), version)
    small.put(("m", 5), version, _answer("5", 200))
    kept = [index for index in range(6) if small.get(("m", index), version) is not None]
    assert kept == [1, 3, 4, 5], "the least recently used go first, down to the budget"
    assert small.get(("m", 5), SeriesVersion(parts=(2,), points=50, ordered=True)) is None
