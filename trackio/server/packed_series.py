"""`/api/series` in a packed binary form, for charts of many runs.

A chart of a 1,000-run sweep asks for 1,000 series at once; as JSON that is about
2 MB of decimal text per chart for the browser to parse. Packed, the same numbers
are typed arrays the browser reads in place, and they compress better.

Layout (little-endian):

- 4 bytes: `TRS1`.
- 4 bytes: length H of the header, uint32.
- H bytes: the header, UTF-8 JSON: `x` (the axis), `missing` (asked run ids that do
  not exist), `x_type` and `y_type` (`f4` or `f8`), and `series`, a list of
  `{metric, run, n, band, last_step, downsampled, total}` in the order asked.
- Zero bytes up to a multiple of 8, then four sections, each zero-padded to a
  multiple of 8: every series' x values one after the other (`x_type`), their y
  values (`y_type`), then the min and then the max of each series with `band`
  (`y_type`). A missing value (NaN, or an infinity) is NaN.
- Each section is byte-shuffled: for n values of s bytes, byte k of value i is at
  k * n + i. A float's sign and exponent bytes vary little along a series, so
  gzip finds them together (a third fewer bytes on a noisy sweep).
"""

from __future__ import annotations

import struct

import numpy as np
import orjson

from trackio.server.reader import SeriesAnswers

MAGIC = b"TRS1"
MEDIA_TYPE = "application/vnd.trackio.series"


def pack_series(request: SeriesAnswers) -> bytes:
    """The series of one request (see `ProjectReader.series`), packed."""
    answers = [answer for _, answer in request.series]
    xs = _concatenated([a.x for a in answers])
    ys = _concatenated([a.y for a in answers])
    banded = [a for a in answers if a.downsampled]
    lows = _concatenated([a.y_min for a in banded if a.y_min is not None])
    highs = _concatenated([a.y_max for a in banded if a.y_max is not None])
    x_values = _as_float32_if_exact(xs)
    y_wide = any(a.dtype != np.float32 for a in (ys, lows, highs) if len(a))
    y_type = np.float64 if y_wide else np.float32
    header = {
        "x": request.x,
        "missing": request.missing,
        "x_type": "f4" if x_values.dtype == np.float32 else "f8",
        "y_type": "f8" if y_wide else "f4",
        "series": [
            {
                "metric": metric,
                "run": answer.run_id,
                "n": len(answer.x),
                "band": answer.downsampled,
                "last_step": answer.last_step,
                "downsampled": answer.downsampled,
                "total": answer.total,
            }
            for metric, answer in request.series
        ],
    }
    head = orjson.dumps(header)
    parts = [MAGIC, struct.pack("<I", len(head)), head]
    parts.append(_padding(8 + len(head)))
    for values in (x_values, *(_missing_as_nan(a.astype(y_type)) for a in (ys, lows, highs))):
        shuffled = _shuffled(values)
        parts.append(shuffled)
        parts.append(_padding(len(shuffled)))
    return b"".join(parts)


def unpack_series(body: bytes) -> dict[str, object]:
    """A packed answer back as arrays: the header with each series' `x`, `y`, `min`,
    `max` (numpy arrays, None when not banded). For tests and scripts."""
    if body[:4] != MAGIC:
        raise ValueError("not a packed series answer: it does not start with TRS1")
    (length,) = struct.unpack_from("<I", body, 4)
    header = orjson.loads(body[8 : 8 + length])
    offset = 8 + length
    offset += len(_padding(offset))
    entries = header["series"]
    counts = [entry["n"] for entry in entries]
    banded = [entry["n"] for entry in entries if entry["band"]]
    sections = []
    for kind, total in (
        (header["x_type"], sum(counts)),
        (header["y_type"], sum(counts)),
        (header["y_type"], sum(banded)),
        (header["y_type"], sum(banded)),
    ):
        dtype = np.dtype("<" + kind)
        size = total * dtype.itemsize
        raw = np.frombuffer(body, np.uint8, size, offset)
        sections.append(raw.reshape(dtype.itemsize, total).T.copy().view(dtype).ravel())
        offset += size + len(_padding(size))
    xs, ys, lows, highs = sections
    at = band_at = 0
    for entry in entries:
        n = entry["n"]
        entry["x"], entry["y"] = xs[at : at + n], ys[at : at + n]
        entry["min"] = entry["max"] = None
        if entry["band"]:
            entry["min"], entry["max"] = lows[band_at : band_at + n], highs[band_at : band_at + n]
            band_at += n
        at += n
    return header


def _concatenated(arrays: list[np.ndarray]) -> np.ndarray:
    if not arrays:
        return np.empty(0, np.float32)
    return np.concatenate(arrays)


def _missing_as_nan(values: np.ndarray) -> np.ndarray:
    # The JSON form writes infinities as null, as it does NaN: both are a missing value
    # here too (a chart cannot place an infinite point, and would lose its y range).
    return np.where(np.isinf(values), np.nan, values)


def _as_float32_if_exact(values: np.ndarray) -> np.ndarray:
    wide = values.astype(np.float64)
    narrow = wide.astype(np.float32)
    return narrow if np.array_equal(narrow, wide, equal_nan=True) else wide


def _shuffled(values: np.ndarray) -> bytes:
    little = values.astype(values.dtype.newbyteorder("<"), copy=False)
    return little.view(np.uint8).reshape(len(values), values.dtype.itemsize).T.tobytes()


def _padding(length: int) -> bytes:
    return b"\0" * (-length % 8)
