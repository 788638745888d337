"""The `ProjectStore` contract, driven directly. Every backend must pass this module:
the `backend` fixture runs each test on SQLite files and on PostgreSQL."""

import math
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import trackio
from trackio.storage import open_store, use_database
from trackio.storage.errors import (
    AmbiguousRunError,
    MetricNotFoundError,
    ProjectNotFoundError,
    RunNotFoundError,
    StoreError,
)
from trackio.storage.numeric import NumericSeries, SeriesBlocks
from trackio.storage.records import (
    ImportedRun,
    RunBatch,
    RunRequest,
    reported_status,
    this_host,
)

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(params=BACKENDS)
def backend(request, trackio_dir):
    """Opens stores of the backend under test: `backend(project, write=..., create=...)`."""
    opened = []
    if request.param == "postgres":
        use_database(request.getfixturevalue("postgres_url"))

    def open_one(project, *, write=False, create=False):
        store = open_store(project, write=write, create=create)
        opened.append(store)
        return store

    try:
        yield open_one
    finally:
        for store in opened:
            store.close()
        use_database(None)


def _request(name=None, run_id=None, resume="never", config=None):
    return RunRequest(name, run_id, resume, None, None, None, [], config or {})


def _batch(run_id, points, start=0.0, **operations):
    """A batch logging {metric: [values...]} at steps 0, 1, ... with times start, start+1..."""
    batch = RunBatch(run_id, operations=list(operations.items()))
    for name, values in points.items():
        steps = list(range(len(values)))
        batch.series[name] = (steps, list(values), [start + s for s in steps])
        batch.last_time = start + len(values) - 1
    return batch


def test_reading_a_missing_project_creates_nothing(backend, trackio_dir):
    with pytest.raises(ProjectNotFoundError, match="'nope'"):
        backend("nope")
    with pytest.raises(ProjectNotFoundError):
        backend("nope", write=True)
    assert list(trackio_dir.iterdir()) == []


def test_runs_are_created_resumed_and_found(backend):
    store = backend("p", write=True, create=True)
    first = store.open_run(_request(name="a", config={"lr": 0.1}))
    assert (first.record.name, first.record.status, first.start_step) == ("a", "running", 0)
    assert first.previous is None
    store.append([_batch(first.record.run_id, {"x": [1.0, 2.0, 3.0]})])
    again = store.open_run(_request(name="a", resume="allow", config={"bs": 4}))
    assert again.record.run_id == first.record.run_id
    assert again.start_step == 3
    assert again.record.config == {"lr": 0.1, "bs": 4}
    with pytest.raises(ValueError, match="already has a run with id"):
        store.open_run(_request(run_id=first.record.run_id))
    with pytest.raises(ValueError, match="no run with name 'b'"):
        store.open_run(_request(name="b", resume="must"))
    second = store.open_run(_request(name="a"))
    reader = backend("p")
    assert [r.run_id for r in reader.list_runs()] == [first.record.run_id, second.record.run_id]
    assert reader.resolve_run(second.record.run_id).run_id == second.record.run_id
    with pytest.raises(AmbiguousRunError, match="2 runs"):
        reader.resolve_run("a")
    with pytest.raises(RunNotFoundError, match="'zzz'"):
        reader.resolve_run("zzz")
    with pytest.raises(StoreError, match="read-only"):
        reader.append([_batch(first.record.run_id, {"x": [1.0]})])


