"""A run's summary: per metric the value its `define_metric` mode asks for."""

from __future__ import annotations

import math
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

SUMMARY_MODES = ("last", "min", "max", "mean", "first", "none")
MISSING = object()


def summary_mode(metric_defs: dict[str, dict[str, Any]], name: str) -> str:
    """The summary mode `define_metric` set for `name`: an exact definition first,
    else the first glob pattern (`"val/*"`) that matches, else `"last"`."""
    definition = metric_defs.get(name)
    if definition is None:
        definition = next(
            (
                d
                for pattern, d in metric_defs.items()
                if "*" in pattern and fnmatchcase(name, pattern)
            ),
            {},
        )
    return str(definition.get("summary") or "last")


def build_summary(
    last: dict[str, Any],
    metric_defs: dict[str, dict[str, Any]],
    overrides: dict[str, Any],
    values_in_log_order: Callable[[str], list[Any]],
) -> dict[str, Any]:
    """The summary from each metric's last value, its mode, and the user's overrides
    on top; `values_in_log_order(name)` is read only for modes other than `last`."""
    summary: dict[str, Any] = {}
    for name, value in last.items():
        mode = summary_mode(metric_defs, name)
        if mode == "none":
            continue
        if mode != "last":
            value = _summarise(values_in_log_order(name), mode)
        if value is not MISSING:
            summary[name] = value
    summary.update(overrides)
    return summary


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


def _summarise(values: list[Any], mode: str) -> Any:
    if not values:
        return MISSING
    if mode == "first":
        return values[0]
    numbers = [v for v in values if isinstance(v, (int, float)) and not _is_nan(v)]
    if not numbers:
        return values[-1]
    if mode == "min":
        return min(numbers)
    if mode == "max":
        return max(numbers)
    return sum(numbers) / len(numbers)
