"""One JSON-ready description per run (metadata, config, summary, extent), read in bulk.

Shared by the dashboard's `/api/runs` and the CLI's `list runs` / `get run`.
"""

from __future__ import annotations

from typing import Any

from trackio.storage import ProjectStore
from trackio.storage.records import RunRecord


def run_overviews(
    store: ProjectStore, records: list[RunRecord], *, configs_after: int | None = None
) -> list[dict[str, Any]]:
    """For each run: id, name, group, status, times, last step, step count, config, summary.

    With `configs_after`, a run's config (which can be megabytes) is included only if it
    changed after that change number."""
    last = store.last_values(records)
    extents = store.run_extents(records)
    overviews = []
    for record in records:
        overview = _overview(
            record, store.summary(record, last.get(record.run_id, {})), extents.get(record.run_id)
        )
        if configs_after is not None and record.config_seq <= configs_after:
            del overview["config"]
        overviews.append(overview)
    return overviews


def _overview(
    record: RunRecord, summary: dict[str, Any], extent: tuple[int, int] | None
) -> dict[str, Any]:
    return {
        "id": record.run_id,
        "name": record.name,
        "group": record.group,
        "status": record.status,
        "exit_code": record.exit_code,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "finished_at": record.finished_at,
        "last_step": extent[0] if extent else None,
        "step_count": extent[1] if extent else 0,
        "config": record.config,
        "summary": _without_file_paths(summary),
        "tags": record.tags,
        "notes": record.notes,
    }


def _without_file_paths(summary: dict[str, Any]) -> dict[str, Any]:
    """The summary with its media values (an image logged last, say) kept but for their
    `path`, a file path of the server's machine: the dashboard shows media from
    `/api/media`, and a reader has no business knowing where the server keeps files."""
    return {
        key: {k: v for k, v in value.items() if k != "path"}
        if isinstance(value, dict) and "_type" in value
        else value
        for key, value in summary.items()
    }
