"""The body of a batch a client sends to a team server (`POST /api/ingest`), both ways.

A batch is one project's values from one client, with a client-made id, gzip-compressed.
Its frame is `MAGIC`, the length of a JSON header as 8 little-endian bytes, the header,
then the raw columns the header points at by index (`"columns"` lists their byte
lengths). Each series is columns: steps as little-endian int64 and times as float64,
shared by the series of a run that have the same ones (a row of ten metrics sends its
steps once); values likewise when they are all floats or all 64-bit integers (the usual
case), else a list of tagged JSON items in the header, so every value comes back with
its type (NaN and infinities, integers of any size, strings, media files) exactly as
logged. `wire_decoding.decode_batch` reads it back, checking the whole body before
anything is stored.
"""

from __future__ import annotations

import array
import base64
import gzip
import json
import math
import sys
import tempfile
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trackio.media.base import Media, MediaEncodingError, is_media
from trackio.storage.records import RunBatch, RunRequest

WIRE_VERSION = 1
MAGIC = b"TRACKIO-BATCH\n"
OPERATIONS = frozenset({"config", "summary", "metric_defs", "finish", "alert"})
_INT64 = (-(2**63), 2**63 - 1)
_IMAGE = frozenset({"png", "jpg", "jpeg", "gif", "webp", "bmp"})
_VIDEO = frozenset({"mp4", "webm", "gif", "ogg", "ogv", "mov"})
_AUDIO = frozenset({"wav", "mp3", "ogg", "oga", "flac", "m4a"})
MEDIA_FILE_SUFFIXES = {
    "image": _IMAGE,
    "video": _VIDEO,
    "audio": _AUDIO,
    "table": _IMAGE | _VIDEO | _AUDIO | {"json"},
    "histogram": frozenset(),
}
"""The file types a media value of each kind may bring (a table: its cells' too), so
no client can put a page or a script in the dashboard's media folder."""


_SKIPPED = object()
"""A value left out of a batch: a media object that could not be encoded."""


class WireFormatError(ValueError):
    """A batch body that is not what this protocol sends; nothing of it is stored."""


@dataclass
class OpenRequest:
    """A run the client started: created on the server (or continued, when it exists)
    before the batch's values are stored."""

    run_id: str
    request: RunRequest


@dataclass
class DecodedBatch:
    """A batch as the server stores it."""

    batch_id: str
    project: str
    opens: list[OpenRequest]
    runs: list[RunBatch]

    @property
    def points(self) -> int:
        """How many values the batch holds."""
        return sum(len(steps) for run in self.runs for steps, _, _ in run.series.values())


def encode_batch(
    batch_id: str, project: str, opens: list[OpenRequest], runs: list[RunBatch]
) -> bytes:
    """The gzip-compressed body of a batch."""
    columns = _Columns()
    document = {
        "v": WIRE_VERSION,
        "batch_id": batch_id,
        "project": project,
        "opens": [{**run_request_document(item.request), "run_id": item.run_id} for item in opens],
        "runs": [_encode_run(run, columns) for run in runs],
        "columns": [len(data) for data in columns.data],
    }
    header = json.dumps(document, separators=(",", ":")).encode()
    frame = b"".join([MAGIC, len(header).to_bytes(8, "little"), header, *columns.data])
    return gzip.compress(frame, compresslevel=1)


class _Columns:
    """The raw columns of a batch; a run's series with equal steps or times share one."""

    def __init__(self) -> None:
        self.data: list[bytes] = []
        self._seen: list[tuple[str, list[Any], int]] = []

    def add(self, kind: str, values: list[Any], shared: bool) -> int:
        if shared:
            for seen_kind, seen, index in self._seen:
                if (
                    seen_kind == kind
                    and seen is values
                    or (seen_kind == kind and len(seen) == len(values) and seen == values)
                ):
                    return index
        self.data.append(_little_endian(kind, values))
        index = len(self.data) - 1
        if shared:
            self._seen.append((kind, values, index))
        return index

    def start_run(self) -> None:
        self._seen.clear()


def run_request_document(request: RunRequest) -> dict[str, Any]:
    """An `init()` request as JSON: a run opening in a batch, or the body of
    `POST /api/runs/open`."""
    return {
        "run_id": request.run_id,
        "name": request.name,
        "resume": request.resume,
        "group": request.group,
        "job_type": request.job_type,
        "notes": request.notes,
        "tags": request.tags,
        "config": request.config,
        "pid": request.pid,
        "host": request.host,
    }


def _little_endian(kind: str, values: list[Any]) -> bytes:
    """The values as little-endian int64 or float64 bytes (the stdlib's `array`: the
    client pays no numpy import for it)."""
    column = array.array("q" if kind == "i64" else "d", values)
    if sys.byteorder == "big":
        column.byteswap()
    return column.tobytes()


def _encode_run(run: RunBatch, columns: _Columns) -> dict[str, Any]:
    columns.start_run()
    return {
        "run_id": run.run_id,
        "last_time": run.last_time,
        "series": {
            name: encoded
            for name, (steps, values, times) in run.series.items()
            if (encoded := _encode_series(steps, values, times, columns)) is not None
        },
        "operations": [[name, payload] for name, payload in run.operations],
    }


def _encode_series(
    steps: list[int], values: list[Any], times: list[float], columns: _Columns
) -> dict[str, Any] | None:
    """The series' columns and items; None when every value was left out."""
    encoded: dict[str, Any] = {
        "steps": columns.add("i64", steps, shared=True),
        "times": columns.add("f64", times, shared=True),
    }
    types = set(map(type, values))
    if types == {float}:
        encoded["f64"] = columns.add("f64", values, shared=False)
    elif types == {int} and _INT64[0] <= min(values) and max(values) <= _INT64[1]:
        encoded["i64"] = columns.add("i64", values, shared=False)
    else:
        items = [_encode_item(value) for value in values]
        if any(item is _SKIPPED for item in items):
            kept = [i for i, item in enumerate(items) if item is not _SKIPPED]
            if not kept:
                return None
            encoded["steps"] = columns.add("i64", [steps[i] for i in kept], shared=False)
            encoded["times"] = columns.add("f64", [times[i] for i in kept], shared=False)
            items = [items[i] for i in kept]
        encoded["items"] = items
    return encoded


def _encode_item(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return {"float": repr(value)}
    if isinstance(value, bool | int | float | str):
        return value
    if is_media(value):
        items = value if isinstance(value, tuple) else (value,)
        encoded = []
        for item in items:
            try:
                encoded.append(_encode_media(item))
            except MediaEncodingError as error:
                warnings.warn(
                    f"trackio skipped a {item.kind}: {error}", RuntimeWarning, stacklevel=2
                )
        if not encoded:
            return _SKIPPED
        return {"media": encoded, "many": isinstance(value, tuple)}
    return {"json": value}


def _encode_media(item: Media) -> dict[str, Any]:
    """The media object's files, written where the server would write them."""
    with tempfile.TemporaryDirectory(prefix="trackio-send-") as folder:
        stem = f"c{uuid.uuid4().hex[:16]}"
        name, details = item.write(Path(folder), stem)
        files = {
            path.name: base64.b64encode(path.read_bytes()).decode()
            for path in sorted(Path(folder).iterdir())
        }
    return {
        "kind": item.kind,
        "caption": item.caption,
        "name": name,
        "details": details,
        "files": files,
    }
