"""`export_project` (CSV, JSON Lines, Parquet; wide and long) and export -> import round trips."""

import csv
import json
import math

import pytest

import trackio
from trackio.exports import export_project
from trackio.storage.errors import ProjectNotFoundError

NAN, INF = float("nan"), float("inf")

# Each column keeps one type; some steps lack some metrics; steps have gaps.
ROUND_TRIP_ROWS = [
    (
        0,
        {
            "int": 3,
            "float": 0.1,
            "special": NAN,
            "flag": True,
            "text": "adam, β=0.9",
            "tiny": 1e-300,
        },
    ),
    (1, {"int": -(2**53 + 1), "special": INF, "flag": False}),
    (
        2,
        {
            "int": 0,
            "float": -0.0,
            "special": -INF,
            "text": 'a "quote"\nand a newline',
            "tiny": 5e-324,
        },
    ),
    (5, {"float": 1.7976931348623157e308, "special": -0.0, "flag": True, "text": "nan"}),
    (10, {"int": 2**62, "float": 2 / 3, "tiny": -1e-300, "text": "  padded  "}),
    (11, {"float": 1.0, "special": 0.0}),
]


def _log_round_trip_run(project, name):
    trackio.init(project=project, name=name, config={"seed": 1})
    for step, row in ROUND_TRIP_ROWS:
        trackio.log(row, step=step)
    trackio.finish()


def _same(a, b):
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    return type(a) is type(b) and a == b


def assert_same_rows(got, want):
    assert [r["step"] for r in got] == [r["step"] for r in want]
    for g, w in zip(got, want, strict=True):
        assert sorted(g) == sorted(w), (g, w)
        for key in w:
            assert _same(g[key], w[key]), (w["step"], key, g[key], w[key])


def _history(project, name):
    (run,) = [r for r in trackio.Api().runs(project) if r.name == name]
    return run.history()


def _read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_logged_rows_are_what_was_logged():
    """The reference the round trip compares against holds every logged value."""
    _log_round_trip_run("rt", "source")
    history = _history("rt", "source")
    want = [{"step": step, **row} for step, row in ROUND_TRIP_ROWS]
    assert_same_rows([{k: v for k, v in r.items() if k != "timestamp"} for r in history], want)


@pytest.mark.parametrize("via", ["python", "cli"])
def test_export_then_import_csv_reproduces_every_value(via, tmp_path, cli):
    _log_round_trip_run("rt", "source")
    original = _history("rt", "source")
    out = tmp_path / "source.csv"
    if via == "python":
        assert export_project("rt", out) == len(ROUND_TRIP_ROWS)
        trackio.import_csv(out, "rt-back")
    else:
        for args in (
            ["export", "--project", "rt", "--run", "source", "--output", str(out)],
            ["import", "csv", str(out), "--project", "rt-back"],
        ):
            result = cli(*args)
            assert result.returncode == 0, (args, result.stderr)
    assert_same_rows(_history("rt-back", "source"), original)


def test_round_trip_of_complete_rows_keeps_types_and_timestamps(tmp_path):
    """Every metric at every step: no value is missing, so only exactness is tested."""
    trackio.init(project="full", name="r")
    values = [
        {"i": 1, "f": 0.1, "n": NAN, "b": True, "s": "x"},
        {"i": -7, "f": -0.0, "n": INF, "b": False, "s": "nan"},
        {"i": 2**53 + 1, "f": 1e-300, "n": -INF, "b": True, "s": "1,2"},
    ]
    for row in values:
        trackio.log(row)
    trackio.finish()
    original = _history("full", "r")
    out = tmp_path / "full.csv"
    assert export_project("full", out) == 3
    trackio.import_csv(out, "full", name="copy")
    assert_same_rows(_history("full", "copy"), original)


def test_explicit_csv_timestamps_survive_import_export_import(tmp_path):
    source = tmp_path / "timed.csv"
    source.write_text(
        "step,timestamp,loss\n"
        "0,2024-01-02T03:04:05Z,0.5\n"
        "1,2024-01-02T03:04:06.250000+00:00,0.25\n"
        "2,1704164647.125,0.125\n",
        encoding="utf-8",
    )
    trackio.import_csv(source, "timed")
    first = _history("timed", "timed")
    assert [r["timestamp"] for r in first] == [1704164645.0, 1704164646.25, 1704164647.125]
    out = tmp_path / "again.csv"
    export_project("timed", out)
    rows = _read_csv(out)
    assert rows[0] == ["step", "timestamp", "loss"]
    assert [float(r[1]) for r in rows[1:]] == [1704164645.0, 1704164646.25, 1704164647.125]
    trackio.import_csv(out, "timed")
    assert_same_rows(_history("timed", "again"), first)


def test_wide_csv_export_keeps_steps_where_some_metrics_are_missing(tmp_path):
    trackio.init(project="gaps", name="r")
    trackio.log({"train": 1.0, "val": 0.5})
    trackio.log({"train": 2.0})
    trackio.log({"val": 0.25})
    trackio.finish()
    out = tmp_path / "gaps.csv"
    assert export_project("gaps", out) == 3
    rows = _read_csv(out)
    assert rows[0] == ["step", "timestamp", "train", "val"]
    assert [[r[0], r[2], r[3]] for r in rows[1:]] == [
        ["0", "1.0", "0.5"],
        ["1", "2.0", ""],
        ["2", "", "0.25"],
    ]


