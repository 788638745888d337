import importlib.util
import math
import time

import pytest

import trackio

HAS_TORCH = importlib.util.find_spec("torch") is not None


def _history(read_run, project="logsem"):
    trackio.finish()
    return read_run(project).history()


def test_auto_step_starts_at_zero_and_increments(read_run, metrics):
    trackio.init(project="logsem")
    for value in (10, 20, 30):
        trackio.log({"a": value})
    rows = _history(read_run)
    assert [r["step"] for r in rows] == [0, 1, 2]
    assert [metrics(r) for r in rows] == [{"a": 10}, {"a": 20}, {"a": 30}]


def test_run_log_matches_module_log(read_run):
    run = trackio.init(project="logsem")
    run.log({"a": 1})
    trackio.log({"a": 2})
    run.log({"a": 3})
    rows = _history(read_run)
    assert [(r["step"], r["a"]) for r in rows] == [(0, 1), (1, 2), (2, 3)]


def test_explicit_steps(read_run, metrics):
    trackio.init(project="logsem")
    trackio.log({"a": 1}, step=5)
    trackio.log({"a": 2}, step=10)
    trackio.log({"a": 3}, step=11)
    rows = _history(read_run)
    assert [r["step"] for r in rows] == [5, 10, 11]
    assert [metrics(r)["a"] for r in rows] == [1, 2, 3]


def test_step_is_int_and_timestamp_is_float(read_run):
    before = time.time()
    trackio.init(project="logsem")
    trackio.log({"a": 1})
    rows = _history(read_run)
    after = time.time()
    assert type(rows[0]["step"]) is int
    assert isinstance(rows[0]["timestamp"], float)
    assert before - 5 <= rows[0]["timestamp"] <= after + 5


def test_commit_false_merges_into_same_row(read_run, metrics):
    trackio.init(project="logsem")
    trackio.log({"a": 1}, commit=False)
    trackio.log({"b": 2}, commit=False)
    trackio.log({"c": 3})
    trackio.log({"a": 4})
    rows = _history(read_run)
    assert [r["step"] for r in rows] == [0, 1]
    assert metrics(rows[0]) == {"a": 1, "b": 2, "c": 3}
    assert metrics(rows[1]) == {"a": 4}


def test_repeated_explicit_step_merges_into_one_row(read_run, metrics):
    trackio.init(project="logsem")
    trackio.log({"a": 1}, step=3)
    trackio.log({"b": 2}, step=3)
    trackio.log({"c": 3}, step=4)
    rows = _history(read_run)
    assert [r["step"] for r in rows] == [3, 4]
    assert metrics(rows[0]) == {"a": 1, "b": 2}
    assert metrics(rows[1]) == {"c": 3}


def test_same_key_same_step_last_write_wins(read_run, metrics):
    trackio.init(project="logsem")
    trackio.log({"a": 1, "keep": 7}, step=2)
    trackio.log({"a": 2}, step=2)
    rows = _history(read_run)
    assert [r["step"] for r in rows] == [2]
    assert metrics(rows[0]) == {"a": 2, "keep": 7}


def test_same_key_with_commit_false_last_write_wins(read_run, metrics):
    trackio.init(project="logsem")
    trackio.log({"x": "first", "y": 1}, commit=False)
    trackio.log({"x": "second"})
    rows = _history(read_run)
    assert [r["step"] for r in rows] == [0]
    assert metrics(rows[0]) == {"x": "second", "y": 1}


def test_nested_dicts_flatten_with_slash(read_run, metrics):
    trackio.init(project="logsem")
    trackio.log({"train": {"loss": 0.5, "deep": {"x": 2}}, "top": 3})
    rows = _history(read_run)
    assert metrics(rows[0]) == {"train/loss": 0.5, "train/deep/x": 2, "top": 3}


def test_keys_with_dots_and_spaces_are_ordinary(read_run, metrics):
    data = {"lr.max": 1, "val loss": 2.5, "a.b c": 3, " lead": 4}
    trackio.init(project="logsem")
    trackio.log(data)
    rows = _history(read_run)
    assert metrics(rows[0]) == data
    only = read_run("logsem").history(keys=["val loss"])
    assert [metrics(r) for r in only] == [{"val loss": 2.5}]


