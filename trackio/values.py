"""Turning what a training loop passes to `log()` into a flat row of storable values."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from trackio.media.base import Media

_STORABLE_TYPES = frozenset({float, int, bool, str})
_FAST_TYPES = frozenset({float, int, bool})
UNSUPPORTED = object()
"""Returned by `normalize` for a value trackio cannot store."""

RESERVED_STEP_KEY = "step"
STORED_STEP_KEY = "__step"
"""A metric logged as `step` is stored as `__step`, as the PyPI trackio stores it:
in history rows `step` is the row's own step."""

SkipHandler = Callable[[str, Any, str], None]
"""Called as `on_skip(key, value, reason)` for each value left out of a row."""


def prepare_row(data: Mapping, on_skip: SkipHandler) -> dict[str, Any]:
    """A new flat dict of `data`: nested mappings joined with `/`, values normalised.

    Values that cannot be stored are left out and reported to `on_skip`.
    """
    for key, value in data.items():
        if type(value) not in _FAST_TYPES or type(key) is not str or not key.isascii() or not key:
            break
    else:
        return dict(data)
    row: dict[str, Any] = {}
    _flatten_into(row, "", data, on_skip)
    return row


MAX_NESTING = 100
"""How deep `log()` data may nest; deeper is surely a mistake (or a cycle)."""


def _flatten_into(
    row: dict[str, Any], prefix: str, data: Mapping, on_skip: SkipHandler, depth: int = 1
) -> None:
    if depth > MAX_NESTING:
        raise ValueError(
            f"log() data nests dicts more than {MAX_NESTING} levels deep (at {prefix[:80]!r}...)"
        )
    for key, value in data.items():
        name = prefix + (key if isinstance(key, str) else str(key))
        if isinstance(value, Mapping):
            _flatten_into(row, name + "/", value, on_skip, depth + 1)
            continue
        if not name:
            on_skip(name, value, "the key is empty")
        elif not _is_utf8(name):
            on_skip(name, value, "the key is not valid UTF-8 text")
        else:
            normalized = normalize(value)
            if normalized is not UNSUPPORTED:
                row[name] = normalized
            elif isinstance(value, str):
                on_skip(name, value, "the string is not valid UTF-8 text")
            else:
                on_skip(name, value, f"values of type {type(value).__name__} are not supported")


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def normalize(value: Any) -> Any:
    """`value` as a plain bool, int, float or str, a media object (or a tuple of them),
    or `UNSUPPORTED`.

    numpy scalars, 0-d arrays and 0-d tensors are unwrapped through `.item()`
    without importing numpy or torch. Strings must be encodable as UTF-8.
    """
    value_type = type(value)
    if value_type in _STORABLE_TYPES:
        return value if value_type is not str or _is_utf8(value) else UNSUPPORTED
    if isinstance(value, float):
        return float(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return normalize(str(value))
    if isinstance(value, Media):
        return value.snapshot()
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, Media) for v in value):
        return tuple(v.snapshot() for v in value)
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "ndim", None) == 0:
        try:
            unwrapped = item()
        except Exception:  # noqa: BLE001 - an object whose item() fails is just unsupported
            return UNSUPPORTED
        if type(unwrapped) in _STORABLE_TYPES:
            return normalize(unwrapped)
    return UNSUPPORTED
