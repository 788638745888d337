"""The PyPI client's two reads: `get_runs_for_project` and `get_run_summary`."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from trackio.server.pypi.calls import PypiRequestError
from trackio.storage import open_store
from trackio.storage.errors import ProjectNotFoundError
from trackio.storage.paths import validate_project_name


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
