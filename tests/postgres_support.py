"""A PostgreSQL database for the tests: one fresh database per test session (dropped at
the end), emptied between tests. Tests that need it skip, saying why, when no
PostgreSQL answers at `TRACKIO_TEST_POSTGRES` (default 127.0.0.1:5432, user postgres)."""

from __future__ import annotations

import os
import secrets

import psycopg
from psycopg import sql

ADMIN_URL = os.environ.get(
    "TRACKIO_TEST_POSTGRES", "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
)


def admin_reachable() -> str | None:
    """None if PostgreSQL answers at `ADMIN_URL`, else why not."""
    try:
        with psycopg.connect(ADMIN_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as error:
        return f"no PostgreSQL answers at {ADMIN_URL!r} ({error}); set TRACKIO_TEST_POSTGRES"
    return None


def create_database() -> str:
    """A new empty database; returns its URL."""
    name = f"trackio_test_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return psycopg.conninfo.make_conninfo(ADMIN_URL, dbname=name)


def drop_database(url: str) -> None:
    """Drop the database at `url`, closing whatever is still connected to it."""
    from trackio.storage.postgres.connection import close_pools

    close_pools()
    name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def empty_database(url: str) -> None:
    """Drop every trackio schema in the database at `url`."""
    with psycopg.connect(url, autocommit=True) as conn:
        schemas = [
            row[0]
            for row in conn.execute(
                "SELECT nspname FROM pg_namespace WHERE nspname = 'trackio' "
                "OR nspname LIKE 'trackio\\_p%'"
            )
        ]
        for name in schemas:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))
