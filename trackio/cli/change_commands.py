"""`trackio delete`, `trackio rename` and `trackio move`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from trackio.cli.output import CommandError, project_store


def register(commands: Any) -> None:
    """Add `delete`, `rename` and `move` to the command parser."""
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
    move = commands.add_parser("move", help="move a run to another project")
    move.add_argument("--project", required=True)
    move.add_argument("--run", required=True, help="run name or id")
    move.add_argument("--to-project", required=True, help="the project to move it to")
    move.set_defaults(handler=_move)


def _confirm(question: str, assume_yes: bool) -> None:
    if assume_yes:
        return
    if not sys.stdin.isatty():
        raise CommandError(f"{question.rstrip('?')}: pass --yes to confirm without a terminal")
    answer = input(f"{question} [y/N] ").strip().lower()
    if answer not in ("y", "yes"):
        raise CommandError("nothing deleted")


def _delete(args: argparse.Namespace) -> int:
    if args.run is None:
        with project_store(args.project) as store:
            runs = len(store.list_runs())
            _confirm(f"Delete project {args.project!r} and its {runs} run(s)?", args.yes)
            store.delete_project()
        print(f"deleted project {args.project!r}")
        return 0
    with project_store(args.project, write=True) as store:
        record = store.resolve_run(args.run)
        _confirm(
            f"Delete run {record.name!r} ({record.run_id}) of project {args.project!r}?",
            args.yes,
        )
        store.delete_run(record.run_id)
    print(f"deleted run {record.name!r} ({record.run_id})")
    return 0


def _rename(args: argparse.Namespace) -> int:
    with project_store(args.project, write=True) as store:
        record = store.resolve_run(args.run)
        store.rename_run(record.run_id, args.to)
    print(f"renamed run {record.name!r} ({record.run_id}) to {args.to!r}")
    return 0


def _move(args: argparse.Namespace) -> int:
    with project_store(args.project, write=True) as store:
        record = store.resolve_run(args.run)
        store.move_run(record.run_id, args.to_project)
    print(f"moved run {record.name!r} ({record.run_id}) to project {args.to_project!r}")
    return 0
