import json
import signal
import subprocess
import sys
import textwrap

import pytest
from child_output import wait_for_line

import trackio

LOG_AND_RETURN = textwrap.dedent(
    """
    import trackio
    trackio.init(project="dur", name="child", config={"k": "v"})
    for i in range(500):
        trackio.log({"i": i, "sq": i * i, "s": str(i)})
    print("logged")
    """
)

LOG_THEN_WAIT = textwrap.dedent(
    """
    import sys, time
    import trackio
    trackio.init(project="dur", name="victim")
    for i in range(300):
        trackio.log({"i": i, "half": i / 2})
    print("ready", flush=True)
    time.sleep(60)
    print("not killed", flush=True)
    """
)

READ_BACK = textwrap.dedent(
    """
    import json, math
    import trackio
    (run,) = trackio.Api().runs("dur")
    rows = run.history()
    print(json.dumps({
        "status": run.status,
        "steps": [r["step"] for r in rows],
        "x": [r["x"] for r in rows],
        "t": rows[-1]["t"],
        "inf": math.isinf(rows[-1]["inf"]),
    }))
    """
)


def test_unfinished_run_is_complete_after_normal_exit(run_child, read_run):
    proc = run_child(LOG_AND_RETURN)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "logged"
    run = read_run("dur")
    assert run.status == "finished"
    rows = run.history()
    assert len(rows) == 500
    assert [r["step"] for r in rows] == list(range(500))
    assert all(r["i"] == r["step"] and r["sq"] == r["step"] ** 2 for r in rows)
    assert all(r["s"] == str(r["step"]) for r in rows)
    assert run.config["k"] == "v"


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_keeps_values_and_marks_failed(child_env, read_run):
    proc = subprocess.Popen(
        [sys.executable, "-c", LOG_THEN_WAIT],
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for_line(proc, "ready")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGTERM, err
    assert "not killed" not in out
    run = read_run("dur")
    assert run.status == "failed"
    rows = run.history()
    assert [r["step"] for r in rows] == list(range(300))
    assert [r["half"] for r in rows] == [i / 2 for i in range(300)]


def test_values_readable_from_other_process_right_after_finish(run_child):
    trackio.init(project="dur", name="parent")
    for i in range(400):
        trackio.log({"x": i * 3})
    trackio.log({"t": True, "inf": float("inf")}, commit=False)
    trackio.log({"x": -1})
    trackio.finish()
    proc = run_child(READ_BACK)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.splitlines()[-1])
    assert result["status"] == "finished"
    assert result["steps"] == list(range(401))
    assert result["x"] == [i * 3 for i in range(400)] + [-1]
    assert result["t"] is True
    assert result["inf"] is True


def test_child_with_explicit_finish_exit_code_is_failed(run_child, read_run):
    code = textwrap.dedent(
        """
        import trackio
        trackio.init(project="dur", name="exit1")
        trackio.log({"a": 1})
        trackio.finish(exit_code=1)
        """
    )
    proc = run_child(code)
    assert proc.returncode == 0, proc.stderr
    run = read_run("dur")
    assert run.status == "failed"
    assert [r["a"] for r in run.history()] == [1]


def test_pending_commit_false_row_is_stored_at_exit(run_child, read_run):
    code = textwrap.dedent(
        """
        import trackio
        trackio.init(project="dur", name="pending")
        trackio.log({"a": 1})
        trackio.log({"b": 2}, commit=False)
        """
    )
    proc = run_child(code)
    assert proc.returncode == 0, proc.stderr
    run = read_run("dur")
    assert run.status == "finished"
    assert [(r["step"], r.get("a"), r.get("b")) for r in run.history()] == [
        (0, 1, None),
        (1, None, 2),
    ]
