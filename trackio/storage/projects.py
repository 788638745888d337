"""Finding, opening and deleting project files."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from trackio.storage import legacy
from trackio.storage.database import (
    connect,
    read_only_query,
    retry_when_locked,
    write_transaction,
)
from trackio.storage.lookup import describe_names
from trackio.storage.paths import (
    DB_SUFFIX,
    HASHED_MARK,
    data_dir,
    decode_project_name,
    is_encoded_stem,
    media_dir_for,
    project_db_path,
    validate_project_name,
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
    back_up_legacy = True
    if not path.exists():
        old = legacy.legacy_path_for(project)
        if old is not None and old != path and old.exists() and legacy.is_legacy_file(old):
            legacy.copy_to(old, path)
            back_up_legacy = False
        elif not create:
            raise ProjectNotFoundError(_not_found_message(project))
    conn = connect(path, create=True, back_up_legacy=back_up_legacy)
    if HASHED_MARK in path.stem and _stored_name(conn) is None:
        with write_transaction(conn):
            conn.execute(
                "INSERT OR IGNORE INTO trackio_meta (key, value) VALUES ('project_name', ?)",
                (project,),
            )
    return conn


def _stored_name(conn: sqlite3.Connection) -> str | None:
    row = retry_when_locked(
        lambda: conn.execute("SELECT value FROM trackio_meta WHERE key = 'project_name'").fetchone()
    )
    return row[0] if row else None


def _name_in_file(path: Path) -> str | None:
    return read_only_query(path, _stored_name, None)


@contextmanager
def project_connection(project: str, *, create: bool = False) -> Iterator[sqlite3.Connection]:
    """`open_project` as a context manager: the name is checked, the connection closed."""
    validate_project_name(project)
    conn = open_project(project, create=create)
    try:
        yield conn
    finally:
        conn.close()


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
        elif HASHED_MARK in stem:
            name = _name_in_file(path)
            if name is not None and project_db_path(name) == path:
                names.add(name)
        elif legacy.legacy_path_for(stem) == path and legacy.is_legacy_file(path):
            names.add(stem)
    return sorted(names)


def delete_project_files(project: str) -> None:
    """Remove `project`'s database and its side files; raises if it does not exist."""
    path = project_db_path(project)
    if not path.exists():
        raise ProjectNotFoundError(_not_found_message(project))
    shutil.rmtree(media_dir_for(path), ignore_errors=True)
    for suffix in ("", *_SIDE_FILES):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _not_found_message(project: str) -> str:
    listing = describe_names(list_projects())
    return f"project {project!r} not found in {data_dir()}; existing projects: {listing}"
