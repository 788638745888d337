"""Finding a run of a project by name or id, with errors that say what exists."""

from __future__ import annotations

from trackio.storage.errors import AmbiguousRunError, RunNotFoundError
from trackio.storage.records import RunRecord

_LISTED = 20


def describe_names(names: list[str]) -> str:
    """`'a', 'b', ...` (at most 20 shown), or `none`."""
    if not names:
        return "none"
    shown = ", ".join(repr(name) for name in names[:_LISTED])
    return shown + (f", ... ({len(names)} in all)" if len(names) > _LISTED else "")


def resolve_run(records: list[RunRecord], project: str, key: str) -> RunRecord:
    """The run among `records` whose id is `key`, else the one run named `key`.

    Raises `RunNotFoundError` naming the existing runs when none matches, or
    `AmbiguousRunError` listing the ids when several runs share the name.
    """
    for record in records:
        if record.run_id == key:
            return record
    named = [record for record in records if record.name == key]
    if len(named) == 1:
        return named[0]
    if named:
        ids = ", ".join(record.run_id for record in named)
        raise AmbiguousRunError(
            f"{len(named)} runs of project {project!r} are named {key!r} (ids {ids}); "
            "name one by its id"
        )
    raise RunNotFoundError(
        f"project {project!r} has no run named or with id {key!r}; "
        f"its runs: {describe_names([record.name for record in records])}"
    )
