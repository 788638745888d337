"""Reading a PyPI client's request: its call's keyword arguments, the fields of its
entries checked, and its metrics flattened into the values we store."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any

from trackio.remote.wire import WireFormatError
from trackio.remote.wire_decoding import decode_run_request
from trackio.storage.paths import validate_project_name
from trackio.storage.records import RunRequest
from trackio.values import MAX_NESTING

_SPECIAL_FLOATS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
_RENAMED_KEYS = frozenset({"project", "run", "timestamp", "time", "metrics"})
_INT64_MAX = 2**63 - 1
_MAX_ID_LENGTH = 128
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
    except (ValueError, RecursionError) as error:
        raise PypiRequestError(f"the body is not JSON: {error}") from None
    return call_arguments(document, api)


def entry_list(arguments: dict[str, Any], key: str) -> list[Any]:
    """The list of entries a call passes as `key`."""
    entries = arguments.get(key)
    if not isinstance(entries, list):
        raise PypiRequestError(f"{key!r} must be a list")
    return entries


def entry_object(entry: Any, where: str) -> dict[str, Any]:
    """The entry, checked to be a JSON object."""
    if not isinstance(entry, dict):
        raise PypiRequestError(f"{where} must be an object")
    return entry


def entry_project(entry: dict[str, Any], where: str) -> str:
    """The entry's `project`, checked as a project name."""
    try:
        return validate_project_name(entry.get("project"))
    except ValueError as error:
        raise PypiRequestError(f"{where}: 'project': {error}") from None


def run_request(entry: dict[str, Any], where: str) -> RunRequest:
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
    # Their client is elsewhere: its run reads crashed by heartbeat only, never because
    # this server's own process id is gone after a restart.
    request.host = PYPI_CLIENT_HOST
    return request


PYPI_CLIENT_HOST = "pypi-trackio-client"
"""The host stored with runs the PyPI trackio's clients write."""


RunKey = tuple[str | None, str | None]
"""A run as entries name it: (run_id, None), or (None, name) without an id."""


def run_key(request: RunRequest) -> RunKey:
    """The `RunKey` of the run a request names."""
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


def optional_id(entry: dict[str, Any], key: str, where: str) -> str | None:
    """The entry's id under `key` (`log_id`, `alert_id`), or None without one."""
    value = entry.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value) <= _MAX_ID_LENGTH:
        raise PypiRequestError(f"{where}: {key!r} must be a string of 1 to 128 characters")
    return value


def optional_step(entry: dict[str, Any], where: str) -> int | None:
    """The entry's `step`, or None without one."""
    step = entry.get("step")
    if step is None:
        return None
    if not isinstance(step, int) or isinstance(step, bool) or not 0 <= step <= _INT64_MAX:
        raise PypiRequestError(f"{where}: 'step' must be an integer from 0 to 2**63-1, or null")
    return step


def entry_moment(entry: dict[str, Any], where: str, received: float) -> float:
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


def is_utf8(text: str) -> bool:
    """Whether the text can be encoded as UTF-8 (it has no lone surrogates)."""
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
    """Their metrics as one flat row of the values we store (see the package docstring)."""
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
        if not name or not is_utf8(name) or value is None:
            continue
        if isinstance(value, str):
            if not is_utf8(value):
                continue
            row[name] = _SPECIAL_FLOATS.get(value, value)
        elif isinstance(value, dict) and value.get("_type") == "trackio.histogram":
            row[name] = _histogram(value)
        else:
            row[name] = value
