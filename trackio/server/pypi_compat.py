"""What the PyPI trackio's client (0.24 and later) and the Go, JavaScript and Rust
clients of its repository send a self-hosted server, accepted by a team server as is.

That client asks `GET /version` for `{"api_version": 1}` (answered in `team.py`),
then posts `{"args": [], "kwargs": {...}}` bodies to `/api/<name>` with its write
token in the `X-Trackio-Write-Token` header, and counts a batch as delivered only on
a 2xx JSON object without an `"error"`; anything else it stores locally and re-sends,
forever (every 0.5 s, and in a tight loop for 30 s at `finish()`). So everything it
can legitimately send is stored or skipped with a 200, and a 400 is kept for bodies
it never sends. Routes:

- `POST /api/bulk_log`: `logs` entries `{project, run, run_id, metrics, step, config,
  log_id}` (re-sent ones also carry `timestamp`, with `config` null). The Go,
  JavaScript and Rust clients of their repository post a flat body instead,
  `{project, run, metrics_list, steps, timestamps, config}` (no ids; a step of -1
  means none), which is taken too; they need only a 2xx.
- `POST /api/bulk_log_system`: `logs` entries `{project, run, run_id, metrics,
  timestamp, log_id}`, no step.
- `POST /api/bulk_alert`: `alerts` entries `{project, run, run_id, title, text, level,
  step, timestamp, alert_id}`.
- `POST /api/upload`: multipart `files` parts, answered `{"paths": [handle, ...]}`;
  then `POST /api/bulk_upload_media`: `uploads` entries `{project, run, run_id, step,
  relative_path, uploaded_file: {path: handle, orig_name}}`.
- `POST /api/get_runs_for_project` (`project`) and `POST /api/get_run_summary`
  (`project`, `run_id` or `run`): what `init(name=...)` and resuming ask.

Writes need the write token (401 without one, 403 for a wrong one, as `/api/ingest`);
the two reads need the read token when the server has one (the write token does too).
Successful writes answer `{"data": null}`, as the PyPI server does.

How their data becomes ours:

- Exactly once: each entry is stored under its own batch id, `pypi:<log_id>` (system
  entries `pypi-system:<log_id>`, alerts `pypi-alert:<alert_id>`), through the
  store's `append(..., batch_id=)`, so the id is recorded in the transaction that
  stores the entry and a repeated id stores nothing, across server restarts and
  however the client regroups entries when it re-sends them. Ids are per project, as
  on the PyPI server. An entry without an id (the flat body's) is stored each time
  it arrives. One transaction per entry is the price of per-entry ids (the store
  records one id per `append`): about 0.3 ms per entry here.
- Runs are keyed by `run_id` (their 32-hex ids fit ours); an entry without one
  names the newest run called `run`. A run seen for the first time is created with
  the entry's `run` as its name; an entry carrying a `config` (their client sends
  one with the first entry of every `init()`, resumes included) opens the run with
  `resume="allow"`, so a resumed run is marked running again and
  the config is merged over the stored one (the PyPI server replaces it; merging
  keeps the user's keys when a resume sends only its bookkeeping). Their reserved
  config keys are not stored: `_Group` becomes the run's group, `_Username` and
  `_Created` are dropped (as `trackio migrate` does with their project files). Their
  protocol has no finish call, so a run stays `running` and, like any run whose
  writer went quiet, reads as `crashed` two minutes after its last batch.
- Values as `log()` stores them: nested dicts flattened with `/`; the strings `NaN`,
  `Infinity` and `-Infinity` (how their client sends those floats, so the same text
  logged as a string arrives as a float too) become floats; null values, empty keys
  and text that is not UTF-8 are skipped; lists and other JSON are stored as JSON
  values. Their client renames the metric keys `project, run, timestamp, time,
  metrics` and any key starting with `__` to `__<key>`; that is undone, except that
  `step` stays `__step`, which is where our `log()` stores it too. A null `step` is
  the run's last step plus one; an entry's `timestamp` is its time, else the time the
  server received it.
- Media: a `trackio.image`, `trackio.video` or `trackio.audio` value is stored as our
  media once both it and its file (`upload` + `bulk_upload_media`) have arrived,
  matched by project, run, step and file name, in either order, under its own batch
  id `pypi-media:<digest>`. Whichever comes first waits in
  `<TRACKIO_DIR>/.pypi-uploads/parked/` (the value as a small JSON claim), so the
  value is stored once, as media, never first as a dict; a value whose file never
  arrives is not stored at all (their server would show a broken image). A value
  naming no usable file (or a file our media cannot read) is stored as its JSON dict.
  `trackio.histogram` becomes our `Histogram`. Tables (their cells' files included),
  markdown, HTML, traces and other `_type` values are stored as JSON dicts. Uploaded
  image, video and audio files no value claims (a table cell's) stay parked; other
  files are deleted at once, and uploads no `bulk_upload_media` named within a day
  are deleted by a later upload.
- `bulk_log_system`: metrics stored under `system/<name>` (a name already starting
  with `system/` is kept) at the run's last step, with their own timestamps (chart
  them against wall time).
- `bulk_alert`: stored as the text value `[<level>] <title>: <text>` of the metric
  `alert` at the alert's step (it shows in the runs table's `alert` column).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from trackio.media.base import Media, atomic_write
from trackio.remote.wire import WireFormatError, decode_run_request
from trackio.server.responses import HANDLED, JSONResponse, error_response
from trackio.storage import ProjectStore, list_projects, open_store
from trackio.storage.errors import ProjectNotFoundError, RunNotFoundError
from trackio.storage.paths import data_dir, validate_project_name
from trackio.storage.records import RunBatch, RunRecord, RunRequest
from trackio.values import MAX_NESTING

if TYPE_CHECKING:
    from trackio.server.team import Team

_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_RENAMED_KEYS = frozenset({"project", "run", "timestamp", "time", "metrics"})
_RESERVED_CONFIG_KEYS = ("_Username", "_Created", "_Group")
_FILE_MEDIA = {"trackio.image": "image", "trackio.video": "video", "trackio.audio": "audio"}
_MEDIA_SUFFIXES = {
    "image": frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp"}),
    "video": frozenset({".mp4", ".webm", ".gif", ".ogg", ".ogv", ".mov"}),
    "audio": frozenset({".wav", ".mp3", ".ogg", ".oga", ".flac", ".m4a"}),
}
_KEPT_SUFFIXES = frozenset().union(*_MEDIA_SUFFIXES.values())
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")
_HANDLE = re.compile(r"^[0-9a-f]{32}(\.[a-z0-9]{1,8})?$")
_INT64_MAX = 2**63 - 1
_MAX_ID_LENGTH = 128
_STAGED_FOR_SECONDS = 24 * 3600.0
_UPLOAD_DIR = ".pypi-uploads"
_PARKED = "parked"
_PARAMETERS = {
    "bulk_log": ("logs", "hf_token"),
    "bulk_log_system": ("logs", "hf_token"),
    "bulk_alert": ("alerts", "hf_token"),
    "bulk_upload_media": ("uploads", "hf_token"),
    "get_runs_for_project": ("project",),
    "get_run_summary": ("project", "run", "run_id"),
}


class PypiRequestError(ValueError):
    """A body the PyPI client would not send; nothing of it is stored (400)."""


# --- reading a request ---------------------------------------------------------------


def call_arguments(document: Any, api: str) -> dict[str, Any]:
    """The keyword arguments of a `{"args": [...], "kwargs": {...}}` call of `api`
    (positional ones mapped in the PyPI server's parameter order); a body without
    `args`/`kwargs` is taken as the keyword arguments, as their server does, except
    the contrib clients' flat `bulk_log` body (see `contrib_logs`)."""
    if not isinstance(document, dict):
        raise PypiRequestError("the body must be a JSON object")
    if "args" not in document and "kwargs" not in document:
        if api == "bulk_log" and "metrics_list" in document:
            return {"logs": contrib_logs(document)}
        return document
    args = document.get("args", [])
    kwargs = document.get("kwargs", {})
    args = [] if args is None else args
    kwargs = {} if kwargs is None else kwargs
    if not isinstance(args, list):
        raise PypiRequestError("'args' must be a list")
    if not isinstance(kwargs, dict):
        raise PypiRequestError("'kwargs' must be an object")
    names = _PARAMETERS[api]
    if len(args) > len(names):
        raise PypiRequestError(f"{api} takes at most {len(names)} positional arguments")
    merged = dict(kwargs)
    for name, value in zip(names, args, strict=False):
        if name in merged:
            raise PypiRequestError(f"{api} got {name!r} both by position and by name")
        merged[name] = value
    return merged


def decode_call(body: bytes, api: str) -> dict[str, Any]:
    """The keyword arguments of the JSON call of `api` in `body` (`call_arguments`)."""
    try:
        document = json.loads(body)
    except ValueError as error:
        raise PypiRequestError(f"the body is not JSON: {error}") from None
    return call_arguments(document, api)


def _entries(arguments: dict[str, Any], key: str) -> list[Any]:
    entries = arguments.get(key)
    if not isinstance(entries, list):
        raise PypiRequestError(f"{key!r} must be a list")
    return entries


def _object(entry: Any, where: str) -> dict[str, Any]:
    if not isinstance(entry, dict):
        raise PypiRequestError(f"{where} must be an object")
    return entry


def _project(entry: dict[str, Any], where: str) -> str:
    try:
        return validate_project_name(entry.get("project"))
    except ValueError as error:
        raise PypiRequestError(f"{where}: 'project': {error}") from None


def _run_request(entry: dict[str, Any], where: str) -> RunRequest:
    """The run an entry names, by `run_id` or else by `run` (its name), checked as our
    own clients' runs are."""
    try:
        request = decode_run_request(
            {"run_id": entry.get("run_id"), "name": entry.get("run"), "resume": "allow"},
            where,
            needs_id=False,
        )
    except WireFormatError as error:
        raise PypiRequestError(str(error)) from None
    if request.run_id is None and request.name is None:
        raise PypiRequestError(f"{where}: 'run_id' or 'run' is needed")
    return request


RunKey = tuple[str | None, str | None]
"""A run as entries name it: (run_id, None), or (None, name) without an id."""


def _run_key(request: RunRequest) -> RunKey:
    return (request.run_id, None) if request.run_id is not None else (None, request.name)


def contrib_logs(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The entries of the flat body the Go, JavaScript and Rust clients post to
    `/api/bulk_log`: `{project, run, metrics_list, steps, timestamps, config}`, where a
    step of -1 and an empty timestamp mean none; the config goes with the first."""
    metrics_list = document.get("metrics_list")
    if not isinstance(metrics_list, list):
        raise PypiRequestError("'metrics_list' must be a list")
    columns = {}
    for key in ("steps", "timestamps"):
        column = document.get(key)
        column = [None] * len(metrics_list) if column is None else column
        if not isinstance(column, list) or len(column) != len(metrics_list):
            raise PypiRequestError(f"{key!r} must be a list as long as 'metrics_list'")
        columns[key] = column
    return [
        {
            "project": document.get("project"),
            "run": document.get("run"),
            "metrics": metrics,
            "step": None if isinstance(step, int) and step < 0 else step,
            "timestamp": stamp or None,
            "config": document.get("config") if index == 0 else None,
        }
        for index, (metrics, step, stamp) in enumerate(
            zip(metrics_list, columns["steps"], columns["timestamps"], strict=True)
        )
    ]


def _optional_id(entry: dict[str, Any], key: str, where: str) -> str | None:
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= _MAX_ID_LENGTH:
        raise PypiRequestError(f"{where}: {key!r} must be a string of 1 to 128 characters")
    return value


def _optional_step(entry: dict[str, Any], where: str) -> int | None:
    step = entry.get("step")
    if step is None:
        return None
    if not isinstance(step, int) or isinstance(step, bool) or not 0 <= step <= _INT64_MAX:
        raise PypiRequestError(f"{where}: 'step' must be an integer from 0 to 2**63-1, or null")
    return step


def _moment(entry: dict[str, Any], where: str, received: float) -> float:
    """The entry's `timestamp` (ISO 8601, UTC when it names no zone) in epoch seconds,
    else when the request arrived."""
    stamp = entry.get("timestamp")
    if stamp is None:
        return received
    if isinstance(stamp, (int, float)) and not isinstance(stamp, bool) and math.isfinite(stamp):
        return float(stamp)
    if isinstance(stamp, str):
        try:
            parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            pass
        else:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=timezone.utc)
            return parsed.timestamp()
    raise PypiRequestError(f"{where}: 'timestamp' must be an ISO 8601 time, got {stamp!r}")


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _histogram(value: dict[str, Any]) -> Any:
    from trackio.media.histogram import Histogram

    try:
        return Histogram(np_histogram=(value.get("values"), value.get("bins")))
    except (TypeError, ValueError):
        return value


def _stored_key(key: str) -> str:
    """The metric name our `log()` would have stored for what their client renamed."""
    if key.startswith("__"):
        original = key[2:]
        if original in _RENAMED_KEYS or original.startswith("__"):
            return original
    return key


def flatten_metrics(metrics: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Their metrics as one flat row of the values we store (see the module docstring)."""
    row: dict[str, Any] = {}
    _flatten_into(row, prefix, metrics, 1)
    return row


def _flatten_into(row: dict[str, Any], prefix: str, data: dict[str, Any], depth: int) -> None:
    for key, value in data.items():
        name = prefix + (_stored_key(key) if depth == 1 else key)
        nested = isinstance(value, dict) and not isinstance(value.get("_type"), str)
        if nested and depth < MAX_NESTING:
            _flatten_into(row, name + "/", value, depth + 1)
            continue
        if not name or not _is_utf8(name) or value is None:
            continue
        if isinstance(value, str):
            if not _is_utf8(value):
                continue
            row[name] = _SPECIAL_FLOATS.get(value, value)
        elif isinstance(value, dict) and value.get("_type") == "trackio.histogram":
            row[name] = _histogram(value)
        else:
            row[name] = value


# --- uploaded files ------------------------------------------------------------------


def _upload_dir() -> Path:
    return data_dir() / _UPLOAD_DIR


def _file_name(text: Any) -> str | None:
    """The last part of a client's file path, or None if it names no file."""
    if not isinstance(text, str):
        return None
    name = PurePosixPath(text.replace("\\", "/")).name
    if name in ("", ".", "..") or not _is_utf8(name):
        return None
    return name


def _suffix(name: str) -> str:
    suffix = PurePosixPath(name).suffix.lower()
    return suffix if _SUFFIX.match(suffix) else ""


@dataclass(frozen=True)
class _MediaSlot:
    """Where a file media value and its uploaded file meet: by project, run, step and
    the client's file name, which both sides carry, so either may come first."""

    project: str
    run_id: str
    step: int
    name: str

    @property
    def digest(self) -> str:
        text = f"{self.project}\0{self.run_id}\0{self.step}\0{self.name}"
        return hashlib.sha256(text.encode()).hexdigest()[:40]

    @property
    def file(self) -> Path:
        """The uploaded file, waiting for its value."""
        return _upload_dir() / _PARKED / f"{self.digest}{_suffix(self.name)}"

    @property
    def claim(self) -> Path:
        """The value (key, value, time), waiting for its file."""
        return _upload_dir() / _PARKED / f"{self.digest}.claim.json"

    @property
    def batch_id(self) -> str:
        return f"pypi-media:{self.digest}"


def _media_from_file(kind: str, path: Path, caption: Any) -> Media | None:
    """Our media object of an uploaded file, or None if it is not one we can store."""
    from trackio.media.audio import Audio
    from trackio.media.image import Image
    from trackio.media.video import Video

    text = caption if isinstance(caption, str) else None
    if _suffix(path.name) not in _MEDIA_SUFFIXES[kind]:
        return None
    try:
        if kind == "image":
            return Image.from_encoded(path.read_bytes(), caption=text)
        if kind == "video":
            return Video(path, caption=text)
        return Audio(path, caption=text)
    except (OSError, ValueError):
        return None


def parse_multipart(content_type: str, body: bytes) -> list[tuple[str, str | None, bytes]]:
    """(field name, file name, bytes) of each part of a `multipart/form-data` body."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not content_type.lower().startswith("multipart/form-data") or match is None:
        raise PypiRequestError("the body must be multipart/form-data with a boundary")
    delimiter = b"--" + match.group(1).encode("latin-1")
    pieces = body.split(delimiter)
    if len(pieces) < 3 or not pieces[-1].startswith(b"--"):
        raise PypiRequestError("the multipart body is cut short")
    parts = []
    for piece in pieces[1:-1]:
        if not piece.startswith(b"\r\n") or not piece.endswith(b"\r\n"):
            raise PypiRequestError("a multipart part is malformed")
        head, separator, content = piece[2:-2].partition(b"\r\n\r\n")
        if not separator:
            raise PypiRequestError("a multipart part has no header end")
        disposition = ""
        for line in head.decode("utf-8", "replace").split("\r\n"):
            label, _, text = line.partition(":")
            if label.strip().lower() == "content-disposition":
                disposition = text
        name = re.search(r'(?:^|;)\s*name="([^"]*)"', disposition)
        filename = re.search(r'filename="([^"]*)"', disposition)
        parts.append(
            (name.group(1) if name else "", filename.group(1) if filename else None, content)
        )
    return parts


# --- storing -------------------------------------------------------------------------


@dataclass
class _Entry:
    """One value-bearing entry, checked, as it will be stored."""

    project: str
    run: RunRequest
    values: dict[str, Any]
    step: int | None
    moment: float
    batch_id: str | None
    config: dict[str, Any] | None = None
    at_last_step: bool = False


def _check_log(item: Any, index: int, received: float) -> _Entry:
    where = f"logs[{index}]"
    entry = _object(item, where)
    project = _project(entry, where)
    run = _run_request(entry, where)
    metrics = entry.get("metrics")
    if metrics is None:
        metrics = {}
    if not isinstance(metrics, dict):
        raise PypiRequestError(f"{where}: 'metrics' must be an object")
    config = entry.get("config")
    if config is not None and not isinstance(config, dict):
        raise PypiRequestError(f"{where}: 'config' must be an object or null")
    log_id = _optional_id(entry, "log_id", where)
    return _Entry(
        project,
        run,
        flatten_metrics(metrics),
        _optional_step(entry, where),
        _moment(entry, where, received),
        None if log_id is None else f"pypi:{log_id}",
        config,
    )


def _check_system_log(item: Any, index: int, received: float) -> _Entry:
    where = f"logs[{index}]"
    entry = _object(item, where)
    metrics = entry.get("metrics")
    if not isinstance(metrics, dict):
        raise PypiRequestError(f"{where}: 'metrics' must be an object")
    values = {
        name if name.startswith("system/") else f"system/{name}": value
        for name, value in flatten_metrics(metrics).items()
    }
    log_id = _optional_id(entry, "log_id", where)
    return _Entry(
        _project(entry, where),
        _run_request(entry, where),
        values,
        None,
        _moment(entry, where, received),
        None if log_id is None else f"pypi-system:{log_id}",
        at_last_step=True,
    )


def _check_alert(item: Any, index: int, received: float) -> _Entry:
    where = f"alerts[{index}]"
    entry = _object(item, where)
    parts = {}
    for key in ("title", "text", "level"):
        value = entry.get(key)
        if value is not None and not isinstance(value, str):
            raise PypiRequestError(f"{where}: {key!r} must be a string or null")
        parts[key] = value or ""
    text = f"[{parts['level'] or 'warn'}] {parts['title']}"
    if parts["text"]:
        text += f": {parts['text']}"
    step = _optional_step(entry, where)
    alert_id = _optional_id(entry, "alert_id", where)
    return _Entry(
        _project(entry, where),
        _run_request(entry, where),
        {"alert": text} if _is_utf8(text) else {},
        step,
        _moment(entry, where, received),
        None if alert_id is None else f"pypi-alert:{alert_id}",
        at_last_step=step is None,
    )


def _user_config(config: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    group = config.get("_Group")
    kept = {k: v for k, v in config.items() if k not in _RESERVED_CONFIG_KEYS}
    return kept, group if isinstance(group, str) and group else None


class _RunSteps:
    """The last step of each run a request writes to, read once and kept current."""

    def __init__(self, store: ProjectStore) -> None:
        self.store = store
        self._last: dict[str, int | None] = {}

    def last(self, record: RunRecord) -> int | None:
        if record.run_id not in self._last:
            extent = self.store.run_extents([record]).get(record.run_id)
            self._last[record.run_id] = None if extent is None else extent[0]
        return self._last[record.run_id]

    def saw(self, run_id: str, step: int) -> None:
        known = self._last.get(run_id)
        if run_id in self._last and (known is None or step > known):
            self._last[run_id] = step


def _open_runs(store: ProjectStore, entries: list[_Entry]) -> dict[RunKey, RunRecord]:
    """The record of every run the entries write to: created when new, reopened (its
    config merged) when an entry carries a config, as their client's `init()` does. A
    run named without an id is the newest run of that name, as on their server."""
    configs: dict[RunKey, dict[str, Any]] = {}
    groups: dict[RunKey, str | None] = {}
    requests: dict[RunKey, RunRequest] = {}
    for entry in entries:
        key = _run_key(entry.run)
        requests.setdefault(key, entry.run)
        if entry.config is not None:
            kept, group = _user_config(entry.config)
            configs[key] = {**configs.get(key, {}), **kept}
            groups.setdefault(key, group)
    records = {}
    named: dict[str, RunRecord] | None = None
    for key, request in requests.items():
        if key not in configs:
            run_id, name = key
            if run_id is not None:
                try:
                    records[key] = store.get_run(run_id)
                    continue
                except RunNotFoundError:
                    pass
            else:
                if named is None:
                    named = {record.name: record for record in store.list_runs()}
                if name in named:
                    records[key] = named[name]
                    continue
        opening = replace(request, config=configs.get(key, {}), group=groups.get(key))
        records[key] = store.open_run(opening).record
    return records


def _set_media_aside(entry: _Entry, run_id: str, step: int) -> list[_MediaSlot]:
    """Take the file media values out of the entry, each written as the claim its
    uploaded file completes (see `complete_media`): no value is stored twice, first
    as a dict and then as media. A value naming no usable file stays a JSON value."""
    slots = []
    for key, value in list(entry.values.items()):
        if not isinstance(value, dict) or value.get("_type") not in _FILE_MEDIA:
            continue
        name = _file_name(value.get("file_path"))
        kind = _FILE_MEDIA[value["_type"]]
        if name is None or _suffix(name) not in _MEDIA_SUFFIXES[kind]:
            continue
        slot = _MediaSlot(entry.project, run_id, step, name)
        slot.claim.parent.mkdir(parents=True, exist_ok=True)
        claim = {"key": key, "value": value, "time": entry.moment}
        atomic_write(slot.claim, json.dumps(claim).encode())
        del entry.values[key]
        slots.append(slot)
    return slots


def complete_media(store: ProjectStore, slot: _MediaSlot) -> bool:
    """Store the media value of a slot whose value and file have both arrived, exactly
    once (under the slot's batch id); True if it was stored now."""
    if not (slot.claim.is_file() and slot.file.is_file()):
        return False
    stored = False
    if not store.has_batch(slot.batch_id):
        claim = json.loads(slot.claim.read_text(encoding="utf-8"))
        value = claim["value"]
        media = _media_from_file(_FILE_MEDIA[value["_type"]], slot.file, value.get("caption"))
        batch = RunBatch(
            slot.run_id,
            {claim["key"]: ([slot.step], [value if media is None else media], [claim["time"]])},
            last_time=time.time(),
        )
        result = store.append([batch], batch_id=slot.batch_id)
        stored = not result.duplicate and not result.missing_runs
    slot.claim.unlink(missing_ok=True)
    slot.file.unlink(missing_ok=True)
    return stored


def store_entries(store: ProjectStore, entries: list[_Entry]) -> int:
    """Store one project's new entries, each exactly once; how many were new."""
    seen: set[str] = set()
    fresh = []
    for entry in entries:
        if entry.batch_id is not None:
            if entry.batch_id in seen or store.has_batch(entry.batch_id):
                continue
            seen.add(entry.batch_id)
        fresh.append(entry)
    if not fresh:
        return 0
    records = _open_runs(store, fresh)
    steps = _RunSteps(store)
    stored = 0
    for entry in fresh:
        record = records[_run_key(entry.run)]
        step = entry.step
        if step is None:
            last = steps.last(record)
            if entry.at_last_step:
                step = 0 if last is None else last
            else:
                step = 0 if last is None else last + 1
        slots = _set_media_aside(entry, record.run_id, step)
        batch = RunBatch(record.run_id, last_time=time.time())
        for key, value in entry.values.items():
            batch.series[key] = ([step], [value], [entry.moment])
        result = store.append([batch], batch_id=entry.batch_id)
        if not result.duplicate and not result.missing_runs:
            stored += 1
            steps.saw(record.run_id, step)
            for slot in slots:
                complete_media(store, slot)
    return stored


@dataclass
class _Upload:
    project: str
    run: RunRequest | None
    step: int | None
    name: str | None
    staged: Path


def _check_upload(item: Any, index: int) -> _Upload:
    where = f"uploads[{index}]"
    entry = _object(item, where)
    project = _project(entry, where)
    uploaded = entry.get("uploaded_file")
    if not isinstance(uploaded, dict):
        raise PypiRequestError(f"{where}: 'uploaded_file' must be an object")
    handle = uploaded.get("path")
    if not isinstance(handle, str) or not _HANDLE.match(handle):
        raise PypiRequestError(f"{where}: 'uploaded_file.path' is not a path /api/upload gave")
    staged = _upload_dir() / handle
    if not staged.is_file():
        raise PypiRequestError(f"{where}: no uploaded file {handle!r} (upload it again)")
    run = None if entry.get("run") is None else _run_request(entry, where)
    return _Upload(
        project,
        run,
        _optional_step(entry, where),
        _file_name(uploaded.get("orig_name")) or _file_name(handle),
        staged,
    )


def store_upload(store: ProjectStore | None, upload: _Upload) -> bool:
    """Keep an uploaded file where its value finds it, and store the media at once if
    the value came first; True if it was stored now. `store` is None when the project
    does not exist yet (the file then waits for the value that creates it)."""
    if upload.run is None or upload.step is None or upload.name is None:
        # A project file (their `relative_path` uploads): nothing of ours holds it.
        upload.staged.unlink(missing_ok=True)
        return False
    if _suffix(upload.name) not in _KEPT_SUFFIXES:
        # HTML, 3D objects and the like: no value of ours can show them.
        upload.staged.unlink(missing_ok=True)
        return False
    run_id = upload.run.run_id
    if run_id is None:
        named = [] if store is None else store.list_runs()
        named = [record for record in named if record.name == upload.run.name]
        if not named:
            upload.staged.unlink(missing_ok=True)
            return False
        run_id = named[-1].run_id
    slot = _MediaSlot(upload.project, run_id, upload.step, upload.name)
    if store is not None and store.has_batch(slot.batch_id):
        # Their client re-sent a file that was stored already.
        upload.staged.unlink(missing_ok=True)
        return False
    slot.file.parent.mkdir(parents=True, exist_ok=True)
    upload.staged.replace(slot.file)
    return store is not None and complete_media(store, slot)


def _forget_old_uploads(now: float) -> None:
    """Delete staged uploads no `bulk_upload_media` named within a day."""
    folder = _upload_dir()
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        try:
            if path.is_file() and now - path.stat().st_mtime > _STAGED_FOR_SECONDS:
                path.unlink()
        except OSError:
            continue


def _save_uploads(content_type: str, body: bytes) -> list[str]:
    """Keep each file of an `/api/upload` body; the handles their client sends back."""
    files = [part for part in parse_multipart(content_type, body) if part[1] is not None]
    if not files:
        raise PypiRequestError("the body holds no file")
    _forget_old_uploads(time.time())
    handles = []
    for _, filename, content in files:
        handle = uuid.uuid4().hex + _suffix(filename or "")
        atomic_write(_upload_dir() / handle, content)
        handles.append(handle)
    return handles


# --- reads ---------------------------------------------------------------------------


def _iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, tz=timezone.utc).isoformat()


def runs_for_project(arguments: dict[str, Any]) -> list[dict[str, Any]]:
    """`get_runs_for_project`: every run's id, name and creation time (ISO 8601)."""
    try:
        project = validate_project_name(arguments.get("project"))
    except ValueError as error:
        raise PypiRequestError(f"'project': {error}") from None
    try:
        with open_store(project) as store:
            runs = store.list_runs()
    except ProjectNotFoundError:
        return []
    return [{"id": r.run_id, "name": r.name, "created_at": _iso(r.created_at)} for r in runs]


def run_summary(arguments: dict[str, Any]) -> dict[str, Any]:
    """`get_run_summary`: what their client's resume needs (`last_step`), and more."""
    try:
        project = validate_project_name(arguments.get("project"))
    except ValueError as error:
        raise PypiRequestError(f"'project': {error}") from None
    run_id, name = arguments.get("run_id"), arguments.get("run")
    if not isinstance(run_id, str | None) or not isinstance(name, str | None):
        raise PypiRequestError("'run' and 'run_id' must be strings or null")
    answer: dict[str, Any] = {
        "project": project,
        "run": name,
        "run_id": run_id,
        "num_logs": 0,
        "metrics": [],
        "config": None,
        "last_step": None,
    }
    try:
        with open_store(project) as store:
            records = store.list_runs()
            found = [r for r in records if r.run_id == run_id] if run_id else []
            if not found and run_id is None and name is not None:
                found = [r for r in records if r.name == name][-1:]
            if not found:
                return answer
            record = found[0]
            extent = store.run_extents([record]).get(record.run_id)
            metrics = store.metric_names(record)
    except ProjectNotFoundError:
        return answer
    answer.update(run=record.name, run_id=record.run_id, config=record.config, metrics=metrics)
    if extent is not None:
        answer.update(last_step=extent[0], num_logs=extent[1])
    return answer


# --- routes --------------------------------------------------------------------------


def pypi_routes(team: Team) -> list[Route]:
    """The routes through which the PyPI trackio's client logs to a team server."""
    from trackio.server.team import guarded_body

    def bulk(
        api: str, key: str, check: Callable[[Any, int, float], _Entry]
    ) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            body = await guarded_body(request, team, write=True)
            if isinstance(body, Response):
                return body
            received = time.time()

            def check_all() -> list[_Entry]:
                # Every entry is checked before any is stored.
                items = _entries(decode_call(body, api), key)
                return [check(item, index, received) for index, item in enumerate(items)]

            try:
                # Decoding runs in a worker thread, so a big batch never stalls the
                # dashboard; storing on the PyPI writer thread.
                entries = await run_in_threadpool(check_all)
                await team.write(lambda: _store_all(team, entries))
            except HANDLED as error:
                return error_response(error)
            return JSONResponse({"data": None})

        return endpoint

    async def upload(request: Request) -> Response:
        body = await guarded_body(request, team, write=True)
        if isinstance(body, Response):
            return body
        content_type = request.headers.get("content-type", "")
        try:
            handles = await run_in_threadpool(_save_uploads, content_type, body)
        except HANDLED as error:
            return error_response(error)
        return JSONResponse({"paths": handles})

    async def upload_media(request: Request) -> Response:
        body = await guarded_body(request, team, write=True)
        if isinstance(body, Response):
            return body

        def check_all() -> list[_Upload]:
            items = _entries(decode_call(body, "bulk_upload_media"), "uploads")
            return [_check_upload(item, index) for index, item in enumerate(items)]

        try:
            uploads = await run_in_threadpool(check_all)
            await team.write(lambda: _store_uploads(team, uploads))
        except HANDLED as error:
            return error_response(error)
        return JSONResponse({"data": None})

    def read(api: str, answer: Callable[[dict[str, Any]], Any]) -> Callable[[Request], Any]:
        async def endpoint(request: Request) -> Response:
            body = await guarded_body(request, team, write=False)
            if isinstance(body, Response):
                return body
            try:
                data = await run_in_threadpool(lambda: answer(decode_call(body, api)))
            except HANDLED as error:
                return error_response(error)
            return JSONResponse({"data": data})

        return endpoint

    return [
        Route("/api/bulk_log", bulk("bulk_log", "logs", _check_log), methods=["POST"]),
        Route(
            "/api/bulk_log_system",
            bulk("bulk_log_system", "logs", _check_system_log),
            methods=["POST"],
        ),
        Route("/api/bulk_alert", bulk("bulk_alert", "alerts", _check_alert), methods=["POST"]),
        Route("/api/upload", upload, methods=["POST"]),
        Route("/api/bulk_upload_media", upload_media, methods=["POST"]),
        Route(
            "/api/get_runs_for_project",
            read("get_runs_for_project", runs_for_project),
            methods=["POST"],
        ),
        Route("/api/get_run_summary", read("get_run_summary", run_summary), methods=["POST"]),
    ]


def _store_all(team: Team, entries: list[_Entry]) -> int:
    by_project: dict[str, list[_Entry]] = {}
    for entry in entries:
        by_project.setdefault(entry.project, []).append(entry)
    return sum(
        store_entries(team.writers.store(project), group) for project, group in by_project.items()
    )


def _store_uploads(team: Team, uploads: list[_Upload]) -> int:
    # A file alone does not create a project: its value does, when it comes.
    existing = set(list_projects())
    return sum(
        store_upload(team.writers.store(u.project) if u.project in existing else None, u)
        for u in uploads
    )
