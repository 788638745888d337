import re

import pytest

import trackio


def _runs(project):
    return list(trackio.Api().runs(project))


def test_generated_names_are_unique_within_project():
    runs = [trackio.init(project="names") for _ in range(6)]
    trackio.finish()
    names = [r.name for r in runs]
    assert all(isinstance(n, str) and n for n in names)
    assert all(re.fullmatch(r"[a-z]+(-[a-z]+)*-\d+", n) for n in names), names
    assert len(set(names)) == len(names)
    assert sorted(r.name for r in _runs("names")) == sorted(names)


def test_generated_names_unique_across_processes(run_child):
    code = "import trackio; r = trackio.init(project='names'); trackio.log({'a': 1}); print(r.name)"
    printed = []
    for _ in range(3):
        proc = run_child(code)
        assert proc.returncode == 0, proc.stderr
        printed.append(proc.stdout.splitlines()[-1])
    stored = sorted(r.name for r in _runs("names"))
    assert stored == sorted(printed)
    assert len(set(stored)) == 3


def test_version_is_exposed():
    assert isinstance(trackio.__version__, str)
    assert re.match(r"\d+\.\d+", trackio.__version__)


def test_explicit_name_is_used(read_run):
    run = trackio.init(project="names", name="my run")
    assert run.name == "my run"
    trackio.log({"a": 1})
    trackio.finish()
    assert read_run("names").name == "my run"


@pytest.mark.parametrize("resume", [None, "never"])
def test_resume_never_creates_new_run_with_same_name(resume):
    first = trackio.init(project="res", name="r")
    trackio.log({"a": 1})
    second = trackio.init(project="res", name="r", resume=resume)
    trackio.log({"a": 2})
    trackio.finish()
    assert first.id != second.id
    runs = _runs("res")
    assert [r.name for r in runs] == ["r", "r"]
    assert {r.id for r in runs} == {first.id, second.id}
    histories = sorted([row["a"] for row in r.history()] for r in runs)
    assert histories == [[1], [2]]


@pytest.mark.parametrize("resume", ["allow", "must"])
def test_resume_continues_after_last_step_keeping_history_and_config(read_run, resume):
    first = trackio.init(project="res", name="r", config={"lr": 0.1, "layers": 3})
    for i in range(3):
        trackio.log({"loss": float(i)})
    trackio.finish()

    second = trackio.init(project="res", name="r", resume=resume)
    assert second.id == first.id
    assert second.config["lr"] == 0.1
    trackio.log({"loss": 9.0})
    trackio.finish()

    run = read_run("res")
    assert run.id == first.id
    assert [(r["step"], r["loss"]) for r in run.history()] == [
        (0, 0.0),
        (1, 1.0),
        (2, 2.0),
        (3, 9.0),
    ]
    assert run.config["lr"] == 0.1
    assert run.config["layers"] == 3
    assert run.status == "finished"


def test_resume_continues_after_highest_explicit_step(read_run):
    trackio.init(project="res", name="r")
    trackio.log({"a": 1}, step=40)
    trackio.finish()
    trackio.init(project="res", name="r", resume="allow")
    trackio.log({"a": 2})
    trackio.finish()
    assert [r["step"] for r in read_run("res").history()] == [40, 41]


def test_resume_allow_by_id(read_run):
    first = trackio.init(project="res", name="r")
    trackio.log({"a": 1})
    trackio.finish()
    second = trackio.init(project="res", id=first.id, resume="allow")
    assert second.id == first.id
    assert second.name == "r"
    trackio.log({"a": 2})
    trackio.finish()
    assert [(r["step"], r["a"]) for r in read_run("res").history()] == [(0, 1), (1, 2)]


def test_resume_must_by_id(read_run):
    first = trackio.init(project="res", name="by-id")
    trackio.log({"a": 1})
    trackio.finish()
    second = trackio.init(project="res", id=first.id, resume="must")
    assert second.id == first.id
    trackio.log({"a": 2})
    trackio.finish()
    assert [(r["step"], r["a"]) for r in read_run("res").history()] == [(0, 1), (1, 2)]


def test_resume_allow_picks_newest_run_with_name():
    trackio.init(project="res", name="r")
    trackio.log({"a": 1})
    newer = trackio.init(project="res", name="r")
    trackio.log({"a": 2})
    trackio.finish()
    resumed = trackio.init(project="res", name="r", resume="allow")
    trackio.log({"a": 3})
    trackio.finish()
    assert resumed.id == newer.id
    by_id = {r.id: [row["a"] for row in r.history()] for r in _runs("res")}
    assert by_id[newer.id] == [2, 3]
    assert len(by_id) == 2


def test_resume_allow_creates_missing_run(read_run):
    run = trackio.init(project="res", name="fresh", resume="allow")
    assert run.name == "fresh"
    trackio.log({"a": 1})
    trackio.finish()
    stored = read_run("res")
    assert stored.name == "fresh"
    assert [r["step"] for r in stored.history()] == [0]


