"""`PostgresProjectStore`: the project store in a PostgreSQL database, for team servers
(`trackio server --db postgresql://...`); several servers may share one database.

Each project is a schema of the same tables as a SQLite project file (see
`trackio.storage.postgres.schema`). Reads see one snapshot (repeatable read);
writes take the project's change counter first, so writers of one project run one
at a time, in the order their change numbers say, and never deadlock one another.
Media files are kept on a file system path (`TRACKIO_DIR`, which servers sharing
a database must share too).
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from psycopg import sql

from trackio.storage.errors import (
    NewerSchemaError,
    ProjectFileGoneError,
    ProjectNeedsMigrationError,
    ProjectNotFoundError,
)
from trackio.storage.lookup import describe_names
from trackio.storage.postgres import schema
from trackio.storage.postgres.connection import (
    Adapted,
    connection,
    describe_url,
    once_more_if_dropped,
    transaction,
)
from trackio.storage.sqlite.schema import READABLE_SINCE, SCHEMA_VERSION
from trackio.storage.tables import runs_table
from trackio.storage.tables.series_writer import SeriesWriter
from trackio.storage.tables.sql import Connection
from trackio.storage.tables.store import TableProjectStore

if TYPE_CHECKING:
    from trackio.storage import ProjectStore

T = TypeVar("T")


def list_projects(url: str) -> list[str]:
    """Names of every project in the database at `url`, sorted."""

    def names() -> list[str]:
        with connection(url, None, "cannot list projects") as conn:
            if not schema.registry_exists(conn):
                return []
            return sorted(row[0] for row in conn.execute("SELECT name FROM trackio.projects"))

    return once_more_if_dropped(names)


def _registered(conn: Adapted, project: str) -> int | None:
    row = conn.execute("SELECT id FROM trackio.projects WHERE name = ?", (project,)).fetchone()
    return None if row is None else int(row[0])


class PostgresProjectStore(TableProjectStore):
    """One project's tables in the PostgreSQL database at `url`, its media files under
    `directory` (default `TRACKIO_DIR`)."""

    def __init__(
        self,
        project: str,
        url: str,
        *,
        write: bool = False,
        create: bool = False,
        directory: Path | None = None,
    ) -> None:
        super().__init__(project, write=write, directory=directory)
        self.url = url
        self._sinks: dict[int, SeriesWriter] = {}
        """Each writing thread's series writer: it keeps the chunks not merged yet."""
        self.schema = once_more_if_dropped(lambda: self._open(write, create))

    def _open(self, write: bool, create: bool) -> str:
        what = f"cannot open project {self.project!r} in {describe_url(self.url)}"
        if not write:
            with connection(self.url, None, what) as conn:
                found = _registered(conn, self.project) if schema.registry_exists(conn) else None
            if found is None:
                raise self._not_found()
            name = schema.schema_name(found)
            with connection(self.url, name, what) as conn:
                self._check_version(schema.version(conn))
            return name
        with transaction(self.url, None, what) as conn:
            schema.lock(conn)
            schema.create_registry(conn)
            found = _registered(conn, self.project)
            if found is None:
                if not create:
                    raise self._not_found()
                inserted = conn.execute(
                    "INSERT INTO trackio.projects (name, created_at) "
                    "VALUES (?, extract(epoch FROM now())) RETURNING id",
                    (self.project,),
                ).fetchone()
                assert inserted is not None
                found = int(inserted[0])
                self.created = True
            name = schema.schema_name(found)
            conn.raw.execute(sql.SQL("SET LOCAL search_path TO {}").format(sql.Identifier(name)))
            before = schema.migrate(conn, name)
            self._migrated = 0 < before < SCHEMA_VERSION
        return name

    def _check_version(self, found: int) -> None:
        self._has_alerts = found >= 6
        if found > SCHEMA_VERSION:
            raise NewerSchemaError(
                f"project {self.project!r} has schema version {found}, newer than this trackio "
                f"understands ({SCHEMA_VERSION}); upgrade trackio to read it"
            )
        if found < READABLE_SINCE:
            raise ProjectNeedsMigrationError(
                f"project {self.project!r} in {describe_url(self.url)} was written by an older "
                f"trackio (schema {found}); a server with write access upgrades it when it "
                "opens the project"
            )

    def _not_found(self) -> ProjectNotFoundError:
        listing = describe_names(list_projects(self.url))
        return ProjectNotFoundError(
            f"project {self.project!r} not found in {describe_url(self.url)}; existing "
            f"projects: {listing}"
        )

    def close(self, *, checkpoint: bool = False) -> None:
        """Forget the writers' state (the pool's connections stay open for other stores)."""
        self._sinks = {}

    def checkpoint(self) -> None:
        """Nothing to do: PostgreSQL's committed data is complete in the database."""

    def migrate(self) -> bool:
        """Whether opening this writable store upgraded the project's tables."""
        self._require_writable()
        return self._migrated

    def _what(self, doing: str) -> str:
        return f"cannot {doing} project {self.project!r}"

    def _read(self, query: Callable[[Connection], T], *, statements: int = 2) -> T:
        try:
            return once_more_if_dropped(lambda: self._read_once(query, statements))
        except ProjectFileGoneError:
            if self.writable:
                raise
        # The project was deleted, perhaps made again: read what the registry names now.
        self.schema = once_more_if_dropped(lambda: self._open(write=False, create=False))
        self._metric_ids = {}
        return self._read_once(query, statements)

    def _read_once(self, query: Callable[[Connection], T], statements: int) -> T:
        if statements == 1:
            with connection(self.url, self.schema, self._what("read")) as conn:
                return query(conn)
        with transaction(self.url, self.schema, self._what("read"), read_only=True) as conn:
            return query(conn)

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        # Every writer of the project queues first on its change counter's row lock, so
        # writers never hold locks in different orders.
        with transaction(
            self.url,
            self.schema,
            self._what("write"),
            first="SELECT seq FROM run_changes FOR UPDATE",
        ) as conn:
            yield conn

    @contextmanager
    def _appending(self) -> Iterator[tuple[Connection, SeriesWriter, bool]]:
        key = threading.get_ident()
        try:
            with self._writing() as conn:
                sink = self._sinks.get(key)
                if sink is None:
                    sink = SeriesWriter(conn, self.media_dir, self._media_written())
                    self._sinks[key] = sink
                sink.conn = conn
                yield conn, sink, False
        except BaseException:
            self._sinks.pop(key, None)
            raise

    def _open_sibling(self, project: str) -> ProjectStore:
        return PostgresProjectStore(
            project, self.url, write=True, create=True, directory=self.directory
        )

    def _discard_if_created_empty(self) -> None:
        if self.created and not self._read(runs_table.count, statements=1):
            self.delete_project()

    def delete_project(self) -> None:
        """Delete the whole project: its tables, its entry in the registry and its media."""
        with transaction(self.url, None, self._what("delete")) as conn:
            schema.lock(conn)
            conn.execute("DELETE FROM trackio.projects WHERE name = ?", (self.project,))
            conn.raw.execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self.schema))
            )
        shutil.rmtree(self.media_dir, ignore_errors=True)
        self._forget_media()
        self.close()