def test_values_read_back_exactly_in_every_form(backend):
    store = backend("p", write=True, create=True)
    run_id = store.open_run(_request(name="r")).record.run_id
    values = {"f": [0.5, math.nan, math.inf], "i": [1, 2**40, -3], "b": [True, False, True]}
    store.append([_batch(run_id, values, start=100.0)])
    store.append([_batch(run_id, {"s": ["a", "b", "c"], "big": [2**70, 1, 2]}, start=100.0)])
    reader = backend("p")
    record = reader.get_run(run_id)
    assert reader.metric_names(record) == ["f", "i", "b", "s", "big"]
    assert reader.numeric_metric_names() == ["f", "i", "b", "big"]
    series = reader.read_series(record, "i")
    assert (series.steps, series.values, series.times) == (
        [0, 1, 2],
        [1, 2**40, -3],
        [100, 101, 102],
    )
    assert reader.read_series(record, "big").values == [2**70, 1, 2]
    rows = reader.history(record)
    assert [row["s"] for row in rows] == ["a", "b", "c"]
    assert math.isnan(rows[1]["f"]) and rows[2]["f"] == math.inf and rows[0]["b"] is True
    assert reader.history(record, ["i", "s"], step_min=1, step_max=1) == [
        {"step": 1, "timestamp": 101.0, "i": 2**40, "s": "b"}
    ]
    assert reader.run_extents([record]) == {run_id: (2, 3)}
    assert reader.last_values([record])[run_id]["s"] == "c"
    numeric = reader.numeric_series(record, "i", step_min=1)
    assert numeric.steps.tolist() == [1, 2] and numeric.values.tolist() == [2.0**40, -3.0]
    with pytest.raises(MetricNotFoundError):
        reader.numeric_series(record, "missing")


def test_the_value_logged_last_wins_whatever_order_it_was_written_in(backend):
    store = backend("p", write=True, create=True)
    run_id = store.open_run(_request(name="r")).record.run_id
    late = RunBatch(run_id, {"x": ([5], [222.0], [2000.0])}, last_time=2000.0)
    early = RunBatch(run_id, {"x": ([4, 5, 6], [1.0, 111.0, 3.0], [999.0, 1000.0, 1001.0])})
    store.append([late])
    store.append([early])
    reader = backend("p")
    record = reader.get_run(run_id)
    assert reader.read_series(record, "x").values == [1.0, 222.0, 3.0]
    assert [row["x"] for row in reader.history(record)] == [1.0, 222.0, 3.0]
    numeric = reader.numeric_series(record, "x", with_times=False)
    assert numeric.values.tolist() == [1.0, 222.0, 3.0]
    chart = reader.chart_series(record, "x", max_points=10, with_times=False)
    assert isinstance(chart, NumericSeries) and chart.values.tolist() == [1.0, 222.0, 3.0]
    assert reader.last_values([record])[run_id] == {"x": 222.0}
    assert reader.summary(record) == {"x": 222.0}
    store.append(
        [
            RunBatch(
                run_id,
                {
                    "y": ([0, 1, 2], [1.0, 3.0, 2.0], [100.0, 300.0, 200.0]),
                    "note": ([0, 1, 2], ["a", "b", "c"], [100.0, 300.0, 200.0]),
                },
            )
        ]
    )
    assert reader.summary(record) == {"x": 222.0, "y": 3.0, "note": "b"}
    assert [
        row["x"] for page in reader.history_pages(record, ["x"], page_size=2) for row in page
    ] == [
        1.0,
        222.0,
        3.0,
    ]


def test_long_series_are_served_from_block_summaries(backend):
    store = backend("p", write=True, create=True)
    run_id = store.open_run(_request(name="r")).record.run_id
    values = np.sin(np.arange(300_000) / 1000.0).tolist()
    values[123_456] = 50.0
    store.append([_batch(run_id, {"y": values})])
    store.append([RunBatch(run_id, operations=[("finish", ("finished", 0, time.time()))])])
    reader = backend("p")
    record = reader.get_run(run_id)
    version = reader.series_version(record, "y")
    blocks = reader.chart_series(record, "y", max_points=100, with_times=False)
    assert isinstance(blocks, SeriesBlocks)
    assert blocks.count.sum() == 300_000 and blocks.value_max.max() == 50.0
    detail = reader.chart_series(record, "y", max_points=100, step_min=123_400, step_max=123_500)
    assert isinstance(detail, NumericSeries) and len(detail) == 101
    assert reader.series_version(record, "y") == version
    store.append([RunBatch(run_id, {"y": ([300_000], [1.0], [1.0])}, last_time=1.0)])
    assert reader.series_version(record, "y") != version