def test_numbers_round_trip_exactly_with_types(read_run):
    data = {
        "t": True,
        "f": False,
        "zero": 0,
        "one": 1,
        "neg": -7,
        "big": 2**62 + 1,
        "beyond64": 2**70 + 3,
        "neg_beyond64": -(2**64),
        "pi": 0.1 + 0.2,
        "tiny": 5e-324,
        "huge": 1.7976931348623157e308,
        "whole_float": 3.0,
        "nan": math.nan,
        "pinf": math.inf,
        "ninf": -math.inf,
    }
    trackio.init(project="logsem")
    trackio.log(data)
    row = _history(read_run)[0]
    assert row["t"] is True
    assert row["f"] is False
    for key in ("zero", "one", "neg", "big", "beyond64", "neg_beyond64"):
        assert type(row[key]) is int, key
        assert row[key] == data[key], key
    for key in ("pi", "tiny", "huge", "whole_float", "pinf", "ninf"):
        assert type(row[key]) is float, key
        assert row[key] == data[key], key
    assert type(row["nan"]) is float
    assert math.isnan(row["nan"])


def test_strings_round_trip(read_run):
    data = {"s": "hello", "uni": "ünï ☃ 日本", "numeric": "3", "boolish": "true", "blank": ""}
    trackio.init(project="logsem")
    trackio.log(data)
    row = _history(read_run)[0]
    for key, value in data.items():
        assert type(row[key]) is str, key
        assert row[key] == value, key


def test_numpy_scalars_and_zero_d_arrays(read_run):
    np = pytest.importorskip("numpy")
    trackio.init(project="logsem")
    trackio.log(
        {
            "f32": np.float32(0.5),
            "f64": np.float64(0.1),
            "i64": np.int64(7),
            "i8": np.int8(-3),
            "b": np.bool_(True),
            "arr_f": np.array(2.25),
            "arr_i": np.array(9),
            "nan": np.float64("nan"),
        }
    )
    row = _history(read_run)[0]
    assert row["f32"] == 0.5 and isinstance(row["f32"], float)
    assert row["f64"] == 0.1 and isinstance(row["f64"], float)
    assert row["i64"] == 7 and type(row["i64"]) is int
    assert row["i8"] == -3 and type(row["i8"]) is int
    assert row["b"] is True
    assert row["arr_f"] == 2.25 and isinstance(row["arr_f"], float)
    assert row["arr_i"] == 9 and type(row["arr_i"]) is int
    assert math.isnan(row["nan"])


@pytest.mark.skipif(not HAS_TORCH, reason="torch not installed")
def test_torch_zero_d_tensors(read_run):
    import torch

    trackio.init(project="logsem")
    trackio.log({"f": torch.tensor(1.5), "i": torch.tensor(4), "b": torch.tensor(True)})
    row = _history(read_run)[0]
    assert row["f"] == 1.5 and isinstance(row["f"], float)
    assert row["i"] == 4 and type(row["i"]) is int
    assert row["b"] is True


@pytest.mark.parametrize("data", [[("a", 1)], 3, "a=1", None, (1, 2)])
def test_non_mapping_raises_type_error(read_run, metrics, data):
    trackio.init(project="logsem")
    with pytest.raises(TypeError):
        trackio.log(data)
    trackio.log({"ok": 1})
    rows = _history(read_run)
    assert [metrics(r) for r in rows] == [{"ok": 1}]


@pytest.mark.parametrize(
    ("value", "type_name"),
    [(object(), "object"), ([1, 2], "list"), (None, "NoneType"), ({1, 2}, "set")],
)
def test_unsupported_value_warns_once_and_rest_is_logged(
    read_run, metrics, record_user_warnings, value, type_name
):
    trackio.init(project="logsem")
    with record_user_warnings() as caught:
        trackio.log({"good": 1, "weird_value": value, "also": "x"})
    assert len(caught) == 1, [str(w.message) for w in caught]
    message = str(caught[0].message)
    assert "weird_value" in message
    assert type_name in message
    rows = _history(read_run)
    assert [metrics(r) for r in rows] == [{"good": 1, "also": "x"}]


