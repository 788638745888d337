"""`import_csv` and `trackio import csv`: headers, cells, steps, times, names, malformed files."""

import math
from datetime import datetime, timezone

import pytest
from project_state import snapshot, without_timestamps

import trackio
from trackio.imports.csv_import import CSVImportError


def _write(tmp_path, text, name="metrics.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _run(project, name):
    matching = [r for r in trackio.Api().runs(project) if r.name == name]
    assert len(matching) == 1, [r.name for r in trackio.Api().runs(project)]
    return matching[0]


@pytest.fixture
def existing_project():
    trackio.init(project="exp", name="kept")
    for step in range(3):
        trackio.log({"loss": 1.0 / (step + 1)})
    trackio.finish()


def test_odd_headers_become_metric_names_unchanged(tmp_path):
    long_name = "a/" + "very_long_metric_name_" * 12
    path = _write(
        tmp_path,
        f"step,train loss, padded ,ünïcödé/λ,dup,dup,,{long_name},dup.1\n"
        "0,1.5,2,3,4,5,6,7,8\n"
        "1,2.5,3,4,5,6,7,8,9\n",
    )
    trackio.import_csv(path, "odd")
    run = _run("odd", "metrics")
    names = [
        "train loss",
        " padded ",
        "ünïcödé/λ",
        "dup",
        "dup.1",
        "column_7",
        long_name,
        "dup.1.1",
    ]
    assert run.metrics() == names
    history = run.history()
    assert without_timestamps(history) == [
        {"step": 0, **dict(zip(names, [1.5, 2, 3, 4, 5, 6, 7, 8], strict=True))},
        {"step": 1, **dict(zip(names, [2.5, 3, 4, 5, 6, 7, 8, 9], strict=True))},
    ]
    assert len(long_name) > 255
    assert long_name in history[0]


def test_cells_ints_floats_bools_nan_strings_and_empty(tmp_path):
    path = _write(
        tmp_path,
        "Step,i,f,special,flag,opt,sparse\n"
        "0,1,0.5,NaN,true,adam,\n"
        "1,-2,1e-300,nan,False,sgd,7\n"
        "2,3,-0.0,inf,TRUE,1.5,\n"
        "3,4,2.0,-inf,false,nan,\n"
        "4,5,3,Infinity,true,,9\n",
    )
    trackio.import_csv(path, "cells")
    rows = _run("cells", "metrics").history()
    assert [r["step"] for r in rows] == [0, 1, 2, 3, 4]
    assert [r["i"] for r in rows] == [1, -2, 3, 4, 5]
    assert all(type(r["i"]) is int for r in rows)
    f = [r["f"] for r in rows]
    assert f[:4] == [0.5, 1e-300, 0.0, 2.0] and f[4] == 3
    assert math.copysign(1.0, f[2]) == -1.0
    special = [r["special"] for r in rows]
    assert math.isnan(special[0]) and math.isnan(special[1])
    assert special[2:] == [math.inf, -math.inf, math.inf]
    assert [r["flag"] for r in rows] == [True, False, True, False, True]
    assert all(type(r["flag"]) is bool for r in rows)
    # A column with any text is text: numbers-looking cells in it stay strings.
    assert [r.get("opt") for r in rows] == ["adam", "sgd", "1.5", "nan", None]
    # Empty cells are values that were not logged.
    assert [r.get("sparse") for r in rows] == [None, 7, None, None, 9]
    assert "sparse" not in rows[0] and "opt" not in rows[4]


@pytest.mark.parametrize("header", ["step", "Step", "STEP", " sTeP "])
def test_step_column_in_any_case(tmp_path, header):
    path = _write(tmp_path, f"loss,{header}\n0.5,10\n0.25,20\n0.125,35\n")
    trackio.import_csv(path, "steps")
    rows = without_timestamps(_run("steps", "metrics").history())
    assert rows == [
        {"step": 10, "loss": 0.5},
        {"step": 20, "loss": 0.25},
        {"step": 35, "loss": 0.125},
    ]


def test_without_step_column_the_row_number_is_the_step(tmp_path):
    path = _write(tmp_path, "loss,acc\n0.5,0.1\n0.25,0.2\n\n0.125,0.3\n")
    trackio.import_csv(path, "rows")
    assert without_timestamps(_run("rows", "metrics").history()) == [
        {"step": 0, "loss": 0.5, "acc": 0.1},
        {"step": 1, "loss": 0.25, "acc": 0.2},
        {"step": 2, "loss": 0.125, "acc": 0.3},
    ]


@pytest.mark.parametrize("column", ["timestamp", "Time"])
def test_timestamp_column_iso_and_epoch(tmp_path, column):
    path = _write(
        tmp_path,
        f"step,{column},loss\n"
        "0,2024-01-02T03:04:05Z,0.5\n"
        "1,2024-01-02T05:04:05.5+02:00,0.25\n"
        "2,1704164700,0.125\n"
        "3,1704164800.75,0.0625\n",
    )
    trackio.import_csv(path, "times")
    rows = _run("times", "metrics").history()
    base = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc).timestamp()
    assert [r["timestamp"] for r in rows] == [base, base + 0.5, 1704164700.0, 1704164800.75]
    assert [sorted(r) for r in rows] == [["loss", "step", "timestamp"]] * 4


