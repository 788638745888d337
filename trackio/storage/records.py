"""What the project store takes and gives: plain records, the same for every backend."""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass, field
from typing import Any

CRASHED_AFTER_SECONDS = 120.0
"""A running run whose writer has not been heard from for this long is `crashed`."""
HEARTBEAT_SECONDS = 30.0
"""How often a process's writer tells the store its open runs are alive."""

SeriesPoints = tuple[list[int], list[Any], list[float]]
"""Parallel steps, values and wall times of one series, in logging order."""


@dataclass
class RunRecord:
    """One run of a project, with its JSON fields decoded.

    `status` is what readers are told: `running`, `finished`, `failed`, or `crashed`
    for a run still marked running whose process is gone (see `reported_status`).
    """

    pk: int
    run_id: str
    name: str
    group: str | None
    job_type: str | None
    notes: str | None
    tags: list[str]
    status: str
    exit_code: int | None
    created_at: float
    updated_at: float
    finished_at: float | None
    config: dict[str, Any]
    summary_overrides: dict[str, Any]
    metric_defs: dict[str, dict[str, Any]]
    heartbeat_at: float | None = None
    pid: int | None = None
    host: str | None = None
    change_seq: int = 0
    """The project's change number of the run's last write (see `RunChanges`)."""
    config_seq: int = 0
    """The change number of the run's last config change."""


def this_host() -> str:
    """This machine as stored with the runs it writes: its name, and on Linux the
    process-id namespace, so two containers sharing a host name are not confused."""
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return socket.gethostname()
    return f"{socket.gethostname()}/pidns:{namespace}"


def _process_alive(pid: int) -> bool:
    if os.name == "nt":
        # Signal 0 is CTRL_C_EVENT on Windows: no way to probe; rely on the heartbeat.
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def reported_status(
    stored: str,
    heartbeat_at: float | None,
    pid: int | None,
    host: str | None,
    now: float | None = None,
) -> str:
    """`crashed` for a run stored as running whose writer is gone: its process no
    longer exists on this host, or it sent no heartbeat for `CRASHED_AFTER_SECONDS`
    (another host, or a process that hung); else the stored status."""
    if stored != "running":
        return stored
    if pid is not None and host == this_host() and not _process_alive(pid):
        return "crashed"
    if heartbeat_at is not None:
        moment = time.time() if now is None else now
        if moment - heartbeat_at > CRASHED_AFTER_SECONDS:
            return "crashed"
    return stored


@dataclass
class RunChanges:
    """What changed in a project after a change number: a reader keeps `cursor` and
    asks again with it, so it is told of each change once."""

    cursor: int
    """The project's newest change number."""
    changed: list[RunRecord]
    """Runs written after the asked-for number (every run when none was given)."""
    running: list[RunRecord]
    """Every run stored as running: whether it reads as `crashed` changes without a
    write, so readers check these themselves."""
    run_ids: list[str] | None
    """Every run's id when a run was deleted after the asked-for number, else None."""


@dataclass
class Series:
    """One metric of one run: parallel lists sorted by step, one value per step."""

    steps: list[int]
    values: list[Any]
    times: list[float]


@dataclass(frozen=True)
class SeriesVersion:
    """The shape of a series' stored points within a step range: it compares unequal
    whenever they change (written, merged, deleted)."""

    parts: tuple[Any, ...]
    points: int
    ordered: bool
    """Whether the stored parts follow each other in step order, without overlap."""


@dataclass
class RunBatch:
    """What a writer hands the store for one run: new points per metric, then
    operations (`config`, `summary`, `metric_defs`, `finish`) applied after them."""

    run_id: str
    series: dict[str, SeriesPoints] = field(default_factory=dict)
    last_time: float | None = None
    operations: list[tuple[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class AlertRecord:
    """An alert a run raised."""

    run_id: str
    time: float
    step: int | None
    level: str
    title: str
    text: str | None


@dataclass
class AppendResult:
    """What became of a writer's batch: the runs the project no longer has (their
    values were dropped), and whether the project file had been replaced by another
    since the store last wrote to it (the values went to the new file)."""

    missing_runs: list[str] = field(default_factory=list)
    file_replaced: bool = False
    duplicate: bool = False
    """The batch id was stored before: nothing was written again."""


@dataclass
class RunRequest:
    """What `trackio.init()` asks of the store: a new run, or one to resume."""

    name: str | None
    run_id: str | None
    resume: str
    group: str | None
    job_type: str | None
    notes: str | None
    tags: list[str]
    config: dict[str, Any]
    pid: int | None = None
    """The writing process, when it is not this one (a client of a team server)."""
    host: str | None = None
    """Where the writing process runs (`this_host()` there), with `pid`."""


@dataclass
class OpenedRun:
    """The run `init()` logs to, the step it continues at, and the record as it was
    before it was opened (None for a new run)."""

    record: RunRecord
    start_step: int
    previous: RunRecord | None


@dataclass
class ImportedRun:
    """A whole run brought in at once (CSV, TensorBoard, another project): its name,
    config, times and, per metric, steps, values and times."""

    name: str
    series: dict[str, SeriesPoints] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)
    group: str | None = None
    job_type: str | None = None
    notes: str | None = None
    tags: list[str] = field(default_factory=list)
    status: str = "finished"
    exit_code: int | None = None
    created_at: float | None = None
    finished_at: float | None = None
    run_id: str | None = None
    summary_overrides: dict[str, Any] = field(default_factory=dict)
    metric_defs: dict[str, dict[str, Any]] = field(default_factory=dict)

    def add(self, metric: str, step: int, value: Any, moment: float) -> None:
        """Append one point to `metric`."""
        steps, values, times = self.series.setdefault(metric, ([], [], []))
        steps.append(step)
        values.append(value)
        times.append(moment)


@dataclass
class MediaRecord:
    """One logged image, video, audio clip, table or histogram."""

    run_id: str
    key: str
    step: int
    time: float
    kind: str
    path: str | None
    """Relative to the project's media folder; None for histograms (bins in `meta`)."""
    caption: str | None
    meta: dict[str, Any]
    media_id: int = 0
    """Grows with every record a run logs: a reader that saw up to this id asks for
    the run's records after it."""