def test_operations_change_the_run_after_its_values(backend):
    store = backend("p", write=True, create=True)
    run_id = store.open_run(_request(name="r")).record.run_id
    batch = _batch(
        run_id,
        {"loss": [3.0, 1.0, 2.0]},
        config='{"lr": 1}',
        summary='{"best": 9}',
        metric_defs='{"loss": {"summary": "min"}}',
        finish=("failed", 3, 1234.0),
    )
    result = store.append([batch, RunBatch("not-a-run", last_time=1.0)])
    assert (result.missing_runs, result.file_replaced) == (["not-a-run"], False)
    record = backend("p").get_run(run_id)
    assert (record.status, record.exit_code, record.finished_at) == ("failed", 3, 1234.0)
    assert record.config == {"lr": 1}
    assert backend("p").summary(record) == {"loss": 1.0, "best": 9}


def test_a_run_whose_process_is_gone_reads_as_crashed(backend, run_child):
    store = backend("p", write=True, create=True)
    record = store.open_run(_request(name="r")).record
    assert (record.status, record.pid, record.host) == ("running", os.getpid(), this_host())
    dead = int(run_child("import os; print(os.getpid())").stdout)
    now = time.time()
    assert reported_status("running", now, dead, this_host(), now) == "crashed"
    assert reported_status("running", now - 121, None, None, now) == "crashed"
    assert reported_status("running", now - 60, dead, "another-host", now) == "running"
    assert reported_status("running", now, os.getpid(), this_host(), now) == "running"
    assert reported_status("finished", 0.0, dead, this_host(), now) == "finished"


def test_rename_delete_and_media(backend):
    store = backend("p", write=True, create=True)
    a = store.open_run(_request(name="a")).record.run_id
    b = store.open_run(_request(name="b")).record.run_id
    image = trackio.Image(np.zeros((4, 4, 3), dtype=np.uint8), caption="c")
    table = trackio.Table(columns=["q"], data=[["x"]])
    store.append([RunBatch(a, {"img": ([2], [image], [5.0]), "t": ([3], [table], [6.0])})])
    reader = backend("p")
    (record,) = reader.list_media(kind="image")
    assert (record.run_id, record.key, record.step, record.caption) == (a, "img", 2, "c")
    assert (reader.media_dir / record.path).is_file()
    path, step = reader.table_file(reader.get_run(a), "t")
    assert step == 3 and path.is_file()
    with pytest.raises(ValueError, match="already exists"):
        store.rename_run(a, "b")
    assert store.rename_run(a, "c").name == "c"
    store.delete_run(a)
    assert [r.run_id for r in reader.list_runs()] == [b]
    assert reader.list_media() == [] and not (reader.media_dir / a).exists()
    store.delete_project()
    with pytest.raises(ProjectNotFoundError):
        backend("p")


def test_imports_are_all_or_nothing(backend, trackio_dir):
    run = ImportedRun("imported", config={"k": 1})
    run.add("x", 0, 1.5, 10.0)
    run.add("x", 1, 2.5, 11.0)
    store = backend("p", write=True, create=True)
    (run_id,) = store.import_runs([run])
    record = backend("p").get_run(run_id)
    assert (record.status, record.config, record.created_at) == ("finished", {"k": 1}, 10.0)
    clash = ImportedRun("other")
    with pytest.raises(ValueError, match="already has a run named 'imported'"):
        store.import_runs([clash, ImportedRun("imported")])
    assert [r.name for r in backend("p").list_runs()] == ["imported"]
    fresh = backend("q", write=True, create=True)
    with pytest.raises(ValueError):
        fresh.import_runs([ImportedRun("same"), ImportedRun("same")])
    assert not any(path.name.startswith("q.") for path in trackio_dir.iterdir())


def _without_paths(rows, media_dir):
    def strip(value):
        if isinstance(value, dict) and "_type" in value:
            path = value["path"]
            assert path is None or Path(path).is_file(), path
            return {**value, "path": None if path is None else Path(path).relative_to(media_dir)}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return [{key: strip(value) for key, value in row.items()} for row in rows]


