import os
import time
from collections.abc import Iterator
from datetime import datetime

import pytest

import trackio


def _make_run(project, name, steps=3, **init_kwargs):
    trackio.init(project=project, name=name, **init_kwargs)
    for i in range(steps):
        trackio.log({"i": i, "name_len": len(name)})
    trackio.finish()


def test_projects_lists_every_project():
    assert trackio.Api().projects() == []
    _make_run("alpha", "a")
    _make_run("beta", "b")
    _make_run("alpha", "c")
    projects = trackio.Api().projects()
    assert isinstance(projects, list)
    assert sorted(projects) == ["alpha", "beta"]


def test_runs_are_indexable_iterable_and_have_metadata():
    started = time.time()
    _make_run("proj", "first", group="g1", config={"lr": 0.5})
    _make_run("proj", "second", group="g2")
    _make_run("proj", "third")
    runs = trackio.Api().runs("proj")
    assert len(runs) == 3
    names = [r.name for r in runs]
    assert sorted(names) == ["first", "second", "third"]
    assert [runs[i].name for i in range(len(runs))] == names
    by_name = {r.name: r for r in runs}
    first = by_name["first"]
    assert first.group == "g1"
    assert by_name["second"].group == "g2"
    assert by_name["third"].group is None
    assert first.config["lr"] == 0.5
    assert isinstance(first.summary, dict)
    assert first.summary["i"] == 2
    assert first.project == "proj"
    assert first.status == "finished"
    assert len({r.id for r in runs}) == 3
    created = datetime.fromisoformat(first.created_at.replace("Z", "+00:00"))
    if created.tzinfo is not None:
        assert abs(created.timestamp() - started) < 60
    with pytest.raises(IndexError):
        runs[3]


def test_history_rows_are_sorted_and_complete():
    trackio.init(project="hist", name="r")
    trackio.log({"a": 1}, step=2)
    with pytest.warns(UserWarning):
        trackio.log({"a": 0, "b": 5}, step=0)
    trackio.log({"b": 7}, step=1)
    trackio.finish()
    (run,) = trackio.Api().runs("hist")
    rows = run.history()
    assert isinstance(rows, list)
    assert [r["step"] for r in rows] == [0, 1, 2]
    assert [{k: v for k, v in r.items() if k != "timestamp"} for r in rows] == [
        {"step": 0, "a": 0, "b": 5},
        {"step": 1, "b": 7},
        {"step": 2, "a": 1},
    ]
    assert all(isinstance(r["timestamp"], float) for r in rows)


def test_history_keys_filters_rows_and_columns():
    trackio.init(project="hist", name="r")
    trackio.log({"a": 1, "b": 10, "c": 100})
    trackio.log({"a": 2, "c": 200})
    trackio.log({"b": 30})
    trackio.log({"a": 4, "b": 40})
    trackio.finish()
    (run,) = trackio.Api().runs("hist")
    rows = run.history(keys=["a", "b"])
    assert [r["step"] for r in rows] == [0, 3]
    assert [set(r) for r in rows] == [{"step", "timestamp", "a", "b"}] * 2
    assert [(r["a"], r["b"]) for r in rows] == [(1, 10), (4, 40)]


def test_history_samples_evenly_spaced():
    trackio.init(project="hist", name="r")
    for i in range(100):
        trackio.log({"v": i * 2})
    trackio.finish()
    (run,) = trackio.Api().runs("hist")
    rows = run.history(samples=10)
    steps = [r["step"] for r in rows]
    assert 2 <= len(rows) <= 10
    assert steps == sorted(set(steps))
    assert set(steps) <= set(range(100))
    assert steps[-1] - steps[0] >= 80
    gaps = [b - a for a, b in zip(steps, steps[1:], strict=False)]
    assert max(gaps) - min(gaps) <= 2
    assert all(r["v"] == r["step"] * 2 for r in rows)
    assert len(run.history(samples=1000)) == 100


def test_history_pandas():
    pd = pytest.importorskip("pandas")
    trackio.init(project="hist", name="r")
    for i in range(5):
        trackio.log({"loss": 1.0 / (i + 1)})
    trackio.finish()
    (run,) = trackio.Api().runs("hist")
    df = run.history(pandas=True)
    assert isinstance(df, pd.DataFrame)
    assert len(df) == 5
    assert list(df["step"]) == [0, 1, 2, 3, 4]
    assert list(df["loss"]) == [1.0, 0.5, 1.0 / 3, 0.25, 0.2]


def test_scan_history_iterates_all_rows():
    trackio.init(project="hist", name="r")
    for i in range(50):
        trackio.log({"x": i, "even": i % 2 == 0} if i % 2 == 0 else {"x": i})
    trackio.finish()
    (run,) = trackio.Api().runs("hist")
    it = run.scan_history()
    assert isinstance(it, Iterator)
    rows = list(it)
    assert [r["step"] for r in rows] == list(range(50))
    assert [r["x"] for r in rows] == list(range(50))
    assert rows == run.history()
    evens = list(run.scan_history(keys=["even"]))
    assert [r["step"] for r in evens] == list(range(0, 50, 2))
    assert all(set(r) == {"step", "timestamp", "even"} for r in evens)


