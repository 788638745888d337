import subprocess
import sys
import textwrap
import time

import trackio

WRITERS = 4
STEPS = 2000

WRITER = textwrap.dedent(
    """
    import sys
    import time
    import trackio
    worker = int(sys.argv[1])
    steps = int(sys.argv[2])
    trackio.init(project="conc", name=f"worker-{worker}", config={"worker": worker})
    for step in range(steps):
        trackio.log({"v": worker * 100000 + step, "w": worker})
        if step % 100 == 99:
            time.sleep(0.05)
    trackio.finish()
    print("done", worker)
    """
)

SHARED_WRITER = textwrap.dedent(
    """
    import sys
    import trackio
    worker = int(sys.argv[1])
    run_id = sys.argv[2]
    run = trackio.init(project="shared", id=run_id, resume="allow")
    assert run.id == run_id, (run.id, run_id)
    for step in range(1 + worker, 2001, 2):
        trackio.log({"w": worker, "s": step}, step=step)
    trackio.finish()
    print("done", worker)
    """
)


def _spawn(env, code, *args):
    return subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _collect(procs, timeout=120):
    results = []
    for proc in procs:
        try:
            out, err = proc.communicate(timeout=timeout)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        results.append((proc.returncode, out, err))
    return results


def _poll_once():
    api = trackio.Api()
    if "conc" not in api.projects():
        return 0
    seen = 0
    for run in api.runs("conc"):
        assert run.status in ("running", "finished")
        rows = run.history()
        steps = [r["step"] for r in rows]
        assert steps == list(range(len(steps)))
        seen += len(rows)
    return seen


def test_parallel_writers_with_concurrent_reader(child_env):
    procs = [_spawn(child_env, WRITER, i, STEPS) for i in range(WRITERS)]
    observed = []
    try:
        deadline = time.monotonic() + 120
        while any(p.poll() is None for p in procs) and time.monotonic() < deadline:
            observed.append(_poll_once())
            time.sleep(0.02)
    finally:
        results = _collect(procs)
    for returncode, out, err in results:
        assert returncode == 0, err
        assert "Traceback" not in err, err
        assert out.splitlines()[-1].startswith("done")
    assert observed == sorted(observed)

    runs = trackio.Api().runs("conc")
    assert len(runs) == WRITERS
    total = 0
    for run in runs:
        worker = run.config["worker"]
        assert run.name == f"worker-{worker}"
        assert run.status == "finished"
        rows = run.history()
        total += len(rows)
        assert [r["step"] for r in rows] == list(range(STEPS))
        assert [r["v"] for r in rows] == [worker * 100000 + s for s in range(STEPS)]
        assert all(r["w"] == worker for r in rows)
    assert total == WRITERS * STEPS


def test_two_processes_resume_same_run_with_disjoint_steps(child_env, read_run):
    base = trackio.init(project="shared", name="together")
    trackio.log({"w": -1, "s": 0}, step=0)
    trackio.finish()

    procs = [_spawn(child_env, SHARED_WRITER, i, base.id) for i in range(2)]
    for returncode, out, err in _collect(procs):
        assert returncode == 0, err
        assert out.splitlines()[-1].startswith("done")

    run = read_run("shared")
    assert run.id == base.id
    assert run.name == "together"
    rows = run.history()
    assert [r["step"] for r in rows] == list(range(2001))
    assert all(r["s"] == r["step"] for r in rows)
    assert rows[0]["w"] == -1
    assert all(r["w"] == (r["step"] - 1) % 2 for r in rows[1:])


def _chunk_counts(path):
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return dict(
            conn.execute(
                "SELECT k.name, count(*) FROM chunks c JOIN metric_keys k ON k.id = c.metric "
                "GROUP BY k.name"
            ).fetchall()
        ), conn.execute("SELECT sum(n) FROM chunks").fetchone()[0]
    finally:
        conn.close()


def _alternating_appends(project, threads):
    """Two series, 100 batches of 50 points each, appended in turns by `threads`
    threads (1: one thread does both series' turns)."""
    import threading

    from trackio.storage import open_store
    from trackio.storage.records import RunBatch, RunRequest

    store = open_store(project, write=True, create=True)
    run_id = store.open_run(RunRequest("r", None, "never", None, None, None, [], {})).record.run_id
    turns = [threading.Event(), threading.Event()]
    turns[0].set()

    def write(series, count):
        for index in range(count):
            me = series[index % len(series)]
            turns[me].wait()
            turns[me].clear()
            base = (index // len(series)) * 50
            batch = RunBatch(run_id)
            batch.series[f"m{me}"] = (
                list(range(base, base + 50)),
                [float(v) for v in range(50)],
                [1.0] * 50,
            )
            store.append([batch])
            turns[1 - me].set()

    plans = [([0, 1], 200)] if threads == 1 else [([0], 100), ([1], 100)]
    workers = [threading.Thread(target=write, args=plan) for plan in plans]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    store.close()


def test_one_store_written_from_two_threads_merges_chunks_as_one_thread_does(trackio_dir):
    _alternating_appends("one-thread", 1)
    _alternating_appends("two-threads", 2)
    alone, alone_points = _chunk_counts(trackio_dir / "one-thread.db")
    shared, shared_points = _chunk_counts(trackio_dir / "two-threads.db")
    assert alone_points == shared_points == 2 * 100 * 50
    assert alone["m0"] < 100, "small chunks of one thread are merged"
    assert shared == alone, (shared, alone)
