"""`trackio export` and `trackio import csv|tensorboard`."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from trackio.cli.output import CommandError, project_store
from trackio.exports import FORMATS, STDOUT, export_project
from trackio.imports import import_csv, import_tf_events
from trackio.imports.csv_import import CSVImportError
from trackio.imports.tensorboard_import import EventFileError


def register(commands: Any) -> None:
    """Add `export` and `import` to the command parser."""
    export = commands.add_parser("export", help="write runs to CSV, JSON Lines or Parquet")
    export.add_argument("--project", required=True)
    export.add_argument("--run", action="append", help="a run (name or id); repeatable")
    export.add_argument(
        "--format", choices=FORMATS, help="default: the output's extension, else csv"
    )
    export.add_argument("--output", required=True, help="the file to write; - for stdout")
    export.add_argument("--long", action="store_true", help="one row per value, not per step")
    export.add_argument(
        "--system",
        action="store_true",
        help="the system metrics (CPU, memory, GPUs: one row per sample) instead",
    )
    export.add_argument(
        "--db",
        metavar="URL",
        help="read the project from the PostgreSQL database a team server keeps it in "
        "(media files from --dir)",
    )
    export.add_argument("--dir", help="with --db: where the server keeps media files")
    export.set_defaults(handler=_export)

    importing = commands.add_parser("import", help="import runs from CSV or TensorBoard")
    sources = importing.add_subparsers(dest="source", required=True, metavar="SOURCE")
    from_csv = sources.add_parser("csv", help="one CSV file as one run")
    from_csv.add_argument("path")
    from_csv.add_argument("--project", required=True)
    from_csv.add_argument("--name", help="run name (default: the file name)")
    from_csv.set_defaults(handler=_import_csv)
    from_tb = sources.add_parser("tensorboard", help="a TensorBoard log directory")
    from_tb.add_argument("logdir")
    from_tb.add_argument("--project", required=True)
    from_tb.add_argument("--name-prefix", default=None, help="prefix for the run names")
    from_tb.add_argument(
        "--strict",
        action="store_true",
        help="import nothing if an event file is truncated or corrupt "
        "(default: import its intact records and warn)",
    )
    from_tb.set_defaults(handler=_import_tensorboard)


def _export(args: argparse.Namespace) -> int:
    if args.dir and not args.db:
        raise CommandError("--dir goes with --db (without it, TRACKIO_DIR says where projects are)")
    if args.db:
        from trackio.storage import use_database

        if args.dir:
            os.environ["TRACKIO_DIR"] = os.path.abspath(args.dir)
        use_database(args.db)
    with project_store(args.project) as store:
        runs = [store.resolve_run(key) for key in args.run] if args.run else None
    try:
        count = export_project(
            args.project,
            args.output,
            runs=runs,
            fmt=args.format,
            long=args.long,
            system=args.system,
        )
    except (ImportError, OSError, ValueError, OverflowError) as error:
        raise CommandError(f"export failed: {error}") from None
    if args.output != STDOUT:
        print(f"wrote {count} rows to {args.output}")
    return 0


@contextmanager
def _warnings_as_messages() -> Iterator[None]:
    """Print an import's warnings as plain `trackio: ...` lines, not Python warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        finally:
            for warning in caught:
                print(f"trackio: {warning.message}", file=sys.stderr)


def _import_csv(args: argparse.Namespace) -> int:
    try:
        with _warnings_as_messages():
            run_id = import_csv(args.path, args.project, name=args.name)
    except (CSVImportError, ValueError, OSError) as error:
        raise CommandError(str(error)) from None
    print(f"imported {args.path} into project {args.project!r} as run {run_id}")
    return 0


def _import_tensorboard(args: argparse.Namespace) -> int:
    try:
        with _warnings_as_messages():
            run_ids = import_tf_events(
                args.logdir, args.project, name=args.name_prefix, strict=args.strict
            )
    except ImportError as error:
        raise CommandError(
            f"{error}; TensorBoard import needs: pip install 'trackio[tensorboard]'"
        ) from None
    except (EventFileError, ValueError, OSError) as error:
        raise CommandError(str(error)) from None
    print(f"imported {len(run_ids)} run(s) into project {args.project!r}")
    return 0