def test_a_run_moves_to_another_project_with_everything_it_logged(backend):
    store = backend("p", write=True, create=True)
    run_id = store.open_run(_request(name="mover", config={"lr": 1})).record.run_id
    pixels = np.arange(48, dtype=np.uint8).reshape(4, 4, 3)
    table = trackio.Table(columns=["pic", "n"], data=[[trackio.Image(pixels), 1]])
    logged = {
        "x": ([0, 1, 1], [1.0, 2.0, 3.0], [1.0, 2.0, 3.0]),
        "s": ([0], ["text"], [1.0]),
        "img": ([1], [trackio.Image(pixels, caption="c")], [2.0]),
        "pair": ([1], [(trackio.Image(pixels), trackio.Image(pixels))], [2.0]),
        "h": ([2], [trackio.Histogram(np.arange(10.0))], [3.0]),
        "t": ([2], [table], [3.0]),
    }
    store.append([RunBatch(run_id, logged, last_time=3.0)])
    running = backend("p").get_run(run_id)
    with pytest.raises(ValueError, match="still running"):
        store.move_run(run_id, "q")
    store.append([RunBatch(run_id, operations=[("finish", ("finished", 0, 4.0))])])
    with pytest.raises(ValueError, match="already in project"):
        store.move_run(run_id, "p")
    source = backend("p")
    before = _without_paths(source.history(running), source.media_dir)
    moved = store.move_run(run_id, "q")
    assert (moved.run_id, moved.name, moved.config, moved.status) == (
        run_id,
        "mover",
        {"lr": 1},
        "finished",
    )
    assert source.list_runs() == [] and not (source.media_dir / run_id).exists()
    destination = backend("q")
    record = destination.get_run(run_id)
    assert _without_paths(destination.history(record), destination.media_dir) == before
    assert [row.get("x") for row in destination.history(record)] == [1.0, 3.0, None]
    _, step = destination.table_file(record, "t")
    assert step == 2
    backend("p", write=True).import_runs([ImportedRun("other", run_id=run_id)])
    with pytest.raises(ValueError, match="already has a run with id"):
        backend("q", write=True).move_run(run_id, "p")
    assert destination.get_run(run_id).name == "mover"


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts /proc/self/fd")
def test_threads_that_end_do_not_leave_files_open(backend):
    store = backend("p", write=True, create=True)
    run_id = store.open_run(_request(name="r")).record.run_id
    store.append([_batch(run_id, {"x": [1.0, 2.0]})])
    reader = backend("p")
    record = reader.get_run(run_id)

    def read_in_a_new_thread():
        thread = threading.Thread(target=lambda: reader.read_series(record, "x"))
        thread.start()
        thread.join()

    read_in_a_new_thread()
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(100):
        read_in_a_new_thread()
    assert len(os.listdir("/proc/self/fd")) <= before + 10


def test_two_writers_taking_turns_on_one_run_keep_its_points_in_order(backend):
    """Two team servers sharing a database may each take batches of one run: the chunks
    each writes are never merged around the other's, so the series stays in order."""
    first = backend("p", write=True, create=True)
    second = backend("p", write=True)
    run_id = first.open_run(_request(name="a")).record.run_id
    for index in range(6):
        steps = list(range(index * 10, index * 10 + 10))
        batch = RunBatch(run_id, last_time=1000.0 + steps[-1])
        batch.series["x"] = (steps, [float(s) for s in steps], [1000.0 + s for s in steps])
        (first if index % 2 == 0 else second).append([batch])
    first.append([RunBatch(run_id, operations=[("finish", ("finished", 0, 2000.0))])])
    second.append([RunBatch(run_id, operations=[("finish", ("finished", 0, 2000.0))])])
    run = first.get_run(run_id)
    assert first.read_series(run, "x").steps == list(range(60))
    assert first.series_version(run, "x").ordered


def test_the_last_value_of_each_kind_reads_back_exactly(backend):
    store = backend("p", write=True, create=True)
    run_id = store.open_run(_request(name="a")).record.run_id
    exact = {
        "third": 0.1 + 0.2,
        "tiny": 5e-324,
        "negative_zero": -0.0,
        "int_max": 2**63 - 1,
        "int_min": -(2**63),
        "yes": True,
        "no": False,
        "inf": -math.inf,
    }
    store.append([_batch(run_id, {name: [0, value] for name, value in exact.items()})])
    (run,) = store.list_runs()
    last = store.last_values([run])[run_id]
    for name, value in exact.items():
        assert last[name] == value and type(last[name]) is type(value), name
    assert math.copysign(1.0, last["negative_zero"]) == -1.0
    assert store.summary(run)["third"] == 0.30000000000000004