def test_long_export_has_one_row_per_value(tmp_path):
    trackio.init(project="long", name="r")
    trackio.log({"train": 1.0, "val": 0.5})
    trackio.log({"train": 2.0})
    trackio.log({"val": 0.25, "name": "x"})
    trackio.finish()
    out = tmp_path / "long.csv"
    assert export_project("long", out, long=True) == 5
    rows = _read_csv(out)
    assert rows[0] == ["step", "timestamp", "metric", "value"]
    assert [(r[0], r[2], r[3]) for r in rows[1:]] == [
        ("0", "train", "1.0"),
        ("0", "val", "0.5"),
        ("1", "train", "2.0"),
        ("2", "val", "0.25"),
        ("2", "name", "x"),
    ]


def _two_runs():
    for name, offset in (("a", 0), ("b", 100)):
        trackio.init(project="two", name=name)
        for step in range(3):
            trackio.log({"loss": float(offset + step), "acc": step})
        trackio.finish()
    return {r.name: r for r in trackio.Api().runs("two")}


def test_several_runs_lead_with_run_and_run_id(tmp_path):
    runs = _two_runs()
    out = tmp_path / "two.csv"
    assert export_project("two", out) == 6
    rows = _read_csv(out)
    assert rows[0] == ["run", "run_id", "step", "timestamp", "loss", "acc"]
    got = sorted((r[0], r[1], r[2], r[4], r[5]) for r in rows[1:])
    want = sorted(
        (name, runs[name].id, str(step), repr(float(offset + step)), str(step))
        for name, offset in (("a", 0), ("b", 100))
        for step in range(3)
    )
    assert got == want


def test_jsonl_export_is_strict_json_with_missing_values_left_out(tmp_path):
    trackio.init(project="j", name="r")
    trackio.log({"x": NAN, "y": INF, "s": "ü"})
    trackio.log({"x": 1.5, "y": -INF, "n": 3})
    trackio.finish()
    out = tmp_path / "j.jsonl"
    assert export_project("j", out, fmt="jsonl") == 2

    def refuse(token):
        raise AssertionError(token)

    lines = out.read_text(encoding="utf-8").splitlines()
    rows = [json.loads(line, parse_constant=refuse) for line in lines]
    assert [{k: v for k, v in r.items() if k != "timestamp"} for r in rows] == [
        {"step": 0, "x": None, "y": "Infinity", "s": "ü"},
        {"step": 1, "x": 1.5, "y": "-Infinity", "n": 3},
    ]
    assert all(isinstance(r["timestamp"], float) for r in rows)


def test_parquet_export_wide_and_long(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    trackio.init(project="pq", name="r")
    trackio.log({"i": 1, "f": NAN, "s": "a"})
    trackio.log({"i": 2, "f": 2.5, "s": "b", "mixed": 1})
    trackio.log({"i": 3, "f": -INF, "s": "c", "mixed": 0.5})
    trackio.finish()
    wide = tmp_path / "w.parquet"
    assert export_project("pq", wide, fmt="parquet") == 3
    table = pq.read_table(wide)
    assert table.column_names == ["step", "timestamp", "i", "f", "s", "mixed"]
    rows = table.to_pylist()
    assert [r["i"] for r in rows] == [1, 2, 3]
    assert math.isnan(rows[0]["f"]) and rows[1]["f"] == 2.5 and rows[2]["f"] == -INF
    assert [r["s"] for r in rows] == ["a", "b", "c"]
    assert [r["mixed"] for r in rows] == [None, 1.0, 0.5]
    long = tmp_path / "l.parquet"
    assert export_project("pq", long, fmt="parquet", long=True) == 11
    long_rows = pq.read_table(long).to_pylist()
    assert [(r["step"], r["metric"]) for r in long_rows] == [
        (0, "i"),
        (0, "f"),
        (0, "s"),
        (1, "i"),
        (1, "f"),
        (1, "s"),
        (1, "mixed"),
        (2, "i"),
        (2, "f"),
        (2, "s"),
        (2, "mixed"),
    ]


def test_export_selected_runs_only(tmp_path):
    runs = _two_runs()
    from trackio.storage import open_store

    with open_store("two") as store:
        (record,) = [r for r in store.list_runs() if r.name == "b"]
    out = tmp_path / "b.csv"
    assert export_project("two", out, runs=[record]) == 3
    rows = _read_csv(out)
    assert rows[0] == ["step", "timestamp", "loss", "acc"]
    assert [r[2] for r in rows[1:]] == ["100.0", "101.0", "102.0"]
    assert runs["b"].id == record.run_id


def test_export_errors(tmp_path):
    _two_runs()
    with pytest.raises(ValueError, match="xlsx"):
        export_project("two", tmp_path / "o.xlsx", fmt="xlsx")
    with pytest.raises(ProjectNotFoundError, match="'missing'"):
        export_project("missing", tmp_path / "o.csv")
    assert not (tmp_path / "o.csv").exists()
    assert not (tmp_path / "o.xlsx").exists()
    assert trackio.Api().projects() == ["two"]


def test_long_export_never_invents_values_for_metrics_named_like_row_fields(tmp_path):
    with trackio.init(project="fields", name="r") as run, pytest.warns(UserWarning, match="__step"):
        run.log({"loss": 0.5, "timestamp": 100, "step": 7})
        run.log({"loss": 0.25})
    out = tmp_path / "long.csv"
    assert export_project("fields", out, long=True) == 3
    rows = _read_csv(out)
    assert rows[0] == ["step", "timestamp", "metric", "value"]
    assert [(r[0], r[2], r[3]) for r in rows[1:]] == [
        ("0", "loss", "0.5"),
        ("0", "__step", "7"),
        ("1", "loss", "0.25"),
    ]
