"""Logging to a PyPI trackio server (`trackio show` of trackio 0.24 or later): our
spooled batches sent through its v1 protocol.

That server answers `GET /version` with `api_version` 1 and no `"server": "trackio"`;
it takes `POST /api/bulk_log` with `{"args": [], "kwargs": {"logs": [...],
"hf_token": null}}`, one entry per run and step: `{project, run, run_id, metrics, step,
config, log_id}`. It knows runs by id and stores a run's config from an entry that
carries one, so a run's config rides on its first entry. Its protocol has no run
status, summary or metric settings, and media travel another way: those are not sent
(media are named in one message). Log ids are made from the batch id, run and step,
so a batch sent again is stored once there too (that server ignores known log ids).
"""

from __future__ import annotations

import json
import math
import uuid
from typing import Any

from trackio.remote.wire_decoding import decode_batch

BULK_LOG_PATH = "/api/bulk_log"
_LOG_IDS = uuid.UUID("6c1f3a52-9d1e-4b39-8f7e-2f4b1f0c7a11")
_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def is_pypi_server(version_answer: Any) -> bool:
    """Whether a `GET /version` answer is that of a PyPI trackio server (v1, not ours)."""
    return (
        isinstance(version_answer, dict)
        and version_answer.get("api_version") == 1
        and version_answer.get("server") != "trackio"
    )


def _wire_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else _NON_FINITE[value]
    return value


class RunMemory:
    """What the v1 entries of later batches need from a run's opening: its name, and its
    config until an entry carries it."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.configs: dict[str, dict[str, Any]] = {}

    def sent(self, run_ids: list[str]) -> None:
        """The server has the entries carrying these runs' configs: forget them."""
        for run_id in run_ids:
            self.configs.pop(run_id, None)


def bulk_log_body(body: bytes, memory: RunMemory) -> tuple[bytes | None, int, list[str]]:
    """The `bulk_log` request for one spooled batch (None if it holds no values), how
    many media values it leaves out, and the runs whose config it carries (forget them
    with `memory.sent` once the server has it)."""
    batch = decode_batch(body)
    run_names, configs = memory.names, memory.configs
    for opening in batch.opens:
        run_names[opening.run_id] = opening.request.name or opening.run_id
        configs[opening.run_id] = opening.request.config
    logs = []
    carried: list[str] = []
    skipped_media = 0
    for run in batch.runs:
        by_step: dict[int, dict[str, Any]] = {}
        for name, (steps, values, _) in run.series.items():
            for step, value in zip(steps, values, strict=True):
                if hasattr(value, "kind") or isinstance(value, tuple):
                    skipped_media += 1
                    continue
                by_step.setdefault(step, {})[name] = _wire_value(value)
        config = configs.get(run.run_id) if by_step else None
        if config is not None:
            carried.append(run.run_id)
        for step in sorted(by_step):
            logs.append(
                {
                    "project": batch.project,
                    "run": run_names.get(run.run_id, run.run_id),
                    "run_id": run.run_id,
                    "metrics": by_step[step],
                    "step": step,
                    "config": config,
                    "log_id": uuid.uuid5(_LOG_IDS, f"{batch.batch_id}/{run.run_id}/{step}").hex,
                }
            )
            config = None
    if not logs:
        return None, skipped_media, carried
    document = {"args": [], "kwargs": {"logs": logs, "hf_token": None}}
    return json.dumps(document, separators=(",", ":")).encode(), skipped_media, carried
