"""Reading a batch body back (`trackio.remote.wire` describes its format): the team
server's side, and the client's when it re-sends a batch in the PyPI trackio's
protocol. Everything is checked before anything is returned: a malformed body is a
`WireFormatError` naming the problem."""

from __future__ import annotations

import array
import base64
import json
import math
import re
import sys
import zlib
from pathlib import Path
from typing import Any

from trackio.media.base import Media, atomic_write
from trackio.remote.wire import (
    MAGIC,
    MEDIA_FILE_SUFFIXES,
    OPERATIONS,
    WIRE_VERSION,
    DecodedBatch,
    OpenRequest,
    WireFormatError,
)
from trackio.storage.paths import validate_project_name
from trackio.storage.records import RunBatch, RunRequest

_FILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$")
_RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
_RESUME = frozenset({"never", "allow", "must"})


def decode_batch(body: bytes, max_size: int | None = None) -> DecodedBatch:
    """The batch in a body, gunzipped if it is compressed (to at most `max_size`
    bytes); `WireFormatError` if any part of it is malformed."""
    if body[:2] == b"\x1f\x8b":
        unpacker = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            body = unpacker.decompress(body, max_size or 0)
        except zlib.error as error:
            raise WireFormatError(f"the body is not valid gzip: {error}") from None
        if unpacker.unconsumed_tail:
            raise WireFormatError(f"the body unpacks to more than {max_size} bytes")
        if not unpacker.eof:
            raise WireFormatError("the body is not valid gzip: it is cut short")
    if not body.startswith(MAGIC):
        raise WireFormatError("the body is not a trackio batch (it does not start with its mark)")
    start = len(MAGIC) + 8
    size = int.from_bytes(body[len(MAGIC) : start], "little")
    try:
        document = json.loads(body[start : start + size])
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        raise WireFormatError(f"the batch header is not JSON: {error}") from None
    if not isinstance(document, dict):
        raise WireFormatError("the batch header must be a JSON object")
    if document.get("v") != WIRE_VERSION:
        raise WireFormatError(f"unknown batch version {document.get('v')!r} (this server: 1)")
    batch_id = document.get("batch_id")
    if not isinstance(batch_id, str) or not 8 <= len(batch_id) <= 128:
        raise WireFormatError("'batch_id' must be a string of 8 to 128 characters")
    project = document.get("project")
    try:
        project = validate_project_name(project)
    except (TypeError, ValueError) as error:
        raise WireFormatError(f"'project': {error}") from None
    columns = _decode_columns(document, memoryview(body)[start + size :])
    opens = [decode_open(item, f"opens[{i}]") for i, item in enumerate(_list(document, "opens"))]
    runs = [_decode_run(item, index, columns) for index, item in enumerate(_list(document, "runs"))]
    return DecodedBatch(batch_id, project, opens, runs)


def _decode_columns(document: dict[str, Any], blob: memoryview) -> _ColumnReader:
    lengths = _list(document, "columns")
    if not all(_is_integer(n) and n >= 0 and n % 8 == 0 for n in lengths):
        raise WireFormatError("'columns' must list byte lengths that are multiples of 8")
    if sum(lengths) != len(blob):
        raise WireFormatError(
            f"the columns add up to {sum(lengths)} bytes but {len(blob)} follow the header"
        )
    columns = []
    offset = 0
    for length in lengths:
        columns.append(blob[offset : offset + length])
        offset += length
    return _ColumnReader(columns)


def _list(document: dict[str, Any], key: str) -> list[Any]:
    value = document.get(key, [])
    if not isinstance(value, list):
        raise WireFormatError(f"{key!r} must be a list")
    return value


def is_wire_run_id(value: str) -> bool:
    """Whether a run id can travel to a server (letters, digits, '.', '_', '-')."""
    return bool(_RUN_ID.match(value))


