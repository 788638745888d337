"""Snapshots of a server's projects, so its data survives a machine that keeps nothing
across restarts (a Hugging Face Space without a mounted volume).

Every `every` seconds, and when the server stops, each project file is copied with
SQLite's backup API (a consistent copy while writes go on) and its media files (new
and changed ones) into a staging folder, which is then pushed to a `SnapshotStore`.
At start, before any write is accepted, the newest snapshot is pulled back into the
data folder. The stores: a folder (`FolderStore`), and a Hugging Face Dataset
(`DatasetStore`), which downloads into a folder and brings it back the same way.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Protocol

from trackio.storage.paths import DB_SUFFIX, MEDIA_SUFFIX
from trackio.storage.sqlite.project_files import snapshot_project_files

DEFAULT_EVERY_SECONDS = 300.0


class SnapshotStore(Protocol):
    """Where snapshots are kept beyond the machine."""

    def push(self, staging: Path) -> None:
        """Make the store hold what `staging` holds (files only ever added or replaced)."""

    def pull(self, into: Path) -> bool:
        """Copy the newest snapshot's projects that `into` lacks into it; False if there
        were none."""


def _mirror(source: Path, target: Path, *, skip: frozenset[str] = frozenset()) -> int:
    """Copy the project files of `source`, and the other files `target` lacks or holds
    with another size or time, into `target`, each replaced atomically, media before
    project files (so no record points at a missing file); the top-level entries named
    in `skip` are left out. Returns how many files were copied."""
    copied = 0
    files = [
        path
        for path in source.rglob("*")
        if path.is_file()
        and not path.relative_to(source).parts[0].startswith(".")
        and not path.name.startswith(".snapshot-")
        and path.relative_to(source).parts[0] not in skip
    ]
    for path in sorted(files, key=lambda path: (path.suffix == DB_SUFFIX, path)):
        destination = target / path.relative_to(source)
        stat = path.stat()
        # A project file can change within a second and keep its size: always copied.
        if destination.is_file() and path.suffix != DB_SUFFIX:
            known = destination.stat()
            if known.st_size == stat.st_size and int(known.st_mtime) == int(stat.st_mtime):
                continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        partial = destination.with_name(f".snapshot-{destination.name}")
        shutil.copy2(path, partial)
        os.replace(partial, destination)
        copied += 1
    return copied


class FolderStore:
    """Snapshots kept in a folder (a mounted volume, or a stand-in for a Dataset)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def push(self, staging: Path) -> None:
        """Copy the staging folder's new and changed files into the folder."""
        self.folder.mkdir(parents=True, exist_ok=True)
        _mirror(staging, self.folder)

    def pull(self, into: Path) -> bool:
        """Copy the folder's projects that `into` lacks into it; False if there were none."""
        present = _present(into) if into.is_dir() else frozenset()
        if not self.folder.is_dir() or all(
            path.name in present for path in self.folder.glob(f"*{DB_SUFFIX}")
        ):
            return False
        into.mkdir(parents=True, exist_ok=True)
        _mirror(self.folder, into, skip=present)
        return True


class DatasetStore:
    """Snapshots kept in a Hugging Face Dataset (made, private, when missing), through
    `huggingface_hub` with the token it finds (`HF_TOKEN`, or the logged-in one)."""

    def __init__(self, repo_id: str) -> None:
        try:
            from huggingface_hub import HfApi
        except ImportError:
            raise ImportError(
                'keeping snapshots in a Dataset needs huggingface_hub: pip install "trackio[hub]"'
            ) from None
        self.repo_id = repo_id
        self.api = HfApi()
        self._made = False

    def push(self, staging: Path) -> None:
        """Upload the staging folder to the Dataset in one commit."""
        if not self._made:
            self.api.create_repo(self.repo_id, repo_type="dataset", private=True, exist_ok=True)
            self._made = True
        self.api.upload_folder(
            folder_path=str(staging),
            repo_id=self.repo_id,
            repo_type="dataset",
            commit_message="trackio snapshot",
            ignore_patterns=[".*", "**/.*"],
        )

    def pull(self, into: Path) -> bool:
        """Download the Dataset and bring back the projects `into` lacks; False if the
        Dataset does not exist or holds none."""
        from huggingface_hub import snapshot_download
        from huggingface_hub.errors import RepositoryNotFoundError

        with tempfile.TemporaryDirectory(prefix="trackio-snapshot-") as folder:
            try:
                snapshot_download(self.repo_id, repo_type="dataset", local_dir=folder)
            except RepositoryNotFoundError:
                return False
            return FolderStore(Path(folder)).pull(into)


def _present(data_dir: Path) -> frozenset[str]:
    """The project files and media folders of the projects `data_dir` already holds:
    a snapshot never replaces data newer than itself."""
    names: set[str] = set()
    for database in data_dir.glob(f"*{DB_SUFFIX}"):
        names.add(database.name)
        names.add(database.name[: -len(DB_SUFFIX)] + MEDIA_SUFFIX)
    return frozenset(names)


def take_snapshot(data_dir: Path, staging: Path) -> int:
    """Copy each project's media (new and changed files) and then its file (SQLite's
    backup API: consistent while writers go on) into `staging`; returns how many
    projects."""
    staging.mkdir(parents=True, exist_ok=True)
    for media in sorted(data_dir.glob(f"*{MEDIA_SUFFIX}")):
        if media.is_dir():
            _mirror(media, staging / media.name)
    return len(snapshot_project_files(data_dir, staging))


def restore(store: SnapshotStore, data_dir: Path) -> bool:
    """Bring the newest snapshot's projects that `data_dir` lacks back into it (media
    first, so no record points at a missing file); False if the store holds none."""
    return store.pull(data_dir)


class Snapshotter:
    """Takes a snapshot of `data_dir` and pushes it to `store` every `every` seconds on
    a background thread, and once more at `stop()`."""

    def __init__(self, data_dir: Path, store: SnapshotStore, staging: Path, every: float) -> None:
        self.data_dir = data_dir
        self.store = store
        self.staging = staging
        self.every = every
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._loop, name="trackio-snapshots", daemon=True)

    def start(self) -> Snapshotter:
        """Begin the periodic snapshots."""
        self._thread.start()
        return self

    def snapshot_now(self) -> None:
        """Take a snapshot and push it; a failure is reported and retried next time."""
        with self._lock:
            try:
                take_snapshot(self.data_dir, self.staging)
                self.store.push(self.staging)
            except Exception as error:  # the Hub's errors are many; none may stop the server
                print(
                    f"trackio: the snapshot failed, retried later: {type(error).__name__}: {error}",
                    file=sys.stderr,
                )

    def _loop(self) -> None:
        while not self._stopped.wait(self.every):
            self.snapshot_now()

    def stop(self) -> None:
        """Stop the periodic snapshots and take a last one."""
        self._stopped.set()
        self._thread.join(timeout=60)
        started = time.monotonic()
        self.snapshot_now()
        print(
            f"* snapshot taken on stopping ({time.monotonic() - started:.1f} s)",
            file=sys.stderr,
        )