def test_resume_must_missing_run_raises_naming_it():
    trackio.init(project="res", name="exists")
    trackio.log({"a": 1})
    trackio.finish()
    with pytest.raises(ValueError, match="ghost-run"):
        trackio.init(project="res", name="ghost-run", resume="must")
    assert [r.name for r in _runs("res")] == ["exists"]


def test_second_init_finishes_previous_run(read_run):
    trackio.init(project="seq", name="a")
    trackio.log({"x": 1})
    trackio.init(project="seq", name="b")
    trackio.log({"x": 2})
    first = read_run("seq", "a")
    assert first.status == "finished"
    assert [r["x"] for r in first.history()] == [1]
    assert read_run("seq", "b").status == "running"
    trackio.finish()
    assert read_run("seq", "b").status == "finished"


def test_init_in_other_project_finishes_previous_run(read_run):
    trackio.init(project="one", name="a")
    trackio.log({"x": 1})
    run = trackio.init(project="two", name="b")
    assert run.project == "two"
    assert read_run("one").status == "finished"
    assert [r["x"] for r in read_run("one").history()] == [1]


@pytest.mark.parametrize("var", ["TRACKIO_PROJECT", "WANDB_PROJECT"])
def test_project_from_env(monkeypatch, read_run, var):
    monkeypatch.setenv(var, "from-env")
    run = trackio.init()
    assert run.project == "from-env"
    trackio.log({"a": 1})
    trackio.finish()
    assert "from-env" in trackio.Api().projects()
    assert [r["a"] for r in read_run("from-env").history()] == [1]


def test_missing_project_raises_value_error():
    with pytest.raises(ValueError):
        trackio.init()


@pytest.mark.parametrize(
    "kwargs", [{"bucket_id": "x"}, {"private": True}, {"foo": 1}, {"totally_unknown": "v"}]
)
def test_unused_kwargs_warn_once_and_never_raise(read_run, record_user_warnings, kwargs):
    with record_user_warnings() as caught:
        run = trackio.init(project="kw", **kwargs)
    (key,) = kwargs
    assert len(caught) == 1, [str(w.message) for w in caught]
    assert key in str(caught[0].message)
    run.log({"a": 1})
    trackio.finish()
    assert [r["a"] for r in read_run("kw").history()] == [1]


def test_each_unused_kwarg_gets_its_own_warning(record_user_warnings):
    with record_user_warnings() as caught:
        trackio.init(project="kw", bucket_id="x", private=True, foo=1)
    messages = [str(w.message) for w in caught]
    assert len(messages) == 3, messages
    for key in ("bucket_id", "private", "foo"):
        assert sum(key in m for m in messages) >= 1, (key, messages)


def test_none_valued_kwargs_do_not_warn(record_user_warnings):
    with record_user_warnings() as caught:
        trackio.init(project="kw", foo=None, bucket_id=None, private=None)
    assert [str(w.message) for w in caught] == []


def test_disabled_mode_writes_nothing(trackio_dir):
    run = trackio.init(project="off", mode="disabled", config={"a": 1})
    run.config.update({"b": 2})
    run.log({"a": 1})
    trackio.log({"b": 2})
    run.log({"c": 3}, step=5)
    run.define_metric("c", summary="max")
    run.summary["best"] = 7
    assert run.disabled and run.step == 5
    assert dict(run.summary) == {"best": 7} and run.config.as_dict() == {"a": 1, "b": 2}
    with pytest.raises(TypeError, match="dict"):
        run.log([1, 2])
    run.finish()
    trackio.finish()
    assert list(trackio_dir.rglob("*")) == []
    assert "off" not in trackio.Api().projects()


def test_context_manager_finishes_run(read_run):
    with trackio.init(project="cm", name="ok") as run:
        run.log({"a": 1})
        run.log({"a": 2})
    stored = read_run("cm")
    assert stored.status == "finished"
    assert [r["a"] for r in stored.history()] == [1, 2]


def test_context_manager_marks_failed_on_exception(read_run):
    with pytest.raises(RuntimeError, match="boom"), trackio.init(project="cm", name="bad") as run:
        run.log({"a": 1})
        raise RuntimeError("boom")
    stored = read_run("cm")
    assert stored.status == "failed"
    assert [r["a"] for r in stored.history()] == [1]


def test_finish_with_nonzero_exit_code_marks_failed(read_run):
    trackio.init(project="cm", name="exit")
    trackio.log({"a": 1})
    trackio.finish(exit_code=3)
    assert read_run("cm").status == "failed"


def test_context_vars_after_init():
    run = trackio.init(project="ctx", name="ctx-run")
    current = trackio.context_vars.current_run.get()
    assert current is run
    assert current.project == "ctx"
    assert current.name == "ctx-run"
    assert isinstance(current.id, str) and current.id
    assert current._space_id is None
    assert trackio.context_vars.current_project.get() == "ctx"


def test_context_vars_follow_second_init():
    trackio.init(project="ctx", name="first")
    second = trackio.init(project="ctx2", name="second")
    assert trackio.context_vars.current_run.get() is second
    assert trackio.context_vars.current_project.get() == "ctx2"
