"""`trackio delete` and `trackio rename`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from trackio.cli.output import CommandError, find_run, project_connection
from trackio.storage.database import write_transaction
from trackio.storage.projects import delete_project_files
from trackio.storage.runs import delete_run, rename_run


def register(commands: Any) -> None:
    """Add `delete` and `rename` to the command parser."""
    delete = commands.add_parser("delete", help="delete a project, or one run of it")
    delete.add_argument("--project", required=True)
    delete.add_argument("--run", help="delete only this run (name or id)")
    delete.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    delete.set_defaults(handler=_delete)
    rename = commands.add_parser("rename", help="rename a run")
    rename.add_argument("--project", required=True)
    rename.add_argument("--run", required=True, help="run name or id")
    rename.add_argument("--to", required=True, help="the new name")
    rename.set_defaults(handler=_rename)


def _confirm(question: str, assume_yes: bool) -> None:
    if assume_yes:
        return
    if not sys.stdin.isatty():
        raise CommandError(f"{question.rstrip('?')}: pass --yes to confirm without a terminal")
    answer = input(f"{question} [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise CommandError("nothing deleted")


def _delete(args: argparse.Namespace) -> int:
    with project_connection(args.project) as conn:
        if args.run is None:
            runs = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
            _confirm(f"Delete project {args.project!r} and its {runs} run(s)?", args.yes)
        else:
            record = find_run(conn, args.project, args.run)
            _confirm(
                f"Delete run {record.name!r} ({record.run_id}) of project {args.project!r}?",
                args.yes,
            )
            with write_transaction(conn):
                delete_run(conn, record.pk)
            print(f"deleted run {record.name!r} ({record.run_id})")
            return 0
    delete_project_files(args.project)
    print(f"deleted project {args.project!r}")
    return 0


def _rename(args: argparse.Namespace) -> int:
    with project_connection(args.project) as conn:
        record = find_run(conn, args.project, args.run)
        try:
            with write_transaction(conn):
                rename_run(conn, record.pk, args.to)
        except ValueError as error:
            raise CommandError(str(error)) from None
    print(f"renamed run {record.name!r} ({record.run_id}) to {args.to!r}")
    return 0
