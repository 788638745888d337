"""Finding a run of a project by name or id, with errors that say what exists."""

from __future__ import annotations

import sqlite3

from trackio.storage.runs import RunRecord, list_runs

_LISTED = 20


class RunNotFoundError(LookupError):
    """No run, or more than one, matches what the user named."""


def describe_names(names: list[str]) -> str:
    """`'a', 'b', ...` (at most 20 shown), or `none`."""
    if not names:
        return "none"
    shown = ", ".join(repr(name) for name in names[:_LISTED])
    return shown + (f", ... ({len(names)} in all)" if len(names) > _LISTED else "")


def resolve_run(conn: sqlite3.Connection, project: str, key: str) -> RunRecord:
    """The run whose id is `key`, else the one run named `key`.

    Raises `RunNotFoundError` naming the existing runs when none matches, or
    listing the ids when several runs share the name.
    """
    records = list_runs(conn)
    for record in records:
        if record.run_id == key:
            return record
    named = [record for record in records if record.name == key]
    if len(named) == 1:
        return named[0]
    if named:
        ids = ", ".join(record.run_id for record in named)
        raise RunNotFoundError(
            f"{len(named)} runs of project {project!r} are named {key!r} (ids {ids}); "
            "name one by its id"
        )
    raise RunNotFoundError(
        f"project {project!r} has no run named or with id {key!r}; "
        f"its runs: {describe_names([record.name for record in records])}"
    )
