"""Storing imported runs: all of them in one transaction, or none."""

from __future__ import annotations

from collections.abc import Iterable

from trackio.storage import open_store
from trackio.storage.records import ImportedRun

__all__ = ["ImportedRun", "store_runs"]


def store_runs(
    project: str, runs: Iterable[ImportedRun], *, allow_same_names: bool = False
) -> list[str]:
    """Add `runs` to `project` (created if needed) as finished runs; returns their ids.

    A run named like an existing run of the project is an error unless
    `allow_same_names`. Everything is written in one transaction: on any error
    the project is left exactly as it was (a project this call created is removed).
    """
    runs = list(runs)
    with open_store(project, write=True, create=True) as store:
        return store.import_runs(runs, allow_same_names=allow_same_names)
