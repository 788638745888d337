"""How runs end and are shared across processes: sys.exit, fork, concurrent resume."""

import os
import subprocess
import sys

import pytest

import trackio


def test_sys_exit_code_marks_the_run_failed(run_child, read_run):
    result = run_child(
        "import sys, trackio\n"
        "trackio.init(project='exit', name='r')\n"
        "trackio.log({'a': 1})\n"
        "sys.exit(3)\n"
    )
    assert result.returncode == 3, result.stderr
    run = read_run("exit")
    assert (run.status, run.exit_code) == ("failed", 3)
    assert [r["a"] for r in run.history()] == [1]


def test_sys_exit_zero_marks_the_run_finished(run_child, read_run):
    result = run_child(
        "import sys, trackio\ntrackio.init(project='exit0', name='r')\nsys.exit(0)\n"
    )
    assert result.returncode == 0, result.stderr
    assert read_run("exit0").status == "finished"


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_forked_child_leaves_the_parent_run_alone(run_child, read_run):
    result = run_child(
        "import os, sys, warnings, trackio\n"
        "run = trackio.init(project='fork', name='parent')\n"
        "for i in range(5):\n"
        "    run.log({'a': i})\n"
        "pid = os.fork()\n"
        "if pid == 0:\n"
        "    with warnings.catch_warnings(record=True) as caught:\n"
        "        warnings.simplefilter('always')\n"
        "        trackio.log({'a': 100})\n"
        "    sys.stdout.write('child-warned\\n' if caught else 'child-silent\\n')\n"
        "    sys.stdout.flush()\n"
        "    sys.exit(0)\n"
        "os.waitpid(pid, 0)\n"
        "status = trackio.Api().runs('fork')[0].status\n"
        "for i in range(5, 8):\n"
        "    run.log({'a': i})\n"
        "run.finish()\n"
        "print('parent-saw', status)\n"
    )
    assert result.returncode == 0, result.stderr
    assert "child-warned" in result.stdout
    assert "parent-saw running" in result.stdout
    run = read_run("fork")
    assert run.status == "finished"
    assert [(r["step"], r["a"]) for r in run.history()] == [(i, i) for i in range(8)]


def test_resuming_a_run_that_is_still_logging_warns(record_user_warnings, child_env):
    trackio.init(project="live", name="shared", id="live0001")
    trackio.log({"a": 1})
    trackio.run.summary["probe"] = 1
    with record_user_warnings() as caught:
        result = subprocess.run(
            [
                sys.executable,
                "-W",
                "always",
                "-c",
                "import trackio\n"
                "trackio.init(project='live', id='live0001', resume='allow')\n"
                "trackio.finish()\n",
            ],
            env=child_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 0, result.stderr
    assert "may still be logging from another process" in result.stderr
    assert caught == []


def test_summary_last_is_the_value_logged_last_across_processes(child_env, read_run):
    first = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, trackio\n"
            "run = trackio.init(project='pair', name='r', id='pair0001')\n"
            "for step in range(4):\n"
            "    run.log({'loss': float(step)})\n"
            "    _ = run.summary['loss']\n"
            "print('logged', flush=True)\n"
            "sys.stdin.readline()\n"
            "run.finish()\n",
        ],
        env={**child_env, "TRACKIO_QUIET": "1"},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert first.stdout.readline().strip().endswith("logged")
        second = subprocess.run(
            [
                sys.executable,
                "-W",
                "ignore",
                "-c",
                "import trackio\n"
                "run = trackio.init(project='pair', id='pair0001', resume='allow')\n"
                "run.log({'loss': 1000.0}, step=1000)\n"
                "run.finish()\n",
            ],
            env=child_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 0, second.stderr
        first.stdin.write("\n")
        first.stdin.flush()
        assert first.wait(timeout=60) == 0
    finally:
        first.kill()
    run = read_run("pair")
    assert run.summary["loss"] == 1000.0
    assert [r["loss"] for r in run.history()] == [0.0, 1.0, 2.0, 3.0, 1000.0]


def test_define_metric_glob_pattern_sets_summary(read_run):
    run = trackio.init(project="glob", name="r")
    run.define_metric("val/*", summary="max")
    for value in (0.2, 1.0, 0.5):
        run.log({"val/acc": value, "train/loss": value})
    assert run.summary["val/acc"] == 1.0
    assert dict(run.summary) == {"val/acc": 1.0, "train/loss": 0.5}
    run.finish()
    assert read_run("glob").summary == {"val/acc": 1.0, "train/loss": 0.5}


def test_logging_again_after_the_project_was_deleted_keeps_every_value(read_run):
    trackio.init(project="again", name="first")
    trackio.log({"v": 1.0})
    trackio.finish()
    trackio.Api().delete_project("again")
    trackio.init(project="again", name="second")
    trackio.log({"v": 2.0})
    trackio.finish()
    assert [r["v"] for r in read_run("again", "second").history()] == [2.0]
