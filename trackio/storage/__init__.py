"""The project store: the one seam between storage and everything above it.

`open_store(project)` gives a read-only store (it never creates, migrates or writes
anything); `open_store(project, write=True, create=True)` one that may. Errors
are those of `trackio.storage.errors`.

Projects are SQLite files under `TRACKIO_DIR`, unless the process was pointed at a
PostgreSQL database with `use_database` (a team server's `--db`): then they live
there, and only their media files under `TRACKIO_DIR`.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import TYPE_CHECKING

from trackio.storage.store import ProjectStore

if TYPE_CHECKING:
    from trackio.storage.media_mirror import MediaMirror
    from trackio.storage.tables.store import TableProjectStore

_database_url: str | None = None
_media_mirror: MediaMirror | None = None


def use_database(url: str | None) -> None:
    """Keep this process's projects in the PostgreSQL database at `url` (None: in SQLite
    files again). Raises `StoreError` naming the problem when it cannot be reached."""
    global _database_url
    if url is not None:
        from trackio.storage.postgres.connection import check_reachable

        check_reachable(url)
    _database_url = url


def use_media_url(url: str | None) -> None:
    """Keep this process's media files at the fsspec URL `url` too (`s3://bucket/path`),
    so servers on machines without a shared volume serve each other's media; None: only
    in the local media folders. Raises `ValueError` (or `ImportError`) naming the problem."""
    global _media_mirror
    if url is None:
        _media_mirror = None
        return
    from trackio.storage.media_mirror import MediaMirror

    _media_mirror = MediaMirror(url)


def database_url() -> str | None:
    """The PostgreSQL database this process keeps its projects in, if any."""
    return _database_url


def open_store(
    project: str, *, write: bool = False, create: bool = False, directory: Path | None = None
) -> ProjectStore:
    """The store of `project`: SQLite files in `directory` (by default `TRACKIO_DIR`),
    or the database `use_database` named (media files in `directory`).

    Read-only unless `write`; a missing project raises `ProjectNotFoundError` unless
    `create` (with `write`).
    """
    store: TableProjectStore
    if _database_url is not None:
        from trackio.storage.postgres.store import PostgresProjectStore

        store = PostgresProjectStore(
            project, _database_url, write=write, create=create, directory=directory
        )
    else:
        from trackio.storage.sqlite.store import SQLiteProjectStore

        store = SQLiteProjectStore(project, write=write, create=create, directory=directory)
    store.mirror = _media_mirror
    return store


def store_key(project: str) -> Hashable:
    """What identifies the stored project now (its file; or its database, name and media
    folder), so caches of open stores notice `TRACKIO_DIR` or the database changing."""
    from trackio.storage.paths import project_db_path

    if _database_url is not None:
        return (_database_url, project_db_path(project))
    return project_db_path(project)


def list_projects() -> list[str]:
    """Names of every project, sorted."""
    if _database_url is not None:
        from trackio.storage.postgres.store import list_projects as list_in_database

        return list_in_database(_database_url)
    from trackio.storage.sqlite.project_files import list_projects as list_files

    return list_files()


def needs_migration(project: str) -> bool:
    """Whether reading `project` asks for `trackio migrate` (or a write) first; False
    for a project that reads, and for a file no migration can help (not a project)."""
    from trackio.storage.errors import ProjectNeedsMigrationError, StoreError

    try:
        with open_store(project) as store:
            store.list_runs()
    except ProjectNeedsMigrationError:
        return True
    except StoreError:
        return False
    return False


__all__ = [
    "ProjectStore",
    "database_url",
    "list_projects",
    "needs_migration",
    "open_store",
    "store_key",
    "use_database",
    "use_media_url",
]
