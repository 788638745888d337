from pathlib import Path

import pytest

import trackio

ODD_NAMES = [
    "a/b",
    "../x",
    "..",
    "with space",
    "ünï",
    "CAPS",
    "dots.in.name",
    "a\\b",
    "percent%2Fenc",
    "x" * 200,
]


def _store(project, value):
    trackio.init(project=project, name="r")
    trackio.log({"v": value})
    trackio.finish()


def _snapshot(root, exclude):
    """Files under `root` outside `exclude`; SQLite's side files, which come and go with
    the connections other tests' runs leave open, do not count (an escape would leave a
    `.db` too)."""
    return {
        p
        for p in root.rglob("*")
        if exclude not in p.parents and p != exclude and not p.name.endswith(("-wal", "-shm"))
    }


@pytest.mark.parametrize("name", ODD_NAMES, ids=range(len(ODD_NAMES)))
def test_odd_name_round_trips(name):
    _store(name, 1)
    assert trackio.Api().projects() == [name]
    (run,) = trackio.Api().runs(name)
    assert run.project == name
    assert [r["v"] for r in run.history()] == [1]


@pytest.mark.parametrize(
    "name",
    ["X" * 200, "ü" * 200, "日" * 200, "a/" * 100],
    ids=["upper", "latin1", "cjk", "slashes"],
)
def test_longest_allowed_names_round_trip(name):
    assert len(name) == 200
    _store(name, 1)
    assert trackio.Api().projects() == [name]
    (run,) = trackio.Api().runs(name)
    assert [r["v"] for r in run.history()] == [1]


def test_all_odd_names_coexist():
    for i, name in enumerate(ODD_NAMES):
        _store(name, i)
    projects = trackio.Api().projects()
    assert sorted(projects) == sorted(ODD_NAMES)
    for i, name in enumerate(ODD_NAMES):
        (run,) = trackio.Api().runs(name)
        assert [r["v"] for r in run.history()] == [i], name


def test_case_distinct_projects():
    _store("Foo", 1)
    _store("foo", 2)
    _store("FOO", 3)
    assert sorted(trackio.Api().projects()) == ["FOO", "Foo", "foo"]
    for name, value in (("Foo", 1), ("foo", 2), ("FOO", 3)):
        (run,) = trackio.Api().runs(name)
        assert [r["v"] for r in run.history()] == [value]


@pytest.mark.parametrize("name", ["../escape", "../../escape", "a/../../escape", "/abs-escape"])
def test_path_like_names_stay_inside_trackio_dir(tmp_path, trackio_dir, name):
    before = _snapshot(tmp_path.parent, trackio_dir)
    _store(name, 5)
    after = _snapshot(tmp_path.parent, trackio_dir)
    assert after == before
    assert any(trackio_dir.iterdir())
    assert trackio.Api().projects() == [name]
    assert not Path("/abs-escape").exists()


def test_encoding_lookalikes_stay_distinct():
    names = ["a/b", "a%2Fb", "a_b", "a%252Fb", "a%2fb", "a-b", "a b", "a+b"]
    for i, name in enumerate(names):
        _store(name, i)
    assert sorted(trackio.Api().projects()) == sorted(names)
    for i, name in enumerate(names):
        (run,) = trackio.Api().runs(name)
        assert [r["v"] for r in run.history()] == [i], name


@pytest.mark.parametrize(
    ("bad", "pattern"),
    [
        ("", r"(?i)empty|blank"),
        (123, r"(?i)str|type"),
        (b"bytes", r"(?i)str|type"),
        ("x" * 201, r"(?i)long|200|length|characters"),
    ],
)
def test_bad_names_raise_and_keep_existing_projects(trackio_dir, bad, pattern):
    _store("keep", 42)
    files_before = sorted(p.name for p in trackio_dir.rglob("*"))
    with pytest.raises(ValueError, match=pattern):
        trackio.init(project=bad)
    trackio.finish()
    assert sorted(p.name for p in trackio_dir.rglob("*")) == files_before
    assert trackio.Api().projects() == ["keep"]
    (run,) = trackio.Api().runs("keep")
    assert [r["v"] for r in run.history()] == [42]
    assert run.status == "finished"


def test_bad_name_while_a_run_is_active_keeps_it_usable(read_run):
    trackio.init(project="active", name="r")
    trackio.log({"v": 1})
    with pytest.raises(ValueError):
        trackio.init(project="")
    trackio.log({"v": 2})
    trackio.finish()
    assert [r["v"] for r in read_run("active").history()] == [1, 2]
