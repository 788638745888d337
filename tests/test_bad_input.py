"""Values trackio cannot store never take good values down with them."""

import sqlite3

import pytest

import trackio


def test_unstorable_strings_keys_and_huge_ints_cost_only_themselves(
    read_run, metrics, record_user_warnings
):
    huge = 7**6000
    with record_user_warnings() as caught:
        trackio.init(project="bad", name="r")
        trackio.log({"loss": 1.0})
        trackio.log({"loss": 2.0, "text": "bad \ud800 text"})
        trackio.log({"loss": 3.0, "key \udfff": 1.0})
        trackio.log({"loss": 4.0, "huge": huge})
        trackio.finish()
    messages = [str(w.message) for w in caught]
    assert any("'text'" in m and "UTF-8" in m for m in messages), messages
    assert any("key" in m and "UTF-8" in m for m in messages), messages
    run = read_run("bad")
    assert run.status == "finished"
    rows = run.history()
    assert [r["loss"] for r in rows] == [1.0, 2.0, 3.0, 4.0]
    assert rows[3]["huge"] == huge
    assert all("text" not in r for r in rows)


@pytest.mark.parametrize("step", [-1, 2**63, 1.5, True, "3"])
def test_bad_step_is_refused_and_nothing_stored_is_lost(step, read_run):
    trackio.init(project="steps", name="r")
    trackio.log({"a": 1}, step=0)
    with pytest.raises((TypeError, ValueError), match="step"):
        trackio.log({"a": 2}, step=step)
    trackio.log({"a": 3}, step=1)
    trackio.finish()
    assert [(r["step"], r["a"]) for r in read_run("steps").history()] == [(0, 1), (1, 3)]


def test_values_of_a_run_deleted_while_logging_are_not_kept(trackio_dir):
    run = trackio.init(project="gone", name="r")
    run.log({"a": 1})
    assert run.summary["a"] == 1
    (stored,) = trackio.Api().runs("gone")
    stored.delete()
    run.log({"a": 2})
    run.finish()
    assert list(trackio.Api().runs("gone")) == []
    conn = sqlite3.connect(trackio_dir / "gone.db")
    try:
        leftovers = conn.execute(
            "SELECT (SELECT count(*) FROM chunks) + (SELECT count(*) FROM extras)"
        ).fetchone()[0]
    finally:
        conn.close()
    assert leftovers == 0


def test_a_run_deleted_while_logging_leaves_the_next_run_intact(record_user_warnings):
    first = trackio.init(project="reuse", name="first", reinit="create_new")
    for value in (0.0, 1.0):
        first.log({"m": value})
        assert first.summary["m"] == value
    trackio.Api().run("reuse/first").delete()
    second = trackio.init(project="reuse", name="second", reinit="create_new")
    second.log({"x": 10.0})
    assert second.summary["x"] == 10.0
    second.log({"y": 11.0})
    assert second.summary["y"] == 11.0
    with record_user_warnings():
        first.log({"m": 99.0})
        second.finish()
        first.finish()
    (run,) = trackio.Api().runs("reuse")
    rows = [{k: v for k, v in row.items() if k != "timestamp"} for row in run.history()]
    assert rows == [{"step": 0, "x": 10.0}, {"step": 1, "y": 11.0}]
    assert run.metrics() == ["x", "y"]