def _run_id(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _RUN_ID.match(value):
        raise WireFormatError(f"{where}: 'run_id' must be letters, digits, '.', '_' or '-'")
    return value


def _optional_str(item: dict[str, Any], key: str, where: str) -> str | None:
    value = item.get(key)
    if value is not None and not isinstance(value, str):
        raise WireFormatError(f"{where}: {key!r} must be a string or null")
    return value


def decode_open(item: Any, where: str) -> OpenRequest:
    """A run opening as the client sent it; `WireFormatError` naming `where` if malformed."""
    request = decode_run_request(item, where)
    assert request.run_id is not None
    return OpenRequest(request.run_id, request)


def decode_run_request(item: Any, where: str, *, needs_id: bool = True) -> RunRequest:
    """The `init()` request a client sent (its `run_id` may be null unless `needs_id`);
    `WireFormatError` naming `where` if malformed."""
    if not isinstance(item, dict):
        raise WireFormatError(f"{where} must be an object")
    run_id = item.get("run_id")
    if run_id is not None or needs_id:
        run_id = _run_id(run_id, where)
    name = _optional_str(item, "name", where)
    if name is not None and not name.strip():
        raise WireFormatError(f"{where}: 'name' must not be empty")
    resume = item.get("resume", "allow")
    if resume not in _RESUME:
        raise WireFormatError(f"{where}: 'resume' must be one of never, allow, must")
    tags = item.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
        raise WireFormatError(f"{where}: 'tags' must be a list of strings")
    config = item.get("config") or {}
    if not isinstance(config, dict):
        raise WireFormatError(f"{where}: 'config' must be an object")
    pid = item.get("pid")
    if pid is not None and not _is_integer(pid):
        raise WireFormatError(f"{where}: 'pid' must be an integer or null")
    return RunRequest(
        name=name,
        run_id=run_id,
        resume=resume,
        group=_optional_str(item, "group", where),
        job_type=_optional_str(item, "job_type", where),
        notes=_optional_str(item, "notes", where),
        tags=tags,
        config=config,
        pid=pid,
        host=_optional_str(item, "host", where),
    )


def _decode_run(item: Any, index: int, columns: _ColumnReader) -> RunBatch:
    where = f"runs[{index}]"
    if not isinstance(item, dict):
        raise WireFormatError(f"{where} must be an object")
    batch = RunBatch(_run_id(item.get("run_id"), where))
    last_time = item.get("last_time")
    if last_time is not None and not (_is_number(last_time) and math.isfinite(last_time)):
        raise WireFormatError(f"{where}: 'last_time' must be a finite number or null")
    batch.last_time = last_time
    series = item.get("series", {})
    if not isinstance(series, dict):
        raise WireFormatError(f"{where}: 'series' must be an object")
    for name, encoded in series.items():
        if not name:
            raise WireFormatError(f"{where}: a metric name is empty")
        batch.series[name] = _decode_series(encoded, f"{where}.series[{name!r}]", columns)
    operations = item.get("operations", [])
    if not isinstance(operations, list):
        raise WireFormatError(f"{where}: 'operations' must be a list")
    for number, operation in enumerate(operations):
        batch.operations.append(_decode_operation(operation, f"{where}.operations[{number}]"))
    return batch


def _is_integer(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _ColumnReader:
    """The batch's columns as lists, each decoded and checked once however many series
    share it (a fresh copy each time, so no two series share a list)."""

    def __init__(self, columns: list[memoryview]) -> None:
        self._columns = columns
        self._decoded: dict[tuple[int, str], list[Any]] = {}
        self._checked: set[tuple[int, str]] = set()

    def read(self, encoded: dict[str, Any], key: str, kind: str, where: str) -> list[Any]:
        index = encoded.get(key)
        if not isinstance(index, int) or isinstance(index, bool):
            raise WireFormatError(f"{where}: {key!r} must be the index of one of the columns")
        if not 0 <= index < len(self._columns):
            raise WireFormatError(f"{where}: {key!r} must be the index of one of the columns")
        decoded = self._decoded.get((index, kind))
        if decoded is None:
            column = array.array("q" if kind == "i64" else "d")
            column.frombytes(self._columns[index])
            if sys.byteorder == "big":
                column.byteswap()
            decoded = self._decoded[(index, kind)] = column.tolist()
        return list(decoded)

    def check(self, encoded: dict[str, Any], key: str, rule: str, where: str) -> None:
        """Check the column `key` points at once: `steps` (none negative) or `times`
        (all finite: a NaN or infinity makes their sum so)."""
        index = encoded[key]
        if (index, rule) in self._checked:
            return
        values = self._decoded[(index, "i64" if rule == "steps" else "f64")]
        if rule == "steps" and values and min(values) < 0:
            raise WireFormatError(f"{where}: steps must be 0 or more")
        if rule == "times" and not math.isfinite(sum(values)):
            raise WireFormatError(f"{where}: times must be finite")
        self._checked.add((index, rule))


def _decode_series(
    encoded: Any, where: str, columns: _ColumnReader
) -> tuple[list[int], list[Any], list[float]]:
    if not isinstance(encoded, dict):
        raise WireFormatError(f"{where} must be an object")
    steps = columns.read(encoded, "steps", "i64", where)
    times = columns.read(encoded, "times", "f64", where)
    if "f64" in encoded:
        values = columns.read(encoded, "f64", "f64", where)
    elif "i64" in encoded:
        values = columns.read(encoded, "i64", "i64", where)
    elif isinstance(encoded.get("items"), list):
        values = [
            _decode_item(value, f"{where}.items[{i}]") for i, value in enumerate(encoded["items"])
        ]
    else:
        raise WireFormatError(f"{where}: values must be given as 'f64', 'i64' or 'items'")
    if not len(steps) == len(values) == len(times):
        raise WireFormatError(
            f"{where}: {len(steps)} steps, {len(values)} values and {len(times)} times differ"
        )
    columns.check(encoded, "steps", "steps", where)
    columns.check(encoded, "times", "times", where)
    return steps, values, times


def _decode_item(value: Any, where: str) -> Any:
    if isinstance(value, bool | int | float | str):
        return value
    if not isinstance(value, dict) or len(value) not in (1, 2):
        raise WireFormatError(f"{where}: not a value this protocol sends")
    if "float" in value:
        text = value["float"]
        if text not in ("nan", "inf", "-inf"):
            raise WireFormatError(f"{where}: 'float' must be nan, inf or -inf")
        return float(text)
    if "json" in value:
        return value["json"]
    if "media" in value and isinstance(value["media"], list) and value["media"]:
        items = tuple(
            _decode_media(item, f"{where}.media[{i}]") for i, item in enumerate(value["media"])
        )
        return items if value.get("many") else items[0]
    raise WireFormatError(f"{where}: not a value this protocol sends")


def _decode_media(item: Any, where: str) -> ReceivedMedia:
    if not isinstance(item, dict):
        raise WireFormatError(f"{where} must be an object")
    kind = item.get("kind")
    if kind not in MEDIA_FILE_SUFFIXES:
        raise WireFormatError(f"{where}: unknown media kind {kind!r}")
    files = item.get("files") or {}
    if not isinstance(files, dict):
        raise WireFormatError(f"{where}: 'files' must be an object")
    decoded: dict[str, bytes] = {}
    for name, text in files.items():
        if not _FILE_NAME.match(name) or ".." in name:
            raise WireFormatError(f"{where}: file name {name!r} is not allowed")
        if name.rpartition(".")[2].lower() not in MEDIA_FILE_SUFFIXES[kind]:
            raise WireFormatError(f"{where}: a {kind} cannot bring a file named {name!r}")
        try:
            decoded[name] = base64.b64decode(text, validate=True)
        except (TypeError, ValueError):
            raise WireFormatError(f"{where}: file {name!r} is not valid base64") from None
    name = item.get("name")
    if name is not None and name not in decoded:
        raise WireFormatError(f"{where}: 'name' must be one of its files")
    details = item.get("details") or {}
    if not isinstance(details, dict):
        raise WireFormatError(f"{where}: 'details' must be an object")
    return ReceivedMedia(kind, _optional_str(item, "caption", where), name, details, decoded)


def _decode_operation(operation: Any, where: str) -> tuple[str, Any]:
    if not isinstance(operation, list) or len(operation) != 2 or operation[0] not in OPERATIONS:
        raise WireFormatError(
            f"{where} must be [name, payload] with name one of {sorted(OPERATIONS)}"
        )
    name, payload = operation
    if name == "finish":
        if (
            not isinstance(payload, list)
            or len(payload) != 3
            or payload[0] not in ("finished", "failed")
            or not (
                payload[1] is None
                or (isinstance(payload[1], int) and not isinstance(payload[1], bool))
            )
            or not _is_number(payload[2])
            or not math.isfinite(payload[2])
        ):
            raise WireFormatError(f"{where}: finish takes [status, exit_code, time]")
        return name, tuple(payload)
    if not isinstance(payload, str):
        raise WireFormatError(f"{where}: {name} takes a JSON text")
    try:
        json.loads(payload)
    except ValueError:
        raise WireFormatError(f"{where}: {name} is not valid JSON") from None
    return name, payload


class ReceivedMedia(Media):
    """A media value as a client wrote it: its files are written under their own names
    (client-made, checked), which a table's cells refer to."""

    def __init__(
        self,
        kind: str,
        caption: str | None,
        name: str | None,
        details: dict[str, Any],
        files: dict[str, bytes],
    ) -> None:
        super().__init__(caption)
        self.kind = kind
        self._name = name
        self._details = details
        self._files = files

    def _encode(self) -> tuple[str, bytes | None, dict[str, Any]]:
        return "", None, self._details

    def write(self, folder: Path, stem: str) -> tuple[str | None, dict[str, Any]]:
        """Write the files into `folder`; return the main file's name and details."""
        for name, data in self._files.items():
            atomic_write(folder / name, data)
        return self._name, self._details

    def files_written(self, folder: Path, stem: str, name: str | None) -> list[str]:
        """Every file the client sent with it."""
        return list(self._files)
