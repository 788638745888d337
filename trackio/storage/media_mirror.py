"""Media files kept at an fsspec URL (`s3://bucket/prefix`, `gs://...`, a `file://`
folder), so team servers on several machines need no shared volume: each server
writes a file into its own media folder, uploads it before the record pointing at it
is stored, and fetches files it lacks from the URL when they are read.

Keys mirror the local layout: `<project media folder>/<run id>/<file>`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from trackio.storage.errors import StorageUnavailableError


class MediaMirror:
    """The media files at `url`, with the local media folders as caches."""

    def __init__(self, url: str) -> None:
        try:
            import fsspec
        except ImportError:
            raise ImportError(
                'keeping media at a URL needs fsspec: pip install "trackio[media-store]" '
                "(and the file system's package, e.g. s3fs for s3://)"
            ) from None
        self.url = url.rstrip("/")
        self.fs: Any
        self.fs, root = fsspec.core.url_to_fs(self.url)
        self.root = root.rstrip("/")

    def _remote(self, key: str) -> str:
        return f"{self.root}/{key}"

    def upload(self, local: Path, key: str) -> None:
        """Copy the local file to `key`; `StorageUnavailableError` if the store refuses."""
        try:
            self.fs.put_file(str(local), self._remote(key))
        except Exception as error:  # fsspec back ends raise their own error types
            raise StorageUnavailableError(
                f"cannot upload media to {self.url}: {type(error).__name__}: {error}"
            ) from error

    def fetch(self, key: str, local: Path) -> bool:
        """Copy `key` to the local path (atomically); False if the URL has no such file."""
        try:
            if not self.fs.exists(self._remote(key)):
                return False
            local.parent.mkdir(parents=True, exist_ok=True)
            handle, partial = tempfile.mkstemp(dir=local.parent, prefix=".fetch-")
            os.close(handle)
            try:
                self.fs.get_file(self._remote(key), partial)
                os.replace(partial, local)
            finally:
                Path(partial).unlink(missing_ok=True)
        except OSError:
            raise
        except Exception as error:
            raise StorageUnavailableError(
                f"cannot fetch media from {self.url}: {type(error).__name__}: {error}"
            ) from error
        return True

    def keys_under(self, prefix: str) -> list[str]:
        """Keys of the files whose key starts with `prefix`."""
        folder, _, start = prefix.rpartition("/")
        try:
            names = self.fs.ls(self._remote(folder), detail=False)
        except FileNotFoundError:
            return []
        found = []
        for name in names:
            base = name.rstrip("/").rsplit("/", 1)[-1]
            if base.startswith(start):
                found.append(f"{folder}/{base}")
        return found

    def remove(self, key: str) -> None:
        """Delete everything under `key` (a run's or a project's folder)."""
        target = self._remote(key)
        try:
            if self.fs.exists(target):
                self.fs.rm(target, recursive=True)
        except FileNotFoundError:
            pass
        self.fs.invalidate_cache()
