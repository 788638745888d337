"""`SQLiteProjectStore`: the project store on one SQLite file per project.

Readers open the file read-only: reading never creates, copies, migrates or
writes anything. Writers (`write=True`: `init`, the writer thread, imports,
`trackio migrate`) create the file when asked and migrate it, announced, under
the write lock. Every statement runs through `retry_when_locked`, so a busy
database delays a call instead of failing it.
"""

from __future__ import annotations

import shlex
import sqlite3
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from trackio.storage.errors import (
    NewerSchemaError,
    NotAProjectFileError,
    ProjectFileGoneError,
    ProjectNeedsMigrationError,
    ProjectNotFoundError,
    StoreError,
)
from trackio.storage.paths import (
    HASHED_MARK,
    project_db_path,
)
from trackio.storage.sqlite import legacy, project_files, schema
from trackio.storage.sqlite.connection import (
    ConnectionCache,
    as_store_error,
    connect,
    make_durable,
    read_only_query,
    retry_when_locked,
    snapshot,
    write_transaction,
)
from trackio.storage.tables import runs_table
from trackio.storage.tables.series_writer import SeriesWriter
from trackio.storage.tables.sql import Connection
from trackio.storage.tables.store import TableProjectStore

if TYPE_CHECKING:
    from trackio.storage import ProjectStore

T = TypeVar("T")


def _announce(message: str) -> None:
    print(f"trackio: {message}", file=sys.stderr)


