"""The PyPI client's log, system and alert entries: checked into `Entry`s, then stored
each exactly once, in the runs they name (opened or created as needed)."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, replace
from typing import Any

from trackio.alerts.levels import alert_level
from trackio.media.base import atomic_write
from trackio.server.pypi.calls import (
    PypiRequestError,
    RunKey,
    entry_moment,
    entry_object,
    entry_project,
    flatten_metrics,
    is_utf8,
    optional_id,
    optional_step,
    run_key,
    run_request,
)
from trackio.server.pypi.uploads import (
    FILE_MEDIA,
    MEDIA_SUFFIXES,
    MediaSlot,
    complete_media,
    file_name,
    file_suffix,
)
from trackio.storage import ProjectStore
from trackio.storage.errors import RunNotFoundError
from trackio.storage.records import RunBatch, RunRecord, RunRequest
from trackio.system.names import is_system
from trackio.system.sampler import now_step

_RESERVED_CONFIG_KEYS = ("_Username", "_Created", "_Group")


@dataclass
class Entry:
    """One value-bearing entry, checked, as it will be stored."""

    project: str
    run: RunRequest
    values: dict[str, Any]
    step: int | None
    moment: float
    batch_id: str | None
    config: dict[str, Any] | None = None
    at_last_step: bool = False
    alert: dict[str, Any] | None = None
    """An alert to store with the run (`bulk_alert`), at the entry's step."""


def check_log(item: Any, index: int, received: float) -> Entry:
    """The `Entry` of the `index`th `bulk_log` entry."""
    where = f"logs[{index}]"
    entry = entry_object(item, where)
    project = entry_project(entry, where)
    run = run_request(entry, where)
    metrics = entry.get("metrics")
    if metrics is None:
        metrics = {}
    if not isinstance(metrics, dict):
        raise PypiRequestError(f"{where}: 'metrics' must be an object")
    config = entry.get("config")
    if config is not None and not isinstance(config, dict):
        raise PypiRequestError(f"{where}: 'config' must be an object or null")
    log_id = optional_id(entry, "log_id", where)
    return Entry(
        project,
        run,
        flatten_metrics(metrics),
        optional_step(entry, where),
        entry_moment(entry, where, received),
        None if log_id is None else f"pypi:{log_id}",
        config,
    )


def check_system_log(item: Any, index: int, received: float) -> Entry:
    """The `Entry` of the `index`th `bulk_log_system` entry."""
    where = f"logs[{index}]"
    entry = entry_object(item, where)
    metrics = entry.get("metrics")
    if not isinstance(metrics, dict):
        raise PypiRequestError(f"{where}: 'metrics' must be an object")
    values = {
        name if name.startswith("system/") else f"system/{name}": value
        for name, value in flatten_metrics(metrics).items()
    }
    log_id = optional_id(entry, "log_id", where)
    moment = entry_moment(entry, where, received)
    return Entry(
        entry_project(entry, where),
        run_request(entry, where),
        values,
        now_step(moment),
        moment,
        None if log_id is None else f"pypi-system:{log_id}",
    )


def check_alert(item: Any, index: int, received: float) -> Entry:
    """The `Entry` of the `index`th `bulk_alert` entry."""
    where = f"alerts[{index}]"
    entry = entry_object(item, where)
    parts = {}
    for key in ("title", "text", "level"):
        value = entry.get(key)
        if value is not None and not isinstance(value, str):
            raise PypiRequestError(f"{where}: {key!r} must be a string or null")
        if value is not None and not is_utf8(value):
            raise PypiRequestError(f"{where}: {key!r} is not valid text")
        parts[key] = value or ""
    try:
        level = alert_level(parts["level"] or "WARN")
    except ValueError as error:
        raise PypiRequestError(f"{where}: {error}") from None
    step = optional_step(entry, where)
    alert_id = optional_id(entry, "alert_id", where)
    moment = entry_moment(entry, where, received)
    alert = {"title": parts["title"], "text": parts["text"] or None, "level": level}
    return Entry(
        entry_project(entry, where),
        run_request(entry, where),
        {},
        step,
        moment,
        None if alert_id is None else f"pypi-alert:{alert_id}",
        at_last_step=step is None,
        alert={**alert, "time": moment},
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


def _open_runs(store: ProjectStore, entries: list[Entry]) -> dict[RunKey, RunRecord]:
    """The record of every run the entries write to: created when new, reopened (its
    config merged) when an entry carries a config, as their client's `init()` does. A
    run named without an id is the newest run of that name, as on their server."""
    configs: dict[RunKey, dict[str, Any]] = {}
    groups: dict[RunKey, str | None] = {}
    requests: dict[RunKey, RunRequest] = {}
    for entry in entries:
        key = run_key(entry.run)
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


def _set_media_aside(entry: Entry, run_id: str, step: int) -> list[MediaSlot]:
    """Take the file media values out of the entry, each written as the claim its
    uploaded file completes (see `complete_media`): no value is stored twice, first
    as a dict and then as media. A value naming no usable file stays a JSON value."""
    slots = []
    for key, value in list(entry.values.items()):
        if not isinstance(value, dict) or value.get("_type") not in FILE_MEDIA:
            continue
        name = file_name(value.get("file_path"))
        kind = FILE_MEDIA[value["_type"]]
        if name is None or file_suffix(name) not in MEDIA_SUFFIXES[kind]:
            continue
        slot = MediaSlot(entry.project, run_id, step, name)
        slot.claim.parent.mkdir(parents=True, exist_ok=True)
        claim = {"key": key, "value": value, "time": entry.moment}
        atomic_write(slot.claim, json.dumps(claim).encode())
        del entry.values[key]
        slots.append(slot)
    return slots


def store_entries(store: ProjectStore, entries: list[Entry]) -> int:
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
        record = records[run_key(entry.run)]
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
        if entry.alert is not None:
            batch.operations.append(("alert", json.dumps({**entry.alert, "step": step})))
        result = store.append([batch], batch_id=entry.batch_id)
        if not result.duplicate and not result.missing_runs:
            stored += 1
            if not (entry.values and all(map(is_system, entry.values))):
                # System samples are at wall-time milliseconds, not training steps.
                steps.saw(record.run_id, step)
            for slot in slots:
                complete_media(store, slot)
    return stored
