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


BLOCK_POINTS = 64
"""Points per block of a chunk's precomputed summary (`blocks` column)."""
BLOCK_FIELDS = ("count", "step_sum", "time_sum", "finite", "value_sum", "value_min", "value_max")
MIN_POINTS_FOR_BLOCKS = 4 * BLOCK_POINTS


def encode(kind: int, steps: Sequence[int], values: Sequence[Any], times: Sequence[float]) -> tuple:
    """Column values: kind, n, first_step, min_step, max_step, vmin, vmax, last_time,
    last_value (of the point logged last), steps, vals, times, blocks."""
    count = len(steps)
    first = steps[0]
    contiguous = steps[-1] - first == count - 1 and list(steps) == list(range(first, first + count))
    if _may_hold_nan(kind, values):
        finite = [v for v in values if v == v]
        vmin = min(finite) if finite else None
        vmax = max(finite) if finite else None
    else:
        vmin, vmax = float(min(values)), float(max(values))
    newest = _newest(times)
    return (
        kind,
        count,
        first,
        first if contiguous else min(steps),
        steps[-1] if contiguous else max(steps),
        vmin,
        vmax,
        times[newest],
        int(values[newest]) if kind == BOOL else values[newest],
        None if contiguous else _pack("q", steps),
        _pack(_TYPECODES[kind], values),
        _pack("d", times),
        _block_summaries(kind, steps, values, times, contiguous),
    )


def _newest(times: Sequence[float]) -> int:
    """The index of the point logged last (the latest time; the last written of equals),
    whose value the chunk's `last_value` holds for summaries."""
    latest = max(times)
    if times[-1] >= latest:
        return len(times) - 1
    return len(times) - 1 - list(times)[::-1].index(latest)


def _may_hold_nan(kind: int, values: Sequence[Any]) -> bool:
    # A C-speed sum is NaN when any value is NaN (or +inf meets -inf): only then
    # is the slower per-value filtering needed.
    if kind != FLOAT:
        return False
    total = sum(values)
    return total != total


def _block_summaries(
    kind: int,
    steps: Sequence[int],
    values: Sequence[Any],
    times: Sequence[float],
    contiguous: bool,
) -> bytes | None:
    """Per block of `BLOCK_POINTS` points, the `BLOCK_FIELDS`, packed as float64.

    Charts of long series are downsampled from these instead of every point, so a
    request costs about the points it returns. Only chunks big enough to be worth
    it, with steps strictly increasing, get them.
    """
    count = len(steps)
    if count < MIN_POINTS_FOR_BLOCKS:
        return None
    if not contiguous and any(b <= a for a, b in zip(steps, steps[1:], strict=False)):
        return None
    fields: list[float] = []
    first = steps[0]
    check_nan = _may_hold_nan(kind, values)
    for start in range(0, count, BLOCK_POINTS):
        block = values[start : start + BLOCK_POINTS]
        size = len(block)
        finite = [v for v in block if v == v] if check_nan else block
        if contiguous:
            step_sum = (2 * (first + start) + size - 1) * size / 2
        else:
            step_sum = float(sum(steps[start : start + size]))
        fields += (
            size,
            step_sum,
            sum(times[start : start + size]),
            len(finite),
            float(sum(finite)),
            float(min(finite)) if finite else math.nan,
            float(max(finite)) if finite else math.nan,
        )
    return _pack("d", fields)


def scalar(kind: int, stored: Any) -> Any:
    """A chunk's `last_value` column as the Python value it was logged as.

    SQLite stores NaN as NULL, so a float chunk's NULL means NaN; PostgreSQL keeps
    the column as text (exact for int64 and float64 alike), hence the conversions.
    """
    if kind == FLOAT:
        return math.nan if stored is None else float(stored)
    if kind == BOOL:
        return bool(int(stored))
    return int(stored)


def decode_steps(packed: bytes) -> array:
    """A chunk's packed `steps` column."""
    return _unpack("q", packed)


def decode(
    kind: int, count: int, first_step: int, steps: bytes | None, vals: bytes, times: bytes
) -> tuple[Sequence[int], list[Any], array]:
    """Unpack one chunk row into (steps, values, times); values are Python scalars."""
    step_seq: Sequence[int] = (
        range(first_step, first_step + count) if steps is None else decode_steps(steps)
    )
    values = _unpack(_TYPECODES[kind], vals).tolist()
    if kind == BOOL:
        values = [v != 0 for v in values]
    return step_seq, values, _unpack("d", times)
