"""`trackio list ...` and `trackio get ...`: reading projects, runs and metrics."""

from __future__ import annotations

import argparse
from dataclasses import asdict
from typing import Any

from trackio.alerts.levels import LEVELS
from trackio.cli.output import (
    CommandError,
    count,
    format_time,
    print_json,
    print_table,
    project_store,
)
from trackio.formatting import iso_utc
from trackio.server.run_overview import run_overviews
from trackio.storage import list_projects
from trackio.storage.lookup import describe_names
from trackio.system.names import shown_name


def register(commands: Any) -> None:
    """Add `list` and `get` to the command parser."""
    listing = commands.add_parser("list", help="list projects, runs, metrics or alerts")
    kinds = listing.add_subparsers(dest="what", required=True, metavar="WHAT")
    projects = kinds.add_parser("projects", help="every project")
    _json_flag(projects)
    projects.set_defaults(handler=_list_projects)
    runs = kinds.add_parser("runs", help="the runs of a project")
    runs.add_argument("--project", required=True)
    _json_flag(runs)
    runs.set_defaults(handler=_list_runs)
    metrics = kinds.add_parser("metrics", help="the metrics of a project or run")
    metrics.add_argument("--project", required=True)
    metrics.add_argument("--run", help="only this run (name or id)")
    metrics.add_argument(
        "--system", action="store_true", help="the system metrics (CPU, memory, GPUs) instead"
    )
    _json_flag(metrics)
    metrics.set_defaults(handler=_list_metrics)
    alerts = kinds.add_parser("alerts", help="the alerts runs of a project raised")
    alerts.add_argument("--project", required=True)
    alerts.add_argument("--run", help="only this run (name or id)")
    alerts.add_argument(
        "--level", type=str.upper, choices=LEVELS, help="only alerts of this level or graver"
    )
    _json_flag(alerts)
    alerts.set_defaults(handler=_list_alerts)

    getting = commands.add_parser("get", help="a run's details or a metric's values")
    kinds = getting.add_subparsers(dest="what", required=True, metavar="WHAT")
    run = kinds.add_parser("run", help="config, summary, status and step count of a run")
    run.add_argument("--project", required=True)
    run.add_argument("--run", required=True, help="run name or id")
    _json_flag(run)
    run.set_defaults(handler=_get_run)
    metric = kinds.add_parser("metric", help="values of one metric of a run")
    metric.add_argument("--project", required=True)
    metric.add_argument("--run", required=True, help="run name or id")
    metric.add_argument("--metric", required=True)
    where = metric.add_mutually_exclusive_group()
    where.add_argument("--step", type=count, help="only the value at this step")
    where.add_argument("--around", type=count, help="values within --window steps of this step")
    where.add_argument("--last", type=count, help="only the last N values")
    metric.add_argument("--window", type=count, default=10, help="half-width for --around")
    _json_flag(metric)
    metric.set_defaults(handler=_get_metric)


def _json_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON only")


def _list_projects(args: argparse.Namespace) -> int:
    projects = list_projects()
    if args.json:
        print_json({"projects": projects})
    else:
        for project in projects:
            print(project)
    return 0


def _list_runs(args: argparse.Namespace) -> int:
    with project_store(args.project) as store:
        overviews = run_overviews(store, store.list_runs())
    if args.json:
        print_json({"project": args.project, "runs": overviews})
        return 0
    print_table(
        ["name", "id", "status", "steps", "created", "group"],
        [
            [
                o["name"],
                o["id"],
                o["status"],
                o["step_count"],
                format_time(o["created_at"]),
                o["group"],
            ]
            for o in overviews
        ],
    )
    return 0


def _list_metrics(args: argparse.Namespace) -> int:
    with project_store(args.project) as store:
        record = store.resolve_run(args.run) if args.run else None
        names = store.metric_names(record, system=args.system)
    if args.system:
        names = [shown_name(name) for name in names]
    if args.json:
        print_json(
            {"project": args.project, "run": record.name if record else None, "metrics": names}
        )
    else:
        for name in names:
            print(name)
    return 0


def _list_alerts(args: argparse.Namespace) -> int:
    with project_store(args.project) as store:
        records = store.list_runs()
        if args.run:
            records = [store.resolve_run(args.run)]
        alerts = store.alerts(records, args.level)
    names = {record.run_id: record.name for record in records}
    if args.json:
        print_json(
            {
                "project": args.project,
                "alerts": [
                    {"run": names[a.run_id], **asdict(a), "time": iso_utc(a.time)} for a in alerts
                ],
            }
        )
        return 0
    print_table(
        ["time", "level", "run", "step", "title", "text"],
        [[format_time(a.time), a.level, names[a.run_id], a.step, a.title, a.text] for a in alerts],
    )
    return 0


def _get_run(args: argparse.Namespace) -> int:
    with project_store(args.project) as store:
        record = store.resolve_run(args.run)
        (overview,) = run_overviews(store, [record])
        metrics = store.metric_names(record)
    if args.json:
        # The PyPI trackio's keys lead (`num_logs` is its name for the step count) so
        # scripts written for it read this unchanged; the overview's fields follow.
        print_json(
            {
                "project": args.project,
                "run": record.name,
                "num_logs": overview["step_count"],
                "metrics": metrics,
                **overview,
            }
        )
        return 0
    for key in ("name", "id", "status", "group", "step_count", "last_step"):
        print(f"{key}: {overview[key] if overview[key] is not None else '-'}")
    print(f"created_at: {format_time(overview['created_at'])}")
    for section in ("config", "summary"):
        print(f"{section}:")
        for key, value in overview[section].items():
            print(f"  {key}: {value}")
    return 0


def _get_metric(args: argparse.Namespace) -> int:
    with project_store(args.project) as store:
        record = store.resolve_run(args.run)
        names = store.metric_names(record)
        if args.metric not in names:
            raise CommandError(
                f"run {record.name!r} of project {args.project!r} has no metric "
                f"{args.metric!r}; its metrics: {describe_names(names)}"
            )
        series = store.read_series(record, args.metric)
    points = list(zip(series.steps, series.values, series.times, strict=True))
    if args.step is not None:
        points = [p for p in points if p[0] == args.step]
        if not points:
            raise CommandError(f"metric {args.metric!r} has no value at step {args.step}")
    elif args.around is not None:
        points = [p for p in points if abs(p[0] - args.around) <= args.window]
    elif args.last is not None:
        points = points[-args.last :] if args.last > 0 else []
    rows = [{"step": s, "timestamp": t, "value": v} for s, v, t in points]
    if args.json:
        print_json(
            {"project": args.project, "run": record.name, "metric": args.metric, "values": rows}
        )
    else:
        print_table(
            ["step", "value", "time"],
            [[r["step"], r["value"], format_time(r["timestamp"])] for r in rows],
        )
    return 0
