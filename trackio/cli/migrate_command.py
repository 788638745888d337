"""`trackio migrate`: upgrade project files written by an older trackio or the PyPI trackio."""

from __future__ import annotations

import argparse
from typing import Any

from trackio.storage import list_projects, needs_migration, open_store


def register(commands: Any) -> None:
    """Add `migrate` to the command parser."""
    parser = commands.add_parser(
        "migrate", help="upgrade project files written by an older trackio or the PyPI trackio"
    )
    parser.add_argument("--project", help="only this project (default: every project)")
    parser.set_defaults(handler=_migrate)


def _migrate(args: argparse.Namespace) -> int:
    projects = [args.project] if args.project else list_projects()
    migrated = []
    for project in projects:
        if args.project is None and not needs_migration(project):
            continue
        with open_store(project, write=True) as store:
            if store.migrate():
                migrated.append(project)
    for project in migrated:
        print(f"migrated project {project!r}")
    if not migrated:
        print("nothing to migrate: every project is up to date")
    return 0
