"""PostgreSQL-backed team servers against SQLite-backed ones, side by side in one run.

    python benchmarks/bench_postgres.py [--steps 20000] [--db URL] [--data-dir DIR]

Ingest: 1, 4 and 8 client processes each log W1 (1 run x `--steps` steps x 10
metrics) into one `trackio server`, and into two servers sharing the storage (the
clients split between them); points per second from the first `init()` until every
`finish()` returned (all values stored on the server), for servers on SQLite files
and on PostgreSQL. Every value is counted afterwards.

Small batches: batches per second one server stores from 8 connections when each
batch is what a job logging 10 metrics at 10 steps/s sends every 0.5 s, the figure
behind the README's capacity estimate.

Reading: the 100 runs x 20,000 steps x 10 metrics project (generated through the
logging API, once per backend) served by a server on each backend: one chart's series
request over all 100 runs at max_points~1000 (p50 of 20, uncached), and navigation to
all 10 charts drawn in headless Chromium. Bytes per point on disk for both.

Each ingest figure on PostgreSQL is taken in a fresh database (dropped afterwards);
the reading project is kept in `trackio_bench_read` and `--data-dir` for the next
run. `--db` names the server to make them on (a database to CREATE DATABASE from).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from bench_dashboard import WIDE, generate_wide, page_load_seconds, series_url, timed_get
from bench_remote import free_port, wait_listening
from psycopg import sql

TOKEN = "bench-token"
CLIENT = r"""
import json, os, sys, time
steps, metrics = int(sys.argv[1]), int(sys.argv[2])
import trackio
started = time.time()
trackio.init(project="bench", name=os.environ["BENCH_RUN"], server_url=os.environ["BENCH_URL"])
for step in range(steps):
    trackio.log({f"m{m}": step * 0.001 + m for m in range(metrics)})
trackio.finish()
print(json.dumps({"started": started, "ended": time.time()}))
"""
SMALL_BATCHES = r"""
import http.client, sys, threading, time, uuid
from trackio.remote.wire import OpenRequest, encode_batch
from trackio.storage.records import RunBatch, RunRequest
port, threads, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
sent = [0] * threads

def client(index):
    run_id = f"small{index:03d}"
    opening = [OpenRequest(run_id, RunRequest(run_id, run_id, "allow", None, None, None, [], {}))]
    connection = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Content-Encoding": "gzip", "X-Trackio-Write-Token": "bench-token"}
    step, deadline = 0, time.monotonic() + seconds
    while time.monotonic() < deadline:
        batch = RunBatch(run_id, last_time=time.time())
        steps = list(range(step, step + 5))
        for m in range(10):
            batch.series[f"m{m}"] = (steps, [s * 0.5 + m for s in steps], [time.time()] * 5)
        body = encode_batch(uuid.uuid4().hex, "small", opening if step == 0 else [], [batch])
        connection.request("POST", "/api/ingest", body, headers)
        answer = connection.getresponse()
        answer.read()
        assert answer.status == 200, answer.status
        step += 5
        sent[index] += 1

workers = [threading.Thread(target=client, args=(i,)) for i in range(threads)]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
print(sum(sent) / seconds)
"""
COUNT = r"""
import sys
from trackio.storage import open_store, use_database
if sys.argv[1]:
    use_database(sys.argv[1])
with open_store("bench") as store:
    print(sum(len(store.numeric_series(run, f"m{m}", with_times=False).steps)
              for run in store.list_runs() for m in range(10)))
