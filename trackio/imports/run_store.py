"""Storing imported runs: all of them in one transaction, or none."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from trackio.storage.database import write_transaction
from trackio.storage.paths import media_dir_of, project_db_path, validate_project_name
from trackio.storage.projects import delete_project_files, open_project
from trackio.storage.runs import create_run, list_runs
from trackio.storage.series_writer import SeriesWriter


@dataclass
class ImportedRun:
    """A run read from another tool: its name and, per metric, steps, values and times."""

    name: str
    series: dict[str, tuple[list[int], list[Any], list[float]]] = field(default_factory=dict)
    config: dict[str, Any] = field(default_factory=dict)

    def add(self, metric: str, step: int, value: Any, moment: float) -> None:
        """Append one point to `metric`."""
        steps, values, times = self.series.setdefault(metric, ([], [], []))
        steps.append(step)
        values.append(value)
        times.append(moment)


def store_runs(
    project: str, runs: Iterable[ImportedRun], *, allow_same_names: bool = False
) -> list[str]:
    """Add `runs` to `project` (created if needed) as finished runs; returns their ids.

    A run named like an existing run of the project is an error unless
    `allow_same_names`. Everything is written in one transaction: on any error
    the project is left exactly as it was (a project this call created is removed).
    """
    validate_project_name(project)
    runs = list(runs)
    existed = project_db_path(project).exists()
    conn = open_project(project, create=True)
    ids: list[str] = []
    try:
        with write_transaction(conn):
            taken = {record.name for record in list_runs(conn)}
            if not allow_same_names:
                _refuse_name_clashes(project, runs, taken)
            sink = SeriesWriter(conn)
            for run in runs:
                ids.append(_store_one(conn, sink, run))
            sink.seal_all()
    except BaseException:
        media = media_dir_of(conn)
        conn.close()
        for run_id in ids:
            shutil.rmtree(media / run_id, ignore_errors=True)
        if not existed:
            delete_project_files(project)
        raise
    conn.close()
    return ids


def _refuse_name_clashes(project: str, runs: list[ImportedRun], taken: set[str]) -> None:
    seen: set[str] = set()
    for run in runs:
        if run.name in taken or run.name in seen:
            raise ValueError(
                f"project {project!r} already has a run named {run.name!r}; "
                "choose another name (name=... / --name) or import into another project"
            )
        seen.add(run.name)


def _store_one(conn: Any, sink: SeriesWriter, run: ImportedRun) -> str:
    record = create_run(
        conn,
        name=run.name,
        run_id=None,
        group=None,
        job_type=None,
        notes=None,
        tags=[],
        config_json=json.dumps(run.config),
    )
    all_times = [t for _, _, times in run.series.values() for t in times]
    started = min(all_times, default=time.time())
    ended = max(all_times, default=started)
    conn.execute(
        "UPDATE runs SET status = 'finished', created_at = ?, updated_at = ?, finished_at = ? "
        "WHERE id = ?",
        (started, time.time(), ended, record.pk),
    )
    for metric, (steps, values, times) in run.series.items():
        sink.write(record.pk, metric, steps, values, times)
    return record.run_id
