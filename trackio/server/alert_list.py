"""The dashboard's list of alerts: `/api/alerts?project=P[&level=L][&runs=ID,...]`."""

from __future__ import annotations

from typing import Any

from trackio.alerts.levels import LEVELS, alert_level
from trackio.server.responses import BadRequestError
from trackio.storage import ProjectStore


def level_param(value: str | None) -> str | None:
    """The `level` query parameter as one of `LEVELS` (any case; `warning` is `WARN`),
    None when absent; a `BadRequestError` naming the levels otherwise."""
    if value is None or value == "":
        return None
    try:
        return alert_level(value)
    except ValueError:
        raise BadRequestError(
            f"query parameter 'level' must be one of {', '.join(LEVELS)}, got {value!r}"
        ) from None


def alert_list(
    store: ProjectStore, min_level: str | None = None, run_ids: list[str] | None = None
) -> list[dict[str, Any]]:
    """Every alert of the project at `min_level` (`INFO`, `WARN`, `ERROR`) or graver,
    newest first, with its run's id and name; with `run_ids`, only those runs' (ids the
    project does not have are skipped: a deleted run has no alerts)."""
    records = store.list_runs()
    names = {record.run_id: record.name for record in records}
    if run_ids is not None:
        wanted = set(run_ids)
        records = [record for record in records if record.run_id in wanted]
    level = min_level.upper() if min_level else None
    return [
        {
            "run_id": alert.run_id,
            "run": names.get(alert.run_id, alert.run_id),
            "time": alert.time,
            "step": alert.step,
            "level": alert.level,
            "title": alert.title,
            "text": alert.text,
        }
        for alert in reversed(store.alerts(records, level))
    ]