def test_unsupported_nested_value_names_flattened_key(read_run, metrics, record_user_warnings):
    trackio.init(project="logsem")
    with record_user_warnings() as caught:
        trackio.log({"outer": {"inner_bad": object(), "fine": 2}})
    assert len(caught) == 1, [str(w.message) for w in caught]
    assert "inner_bad" in str(caught[0].message)
    rows = _history(read_run)
    assert [metrics(r) for r in rows] == [{"outer/fine": 2}]


def test_lower_step_is_stored_and_warns_once(read_run, metrics, record_user_warnings):
    trackio.init(project="logsem")
    trackio.log({"a": 1}, step=10)
    with record_user_warnings() as caught:
        trackio.log({"a": 2}, step=5)
    assert len(caught) == 1, [str(w.message) for w in caught]
    rows = _history(read_run)
    assert [(r["step"], r["a"]) for r in rows] == [(5, 2), (10, 1)]


def test_increasing_steps_do_not_warn(record_user_warnings):
    trackio.init(project="logsem")
    with record_user_warnings() as caught:
        trackio.log({"a": 1})
        trackio.log({"a": 2}, step=4)
        trackio.log({"a": 3}, step=4)
        trackio.log({"a": 4}, step=9)
    assert [str(w.message) for w in caught] == []


def test_repeated_lower_steps_warn_only_once(read_run, record_user_warnings):
    trackio.init(project="logsem")
    trackio.log({"a": 1}, step=10)
    with record_user_warnings() as caught:
        trackio.log({"a": 2}, step=5)
        trackio.log({"a": 3}, step=3)
    assert len(caught) == 1, [str(w.message) for w in caught]
    assert [r["step"] for r in _history(read_run)] == [3, 5, 10]


def test_pending_commit_false_values_are_stored_on_finish(read_run, metrics):
    trackio.init(project="logsem")
    trackio.log({"a": 1})
    trackio.log({"b": 2}, commit=False)
    rows = _history(read_run)
    assert [(r["step"], metrics(r)) for r in rows] == [(0, {"a": 1}), (1, {"b": 2})]


def test_same_step_merges_even_after_earlier_part_was_written(read_run, metrics):
    trackio.init(project="logsem")
    trackio.log({"a": 1, "k": 0}, step=5)
    time.sleep(0.7)
    trackio.log({"a": 2, "b": 3}, step=5)
    rows = _history(read_run)
    assert [(r["step"], metrics(r)) for r in rows] == [(5, {"a": 2, "k": 0, "b": 3})]


def test_one_key_with_mixed_value_types_keeps_each_type(read_run):
    values = [1, 2.5, True, "s", 2**70, -3, False, 0.0]
    trackio.init(project="logsem")
    for value in values:
        trackio.log({"m": value})
    got = [r["m"] for r in _history(read_run)]
    assert got == values
    assert [type(v) for v in got] == [type(v) for v in values]


def test_large_explicit_step(read_run):
    trackio.init(project="logsem")
    trackio.log({"a": 1}, step=2**40)
    trackio.log({"a": 2}, step=2**40 + 1)
    assert [r["step"] for r in _history(read_run)] == [2**40, 2**40 + 1]


def test_a_metric_named_step_is_stored_as_dunder_step_with_one_warning(
    read_run, record_user_warnings
):
    run = trackio.init(project="logsem")
    with record_user_warnings() as caught:
        trackio.log({"step": 5, "loss": 1})
        run.log({"step": 6, "loss": 2}, step=3)
        trackio.log({"nested": {"step": 7}})
    assert [str(w.message) for w in caught] == [
        "log() stores the metric 'step' as '__step', because 'step' in history rows is the "
        "row's step (shown once per run)"
    ]
    assert caught[0].filename == __file__
    rows = _history(read_run)
    assert [(r["step"], r.get("__step"), r.get("nested/step")) for r in rows] == [
        (0, 5, None),
        (3, 6, 7),
    ]
    stored = read_run("logsem")
    assert stored.summary["__step"] == 6
    assert [r["__step"] for r in stored.history(keys=["__step"])] == [5, 6]
