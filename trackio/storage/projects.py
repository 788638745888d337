"""Finding, opening and deleting project files."""

from __future__ import annotations

import sqlite3

from trackio.storage import legacy
from trackio.storage.database import connect
from trackio.storage.paths import (
    DB_SUFFIX,
    data_dir,
    decode_project_name,
    is_encoded_stem,
    project_db_path,
)

_SIDE_FILES = ("-wal", "-shm", "-journal")


class ProjectNotFoundError(ValueError):
    """Raised when a project that is read does not exist."""


def open_project(project: str, *, create: bool) -> sqlite3.Connection:
    """Open `project`'s database; with `create=False` a missing project raises.

    A project PyPI trackio stored under another file name is copied and imported
    on first open.
    """
    path = project_db_path(project)
    if not path.exists():
        old = legacy.legacy_path_for(project)
        if old is not None and old != path and old.exists() and legacy.is_legacy_file(old):
            legacy.copy_to(old, path)
            return connect(path, create=True, back_up_legacy=False)
        if not create:
            raise ProjectNotFoundError(_not_found_message(project))
    return connect(path, create=True)


def list_projects() -> list[str]:
    """Names of every project in the data directory, sorted."""
    folder = data_dir()
    if not folder.is_dir():
        return []
    names = set()
    for path in folder.glob(f"*{DB_SUFFIX}"):
        stem = path.name[: -len(DB_SUFFIX)]
        if is_encoded_stem(stem):
            names.add(decode_project_name(stem))
        elif legacy.legacy_path_for(stem) == path and legacy.is_legacy_file(path):
            names.add(stem)
    return sorted(names)


def delete_project_files(project: str) -> None:
    """Remove `project`'s database and its side files; raises if it does not exist."""
    path = project_db_path(project)
    if not path.exists():
        raise ProjectNotFoundError(_not_found_message(project))
    for suffix in ("", *_SIDE_FILES):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _not_found_message(project: str) -> str:
    existing = list_projects()
    listing = ", ".join(repr(name) for name in existing) if existing else "none"
    return f"project {project!r} not found in {data_dir()}; existing projects: {listing}"
