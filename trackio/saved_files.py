"""`trackio.save()`: copying files into a run's folder, and listing them back.

A run's files live in `<project>.media/<run id>/files/` (`run.dir`), beside the run's
media files, so deleting the run deletes them too. Paths inside it are kept
relative to `base_path`, as wandb keeps them.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import tempfile
import threading
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from trackio.formatting import iso_utc
from trackio.storage.paths import media_dir_for, project_db_path, saved_files_dir

SAVE_POLICIES = ("live", "now", "end")
_GLOB_CHARS = frozenset("*?[")


def files_dir(media_dir: Path, run_id: str) -> Path:
    """The folder holding the saved files of run `run_id` of the project whose media
    folder is `media_dir`."""
    check_run_id(run_id)
    return saved_files_dir(media_dir, run_id)


def run_files_dir(project: str, run_id: str, directory: Path | None = None) -> Path:
    """`files_dir` of a run named by its project and data directory."""
    return files_dir(media_dir_for(project_db_path(project, directory)), run_id)


def check_run_id(run_id: str) -> str:
    """Return `run_id` if it can name a folder, else raise `ValueError` saying why: the
    run's media and files live in a folder named by the id."""
    if (
        not isinstance(run_id, str)
        or not run_id
        or run_id in (".", "..")
        or any(char in run_id for char in "/\\\x00")
    ):
        raise ValueError(
            f"run id {run_id!r} cannot name a folder: it must be non-empty, not '.' or '..', "
            "and hold no '/', '\\' or NUL"
        )
    return run_id


@dataclass(frozen=True)
class SavedFile:
    """A file saved with `trackio.save()` (or written into `run.dir`), as `Api` lists it.

    `name` is its path inside the run's folder (always with `/`), `path` the absolute
    path of the stored copy, as in wandb's `File`.
    """

    name: str
    path: str
    size: int
    updated_at: str

    def download(self, root: str = ".", replace: bool = False, exist_ok: bool = False) -> IO[str]:
        """Copy the file to `root/name` and return it opened for reading, as wandb's
        `File.download` does. An existing file there is an error unless `replace`
        (overwrite it) or `exist_ok` (keep it)."""
        target = Path(root) / self.name
        if target.exists() and not replace:
            if not exist_ok:
                raise ValueError(
                    f"{target} already exists; pass replace=True to overwrite it "
                    "or exist_ok=True to keep it"
                )
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            _copy_atomically(Path(self.path), target)
        return target.open(encoding="utf-8", errors="replace")


def list_saved(folder: Path) -> list[SavedFile]:
    """Every file under `folder`, sorted by name; none if the folder does not exist.

    Symbolic links are not followed: only what trackio copied in is listed."""
    found = []
    for path in _files_under(folder):
        try:
            stat = path.stat()
        except OSError:
            continue  # deleted while listing
        found.append(
            SavedFile(
                name=path.relative_to(folder).as_posix(),
                path=str(path),
                size=stat.st_size,
                updated_at=iso_utc(stat.st_mtime) or "",
            )
        )
    return sorted(found, key=lambda saved: saved.name)


def _files_under(folder: Path) -> Iterator[Path]:
    for root, dirs, names in os.walk(folder):
        dirs[:] = [name for name in dirs if not (Path(root) / name).is_symlink()]
        for name in names:
            path = Path(root) / name
            if not name.startswith(".trackio-") and path.is_file() and not path.is_symlink():
                yield path


def saved_file(folder: Path, name: str) -> Path:
    """The saved file `name` inside `folder`; `LookupError` for anything else.

    Absolute names, `..`, symbolic links and anything resolving outside the folder
    are refused the same way as a missing file, so nothing outside can be reached."""
    candidate = Path(name)
    if not name or candidate.is_absolute() or ".." in candidate.parts or "\x00" in name:
        raise LookupError(f"no saved file {name!r}")
    root = folder.resolve()
    target = folder / candidate
    if (
        target.is_symlink()
        or not target.resolve().is_relative_to(root)
        or not target.is_file()
        or target.name.startswith(".trackio-")
    ):
        raise LookupError(f"no saved file {name!r}")
    return target


def _copy_atomically(source: Path, target: Path) -> None:
    """Copy through a temporary file renamed into place, so a reader (the dashboard)
    never sees a half-written file."""
    handle, temporary = tempfile.mkstemp(prefix=".trackio-", dir=target.parent)
    os.close(handle)
    try:
        shutil.copyfile(source, temporary)
        shutil.copystat(source, temporary)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _fixed_prefix(pattern: str) -> str:
    """The directory part of `pattern` before its first glob character."""
    parts = Path(pattern).parts
    fixed = []
    for part in parts[:-1]:
        if _GLOB_CHARS.intersection(part):
            break
        fixed.append(part)
    return str(Path(*fixed)) if fixed else os.sep


class SavedFiles:
    """One run's saved files: copies now, and again at `finish()` for `"live"` and
    `"end"` files (so the run keeps their final version)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._pending: dict[Path, Path] = {}
        self._lock = threading.Lock()

    def save(
        self, glob_str: Any, base_path: Any = None, policy: str = "live", *, stacklevel: int = 3
    ) -> list[str]:
        """Copy the files matching `glob_str` into the run's folder; see `Run.save`."""
        if policy not in SAVE_POLICIES:
            raise ValueError(f"save() policy must be one of {SAVE_POLICIES}, got {policy!r}")
        pattern = _as_text(glob_str, "glob_str")
        if not pattern:
            raise ValueError("save() needs a file name or glob pattern, got ''")
        absolute = os.path.abspath(pattern)
        if base_path is not None:
            base = os.path.abspath(_as_text(base_path, "base_path"))
        elif os.path.isabs(pattern):
            # As wandb: an absolute path without base_path is saved by its name alone.
            base = _fixed_prefix(absolute)
        else:
            base = os.getcwd()
        base_parts = Path(base).parts
        if Path(absolute).parts[: len(base_parts)] != base_parts or absolute == base:
            raise ValueError(
                f"save() pattern {pattern!r} must name files inside base_path {base!r}"
            )
        folder = self.folder.resolve()
        copies: dict[Path, Path] = {}
        for match in sorted(glob.glob(absolute, recursive=True)):
            source = Path(match)
            if not source.is_file():
                continue
            resolved = source.resolve()
            if resolved.is_relative_to(folder):
                # Already in the run's folder (written to run.dir): it is saved as it is.
                copies[resolved] = resolved
                continue
            copies[source] = self.folder.joinpath(*source.parts[len(base_parts) :])
        if not copies:
            warnings.warn(
                f"trackio.save({pattern!r}) matched no files; nothing was saved",
                UserWarning,
                stacklevel=stacklevel,
            )
            return []
        with self._lock:
            for source, target in copies.items():
                if source == target:
                    continue
                if policy != "end":
                    target.parent.mkdir(parents=True, exist_ok=True)
                    _copy_atomically(source, target)
                if policy != "now":
                    self._pending[source] = target
        return [str(target) for target in copies.values()]

    def finish(self) -> None:
        """Copy the `"live"` and `"end"` files once more; a source that is gone by now
        keeps its last copy (or none), with a warning."""
        with self._lock:
            pending, self._pending = self._pending, {}
        for source, target in pending.items():
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                _copy_atomically(source, target)
            except OSError as error:
                warnings.warn(
                    f"trackio could not save {source} when the run finished: {error}",
                    UserWarning,
                    stacklevel=4,
                )


def _as_text(value: Any, name: str) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, (str, os.PathLike)):
        return os.fspath(value)
    raise TypeError(f"save() {name} must be a path or glob pattern, got {type(value).__name__}")
