"""How system metrics are told apart from training metrics: they are stored under
`system/` followed by the PyPI trackio's name (`system/cpu/utilization`,
`system/gpu/0/power`), at steps that are milliseconds of wall time."""

from __future__ import annotations

PREFIX = "system/"


def stored_name(name: str) -> str:
    """The stored name of the system metric `name` (as the PyPI trackio names it)."""
    return name if name.startswith(PREFIX) else PREFIX + name


def shown_name(stored: str) -> str:
    """The PyPI trackio's name of a stored system metric."""
    return stored[len(PREFIX) :] if stored.startswith(PREFIX) else stored


def is_system(name: str) -> bool:
    """Whether the stored metric `name` is a system metric."""
    return name.startswith(PREFIX)
