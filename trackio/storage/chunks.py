"""Packing a series' points into chunk rows and unpacking them again.

A chunk stores consecutive points of one (run, metric) series of one kind as
little-endian arrays: steps (omitted when they count up by one), values and
wall-clock times. Its min and max value sit in columns for downsampling.
"""

from __future__ import annotations

import math
import sys
from array import array
from collections.abc import Sequence
from typing import Any

FLOAT, INT, BOOL = 0, 1, 2
_TYPECODES = {FLOAT: "d", INT: "q", BOOL: "b"}
_NEEDS_SWAP = sys.byteorder != "little"

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def kind_of(value: Any) -> int | None:
    """The chunk kind a normalised scalar is stored as, or None if it goes to `extras`."""
    value_type = type(value)
    if value_type is float:
        return FLOAT
    if value_type is bool:
        return BOOL
    if value_type is int:
        return INT if INT64_MIN <= value <= INT64_MAX else None
    return None


def _pack(typecode: str, values: Sequence[Any]) -> bytes:
    packed = array(typecode, values)
    if _NEEDS_SWAP:
        packed.byteswap()
    return packed.tobytes()


def _unpack(typecode: str, blob: bytes) -> array:
    unpacked = array(typecode)
    unpacked.frombytes(blob)
    if _NEEDS_SWAP:
        unpacked.byteswap()
    return unpacked


def encode(kind: int, steps: Sequence[int], values: Sequence[Any], times: Sequence[float]) -> tuple:
    """Column values: kind, n, first_step, min_step, max_step, vmin, vmax, last_time,
    last_value, steps, vals, times."""
    count = len(steps)
    first = steps[0]
    contiguous = steps[-1] - first == count - 1 and list(steps) == list(range(first, first + count))
    if kind == FLOAT:
        finite = [v for v in values if not math.isnan(v)]
        vmin = min(finite) if finite else None
        vmax = max(finite) if finite else None
    else:
        vmin, vmax = float(min(values)), float(max(values))
    return (
        kind,
        count,
        first,
        first if contiguous else min(steps),
        steps[-1] if contiguous else max(steps),
        vmin,
        vmax,
        times[-1],
        values[-1],
        None if contiguous else _pack("q", steps),
        _pack(_TYPECODES[kind], values),
        _pack("d", times),
    )


def scalar(kind: int, stored: Any) -> Any:
    """A chunk's `last_value` column as the Python value it was logged as.

    SQLite stores NaN as NULL, so a float chunk's NULL means NaN.
    """
    if kind == FLOAT:
        return math.nan if stored is None else float(stored)
    if kind == BOOL:
        return bool(stored)
    return int(stored)


def decode(
    kind: int, count: int, first_step: int, steps: bytes | None, vals: bytes, times: bytes
) -> tuple[Sequence[int], list[Any], array]:
    """Unpack one chunk row into (steps, values, times); values are Python scalars."""
    step_seq: Sequence[int] = (
        range(first_step, first_step + count) if steps is None else _unpack("q", steps)
    )
    values = _unpack(_TYPECODES[kind], vals).tolist()
    if kind == BOOL:
        values = [v != 0 for v in values]
    return step_seq, values, _unpack("d", times)
