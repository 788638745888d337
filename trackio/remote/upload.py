"""`trackio sync`: send a local project to a team server, and deliver spools that
processes left behind.

A project is sent run by run as ordinary batches (the run's opening, its values in
batches of at most `BATCH_POINTS`, then its summary, metric settings and status).
Batch ids are made from what the batch holds, so sending a project twice stores
nothing the second time.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from trackio.remote.http import NETWORK_ERRORS, Connection, ServerAddress
from trackio.remote.sender import BATCH_CONTENT_TYPE, AuthRefused, Delivery
from trackio.remote.wire import OpenRequest, encode_batch
from trackio.storage import open_store
from trackio.storage.records import ImportedRun, RunBatch, RunRequest
from trackio.storage.spool import orphaned_spools

BATCH_POINTS = 50_000
INGEST_PATH = "/api/ingest"


class SyncError(RuntimeError):
    """The server refused what was sent, or could not be reached."""


@dataclass
class SyncResult:
    """What `upload_project` sent."""

    runs: int = 0
    points: int = 0
    batches: int = 0
    already_there: int = 0


def upload_project(project: str, address: ServerAddress) -> SyncResult:
    """Send every run of local project `project` to the server at `address`."""
    result = SyncResult()
    connection = Connection(address)
    try:
        with open_store(project) as store:
            for record in store.list_runs():
                run = store.export_run(record.run_id)
                for body, points in _run_batches(project, run):
                    stored = _post(connection, body)
                    result.batches += 1
                    result.points += points
                    if stored.get("duplicate"):
                        result.already_there += 1
                result.runs += 1
    finally:
        connection.close()
    return result


def _post(connection: Connection, body: bytes) -> dict[str, Any]:
    try:
        status, answer = connection.request(
            "POST",
            INGEST_PATH,
            body,
            {"Content-Type": BATCH_CONTENT_TYPE, "Content-Encoding": "gzip"},
        )
    except NETWORK_ERRORS as error:
        raise SyncError(f"cannot reach {connection.address.url}: {error}") from None
    if status != 200 or not isinstance(answer, dict):
        detail = answer.get("error") if isinstance(answer, dict) else None
        raise SyncError(f"{connection.address.url} answered {status}: {detail or 'no details'}")
    return answer


def _run_batches(project: str, run: ImportedRun) -> list[tuple[bytes, int]]:
    """The run as (body, points) batches in sending order."""
    assert run.run_id is not None
    request = RunRequest(
        name=run.name,
        run_id=run.run_id,
        resume="allow",
        group=run.group,
        job_type=run.job_type,
        notes=run.notes,
        tags=run.tags,
        config=run.config,
        host="trackio sync",
    )
    pieces = _split(run)
    pieces[-1].operations += [
        ("summary", json.dumps(run.summary_overrides)),
        ("metric_defs", json.dumps(run.metric_defs)),
    ]
    if run.status in ("finished", "failed"):
        pieces[-1].operations.append(
            ("finish", (run.status, run.exit_code, run.finished_at or run.created_at or 0.0))
        )
    batches = []
    for index, piece in enumerate(pieces):
        opens = [OpenRequest(run.run_id, request)] if index == 0 else []
        batch_id = f"sync-{_fingerprint(project, run, index, piece)}"
        body = encode_batch(batch_id, project, opens, [piece])
        points = sum(len(steps) for steps, _, _ in piece.series.values())
        batches.append((body, points))
    return batches


def _split(run: ImportedRun) -> list[RunBatch]:
    """The run's series cut into batches of at most `BATCH_POINTS` values."""
    assert run.run_id is not None
    pieces = [RunBatch(run.run_id)]
    room = BATCH_POINTS
    for name, (steps, values, times) in run.series.items():
        start = 0
        while start < len(steps):
            if room == 0:
                pieces.append(RunBatch(run.run_id))
                room = BATCH_POINTS
            end = min(len(steps), start + room)
            pieces[-1].series[name] = (steps[start:end], values[start:end], times[start:end])
            pieces[-1].last_time = max(times[start:end])
            room -= end - start
            start = end
    return pieces


def _fingerprint(project: str, run: ImportedRun, index: int, piece: RunBatch) -> str:
    """A digest of what a batch holds: the same run sent again gives the same ids."""
    digest = hashlib.sha256(f"{project}\n{run.run_id}\n{index}".encode())
    for name, (steps, values, times) in sorted(piece.series.items()):
        digest.update(name.encode())
        digest.update(repr((steps, times)).encode())
        digest.update(repr([_value_key(value) for value in values]).encode())
    digest.update(repr(piece.operations).encode())
    return digest.hexdigest()[:40]


def _value_key(value: Any) -> Any:
    kind = getattr(value, "kind", None)
    if kind is not None:
        return (kind, getattr(value, "caption", None))
    if isinstance(value, tuple):
        return tuple(_value_key(item) for item in value)
    return value


@dataclass
class PendingResult:
    """What `deliver_pending` did."""

    delivered: int = 0
    left: int = 0
    set_aside: int = 0
    """Batches servers refused as malformed; kept in their spools."""
    spools: int = 0


def deliver_pending(
    only_server: str | None = None, timeout: float = 30.0
) -> tuple[PendingResult, list[str]]:
    """Deliver the spools of processes that are gone (all servers, or `only_server`),
    each request waiting up to `timeout` s; returns what was delivered and a message
    per server that could not be reached."""
    result = PendingResult()
    problems: list[str] = []
    for spool in orphaned_spools():
        result.spools += 1
        try:
            wanted = None if only_server is None else ServerAddress(only_server)
            for server in spool.servers():
                if wanted is not None and server != wanted.url:
                    continue
                address = ServerAddress(server)
                if wanted is not None and wanted.token:
                    address.token = wanted.token
                connection = Connection(address, timeout=timeout)
                delivery = Delivery(server, connection, problems.append)
                before = spool.pending(server)[0]
                try:
                    while delivery.send_oldest(spool):
                        pass
                except AuthRefused as refused:
                    problems.append(f"{server} refused the write token ({refused})")
                except NETWORK_ERRORS as error:
                    problems.append(f"cannot reach {server}: {error}")
                finally:
                    connection.close()
                result.delivered += before - spool.pending(server)[0]
            result.left += spool.pending()[0]
            result.set_aside += spool.set_aside()[0]
        finally:
            spool.close()
    return result, problems
