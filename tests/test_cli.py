"""The `trackio` command, run as a real subprocess, and the JSON it prints."""

import csv
import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import trackio


def _strict_json(text):
    def refuse(token):
        raise AssertionError(f"non-standard JSON token {token!r} in {text!r}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture
def cli_many(cli_env):
    """Run several commands at once (they only read) and return their results in order."""

    def run(commands):
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "trackio.cli", *map(str, args)],
                env=cli_env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for args in commands
        ]
        results = []
        for args, proc in zip(commands, procs, strict=True):
            out, err = proc.communicate(timeout=60)
            results.append(subprocess.CompletedProcess(args, proc.returncode, out, err))
        return results

    return run


@pytest.fixture
def cli_json(cli):
    def run(*args):
        result = cli(*args, "--json")
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        return _strict_json(result.stdout)

    return run


def _one_error_line(result):
    assert result.returncode == 1, (result.args, result.stdout, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, (result.args, result.stderr)
    return lines[0]


def _run_names(project):
    return sorted(r.name for r in trackio.Api().runs(project))


@pytest.fixture
def logged(trackio_dir):
    """Two projects: `vision` (runs `baseline` and `odd`) and `audio` (run `a1`)."""
    trackio.init(project="vision", name="baseline", config={"lr": 0.01, "arch": "resnet"})
    for step in range(20):
        trackio.log({"train/loss": 1.0 / (step + 1), "acc": step / 20})
    trackio.log({"val/loss": 0.25}, step=19)
    trackio.finish()
    trackio.init(project="vision", name="odd")
    trackio.log({"acc": 0.5, "nan_metric": float("nan"), "inf_metric": float("inf")})
    trackio.log({"acc": 0.75, "nan_metric": 1.5, "inf_metric": float("-inf")})
    trackio.finish()
    trackio.init(project="audio", name="a1")
    trackio.log({"x": 1})
    trackio.finish()
    return trackio_dir


# --- list -------------------------------------------------------------------------------


def test_list_projects_json_on_empty_and_filled_data_dir(cli_json, trackio_dir):
    assert cli_json("list", "projects") == {"projects": []}
    trackio.init(project="zeta", name="r")
    trackio.log({"x": 1})
    trackio.finish()
    trackio.init(project="alpha beta", name="r")
    trackio.log({"x": 1})
    trackio.finish()
    assert cli_json("list", "projects") == {"projects": ["alpha beta", "zeta"]}


def test_list_runs_json_describes_each_run(cli_json, logged):
    listing = cli_json("list", "runs", "--project", "vision")
    assert sorted(listing) == ["project", "runs"]
    assert listing["project"] == "vision"
    by_name = {r["name"]: r for r in listing["runs"]}
    assert sorted(by_name) == ["baseline", "odd"]
    api_ids = {r.name: r.id for r in trackio.Api().runs("vision")}
    assert {name: r["id"] for name, r in by_name.items()} == api_ids
    baseline = by_name["baseline"]
    assert baseline["status"] == "finished"
    assert baseline["step_count"] == 20
    assert baseline["last_step"] == 19
    assert baseline["config"]["lr"] == 0.01
    assert baseline["config"]["arch"] == "resnet"
    assert by_name["odd"]["step_count"] == 2


def test_list_metrics_of_project_and_of_one_run(cli_json, logged):
    project_metrics = cli_json("list", "metrics", "--project", "vision")
    assert sorted(project_metrics) == ["metrics", "project", "run"]
    assert (project_metrics["project"], project_metrics["run"]) == ("vision", None)
    assert sorted(project_metrics["metrics"]) == sorted(
        ["train/loss", "acc", "val/loss", "nan_metric", "inf_metric"]
    )
    assert cli_json("list", "metrics", "--project", "vision", "--run", "odd") == {
        "project": "vision",
        "run": "odd",
        "metrics": ["acc", "nan_metric", "inf_metric"],
    }
    # A run given by id is reported by its name, as `get run` names it.
    run_id = next(r.id for r in trackio.Api().runs("vision") if r.name == "baseline")
    assert cli_json("list", "metrics", "--project", "vision", "--run", run_id) == {
        "project": "vision",
        "run": "baseline",
        "metrics": ["train/loss", "acc", "val/loss"],
    }


# --- get --------------------------------------------------------------------------------


def test_get_run_json_has_config_summary_status_and_steps(cli_json, logged):
    run = cli_json("get", "run", "--project", "vision", "--run", "baseline")
    assert run["project"] == "vision"
    assert run["run"] == run["name"] == "baseline"
    assert run["num_logs"] == 20
    assert run["metrics"] == ["train/loss", "acc", "val/loss"]
    assert run["status"] == "finished"
    assert run["config"] == {"lr": 0.01, "arch": "resnet"}
    assert run["summary"]["train/loss"] == 1.0 / 20
    assert run["summary"]["acc"] == 19 / 20
    assert run["summary"]["val/loss"] == 0.25
    assert run["step_count"] == 20
    assert run["last_step"] == 19


def test_get_run_json_turns_nan_and_inf_into_strict_json(cli_json, logged):
    run = cli_json("get", "run", "--project", "vision", "--run", "odd")
    assert run["summary"]["nan_metric"] == 1.5
    assert run["summary"]["inf_metric"] == "-Infinity"
    values = cli_json(
        "get", "metric", "--project", "vision", "--run", "odd", "--metric", "inf_metric"
    )["values"]
    assert [v["value"] for v in values] == ["Infinity", "-Infinity"]
    values = cli_json(
        "get", "metric", "--project", "vision", "--run", "odd", "--metric", "nan_metric"
    )["values"]
    assert [v["value"] for v in values] == [None, 1.5]


def test_get_run_step_count_counts_steps_logged_by_different_metrics(cli_json, trackio_dir):
    trackio.init(project="steps", name="r")
    for step in range(5):
        trackio.log({"loss": float(step)})
    trackio.log({"val": 1.0})  # step 5: only another metric
    trackio.finish()
    run = cli_json("get", "run", "--project", "steps", "--run", "r")
    assert run["last_step"] == 5
    assert run["step_count"] == run["num_logs"] == 6
    assert run["metrics"] == ["loss", "val"]


def test_get_metric_all_step_around_and_last(cli_json, logged):
    base = ["get", "metric", "--project", "vision", "--run", "baseline", "--metric", "train/loss"]
    answer = cli_json(*base)
    assert sorted(answer) == ["metric", "project", "run", "values"]
    assert (answer["project"], answer["run"], answer["metric"]) == (
        "vision",
        "baseline",
        "train/loss",
    )
    everything = answer["values"]
    assert [p["step"] for p in everything] == list(range(20))
    assert [p["value"] for p in everything] == [1.0 / (s + 1) for s in range(20)]
    assert all(isinstance(p["timestamp"], float) for p in everything)
    assert [p["timestamp"] for p in everything] == sorted(p["timestamp"] for p in everything)

    at = cli_json(*base, "--step", 5)["values"]
    assert at == [everything[5]]
    assert at[0]["value"] == 1.0 / 6

    around = cli_json(*base, "--around", 10, "--window", 2)["values"]
    assert [p["step"] for p in around] == [8, 9, 10, 11, 12]
    assert around == everything[8:13]
    near_start = cli_json(*base, "--around", 1, "--window", 3)["values"]
    assert [p["step"] for p in near_start] == [0, 1, 2, 3, 4]
    assert [p["step"] for p in cli_json(*base, "--around", 10)["values"]] == list(range(0, 20))

    last = cli_json(*base, "--last", 3)["values"]
    assert last == everything[-3:]
    assert [p["step"] for p in last] == [17, 18, 19]


def test_get_metric_step_without_value_and_exclusive_options(cli, logged):
    base = ["get", "metric", "--project", "vision", "--run", "baseline", "--metric", "val/loss"]
    line = _one_error_line(cli(*base, "--step", 3, "--json"))
    assert "'val/loss'" in line and "3" in line
    both = cli(*base, "--step", 3, "--last", 2)
    assert both.returncode == 2
    assert "not allowed with" in both.stderr


def test_json_flag_prints_json_and_nothing_else(cli_many, logged, child_env):
    commands = [
        ["list", "projects"],
        ["list", "runs", "--project", "vision"],
        ["list", "metrics", "--project", "vision"],
        ["list", "metrics", "--project", "vision", "--run", "odd"],
        ["get", "run", "--project", "vision", "--run", "baseline"],
        ["get", "metric", "--project", "vision", "--run", "baseline", "--metric", "acc"],
        [
            "get",
            "metric",
            "--project",
            "vision",
            "--run",
            "baseline",
            "--metric",
            "acc",
            "--last",
            "2",
        ],
    ]
    shapes = []
    for result in cli_many([[*c, "--json"] for c in commands]):
        assert result.returncode == 0, result.stderr
        assert result.stderr == ""
        assert result.stdout.endswith("\n")
        assert result.stdout.count("\n") == 1, result.stdout
        shapes.append(_strict_json(result.stdout))
    # Every answer is an object holding at least the PyPI trackio's keys.
    pypi_keys = [
        {"projects"},
        {"project", "runs"},
        {"project", "run", "metrics"},
        {"project", "run", "metrics"},
        {"project", "run", "num_logs", "metrics", "config", "last_step"},
        {"project", "run", "metric", "values"},
        {"project", "run", "metric", "values"},
    ]
    for shape, keys in zip(shapes, pypi_keys, strict=True):
        assert isinstance(shape, dict) and keys <= set(shape), (keys, shape)
    # Without --json the same commands print text for people, not JSON.
    table = cli_many([commands[1]])[0]
    assert table.returncode == 0
    assert "baseline" in table.stdout and "finished" in table.stdout
    with pytest.raises(json.JSONDecodeError):
        json.loads(table.stdout)


_COMMANDS = [
    [],
    ["show"],
    ["list"],
    ["list", "projects"],
    ["list", "runs"],
    ["list", "metrics"],
    ["get"],
    ["get", "run"],
    ["get", "metric"],
    ["export"],
    ["import"],
    ["import", "csv"],
    ["import", "tensorboard"],
    ["delete"],
    ["rename"],
    ["move"],
    ["migrate"],
]


def test_help_works_on_every_command_and_subcommand(cli_many, trackio_dir):
    results = cli_many([[*c, "--help"] for c in _COMMANDS])
    for command, result in zip(_COMMANDS, results, strict=True):
        assert result.returncode == 0, (command, result.stderr)
        assert result.stdout.startswith("usage: trackio"), (command, result.stdout)
        assert " ".join(["trackio", *command]) in result.stdout.splitlines()[0]
    # Options the issue names appear in their command's help.
    by_command = {" ".join(c): r.stdout for c, r in zip(_COMMANDS, results, strict=True)}
    for option in ("--step", "--around", "--window", "--last", "--json"):
        assert option in by_command["get metric"]
    for option in ("--format", "--output", "--long", "--run"):
        assert option in by_command["export"]
    assert "--name-prefix" in by_command["import tensorboard"]
    assert "--yes" in by_command["delete"]
    assert "--to" in by_command["rename"]
    assert "--to-project" in by_command["move"]
    assert list(trackio_dir.iterdir()) == []


def test_version_and_missing_command(cli_many):
    version, bare = cli_many([["--version"], []])
    assert version.returncode == 0
    assert version.stdout.strip() == f"trackio {trackio.__version__}"
    assert bare.returncode == 2
    assert "usage: trackio" in bare.stderr


def test_console_script_runs(child_env, logged):
    script = shutil.which("trackio", path=os.path.dirname(sys.executable)) or shutil.which(
        "trackio"
    )
    if script is None:
        pytest.skip("the trackio console script is not installed")
    result = subprocess.run(
        [script, "list", "projects", "--json"],
        env=dict(child_env, TRACKIO_QUIET="1"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert _strict_json(result.stdout) == {"projects": ["audio", "vision"]}


# --- unknown names ----------------------------------------------------------------------


def test_unknown_project_is_one_line_naming_it_and_the_existing_ones(cli_many, logged, tmp_path):
    out = tmp_path / "out.csv"
    commands = [
        ["list", "runs", "--project", "nope", "--json"],
        ["list", "metrics", "--project", "nope", "--json"],
        ["get", "run", "--project", "nope", "--run", "baseline", "--json"],
        ["get", "metric", "--project", "nope", "--run", "baseline", "--metric", "acc", "--json"],
        ["export", "--project", "nope", "--output", out],
        ["delete", "--project", "nope", "--yes"],
        ["rename", "--project", "nope", "--run", "baseline", "--to", "x"],
    ]
    for command, result in zip(commands, cli_many(commands), strict=True):
        line = _one_error_line(result)
        assert result.stdout == "", command
        assert "'nope'" in line, (command, line)
        assert "'vision'" in line and "'audio'" in line, (command, line)
    assert not out.exists()
    assert trackio.Api().projects() == ["audio", "vision"]


def test_unknown_run_is_one_line_naming_it_and_the_existing_ones(cli_many, logged, tmp_path):
    out = tmp_path / "out.csv"
    commands = [
        ["list", "metrics", "--project", "vision", "--run", "ghost", "--json"],
        ["get", "run", "--project", "vision", "--run", "ghost", "--json"],
        ["get", "metric", "--project", "vision", "--run", "ghost", "--metric", "acc", "--json"],
        ["export", "--project", "vision", "--run", "ghost", "--output", out],
        ["delete", "--project", "vision", "--run", "ghost", "--yes"],
        ["rename", "--project", "vision", "--run", "ghost", "--to", "x"],
    ]
    for command, result in zip(commands, cli_many(commands), strict=True):
        line = _one_error_line(result)
        assert result.stdout == "", command
        assert "'ghost'" in line, (command, line)
        assert "'baseline'" in line and "'odd'" in line, (command, line)
    assert not out.exists()
    assert _run_names("vision") == ["baseline", "odd"]


def test_unknown_metric_is_one_line_naming_it_and_the_existing_ones(cli, logged):
    result = cli(
        "get", "metric", "--project", "vision", "--run", "odd", "--metric", "loss", "--json"
    )
    line = _one_error_line(result)
    assert result.stdout == ""
    assert "'loss'" in line
    for existing in ("'acc'", "'nan_metric'", "'inf_metric'"):
        assert existing in line


# --- delete and rename ------------------------------------------------------------------


def test_delete_one_run_with_yes(cli, cli_json, logged):
    result = cli("delete", "--project", "vision", "--run", "odd", "--yes")
    assert result.returncode == 0, result.stderr
    assert "odd" in result.stdout
    assert _run_names("vision") == ["baseline"]
    baseline = next(iter(trackio.Api().runs("vision")))
    assert len(baseline.history()) == 20
    assert _run_names("audio") == ["a1"]
    line = _one_error_line(cli("get", "run", "--project", "vision", "--run", "odd", "--json"))
    assert "'odd'" in line


def test_list_metrics_forgets_metrics_of_a_deleted_run(cli, cli_json, logged):
    result = cli("delete", "--project", "vision", "--run", "odd", "--yes")
    assert result.returncode == 0, result.stderr
    assert sorted(cli_json("list", "metrics", "--project", "vision")["metrics"]) == sorted(
        ["train/loss", "acc", "val/loss"]
    )


def test_delete_without_yes_and_without_terminal_refuses(cli, logged):
    before = {p: _run_names(p) for p in ("vision", "audio")}
    for args in (["--project", "vision", "--run", "odd"], ["--project", "vision"]):
        result = cli("delete", *args)
        line = _one_error_line(result)
        assert "--yes" in line
        assert "'vision'" in line
    # Even "y" on a non-terminal stdin is not taken as consent.
    line = _one_error_line(cli("delete", "--project", "audio", input="y\n"))
    assert "--yes" in line
    assert {p: _run_names(p) for p in ("vision", "audio")} == before
    assert len(next(r for r in trackio.Api().runs("vision") if r.name == "odd").history()) == 2


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_delete_on_a_terminal_asks_and_obeys_the_answer(cli_env, logged):
    def delete_answering(answer):
        primary, secondary = os.openpty()
        try:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "trackio.cli",
                    "delete",
                    "--project",
                    "vision",
                    "--run",
                    "odd",
                ],
                env=cli_env,
                stdin=secondary,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            os.write(primary, answer.encode() + b"\n")
            out, err = proc.communicate(timeout=60)
        finally:
            os.close(primary)
            os.close(secondary)
        return proc.returncode, out, err

    code, out, err = delete_answering("n")
    assert code == 1
    assert "[y/N]" in out
    assert "nothing deleted" in err
    assert _run_names("vision") == ["baseline", "odd"]
    code, out, err = delete_answering("y")
    assert code == 0, err
    assert _run_names("vision") == ["baseline"]


def test_delete_whole_project_with_yes(cli, cli_json, logged):
    assert any("vision" in p.name for p in logged.iterdir())
    result = cli("delete", "--project", "vision", "--yes")
    assert result.returncode == 0, result.stderr
    assert cli_json("list", "projects") == {"projects": ["audio"]}
    assert not any("vision" in p.name for p in logged.iterdir())
    line = _one_error_line(cli("list", "runs", "--project", "vision", "--json"))
    assert "'vision'" in line
    assert _run_names("audio") == ["a1"]


def test_rename_run_keeps_its_id_and_values(cli, cli_json, logged):
    before = {r.name: r.id for r in trackio.Api().runs("vision")}
    result = cli("rename", "--project", "vision", "--run", "baseline", "--to", "champion")
    assert result.returncode == 0, result.stderr
    after = {r.name: r.id for r in trackio.Api().runs("vision")}
    assert after == {"champion": before["baseline"], "odd": before["odd"]}
    values = cli_json(
        "get",
        "metric",
        "--project",
        "vision",
        "--run",
        "champion",
        "--metric",
        "acc",
        "--last",
        "1",
    )["values"]
    assert values[0]["step"] == 19 and values[0]["value"] == 19 / 20
    # Renaming by id works too.
    result = cli("rename", "--project", "vision", "--run", before["odd"], "--to", "strange")
    assert result.returncode == 0, result.stderr
    assert _run_names("vision") == ["champion", "strange"]


def test_rename_to_a_taken_name_is_refused(cli, logged):
    line = _one_error_line(cli("rename", "--project", "vision", "--run", "baseline", "--to", "odd"))
    assert "'odd'" in line
    assert _run_names("vision") == ["baseline", "odd"]


def test_move_run_to_another_project(cli, cli_json, logged):
    moved_id = {r.name: r.id for r in trackio.Api().runs("vision")}["odd"]
    result = cli("move", "--project", "vision", "--run", "odd", "--to-project", "audio")
    assert result.returncode == 0, result.stderr
    assert f"moved run 'odd' ({moved_id}) to project 'audio'" in result.stdout
    assert _run_names("vision") == ["baseline"]
    assert _run_names("audio") == ["a1", "odd"]
    acc = cli_json("get", "metric", "--project", "audio", "--run", moved_id, "--metric", "acc")
    assert (acc["project"], acc["run"]) == ("audio", "odd")
    assert [(v["step"], v["value"]) for v in acc["values"]] == [(0, 0.5), (1, 0.75)]
    line = _one_error_line(
        cli("move", "--project", "vision", "--run", "nope", "--to-project", "audio")
    )
    assert "'nope'" in line and "'baseline'" in line


# --- export -----------------------------------------------------------------------------


def _read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_export_csv_wide_one_run(cli, logged, tmp_path):
    out = tmp_path / "odd.csv"
    result = cli("export", "--project", "vision", "--run", "odd", "--output", out)
    assert result.returncode == 0, result.stderr
    assert "2 rows" in result.stdout
    rows = _read_csv(out)
    assert rows[0] == ["step", "timestamp", "acc", "nan_metric", "inf_metric"]
    assert [r[0] for r in rows[1:]] == ["0", "1"]
    assert [r[2:] for r in rows[1:]] == [["0.5", "nan", "inf"], ["0.75", "1.5", "-inf"]]
    history = next(r for r in trackio.Api().runs("vision") if r.name == "odd").history()
    assert [float(r[1]) for r in rows[1:]] == [h["timestamp"] for h in history]


def test_export_csv_long_several_runs(cli, logged, tmp_path):
    out = tmp_path / "long.csv"
    result = cli(
        "export",
        "--project",
        "vision",
        "--run",
        "odd",
        "--run",
        "baseline",
        "--long",
        "--output",
        out,
    )
    assert result.returncode == 0, result.stderr
    rows = _read_csv(out)
    assert rows[0] == ["run", "run_id", "step", "timestamp", "metric", "value"]
    body = rows[1:]
    assert len(body) == 6 + 20 + 20 + 1
    odd_rows = [r for r in body if r[0] == "odd"]
    assert [(r[2], r[4], r[5]) for r in odd_rows] == [
        ("0", "acc", "0.5"),
        ("0", "nan_metric", "nan"),
        ("0", "inf_metric", "inf"),
        ("1", "acc", "0.75"),
        ("1", "nan_metric", "1.5"),
        ("1", "inf_metric", "-inf"),
    ]
    val = [r for r in body if r[4] == "val/loss"]
    assert [(r[0], r[2], r[5]) for r in val] == [("baseline", "19", "0.25")]
    assert "2 rows" not in result.stdout and "47 rows" in result.stdout


def test_export_jsonl_wide_and_long(cli, logged, tmp_path):
    wide, long = tmp_path / "w.jsonl", tmp_path / "l.jsonl"
    for path, extra in ((wide, []), (long, ["--long"])):
        result = cli(
            "export",
            "--project",
            "vision",
            "--run",
            "odd",
            "--format",
            "jsonl",
            "--output",
            path,
            *extra,
        )
        assert result.returncode == 0, result.stderr
    rows = [_strict_json(line) for line in wide.read_text(encoding="utf-8").splitlines()]
    assert [{k: v for k, v in r.items() if k != "timestamp"} for r in rows] == [
        {"step": 0, "acc": 0.5, "nan_metric": None, "inf_metric": "Infinity"},
        {"step": 1, "acc": 0.75, "nan_metric": 1.5, "inf_metric": "-Infinity"},
    ]
    rows = [_strict_json(line) for line in long.read_text(encoding="utf-8").splitlines()]
    assert [(r["step"], r["metric"], r["value"]) for r in rows] == [
        (0, "acc", 0.5),
        (0, "nan_metric", None),
        (0, "inf_metric", "Infinity"),
        (1, "acc", 0.75),
        (1, "nan_metric", 1.5),
        (1, "inf_metric", "-Infinity"),
    ]


def test_export_parquet_wide_and_long(cli, logged, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    wide, long = tmp_path / "w.parquet", tmp_path / "l.parquet"
    for path, extra in ((wide, []), (long, ["--long"])):
        result = cli(
            "export", "--project", "vision", "--format", "parquet", "--output", path, *extra
        )
        assert result.returncode == 0, result.stderr
    table = pq.read_table(wide).to_pylist()
    assert list(table[0])[:4] == ["run", "run_id", "step", "timestamp"]
    assert len(table) == 20 + 2
    odd = [r for r in table if r["run"] == "odd"]
    assert [r["acc"] for r in odd] == [0.5, 0.75]
    assert math.isnan(odd[0]["nan_metric"]) and odd[1]["nan_metric"] == 1.5
    assert [r["inf_metric"] for r in odd] == [math.inf, -math.inf]
    assert all(r["train/loss"] is None for r in odd)
    baseline = [r for r in table if r["run"] == "baseline"]
    assert [r["train/loss"] for r in baseline] == [1.0 / (s + 1) for s in range(20)]
    long_rows = pq.read_table(long).to_pylist()
    assert len(long_rows) == 6 + 20 + 20 + 1
    assert {r["metric"] for r in long_rows} == {
        "train/loss",
        "acc",
        "val/loss",
        "nan_metric",
        "inf_metric",
    }


def test_export_rejects_unknown_format(cli, logged, tmp_path):
    result = cli(
        "export", "--project", "vision", "--format", "xlsx", "--output", tmp_path / "o.xlsx"
    )
    assert result.returncode == 2
    assert "invalid choice" in result.stderr
    assert not (tmp_path / "o.xlsx").exists()


_GET_METRIC = ["get", "metric", "--project", "p", "--run", "r", "--metric", "m"]


@pytest.mark.parametrize(
    ("args", "code", "says"),
    [
        (["show", "--no-browser", "--port", "99999"], 2, "not a port"),
        (["show", "--no-browser", "--port", "-1"], 2, "negative"),
        (["show", "--no-browser", "--host", "999.1.1.1", "--port", "0"], 1, "999.1.1.1"),
        (
            ["get", "metric", "--project", "p", "--run", "r", "--metric", "m", "--last", "-3"],
            2,
            "negative",
        ),
        (
            ["get", "metric", "--project", "p", "--run", "r", "--metric", "m", "--window", "x"],
            2,
            "whole number",
        ),
    ],
)
def test_bad_numbers_and_addresses_are_one_line_errors(cli, args, code, says):
    result = cli(*args)
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    assert says in result.stderr.strip().splitlines()[-1]


def test_export_takes_the_format_from_the_extension_and_writes_to_stdout(cli, logged, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    target = tmp_path / "z.parquet"
    result = cli("export", "--project", "audio", "--output", target)
    assert result.returncode == 0, result.stderr
    assert pq.read_table(target).to_pylist()[0]["x"] == 1
    wrong = tmp_path / "y.parquet"
    mismatch = cli("export", "--project", "audio", "--format", "csv", "--output", wrong)
    assert mismatch.returncode == 1
    assert "extension of parquet" in mismatch.stderr and not wrong.exists()
    piped = cli("export", "--project", "audio", "--output", "-")
    assert piped.returncode == 0, piped.stderr
    assert piped.stdout.splitlines()[0] == "step,timestamp,x"
    assert piped.stdout.splitlines()[1].startswith("0,")
    lines = cli("export", "--project", "audio", "--format", "jsonl", "--output", "-").stdout
    assert json.loads(lines.splitlines()[0])["x"] == 1
    refused = cli("export", "--project", "audio", "--format", "parquet", "--output", "-")
    assert refused.returncode == 1 and "standard output" in refused.stderr
    assert not (tmp_path / "-").exists() and not Path("-").exists()


def test_get_metric_of_a_histogram_keeps_columns_narrow(cli, trackio_dir):
    import numpy as np

    with trackio.init(project="hist", name="r") as run:
        run.log({"weights": trackio.Histogram(np.arange(1000.0), num_bins=200)})
    result = cli("get", "metric", "--project", "hist", "--run", "r", "--metric", "weights")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and "..." in lines[1]
    assert max(len(line) for line in lines) < 120
