"""The media of a frozen project: the API's media list and tables as files, and copies
of the media files they link to, all at URLs relative to the frozen page."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

from trackio.server.media_reader import list_media, media_file, table_page
from trackio.server.responses import json_bytes
from trackio.storage import ProjectStore
from trackio.storage.errors import NotFoundError


class MediaCopier:
    """Copies the media files a frozen page links to into `data/media/`, each once,
    and gives the URL it has there."""

    def __init__(self, store: ProjectStore, data: Path) -> None:
        self.store = store
        self.data = data
        self.copied: set[str] = set()
        self.missing: set[str] = set()

    def link(self, relative: str) -> str | None:
        """Copy media file `relative` (a path in the media folder), if not yet, and
        return its URL relative to the page; None if the project lacks the file (the
        page says "missing", as the live dashboard does)."""
        if relative in self.missing:
            return None
        if relative not in self.copied:
            try:
                # Checked as the server checks a request for it: inside the media
                # folder, not a saved file, fetched first where media are kept at a URL.
                source, _ = media_file(self.store, relative)
            except NotFoundError:
                self.missing.add(relative)
                return None
            target = self.data / "media" / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            self.copied.add(relative)
        return f"{self.data.name}/media/{quote(relative)}"


def write_media_files(store: ProjectStore, data: Path) -> MediaCopier:
    """Write `data/media.json` (what `/api/media` answers for the project) and one
    `data/tables/<n>.json` per logged table (its whole `/api/table` answer), copying
    the files they show; returns the copier, which knows what it copied and missed."""
    copier = MediaCopier(store, data)
    # Linked by their paths first: a table's own file is not copied but rewritten.
    items = list_media(store, None, None, None, link=lambda relative: relative)
    tables: dict[tuple[str, str, int], str] = {}
    for item in items:
        if item["kind"] != "table":
            if item["url"] is not None:
                item["url"] = copier.link(item["url"])
            continue
        where = (item["run"], item["key"], item["step"])
        if where not in tables:
            tables[where] = f"{data.name}/tables/{len(tables)}.json"
            whole = table_page(
                store,
                *where,
                offset=0,
                limit=sys.maxsize,
                sort=None,
                descending=False,
                link=copier.link,
            )
            _write_json(data.parent / tables[where], whole)
        item["url"] = tables[where]
    _write_json(data / "media.json", {"media": items})
    return copier


def _write_json(path: Path, content: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(json_bytes(content))