def test_versions_of_many_runs_read_at_once_match_each_runs(backend):
    store = backend("p", write=True, create=True)
    for name, length in (("short", 10), ("long", 5000), ("empty", 0)):
        run_id = store.open_run(_request(name=name)).record.run_id
        if length:
            store.append([_batch(run_id, {"y": [float(i) for i in range(length)]})])
    runs = store.list_runs()
    many = store.series_versions(runs, "y", 5, 4000)
    assert set(many) == {run.run_id for run in runs}
    for run in runs:
        assert many[run.run_id] == store.series_version(run, "y", 5, 4000)
    assert many[runs[1].run_id].points > 0 and many[runs[2].run_id].points == 0
    with pytest.raises(MetricNotFoundError):
        store.series_versions(runs, "nope")


def test_charts_of_many_runs_read_at_once_match_each_runs(backend):
    store = backend("p", write=True, create=True)
    lengths = {"long": 200_000, "short": 50, "repeated": 30}
    for name, length in lengths.items():
        run_id = store.open_run(_request(name=name)).record.run_id
        store.append([_batch(run_id, {"y": np.cos(np.arange(length) / 500.0).tolist()})])
        if name == "repeated":
            store.append([_batch(run_id, {"y": [9.0, 8.0]}, start=500.0)])
    runs = store.list_runs()
    versions = store.series_versions(runs, "y")
    many = store.chart_series_many(runs, "y", max_points=100, versions=versions, with_times=False)
    assert isinstance(many[runs[0].run_id], SeriesBlocks)
    assert isinstance(many[runs[1].run_id], NumericSeries)
    for run in runs:
        alone = store.chart_series(run, "y", max_points=100, with_times=False)
        assert type(alone) is type(many[run.run_id])
        for field in ("steps", "values", "count", "value_min", "value_max"):
            if hasattr(alone, field):
                assert np.array_equal(getattr(alone, field), getattr(many[run.run_id], field))
    repeated = many[runs[2].run_id]
    assert repeated.values[:2].tolist() == [9.0, 8.0] and len(repeated) == 30


def test_system_metrics_stay_apart_from_the_training_metrics(backend):
    store = backend("p", write=True, create=True)
    opened = store.open_run(_request(name="r"))
    run_id = opened.record.run_id
    store.append([_batch(run_id, {"loss": [3.0, 2.0, 1.0]}, start=1_000.0)])
    stamps = [1_700_000_000.0 + 10 * i for i in range(4)]
    system = RunBatch(run_id, last_time=stamps[-1])
    for name, values in {
        "system/cpu/utilization": [10.0, 50.0, 90.0, 30.0],
        "system/memory/used": [1.5, 1.6, 1.7, 1.8],
    }.items():
        system.series[name] = ([int(t * 1000) for t in stamps], values, stamps)
    store.append([system])
    record = store.get_run(run_id)

    assert store.metric_names(record) == ["loss"]
    assert store.numeric_metric_names() == ["loss"]
    assert store.metric_names(record, system=True) == [
        "system/cpu/utilization",
        "system/memory/used",
    ]
    assert store.numeric_metric_names(system=True) == store.metric_names(record, system=True)
    assert [row["loss"] for row in store.history(record)] == [3.0, 2.0, 1.0]
    assert store.summary(record) == {"loss": 1.0}
    assert store.run_extents([record]) == {run_id: (2, 3)}
    rows = store.history(record, system=True)
    assert [row["timestamp"] for row in rows] == stamps
    assert [row["system/cpu/utilization"] for row in rows] == [10.0, 50.0, 90.0, 30.0]
    pages = list(store.history_pages(record, page_size=2, system=True))
    assert [len(page) for page in pages] == [2, 2]
    assert [row["step"] for row in next(iter(store.history_pages(record)))] == [0, 1, 2]

    resumed = store.open_run(_request(run_id=run_id, resume="allow"))
    assert resumed.start_step == 3
