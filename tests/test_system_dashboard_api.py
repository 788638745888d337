"""System metrics in the dashboard's JSON API and in a frozen dashboard's files: listed
apart from the training metrics, their series read against wall time, relative time
(since the run's start) and their wall-time-millisecond steps."""

from __future__ import annotations

import json
import struct
import urllib.request
from urllib.parse import urlencode

import numpy as np
import pytest
from system_support import GAP, SAMPLES, SYSTEM, log_system_project, system_sample

import trackio
from trackio.static_dashboard import freeze_project


def get(server, path: str, **params: object) -> dict:
    url = server.url + path.lstrip("/") + "?" + urlencode(params, doseq=True)
    with urllib.request.urlopen(url, timeout=30) as response:
        return json.loads(response.read())


def starts_and_stamps(server, project: str) -> tuple[dict[str, float], dict[str, list[float]]]:
    """Each run's start as the server says, and its samples' wall times as `Api` reads
    them, by run id."""
    runs = get(server, "/api/runs", project=project)["runs"]
    starts = {run["id"]: run["created_at"] for run in runs}
    stamps = {
        run["id"]: [
            s["timestamp"] for s in trackio.Api().run(f"{project}/{run['name']}").system_metrics()
        ]
        for run in runs
    }
    return starts, stamps


def test_metrics_lists_the_system_metrics_apart_only_when_there_are_some(server):
    log_system_project("machine")
    assert get(server, "/api/metrics", project="machine") == {
        "metrics": ["train/loss", "lr"],
        "system": list(SYSTEM),
    }
    trackio.init(project="plain", name="r", auto_log_cpu=False, auto_log_gpu=False)
    trackio.log({"loss": 1.0})
    trackio.finish()
    assert get(server, "/api/metrics", project="plain") == {"metrics": ["loss"]}


def test_system_series_run_from_the_start_of_their_run(server):
    runs = log_system_project("axes")
    starts, stamps = starts_and_stamps(server, "axes")
    for index, run in enumerate(runs.values()):
        params = {"project": "axes", "metric": "system/cpu/utilization", "runs": run.id}
        expected_y = [system_sample(k, index)["cpu/utilization"] for k in range(SAMPLES)]
        times = stamps[run.id]
        assert len(times) == SAMPLES

        (relative,) = get(server, "/api/series", x="relative", **params)["series"]
        assert relative["y"] == expected_y
        assert relative["x"] == pytest.approx([t - starts[run.id] for t in times], abs=1e-6)
        # Sampled from just after init() for GAP * (SAMPLES - 1) seconds.
        assert 0 <= relative["x"][0] < 2
        span = relative["x"][-1] - relative["x"][0]
        assert GAP * (SAMPLES - 1) <= span < GAP * (SAMPLES - 1) + 2

        (wall,) = get(server, "/api/series", x="time", **params)["series"]
        assert wall["x"] == pytest.approx(times, abs=1e-6)

        (stepped,) = get(server, "/api/series", x="step", **params)["series"]
        assert stepped["x"] == pytest.approx([t * 1000 for t in times], abs=1)
        assert stepped["last_step"] == stepped["x"][-1]
        # What the dashboard polls with: only the samples after the last one it has.
        first = int(stepped["x"][0])
        (later,) = get(server, "/api/series", after=f"{run.id}:{first}", **params)["series"]
        assert later["y"] == expected_y[1:]


def read_series_file(path) -> dict[str, dict[str, list[float]]]:
    """A frozen series file's arrays by run id (see trackio/static_dashboard/series_files.py)."""
    content = path.read_bytes()
    (length,) = struct.unpack_from("<I", content)
    header = json.loads(content[4 : 4 + length])
    offset = 4 + length
    by_run = {}
    for run in header["runs"]:
        arrays = {}
        for name, kind in run["arrays"]:
            size = run["points"] * int(kind[1])
            dtype = "<f8" if kind == "f8" else "<f4"
            arrays[name] = np.frombuffer(content, dtype, run["points"], offset).tolist()
            offset += size + (-size % 8)
        by_run[run["run"]] = arrays
    return by_run


def test_a_frozen_project_holds_its_system_metrics(server, tmp_path):
    runs = log_system_project("frozen-machine")
    starts, stamps = starts_and_stamps(server, "frozen-machine")
    frozen = freeze_project("frozen-machine", tmp_path / "site")
    assert frozen.metrics == 2 and frozen.system_metrics == len(SYSTEM)
    data = tmp_path / "site" / "data"
    listing = json.loads((data / "metrics.json").read_text())
    assert listing == {"metrics": ["train/loss", "lr"], "system": list(SYSTEM)}
    # Numbered after the training metrics' files.
    by_run = read_series_file(data / "series" / f"{2 + SYSTEM.index('system/memory/used')}.bin")
    for index, run in enumerate(runs.values()):
        arrays = by_run[run.id]
        assert arrays["y"] == [1.5 + index] * SAMPLES
        relative = [t - starts[run.id] for t in stamps[run.id]]
        assert arrays["time"] == pytest.approx(relative, abs=1e-4)
