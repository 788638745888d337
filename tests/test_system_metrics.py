"""System metrics sampled from the real machine by the background thread, kept apart
from the training metrics, read back with `Api`; the switches that turn them off."""

from __future__ import annotations

import time

import psutil
import pytest

import trackio
from trackio.system.probes import gpu_probe, visible_gpu_indices


def _run_for(seconds, **options):
    run = trackio.init(project="sys", name=options.pop("name", "r"), **options)
    for step in range(5):
        trackio.log({"loss": 1.0 / (step + 1)})
    time.sleep(seconds)
    run.finish()
    return trackio.Api().run(f"sys/{run.name}")


def test_the_machine_is_sampled_on_schedule_apart_from_the_training_metrics(trackio_dir):
    run = _run_for(1.5, cpu_log_interval=0.25, auto_log_gpu=False)
    samples = run.system_metrics()
    assert 4 <= len(samples) <= 7, samples
    total_gb = psutil.virtual_memory().total / 1024**3
    for sample in samples:
        assert 0.0 <= sample["cpu/utilization"] <= 100.0
        assert 0.0 < sample["memory/used"] <= total_gb
        assert 0.0 <= sample["memory/percent"] <= 100.0
        assert 0.0 < sample["process/rss"] < total_gb
        assert sample["process/cpu_percent"] >= 0.0
        assert sample["disk/read_mb_per_sec"] >= 0.0 and sample["network/sent_mb_per_sec"] >= 0.0
    gaps = [b["timestamp"] - a["timestamp"] for a, b in zip(samples, samples[1:], strict=False)]
    assert all(0.15 < gap < 0.6 for gap in gaps), gaps
    assert abs(samples[-1]["timestamp"] - time.time()) < 30

    assert [row["step"] for row in run.history()] == [0, 1, 2, 3, 4]
    assert set(run.summary) == {"loss"}
    assert run.metrics() == ["loss"]
    assert run.history(stream="system") == samples
    assert run.system_metrics(keys=["cpu/utilization"])[0].keys() == {
        "timestamp",
        "cpu/utilization",
    }


@pytest.mark.parametrize(
    "switch",
    [
        {"auto_log_cpu": False},
        {"settings": {"system_metrics": False}},
        {"environment": "0"},
    ],
    ids=["argument", "setting", "environment"],
)
def test_system_metrics_can_be_turned_off(trackio_dir, monkeypatch, switch):
    if "environment" in switch:
        monkeypatch.setenv("TRACKIO_SYSTEM_METRICS", switch.pop("environment"))
    run = _run_for(0.6, cpu_log_interval=0.1, auto_log_gpu=False, **switch)
    assert run.system_metrics() == []


def test_log_system_stores_numbers_at_wall_time_and_skips_the_rest(trackio_dir):
    run = trackio.init(project="sys", name="manual", auto_log_cpu=False)
    before = time.time()
    with pytest.warns(UserWarning, match="note"):
        trackio.log_system({"gpu/0/power": 210.5, "note": "hot"})
    run.finish()
    (sample,) = trackio.Api().run("sys/manual").system_metrics()
    assert sample["gpu/0/power"] == 210.5 and "note" not in sample
    assert before <= sample["timestamp"] <= time.time()


def test_bad_intervals_are_refused(trackio_dir):
    with pytest.raises(ValueError, match="cpu_log_interval"):
        trackio.init(project="sys", cpu_log_interval=0)
    with pytest.raises(ValueError, match="gpu_log_interval"):
        trackio.init(project="sys", gpu_log_interval="10")


def test_cuda_visible_devices_chooses_the_gpus(monkeypatch):
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    assert visible_gpu_indices(4) == [0, 1, 2, 3]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "2,0")
    assert visible_gpu_indices(4) == [2, 0]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert visible_gpu_indices(4) == []
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "1,7,0")
    assert visible_gpu_indices(4) == [1]
    uuids = ["GPU-aaa1", "GPU-bbb2", "GPU-ccc3"]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "GPU-ccc,GPU-aaa1")
    assert visible_gpu_indices(3, uuids) == [2, 0]
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "GPU-,1")
    assert visible_gpu_indices(3, uuids) == []


def test_gpus_are_sampled_where_there_are_some(trackio_dir):
    if gpu_probe() is None:
        pytest.skip("no NVIDIA GPU, driver or nvidia-ml-py here: the GPU path did not run")
    run = _run_for(1.0, gpu_log_interval=0.25, auto_log_cpu=False)
    samples = run.system_metrics()
    assert samples and all(0 <= s["gpu/0/utilization"] <= 100 for s in samples)
    assert all(s["gpu/0/allocated_memory"] >= 0 for s in samples)


def test_log_gpu_without_a_gpu_warns_and_logs_nothing(trackio_dir):
    if gpu_probe() is not None:
        pytest.skip("this machine has a GPU")
    run = trackio.init(project="sys", name="nogpu", auto_log_cpu=False)
    with pytest.warns(UserWarning, match="no NVIDIA GPU"):
        assert trackio.log_gpu() == {}
    run.finish()
    assert trackio.Api().run("sys/nogpu").system_metrics() == []


def test_exports_and_the_cli_show_the_system_metrics_when_asked(trackio_dir, cli, tmp_path):
    import csv
    import json

    run = trackio.init(project="sys", name="x", auto_log_cpu=False)
    trackio.log({"loss": 0.5})
    trackio.log_system({"cpu/utilization": 12.5, "memory/used": 3.25})
    time.sleep(0.01)
    trackio.log_system({"cpu/utilization": 50.0, "memory/used": 3.5})
    run.finish()
    listed = cli("list", "metrics", "--project", "sys", "--run", "x", "--system", "--json")
    assert json.loads(listed.stdout)["metrics"] == ["cpu/utilization", "memory/used"]
    assert cli("list", "metrics", "--project", "sys").stdout.split() == ["loss"]
    out = tmp_path / "system.csv"
    done = cli("export", "--project", "sys", "--system", "--output", out)
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(out.open()))
    assert [(r["cpu/utilization"], r["memory/used"]) for r in rows] == [
        ("12.5", "3.25"),
        ("50.0", "3.5"),
    ]
    assert list(rows[0]) == ["timestamp", "cpu/utilization", "memory/used"]
    plain = tmp_path / "plain.csv"
    assert cli("export", "--project", "sys", "--output", plain).returncode == 0
    assert list(csv.DictReader(plain.open()))[0].keys() == {"step", "timestamp", "loss"}


def test_two_runs_of_one_process_share_each_reading(trackio_dir):
    first = trackio.init(project="sys", name="a", cpu_log_interval=0.2, reinit="create_new")
    second = trackio.init(project="sys", name="b", cpu_log_interval=0.2, reinit="create_new")
    time.sleep(1.3)
    first.finish()
    second.finish()
    a = {s["timestamp"]: s for s in trackio.Api().run("sys/a").system_metrics()}
    b = {s["timestamp"]: s for s in trackio.Api().run("sys/b").system_metrics()}
    shared = sorted(set(a) & set(b))
    assert len(shared) >= 3, (sorted(a), sorted(b))
    for stamp in shared:
        assert a[stamp]["cpu/utilization"] == b[stamp]["cpu/utilization"]