"""


def start_server(directory: Path, database: str | None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [sys.executable, "-m", "trackio.cli", "server", "--port", str(port)]
    command += ["--dir", str(directory), "--write-token", TOKEN]
    if database:
        command += ["--db", database]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_listening(port)
    return process, f"http://127.0.0.1:{port}"


def ingest(urls: list[str], clients: int, steps: int) -> float:
    """Points per second of `clients` processes logging W1, spread over the servers:
    from the first `init()` until the last `finish()` returned (every value stored on
    a server), so interpreter start-up is not counted."""
    spool = tempfile.mkdtemp(prefix="bench-clients-")
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CLIENT, str(steps), "10"],
            env=dict(
                os.environ,
                TRACKIO_DIR=spool,
                TRACKIO_WRITE_TOKEN=TOKEN,
                TRACKIO_QUIET="1",
                BENCH_URL=urls[index % len(urls)],
                BENCH_RUN=f"w1-{index}-{time.time_ns()}",
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(clients)
    ]
    spans = []
    for process in processes:
        out, err = process.communicate(timeout=1800)
        if process.returncode != 0:
            raise RuntimeError(f"a client failed: {err[-2000:]}")
        spans.append(json.loads(out.strip().splitlines()[-1]))
    shutil.rmtree(spool, ignore_errors=True)
    wall = max(span["ended"] for span in spans) - min(span["started"] for span in spans)
    return clients * steps * 10 / wall


def counted(directory: Path, database: str | None) -> int:
    done = subprocess.run(
        [sys.executable, "-c", COUNT, database or ""],
        env=dict(os.environ, TRACKIO_DIR=str(directory)),
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.strip())


def new_database(admin: str, label: str) -> str:
    name = f"trackio_bench_{label}_{os.getpid()}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return psycopg.conninfo.make_conninfo(admin, dbname=name)


def drop_database(admin: str, url: str) -> None:
    name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def database_bytes(url: str) -> int:
    """Bytes of trackio's project tables (with indexes and TOAST) in the database."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname LIKE 'trackio\\_p%' AND c.relkind = 'r'"
        ).fetchone()
    return int(row[0])


def ingest_figures(
    base: Path, admin: str, steps: int, repeats: int
) -> dict[tuple[str, int, int], float]:
    """Median points/s of `repeats` runs per backend, server count and client count,
    each on fresh storage, every value counted after the last."""
    figures: dict[tuple[str, int, int], float] = {}
    for backend in ("sqlite", "postgres"):
        for servers in (1, 2):
            for clients in (1, 4, 8):
                rates = []
                for _ in range(repeats):
                    directory = Path(tempfile.mkdtemp(prefix=f"bench-{backend}-", dir=base))
                    database = new_database(admin, "ingest") if backend == "postgres" else None
                    started = [start_server(directory, database) for _ in range(servers)]
                    try:
                        rates.append(ingest([url for _, url in started], clients, steps))
                    finally:
                        for process, _ in started:
                            process.terminate()
                            process.wait(timeout=60)
                    stored = counted(directory, database)
                    if database:
                        drop_database(admin, database)
                    shutil.rmtree(directory, ignore_errors=True)
                expected = clients * steps * 10
                rate = figures[(backend, servers, clients)] = statistics.median(rates)
                print(
                    f"ingest {backend:8} {servers} server(s) {clients} client(s): "
                    f"{rate:>10,.0f} points/s (median of {repeats}); stored {stored:,} of "
                    f"{expected:,}" + ("" if stored == expected else " (VALUES MISSING)"),
                    flush=True,
                )
    return figures


def small_batches(base: Path, admin: str) -> dict[str, float]:
    """Batches per second a server stores when they are small (10 metrics x 5 steps, as
    a training job logging 10 steps a second sends every 0.5 s), from 8 connections."""
    rates = {}
    for backend in ("sqlite", "postgres"):
        directory = Path(tempfile.mkdtemp(prefix=f"bench-small-{backend}-", dir=base))
        database = new_database(admin, "small") if backend == "postgres" else None
        process, url = start_server(directory, database)
        try:
            done = subprocess.run(
                [sys.executable, "-c", SMALL_BATCHES, url.rsplit(":", 1)[1], "8", "10"],
                capture_output=True,
                text=True,
                check=True,
            )
            rates[backend] = float(done.stdout.strip())
        finally:
            process.terminate()
            process.wait(timeout=60)
            if database:
                drop_database(admin, database)
            shutil.rmtree(directory, ignore_errors=True)
        print(
            f"small batches {backend:8}: {rates[backend]:,.0f} batches/s stored "
            f"(a job logging 10 steps/s sends 2/s: about {rates[backend] / 2:,.0f} such jobs)",
            flush=True,
        )
    return rates


