"""Media that trackio already stored, being stored again as it is (a run moved to
another project): the file is copied, never decoded or encoded again."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

from trackio.media.base import Encoded, Media


class StoredMedia(Media):
    """A stored media value: its kind, its file (None for a histogram, whose bins are in
    `details`), caption and details. A table's file brings the files of its cells."""

    def __init__(
        self, kind: str, source: Path | None, caption: str | None, details: dict[str, Any]
    ) -> None:
        super().__init__(caption)
        self.kind = kind
        self._source = source
        self._details = details

    def _encode(self) -> Encoded:
        return "", None, self._details

    def _names(self) -> list[str]:
        """The file's name, and a table's cell files' names."""
        if self._source is None:
            return []
        names = [self._source.name]
        if self.kind == "table":
            document = json.loads(self._source.read_text(encoding="utf-8"))
            names += _cell_files(document.get("data", []))
        return names

    def files_written(self, folder: Path, stem: str, name: str | None) -> list[str]:
        """The file and, for a table, its cell files, under their own names."""
        return self._names()

    def write(self, folder: Path, stem: str) -> tuple[str | None, dict[str, Any]]:
        """Copy the file (and a table's cell files) into `folder` under their own names,
        which the table's cells refer to."""
        if self._source is None:
            return None, self._details
        folder.mkdir(parents=True, exist_ok=True)
        for name in self._names():
            target = folder / name
            if not target.exists():
                partial = target.with_name(f".{name}.{uuid.uuid4().hex}.tmp")
                try:
                    shutil.copyfile(self._source.with_name(name), partial)
                    os.replace(partial, target)
                finally:
                    partial.unlink(missing_ok=True)
        return self._source.name, self._details


def _cell_files(cell: Any) -> list[str]:
    if isinstance(cell, dict):
        if "_type" in cell:
            return [cell["path"]] if cell.get("path") else []
        return [name for value in cell.values() for name in _cell_files(value)]
    if isinstance(cell, list):
        return [name for value in cell for name in _cell_files(value)]
    return []
