"""Formatting stored values for output: strict JSON, ISO-8601 times, config values."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any


def json_safe(value: Any) -> Any:
    """`value` with NaN as None and infinities as "Infinity"/"-Infinity", nested
    dicts and lists included, so strict JSON can hold it."""
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def iso_utc(moment: float | None, timespec: str = "auto") -> str | None:
    """Epoch seconds as an ISO-8601 UTC timestamp (the number itself if out of range)."""
    if moment is None:
        return None
    try:
        return datetime.fromtimestamp(moment, timezone.utc).isoformat(timespec=timespec)
    except (ValueError, OverflowError, OSError):
        return str(moment)


def to_jsonable(value: Any) -> Any:
    """`json.dumps` fallback for config and summary values: unwrap scalars, else `str()`."""
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "ndim", None) == 0:
        return item()
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return tolist()
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)
