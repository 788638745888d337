"""`ApiRun.scan_history()` streams rows page by page: its memory does not grow with the
length of the run, while `history()`'s does."""

import tracemalloc

import pytest

import trackio

METRICS = [f"m{j}" for j in range(10)]


def _log_run(name, steps):
    with trackio.init(project="scan", name=name) as run:
        for i in range(steps):
            run.log({key: float(i * 10 + j) for j, key in enumerate(METRICS)})


def _expected(step):
    return {key: float(step * 10 + j) for j, key in enumerate(METRICS)}


def _peak(consume):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = consume()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _count_checked(rows, checked_steps):
    count = 0
    previous = -1
    for row in rows:
        assert row["step"] > previous
        previous = row["step"]
        if row["step"] in checked_steps:
            assert {k: v for k, v in row.items() if k != "timestamp"} == {
                "step": row["step"],
                **_expected(row["step"]),
            }
        count += 1
    return count


@pytest.fixture(scope="module")
def long_runs(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("scan_data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TRACKIO_DIR", str(data_dir))
        _log_run("warm", 10)
        _log_run("short", 10_000)
        _log_run("long", 40_000)
    return data_dir


@pytest.fixture
def runs(long_runs, monkeypatch):
    monkeypatch.setenv("TRACKIO_DIR", str(long_runs))
    by_name = {run.name: run for run in trackio.Api().runs("scan")}
    list(by_name["warm"].scan_history(page_size=3))
    by_name["warm"].history()
    return by_name


def test_scan_history_memory_does_not_grow_with_the_run(runs):
    peaks = {}
    for name, steps in (("short", 10_000), ("long", 40_000)):
        checked = {0, 1, 999, 1000, 5_432, steps - 1}
        count, peaks[name] = _peak(
            lambda run=runs[name], checked=checked: _count_checked(
                run.scan_history(page_size=1000), checked
            )
        )
        assert count == steps
    history_peaks = {}
    for name in ("short", "long"):
        rows, history_peaks[name] = _peak(runs[name].history)
        del rows
    assert history_peaks["long"] > 2.5 * history_peaks["short"], history_peaks
    assert peaks["long"] < 1.5 * peaks["short"], {"scan_history": peaks, "history": history_peaks}


def test_scan_history_pages_cover_every_step_in_order(runs):
    rows = runs["short"].scan_history(page_size=7)
    assert _count_checked(rows, {0, 6, 7, 13, 14, 9_999}) == 10_000


def test_scan_history_with_keys_holds_only_those(runs):
    count = 0
    for row in runs["short"].scan_history(keys=["m0"], page_size=1000):
        assert set(row) == {"step", "timestamp", "m0"}
        assert row["m0"] == float(row["step"] * 10)
        count += 1
    assert count == 10_000
