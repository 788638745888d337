"""The project store: the one seam between storage and everything above it.

`open_store(project)` gives a read-only store (it never creates, migrates or writes
anything); `open_store(project, write=True, create=True)` one that may. Errors
are those of `trackio.storage.errors`.
"""

from __future__ import annotations

from pathlib import Path

from trackio.storage.store import ProjectStore


def open_store(
    project: str, *, write: bool = False, create: bool = False, directory: Path | None = None
) -> ProjectStore:
    """The store of `project` on this machine (SQLite files in `directory`, by default
    `TRACKIO_DIR`).

    Read-only unless `write`; a missing project raises `ProjectNotFoundError` unless
    `create` (with `write`).
    """
    from trackio.storage.sqlite.store import SQLiteProjectStore

    return SQLiteProjectStore(project, write=write, create=create, directory=directory)


def list_projects() -> list[str]:
    """Names of every project, sorted."""
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


__all__ = ["ProjectStore", "list_projects", "needs_migration", "open_store"]
