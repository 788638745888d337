"""How to lay scalar series out in PostgreSQL: three layouts measured side by side.

    python benchmarks/bench_postgres_layouts.py [--runs 20] [--steps 20000] [--db URL]

Each layout stores RUNS x STEPS x 10 float metrics, written as a team server would
(batches of 5,000 rows of one run, one transaction each), into a fresh database:

- `narrow`: one row per point (run, metric, step, time, value), written with COPY,
  with a BRIN index on (run, metric, step) and a B-tree for the chart query;
- `chunks`: trackio's SQLite chunk rows (4,096 points of one series per row: packed
  little-endian steps, values and times in `bytea`, min/max columns and a summary per
  64 points), written with COPY;
- `arrays`: the same chunks as native `float8[]` / `int8[]` arrays.

Printed per layout: ingest points/s, bytes on disk per point (table and indexes), and
the time to answer one chart (one metric of every run, about 1,000 points per run,
with each bucket's min and max) cold and warm. PostgreSQL must answer at `--db`
(default: a scratch database created on 127.0.0.1:5432 and dropped afterwards).
"""

from __future__ import annotations

import argparse
import io
import math
import statistics
import time
import uuid

import psycopg

from trackio.storage import chunks

METRICS = 10
BATCH_ROWS = 5000
CHART_POINTS = 1000

SCHEMAS = {
    "narrow": """
        CREATE TABLE points (run int NOT NULL, metric int NOT NULL, step bigint NOT NULL,
                             time float8 NOT NULL, value float8);
        CREATE INDEX points_brin ON points USING brin (run, metric, step);
        CREATE INDEX points_series ON points (run, metric, step);
    """,
    "chunks": """
        CREATE TABLE chunks (id bigserial PRIMARY KEY, run int NOT NULL, metric int NOT NULL,
                             n int NOT NULL, first_step bigint NOT NULL, min_step bigint NOT NULL,
                             max_step bigint NOT NULL, vmin float8, vmax float8,
                             last_time float8 NOT NULL, steps bytea, vals bytea NOT NULL,
                             times bytea NOT NULL, blocks bytea);
        CREATE INDEX chunks_series ON chunks (run, metric, id);
    """,
    "arrays": """
        CREATE TABLE chunks (id bigserial PRIMARY KEY, run int NOT NULL, metric int NOT NULL,
                             n int NOT NULL, min_step bigint NOT NULL, max_step bigint NOT NULL,
                             vmin float8, vmax float8, steps int8[] NOT NULL,
                             vals float8[] NOT NULL, times float8[] NOT NULL);
        CREATE INDEX chunks_series ON chunks (run, metric, id);
    """,
}


def series(run: int, start: int, count: int) -> tuple[list[int], list[list[float]], list[float]]:
    steps = list(range(start, start + count))
    times = [1.7e9 + step * 0.01 for step in steps]
    values = [
        [math.exp(-step / 5000) + 0.01 * metric + run for step in steps]
        for metric in range(METRICS)
    ]
    return steps, values, times


def write_batch(conn: psycopg.Connection, layout: str, run: int, start: int, count: int) -> None:
    steps, values, times = series(run, start, count)
    with conn.transaction(), conn.cursor() as cur:
        if layout == "narrow":
            buffer = io.StringIO()
            for metric in range(METRICS):
                column = values[metric]
                buffer.writelines(
                    f"{run}\t{metric}\t{step}\t{stamp!r}\t{value!r}\n"
                    for step, stamp, value in zip(steps, times, column, strict=True)
                )
            with cur.copy("COPY points (run, metric, step, time, value) FROM STDIN") as copy:
                copy.write(buffer.getvalue())
            return
        rows = []
        for metric in range(METRICS):
            for first in range(0, count, 4096):
                part = slice(first, first + 4096)
                encoded = chunks.encode(
                    chunks.FLOAT, steps[part], values[metric][part], times[part]
                )
                rows.append((metric, encoded, steps[part], values[metric][part], times[part]))
        if layout == "chunks":
            with cur.copy(
                "COPY chunks (run, metric, n, first_step, min_step, max_step, vmin, vmax, "
                "last_time, steps, vals, times, blocks) FROM STDIN"
            ) as copy:
                for metric, e, *_ in rows:
                    copy.write_row(
                        (
                            run,
                            metric,
                            e[1],
                            e[2],
                            e[3],
                            e[4],
                            e[5],
                            e[6],
                            e[7],
                            e[9],
                            e[10],
                            e[11],
                            e[12],
                        )
                    )
        else:
            with cur.copy(
                "COPY chunks (run, metric, n, min_step, max_step, vmin, vmax, steps, vals, times) "
                "FROM STDIN"
            ) as copy:
                for metric, e, part_steps, part_values, part_times in rows:
                    copy.write_row(
                        (
                            run,
                            metric,
                            e[1],
                            e[3],
                            e[4],
                            e[5],
                            e[6],
                            part_steps,
                            part_values,
                            part_times,
                        )
                    )