def test_without_time_column_times_are_the_import_time(tmp_path):
    path = _write(tmp_path, "loss\n1\n2\n")
    before = datetime.now(timezone.utc).timestamp()
    trackio.import_csv(path, "now")
    after = datetime.now(timezone.utc).timestamp()
    rows = _run("now", "metrics").history()
    assert all(before - 1 <= r["timestamp"] <= after + 1 for r in rows)


def test_text_with_commas_quotes_newlines_and_a_bom(tmp_path):
    path = _write(
        tmp_path,
        'STEP,note,score\n0,"hello, world",1\n1,"say ""hi""\nand bye",2\n',
        encoding="utf-8-sig",
    )
    trackio.import_csv(path, "text")
    rows = without_timestamps(_run("text", "metrics").history())
    assert rows == [
        {"step": 0, "note": "hello, world", "score": 1},
        {"step": 1, "note": 'say "hi"\nand bye', "score": 2},
    ]


def test_imported_run_is_finished_and_named(tmp_path):
    path = _write(tmp_path, "step,loss\n0,1\n5,2\n", name="my run.csv")
    run_id = trackio.import_csv(path, "named", space_id="user/space", dataset_id="user/ds")
    run = _run("named", "my run")
    assert run.id == run_id
    assert run.status == "finished"
    other = trackio.import_csv(path, "named", name="explicit")
    assert _run("named", "explicit").id == other != run_id


def test_name_collision_is_an_error_unless_renamed_or_forced(tmp_path, existing_project):
    path = _write(tmp_path, "loss\n0.5\n", name="kept.csv")
    before = snapshot(tmp_path / "trackio_data")
    with pytest.raises(ValueError, match="'kept'") as caught:
        trackio.import_csv(path, "exp")
    assert "name" in str(caught.value)
    assert snapshot(tmp_path / "trackio_data") == before
    trackio.import_csv(path, "exp", name="kept-2")
    assert sorted(r.name for r in trackio.Api().runs("exp")) == ["kept", "kept-2"]
    trackio.import_csv(path, "exp", force=True)
    assert sorted(r.name for r in trackio.Api().runs("exp")) == ["kept", "kept", "kept-2"]


MALFORMED = {
    "ragged_long": "step,loss\n0,1\n1,2,3\n2,3\n",
    "ragged_short": "step,loss,acc\n0,1,2\n1,2\n",
    "bad_step": "step,loss\n0,1\nabc,2\n",
    "float_step": "step,loss\n0,1\n1.5,2\n",
    "empty_step": "step,loss\n0,1\n,2\n",
    "bad_time": "step,time,loss\n0,1700000000,1\n1,yesterday,2\n",
    "open_quote": 'step,note\n0,"never closed\n',
    "empty_file": "",
}


def _check_message(message, case, path):
    assert str(path) in message or path.name in message, message
    if case.startswith("ragged"):
        assert "line 3" in message and "fields" in message
    elif case in ("bad_step", "float_step", "empty_step"):
        assert "line 3" in message and "step" in message
    elif case == "bad_time":
        assert "line 3" in message and "'yesterday'" in message


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_csv_leaves_an_existing_project_as_it_was(tmp_path, existing_project, case):
    path = _write(tmp_path, MALFORMED[case], name=f"{case}.csv")
    data_dir = tmp_path / "trackio_data"
    before = snapshot(data_dir)
    with pytest.raises(CSVImportError) as caught:
        trackio.import_csv(path, "exp")
    _check_message(str(caught.value), case, path)
    assert "\n" not in str(caught.value)
    assert snapshot(data_dir) == before
    assert [r.name for r in trackio.Api().runs("exp")] == ["kept"]


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_csv_does_not_create_a_new_project(tmp_path, case):
    path = _write(tmp_path, MALFORMED[case], name=f"{case}.csv")
    data_dir = tmp_path / "trackio_data"
    with pytest.raises(CSVImportError) as caught:
        trackio.import_csv(path, "fresh")
    _check_message(str(caught.value), case, path)
    assert trackio.Api().projects() == []
    assert list(data_dir.iterdir()) == []


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises((CSVImportError, OSError), match="nowhere.csv"):
        trackio.import_csv(tmp_path / "nowhere.csv", "p")
    assert trackio.Api().projects() == []


