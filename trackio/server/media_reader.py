"""The media side of the dashboard API: listing media, paging tables, serving files."""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from trackio.storage import ProjectStore
from trackio.storage.errors import NotFoundError
from trackio.storage.paths import saved_files_dir

MEDIA_KINDS = ("image", "video", "audio", "table", "histogram")
_TYPES = {".webm": "video/webm", ".mp4": "video/mp4", ".wav": "audio/wav", ".flac": "audio/flac"}


MediaLink = Callable[[str], str | None]
"""The URL the dashboard fetches a media file at, given its path in the media folder
(None: there is none)."""


def file_url(project: str, path: str) -> str:
    """The API URL (relative to the dashboard) serving media file `path` of `project`."""
    return "api/file?" + urlencode({"project": project, "path": path})


def _api_link(store: ProjectStore) -> MediaLink:
    return lambda path: file_url(store.project, path)


def list_media(
    store: ProjectStore,
    run_ids: list[str] | None,
    kind: str | None,
    key: str | None,
    after: dict[str, int] | None = None,
    link: MediaLink | None = None,
) -> list[dict[str, Any]]:
    """Every media record of the project, filtered, sorted by key, run and step; for
    the runs in `after`, only the records after the given id. Files are linked to by
    `link` (default: the API's `file_url`)."""
    if kind is not None and kind not in MEDIA_KINDS:
        raise ValueError(f"kind must be one of {', '.join(MEDIA_KINDS)}, got {kind!r}")
    link = link or _api_link(store)
    return [
        {
            "run": record.run_id,
            "key": record.key,
            "step": record.step,
            "time": record.time,
            "kind": record.kind,
            "url": None if record.path is None else link(record.path),
            "caption": record.caption,
            "meta": record.meta,
            "id": record.media_id,
        }
        for record in store.list_media(run_ids, kind, key, after)
    ]


def table_page(
    store: ProjectStore,
    run_id: str,
    key: str,
    step: int | None,
    offset: int,
    limit: int,
    sort: str | None,
    descending: bool,
    link: MediaLink | None = None,
) -> dict[str, Any]:
    """One page of a logged table (the one at `step`, else the latest), optionally
    sorted; media cells link to their files with `link` (default: the API's)."""
    link = link or _api_link(store)
    path, found_step = store.table_file(store.get_run(run_id), key, step)
    try:
        columns, data = _load_table(str(path), path.stat().st_mtime_ns)
    except (OSError, ValueError, KeyError):
        raise NotFoundError(f"the file of table {key!r} of run {run_id!r} is missing") from None
    order = list(range(len(data)))
    if sort is not None:
        if sort not in columns:
            raise NotFoundError(f"table {key!r} has no column {sort!r}")
        index = columns.index(sort)
        order.sort(key=lambda r: _sort_key(data[r][index]), reverse=descending)
    run_folder = path.parent.name
    page = [
        [_cell_json(link, run_folder, cell) for cell in data[r]]
        for r in order[offset : offset + limit]
    ]
    return {
        "columns": columns,
        "rows": page,
        "total": len(data),
        "offset": offset,
        "step": found_step,
    }


@lru_cache(maxsize=32)
def _load_table(path: str, _mtime: int) -> tuple[list[str], list[list[Any]]]:
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    return document["columns"], document["data"]


def _sort_key(cell: Any) -> tuple[int, Any]:
    if isinstance(cell, (int, float)):
        return (0, float(cell))
    if isinstance(cell, str):
        return (1, cell)
    return (2, "") if cell is not None else (3, "")


def _cell_json(link: MediaLink, run_folder: str, cell: Any) -> Any:
    if isinstance(cell, dict) and "_type" in cell:
        path = cell.get("path")
        details = {k: v for k, v in cell.items() if k not in ("_type", "path")}
        url = None if path is None else link(f"{run_folder}/{path}")
        return {"kind": cell["_type"], "url": url, **details}
    if isinstance(cell, list) and cell and all(isinstance(c, dict) and "_type" in c for c in cell):
        return [_cell_json(link, run_folder, c) for c in cell]
    return cell


def media_file(store: ProjectStore, relative: str) -> tuple[Path, str]:
    """The media file at `relative` inside the project's media folder, and its type.

    Absolute paths, `..` and anything resolving outside the folder are refused.
    """
    folder = store.media_dir.resolve()
    candidate = Path(relative)
    if candidate.is_absolute() or ".." in candidate.parts or "\x00" in relative:
        raise NotFoundError(f"no media file {relative!r}")
    target = (folder / candidate).resolve()
    if not target.is_relative_to(folder):
        raise NotFoundError(f"no media file {relative!r}")
    if not target.is_file():
        store.local_media(candidate.as_posix())
    if not target.is_file():
        raise NotFoundError(f"no media file {relative!r}")
    # Saved files change (`save(policy="live")`) and are served by /api/saved without
    # the long cache this route gives media.
    if target.is_relative_to(saved_files_dir(folder, candidate.parts[0])):
        raise NotFoundError(f"no media file {relative!r}")
    content_type = _TYPES.get(target.suffix.lower()) or mimetypes.guess_type(target.name)[0]
    return target, content_type or "application/octet-stream"