def reading_database(admin: str) -> str:
    """The database the reading figures use, kept between runs (generating the project
    takes a while): `trackio_bench_read`, made if missing."""
    with psycopg.connect(admin, autocommit=True) as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = 'trackio_bench_read'")
        if found.fetchone() is None:
            conn.execute("CREATE DATABASE trackio_bench_read")
    return psycopg.conninfo.make_conninfo(admin, dbname="trackio_bench_read")


def reading_figures(data_dir: Path, database: str) -> None:
    from trackio.storage import use_database

    results: dict[str, tuple[float, float | None, float]] = {}
    for backend in ("sqlite", "postgres"):
        directory = data_dir / backend
        url = database if backend == "postgres" else None
        os.environ["TRACKIO_DIR"] = str(directory)
        use_database(url)
        import trackio

        if WIDE not in trackio.Api().projects():
            generate_wide()
        trackio.finish()
        use_database(None)
        if url is None:
            size = sum(path.stat().st_size for path in directory.glob("*.db"))
        else:
            size = database_bytes(url)
        process, base = start_server(directory, url)
        try:
            base += "/"
            timed_get(series_url(base, WIDE, "train/m1", 1000))
            uncached = [timed_get(series_url(base, WIDE, "train/m0", 1000 - i)) for i in range(20)]
            chart = statistics.median(seconds for seconds, _ in uncached)
            loaded = page_load_seconds(base, charts=10)
        finally:
            process.terminate()
            process.wait(timeout=60)
        page = statistics.median(loaded) if loaded else None
        results[backend] = (chart, page, size / 20_000_000)
        print(
            f"{backend}: 100 runs x 20,000 steps, one chart uncached p50 {chart * 1000:.1f} ms; "
            + (f"page to 10 charts drawn, median of 3, {page * 1000:.0f} ms; " if page else "")
            + f"{size / 20_000_000:.1f} bytes per point on disk",
            flush=True,
        )
    sqlite, postgres = results["sqlite"], results["postgres"]
    print(f"chart request PostgreSQL / SQLite: {postgres[0] / sqlite[0]:.2f}x (target <= 2x)")
    if sqlite[1] and postgres[1]:
        print(f"page load PostgreSQL / SQLite: {postgres[1] / sqlite[1]:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--db", default="host=127.0.0.1 port=5432 user=postgres dbname=postgres")
    parser.add_argument("--data-dir", default="/tmp/trackio-bench-postgres")
    parser.add_argument("--repeats", type=int, default=3, help="ingest runs per figure")
    parser.add_argument("--skip-reading", action="store_true")
    args = parser.parse_args()
    os.environ["TRACKIO_QUIET"] = "1"
    base = Path(args.data_dir)
    base.mkdir(parents=True, exist_ok=True)
    figures = ingest_figures(base, args.db, args.steps, args.repeats)
    one = figures[("postgres", 1, 1)] / figures[("sqlite", 1, 1)]
    print(f"ingest PostgreSQL / SQLite, one server, one client: {one:.2f} (target >= 0.5)")
    for clients in (4, 8):
        ratio = figures[("postgres", 1, clients)] / figures[("sqlite", 1, clients)]
        two = figures[("postgres", 2, clients)] / figures[("postgres", 1, clients)]
        print(
            f"{clients} clients: PostgreSQL / SQLite {ratio:.2f}; PostgreSQL two servers / one "
            f"{two:.2f}"
        )
    small_batches(base, args.db)
    if not args.skip_reading:
        reading_figures(base / "read", reading_database(args.db))


if __name__ == "__main__":
    main()