class SQLiteProjectStore(TableProjectStore):
    """One project's storage in `<TRACKIO_DIR>/<encoded name>.db` and its media folder."""

    def __init__(
        self,
        project: str,
        *,
        write: bool = False,
        create: bool = False,
        directory: Path | None = None,
    ) -> None:
        super().__init__(project, write=write, directory=directory)
        self.path = project_db_path(project, self.directory)
        self._empty = False
        self._sinks: dict[int, tuple[sqlite3.Connection, SeriesWriter]] = {}
        """The series writer of each writing thread's connection (by thread id): each
        keeps the chunks it has not merged yet."""
        self._connections = ConnectionCache(self.path, writable=write)
        if write:
            self._prepare_for_writing(create)
        elif not self.path.exists():
            if project_files.legacy_file_elsewhere(project, self.directory) is not None:
                raise ProjectNeedsMigrationError(
                    self._migration_hint("written by the PyPI trackio")
                )
            raise self._not_found()

    def close(self, *, checkpoint: bool = False) -> None:
        """Close every connection, after a `checkpoint` if asked."""
        self._sinks = {}
        self._connections.close_all(checkpoint=checkpoint)

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database file, so the `.db` alone holds
        everything (the writer does this when the last run it has open finishes)."""
        self._connections.checkpoint()

    # --- opening -------------------------------------------------------------------

    def _not_found(self) -> ProjectNotFoundError:
        return ProjectNotFoundError(project_files.not_found_message(self.project, self.directory))

    def _migration_hint(self, why: str) -> str:
        return (
            f"project {self.project!r} was {why}; upgrade it with "
            f"`trackio migrate --project {shlex.quote(self.project)}` (logging to it does the "
            "same)"
        )

    def _check_readable(self, conn: sqlite3.Connection) -> None:
        with snapshot(conn):
            self._check_schema(conn)

    def _check_schema(self, conn: sqlite3.Connection) -> None:
        version = schema.schema_version(conn)
        self._metric_ids = {}
        self._has_alerts = version >= 6
        if version == schema.SCHEMA_VERSION or (
            not self.writable and schema.READABLE_SINCE <= version < schema.SCHEMA_VERSION
        ):
            return
        if version > schema.SCHEMA_VERSION:
            raise NewerSchemaError(
                f"project {self.project!r} has schema version {version}, newer than this "
                f"trackio understands ({schema.SCHEMA_VERSION}); upgrade trackio to read it"
            )
        if version > 0:
            raise ProjectNeedsMigrationError(
                self._migration_hint(f"written by an older trackio (schema {version})")
            )
        if self._is_foreign(conn):
            raise NotAProjectFileError(f"{self.path} is not a trackio project file")
        if legacy.is_legacy_database(conn):
            raise ProjectNeedsMigrationError(self._migration_hint("written by the PyPI trackio"))
        self._empty = True

    def _prepare_for_writing(self, create: bool) -> None:
        try:
            self._open_for_writing(create)
        except (sqlite3.Error, OSError) as error:
            raise as_store_error(error, f"cannot open project {self.project!r}") from error

    def _open_for_writing(self, create: bool) -> None:
        copied_from = None
        if not self.path.exists():
            copied_from = project_files.legacy_file_elsewhere(self.project, self.directory)
            if copied_from is not None:
                legacy.copy_to(copied_from, self.path)
            elif not create:
                raise self._not_found()
            else:
                self.created = True
        elif read_only_query(self.path, self._is_foreign, False):
            raise NotAProjectFileError(
                f"{self.path} is not a trackio project file; trackio leaves it alone"
            )
        conn = connect(self.path, writable=True, create=True)
        try:
            self._migrated = self._migrate(conn, copied_from)
            if HASHED_MARK in self.path.stem and schema.stored_project_name(conn) is None:
                with write_transaction(conn):
                    schema.store_project_name(conn, self.project)
        except BaseException:
            conn.close()
            raise
        self._connections.adopt(conn)

    @staticmethod
    def _is_foreign(conn: sqlite3.Connection) -> bool:
        """Whether the file holds tables of something other than trackio (or the PyPI
        trackio): it must never be converted, written or migrated."""
        return (
            schema.schema_version(conn) == 0
            and not legacy.is_legacy_database(conn)
            and bool(schema.table_names(conn))
        )

    def _migrate(self, conn: sqlite3.Connection, copied_from: Path | None) -> bool:
        version = retry_when_locked(lambda: schema.schema_version(conn))
        if version >= schema.SCHEMA_VERSION:
            if version > schema.SCHEMA_VERSION:
                schema.migrate(conn)
            return False
        is_legacy = legacy.is_legacy_database(conn)
        if is_legacy and copied_from is None:
            legacy.back_up(self.path)
        with write_transaction(conn):
            version = schema.schema_version(conn)
            if version >= schema.SCHEMA_VERSION:
                return False
            is_legacy = legacy.is_legacy_database(conn)
            fresh = not is_legacy and not schema.table_names(conn)
            schema.migrate(conn)
            if is_legacy:
                legacy.import_rows(conn, self.path)
        if is_legacy:
            source = copied_from or self.path.with_name(self.path.name + legacy.BACKUP_SUFFIX)
            _announce(
                f"imported the PyPI trackio project {self.project!r} (original kept at {source})"
            )
        elif not fresh:
            _announce(
                f"upgraded project {self.project!r} from schema {version} to "
                f"{schema.SCHEMA_VERSION}"
            )
        return not fresh

    def migrate(self) -> bool:
        """Whether opening this writable store brought the file up to this trackio's
        schema (it always does; a read-only store never does)."""
        self._require_writable()
        return self._migrated

    def _conn(self) -> sqlite3.Connection:
        try:
            conn = self._connections.get(self._check_readable)
        except ProjectFileGoneError:
            if self.writable:
                raise
            raise self._not_found() from None
        except sqlite3.Error as error:
            raise as_store_error(error, f"cannot open project {self.project!r}") from error
        if self._empty:
            self._empty = False
            self._check_readable(conn)
        return conn

    def _read(self, query: Callable[[Connection], T], *, statements: int = 2) -> T:
        """`query`'s result, its statements all reading one snapshot of the file (a
        writer committing in between cannot make them disagree); a query of one
        statement (`statements=1`) is a snapshot by itself."""

        def in_snapshot() -> T:
            if statements == 1:
                return query(self._conn())
            with snapshot(self._conn()) as conn:
                return query(conn)

        try:
            return retry_when_locked(in_snapshot)
        except sqlite3.DatabaseError as error:
            raise StoreError(f"cannot read project {self.project!r}: {error}") from error

    def _writing(self) -> AbstractContextManager[Connection]:
        return write_transaction(self._conn())

    @contextmanager
    def _appending(self) -> Iterator[tuple[Connection, SeriesWriter, bool]]:
        replacements = self._connections.replacements
        try:
            conn = self._conn()
            sink = self._sinks.get(threading.get_ident())
            if sink is None or sink[0] is not conn:
                make_durable(conn)
                sink = (conn, SeriesWriter(conn, self.media_dir, self._media_written()))
                self._sinks[threading.get_ident()] = sink
            with write_transaction(conn):
                yield conn, sink[1], self._connections.replacements != replacements
        except BaseException:
            self._sinks.pop(threading.get_ident(), None)
            raise

    def _importing(self) -> AbstractContextManager[Connection]:
        make_durable(self._conn())
        return self._writing()

    def _open_sibling(self, project: str) -> ProjectStore:
        return SQLiteProjectStore(project, write=True, create=True, directory=self.directory)

    def _discard_if_created_empty(self) -> None:
        if self.created and not self._read(runs_table.count):
            self.close()
            project_files.delete_project_files(self.project, self.directory)

    def delete_project(self) -> None:
        """Delete the whole project: its file, side files and media."""
        self.close()
        project_files.delete_project_files(self.project, self.directory)
        self._forget_media()