def chart(conn: psycopg.Connection, layout: str, runs: int, steps: int) -> int:
    """One metric of every run downsampled to ~CHART_POINTS buckets with min/max; returns
    the number of buckets answered."""
    width = max(1, steps // CHART_POINTS)
    with conn.cursor() as cur:
        if layout == "narrow":
            cur.execute(
                "SELECT run, step / %s AS bucket, avg(step), avg(value), min(value), max(value) "
                "FROM points WHERE metric = 3 GROUP BY run, bucket",
                (width,),
            )
            return len(cur.fetchall())
        if layout == "chunks":
            cur.execute(
                "SELECT n, first_step, steps, vals, times FROM chunks WHERE metric = 3 "
                "ORDER BY run, id"
            )
            answered = 0
            for n, first, packed_steps, vals, times in cur.fetchall():
                step_seq, value_seq, _ = chunks.decode(
                    chunks.FLOAT, n, first, packed_steps, vals, times
                )
                answered += _buckets(list(step_seq), list(value_seq), width)
            return answered
        cur.execute("SELECT run, steps, vals FROM chunks WHERE metric = 3 ORDER BY run, id")
        return sum(
            _buckets(step_seq, value_seq, width) for _, step_seq, value_seq in cur.fetchall()
        )


def _buckets(steps: list[int], values: list[float], width: int) -> int:
    buckets: dict[int, list[float]] = {}
    for step, value in zip(steps, values, strict=True):
        buckets.setdefault(step // width, []).append(value)
    for bucket in buckets.values():
        min(bucket), max(bucket), sum(bucket) / len(bucket)
    return len(buckets)


def measure(admin_url: str, layout: str, runs: int, steps: int) -> str:
    name = f"trackio_layout_{layout}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = psycopg.conninfo.make_conninfo(admin_url, dbname=name)
    try:
        with psycopg.connect(url) as conn:
            conn.execute(SCHEMAS[layout])
            conn.commit()
            started = time.perf_counter()
            for run in range(runs):
                for start in range(0, steps, BATCH_ROWS):
                    write_batch(conn, layout, run, start, min(BATCH_ROWS, steps - start))
            elapsed = time.perf_counter() - started
            with conn.cursor() as cur:
                cur.execute("SELECT pg_database_size(current_database())")
                size = cur.fetchone()[0]
                cur.execute("SELECT pg_database_size('template1')")
                empty = cur.fetchone()[0]
            times_ms = []
            for _ in range(5):
                begun = time.perf_counter()
                chart(conn, layout, runs, steps)
                times_ms.append((time.perf_counter() - begun) * 1000)
        points = runs * steps * METRICS
        return (
            f"{layout:7s}: ingest {points / elapsed:,.0f} points/s; "
            f"{(size - empty) / points:.1f} bytes/point on disk; chart (one metric, {runs} runs) "
            f"first {times_ms[0]:.0f} ms, median {statistics.median(times_ms):.0f} ms"
        )
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--db", default="host=127.0.0.1 port=5432 user=postgres dbname=postgres")
    args = parser.parse_args()
    points = args.runs * args.steps * METRICS
    print(f"{args.runs} runs x {args.steps:,} steps x {METRICS} metrics = {points:,} points each")
    for layout in SCHEMAS:
        print(measure(args.db, layout, args.runs, args.steps), flush=True)


if __name__ == "__main__":
    main()
