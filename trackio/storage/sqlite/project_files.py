"""Project files in the data directory: listing them, and removing one with its
side files and media folder."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from trackio.storage.errors import ProjectNotFoundError
from trackio.storage.lookup import describe_names
from trackio.storage.paths import (
    DB_SUFFIX,
    HASHED_MARK,
    data_dir,
    decode_project_name,
    is_encoded_stem,
    media_dir_for,
    project_db_path,
)
from trackio.storage.sqlite import legacy
from trackio.storage.sqlite.connection import copy_database, read_only_query
from trackio.storage.sqlite.schema import stored_project_name

_SIDE_FILES = ("-wal", "-shm", "-journal")


def list_projects(directory: Path | None = None) -> list[str]:
    """Names of every project in `directory` (default `data_dir()`), sorted."""
    folder = directory or data_dir()
    if not folder.is_dir():
        return []
    names = set()
    for path in folder.glob(f"*{DB_SUFFIX}"):
        stem = path.name[: -len(DB_SUFFIX)]
        if is_encoded_stem(stem):
            names.add(decode_project_name(stem))
        elif HASHED_MARK in stem:
            name = read_only_query(path, stored_project_name, None)
            if name is not None and project_db_path(name, folder) == path:
                names.add(name)
        elif legacy.legacy_path_for(stem, folder) == path and legacy.is_legacy_file(path):
            names.add(stem)
    return sorted(names)


def legacy_file_elsewhere(project: str, directory: Path | None = None) -> Path | None:
    """The PyPI-trackio file of `project` when it lives under another file name than ours."""
    old = legacy.legacy_path_for(project, directory)
    if old is None or old == project_db_path(project, directory) or not old.exists():
        return None
    return old if legacy.is_legacy_file(old) else None


def delete_project_files(project: str, directory: Path | None = None) -> None:
    """Remove `project`'s database, its side files and media; raises if it does not exist."""
    path = project_db_path(project, directory)
    if not path.exists():
        raise ProjectNotFoundError(not_found_message(project, directory))
    shutil.rmtree(media_dir_for(path), ignore_errors=True)
    for suffix in ("", *_SIDE_FILES):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def snapshot_project_files(data_dir: Path, into: Path) -> list[Path]:
    """Consistent copies (`copy_database`) of every project file of `data_dir` in `into`,
    each replacing the previous copy atomically; returns the project files copied."""
    into.mkdir(parents=True, exist_ok=True)
    copied = []
    for database in sorted(data_dir.glob(f"*{DB_SUFFIX}")):
        partial = into / f".snapshot-{database.name}"
        copy_database(database, partial)
        os.replace(partial, into / database.name)
        copied.append(database)
    return copied


def not_found_message(project: str, directory: Path | None = None) -> str:
    """Says the project does not exist and which do."""
    listing = describe_names(list_projects(directory))
    return (
        f"project {project!r} not found in {directory or data_dir()}; existing projects: {listing}"
    )