def test_cli_import_csv_success_collision_and_rename(cli, tmp_path, existing_project):
    path = _write(tmp_path, "Step,loss,opt\n3,0.5,adam\n4,0.25,adam\n", name="kept.csv")
    result = cli("import", "csv", path, "--project", "other")
    assert result.returncode == 0, result.stderr
    run = _run("other", "kept")
    assert run.id in result.stdout
    assert without_timestamps(run.history()) == [
        {"step": 3, "loss": 0.5, "opt": "adam"},
        {"step": 4, "loss": 0.25, "opt": "adam"},
    ]
    before = snapshot(tmp_path / "trackio_data")
    result = cli("import", "csv", path, "--project", "exp")
    assert result.returncode == 1
    (line,) = result.stderr.splitlines()
    assert "'kept'" in line and "--name" in line
    assert snapshot(tmp_path / "trackio_data") == before
    result = cli("import", "csv", path, "--project", "exp", "--name", "second")
    assert result.returncode == 0, result.stderr
    assert sorted(r.name for r in trackio.Api().runs("exp")) == ["kept", "second"]


@pytest.mark.parametrize("case", ["ragged_long", "bad_step"])
def test_cli_import_malformed_csv_exits_1_with_one_line(cli, tmp_path, existing_project, case):
    path = _write(tmp_path, MALFORMED[case], name=f"{case}.csv")
    data_dir = tmp_path / "trackio_data"
    before = snapshot(data_dir)
    for project in ("exp", "brand-new"):
        result = cli("import", "csv", path, "--project", project)
        assert result.returncode == 1
        (line,) = result.stderr.splitlines()
        assert line.startswith("trackio: ")
        _check_message(line, case, path)
        assert result.stdout == ""
    assert snapshot(data_dir) == before
    assert trackio.Api().projects() == ["exp"]


def test_epoch_milliseconds_underscored_numbers_and_blank_cells(tmp_path):
    path = tmp_path / "odd.csv"
    path.write_text("time,count,label\n1700000000000,1,1_000\n1700000001000, ,2_0\n")
    trackio.import_csv(path, "odd")
    (run,) = trackio.Api().runs("odd")
    rows = run.history()
    assert [r["timestamp"] for r in rows] == [1_700_000_000.0, 1_700_000_001.0]
    assert [r.get("count") for r in rows] == [1, None]
    assert [r["label"] for r in rows] == ["1_000", "2_0"]


@pytest.mark.parametrize("separator", [";", "\t", "|"])
def test_other_separators_are_detected(tmp_path, separator):
    path = _write(
        tmp_path,
        separator.join(["step", "loss", "acc"])
        + "\n0"
        + separator
        + "1.5"
        + separator
        + "0.25\n1"
        + separator
        + "0.5"
        + separator
        + "0.75\n",
    )
    trackio.import_csv(path, "sep", name="r")
    assert without_timestamps(_run("sep", "r").history()) == [
        {"step": 0, "loss": 1.5, "acc": 0.25},
        {"step": 1, "loss": 0.5, "acc": 0.75},
    ]


def test_files_with_nothing_to_chart_say_so(tmp_path, record_user_warnings):
    header_only = _write(tmp_path, "step,loss\n", name="empty.csv")
    text_only = _write(tmp_path, "note\nhello\nworld\n", name="text.csv")
    with record_user_warnings() as found:
        trackio.import_csv(header_only, "quiet", name="a")
        trackio.import_csv(text_only, "quiet", name="b")
    messages = [str(w.message) for w in found]
    assert any("no rows" in m for m in messages) and any(
        "no column holds numbers" in m for m in messages
    )


def test_a_long_cell_is_imported_and_a_negative_step_refused(tmp_path):
    long_text = "x" * 200_000
    trackio.import_csv(
        _write(tmp_path, f"step,note,loss\n0,{long_text},1.0\n", name="big.csv"), "cells", name="r"
    )
    assert _run("cells", "r").history()[0]["note"] == long_text
    with pytest.raises(CSVImportError, match="step -5 is out of range"):
        trackio.import_csv(_write(tmp_path, "step,loss\n-5,1.0\n", name="neg.csv"), "cells")
    assert [r.name for r in trackio.Api().runs("cells")] == ["r"]


def test_cli_prints_import_warnings_as_plain_lines(cli, tmp_path):
    result = cli("import", "csv", _write(tmp_path, "note\nhello\n", name="t.csv"), "--project", "p")
    assert result.returncode == 0, result.stderr
    (line,) = result.stderr.splitlines()
    assert line.startswith("trackio: ") and "no column holds numbers" in line