def test_rename_persists_and_keeps_history():
    _make_run("ren", "old")
    (run,) = trackio.Api().runs("ren")
    run_id = run.id
    run.rename("new name")
    (again,) = trackio.Api().runs("ren")
    assert again.name == "new name"
    assert again.id == run_id
    assert [r["i"] for r in again.history()] == [0, 1, 2]


def test_delete_run_removes_only_that_run():
    _make_run("del", "keep")
    _make_run("del", "drop", steps=5)
    runs = trackio.Api().runs("del")
    next(r for r in runs if r.name == "drop").delete()
    remaining = trackio.Api().runs("del")
    assert [r.name for r in remaining] == ["keep"]
    assert [r["i"] for r in remaining[0].history()] == [0, 1, 2]


def test_delete_project():
    _make_run("gone", "r")
    _make_run("stays", "r")
    trackio.Api().delete_project("gone")
    assert trackio.Api().projects() == ["stays"]
    with pytest.raises(ValueError, match="gone"):
        trackio.Api().runs("gone")
    assert len(trackio.Api().runs("stays")) == 1


def test_unknown_project_raises_value_error_naming_it():
    _make_run("real", "r")
    with pytest.raises(ValueError, match="no-such-project"):
        trackio.Api().runs("no-such-project")


def test_run_by_path_with_id_or_unique_name():
    first = trackio.init(project="paths", name="twin")
    trackio.finish()
    second = trackio.init(project="paths", name="twin")
    trackio.finish()
    trackio.init(project="paths", name="solo")
    trackio.finish()
    assert trackio.Api().run("paths/solo").name == "solo"
    assert trackio.Api().run(f"paths/{first.id}").id == first.id
    with pytest.raises(ValueError, match=second.id):
        trackio.Api().run("paths/twin")
    with pytest.raises(ValueError, match="'solo'"):
        trackio.Api().run("paths/missing")


def test_calls_wandb_and_pypi_trackio_scripts_make(trackio_dir):
    assert trackio.login() is True
    assert not hasattr(trackio, "summary")
    with pytest.raises(RuntimeError, match="init"):
        trackio.summary  # noqa: B018 - the attribute access is what raises
    trackio.init(project="compat", name="r")
    trackio.log(metrics={"loss": 0.5})
    trackio.log(data={"loss": 0.25})
    with pytest.raises(TypeError, match="not both"):
        trackio.log({"a": 1}, metrics={"a": 1})
    with pytest.raises(TypeError, match="needs a dict"):
        trackio.log()
    assert hasattr(trackio, "summary")
    trackio.finish()
    run = trackio.Api().run("compat/r")
    assert [row["loss"] for row in run.history()] == [0.5, 0.25]
    assert run.rename("renamed") is run and run.name == "renamed"
    assert run.move("elsewhere") is run and run.project == "elsewhere"
    assert [r.name for r in trackio.Api().runs("elsewhere")] == ["renamed"]
    assert run.delete() is True
    assert trackio.delete_project("elsewhere", force=True) is True
    assert "elsewhere" not in trackio.Api().projects()


def test_data_nested_too_deep_is_a_clear_error():
    trackio.init(project="deep", name="r")
    data: dict = {"leaf": 1.0}
    for _ in range(2_000):
        data = {"level": data}
    with pytest.raises(ValueError, match="nests dicts more than 100 levels"):
        trackio.log(data)
    trackio.log({"ok": 1.0})
    trackio.finish()
    (run,) = trackio.Api().runs("deep")
    assert [row["ok"] for row in run.history()] == [1.0]


def test_run_paths_with_slashes_and_wandb_entities():
    nested = trackio.init(project="tb", name="sweep/lr_0.1/seed_1")
    trackio.finish()
    slashed = trackio.init(project="team/vision", name="r")
    trackio.finish()
    assert trackio.Api().run("tb/sweep/lr_0.1/seed_1").id == nested.id
    assert trackio.Api().run("team/vision/r").id == slashed.id
    assert trackio.Api().run(f"my-entity/tb/{nested.id}").id == nested.id
    with pytest.raises(ValueError, match="no run named or with id 'sweep/nope'"):
        trackio.Api().run("tb/sweep/nope")
    with pytest.raises(ValueError, match="'absent'"):
        trackio.Api().run("absent/run")
    with pytest.raises(ValueError, match="project/run"):
        trackio.Api().run("no-slash")


def test_a_logged_table_reads_back_as_rows():
    import numpy as np

    run = trackio.init(project="tables", name="r")
    image = trackio.Image(np.zeros((4, 4, 3), dtype=np.uint8))
    run.log({"samples": trackio.Table(columns=["prompt", "score", "pic"], data=[["a", 1, image]])})
    run.log({"samples": trackio.Table(columns=["prompt", "score", "pic"], data=[["b", 2, None]])})
    run.finish()
    stored = trackio.Api().run("tables/r")
    latest = stored.table("samples")
    assert latest == [{"prompt": "b", "score": 2, "pic": None}]
    (first,) = stored.table("samples", step=0)
    assert (first["prompt"], first["score"], first["pic"]["_type"]) == ("a", 1, "image")
    assert os.path.isfile(first["pic"]["path"])
    frame = stored.table("samples", pandas=True)
    assert list(frame.columns) == ["prompt", "score", "pic"] and frame["prompt"].tolist() == ["b"]
    with pytest.raises(ValueError, match="no table 'missing'"):
        stored.table("missing")
