"""Where project files live and how a project name becomes a file name."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from urllib.parse import unquote

DB_SUFFIX = ".db"
MEDIA_SUFFIX = ".media"
MAX_PROJECT_NAME_LENGTH = 200
HASHED_MARK = "~"
_MAX_STEM_LENGTH = 200
_HASH_LENGTH = 16

_SAFE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_.")


def data_dir() -> Path:
    """The folder holding every project file: `TRACKIO_DIR`, else `$HF_HOME/trackio`."""
    explicit = os.environ.get("TRACKIO_DIR")
    if explicit:
        return Path(explicit).expanduser()
    hf_home = os.environ.get("HF_HOME")
    base = Path(hf_home).expanduser() if hf_home else Path.home() / ".cache" / "huggingface"
    return base / "trackio"


def validate_project_name(project: object) -> str:
    """Return `project` if it can name a project, else raise `ValueError` saying why."""
    if not isinstance(project, str):
        raise ValueError(f"project name must be a string, got {type(project).__name__}")
    if not project.strip():
        raise ValueError("project name must not be empty")
    if len(project) > MAX_PROJECT_NAME_LENGTH:
        raise ValueError(
            f"project name is {len(project)} characters long; "
            f"the limit is {MAX_PROJECT_NAME_LENGTH}"
        )
    if "\x00" in project:
        raise ValueError("project name must not contain a NUL character")
    return project


def encode_project_name(project: str) -> str:
    """Encode a project name as a file stem, reversibly.

    Only lowercase ASCII letters, digits, `-`, `_` and `.` (not leading) are kept;
    every other character, uppercase letters included, becomes `%XX` escapes of its
    UTF-8 bytes. The result cannot contain a path separator, cannot be `.` or `..`,
    and two names never map to stems that differ only by letter case, so names
    cannot collide even on case-insensitive file systems. An escaped name too long
    for a file name is cut and given a hash of the whole name after a `~` (which
    escaping never produces); the database then holds the name itself.
    """
    validate_project_name(project)
    parts = []
    for index, char in enumerate(project):
        if char in _SAFE_CHARS and not (index == 0 and char == "."):
            parts.append(char)
        else:
            parts.append("".join(f"%{byte:02X}" for byte in char.encode("utf-8")))
    stem = "".join(parts)
    if len(stem) > _MAX_STEM_LENGTH:
        digest = hashlib.sha256(project.encode("utf-8")).hexdigest()[:_HASH_LENGTH]
        stem = f"{stem[: _MAX_STEM_LENGTH - _HASH_LENGTH - 1]}{HASHED_MARK}{digest}"
    return stem


def decode_project_name(stem: str) -> str:
    """Invert `encode_project_name`."""
    return unquote(stem, errors="strict")


def project_db_path(project: str, directory: Path | None = None) -> Path:
    """The SQLite file of `project` inside `directory` (default `data_dir()`)."""
    return (directory or data_dir()) / (encode_project_name(project) + DB_SUFFIX)


def file_identity(path: Path) -> int | None:
    """The inode of the file at `path` (None if absent): a cached connection to a file
    that was deleted or replaced would keep using the old one."""
    try:
        return os.stat(path).st_ino
    except FileNotFoundError:
        return None


def media_dir_for(db_path: Path) -> Path:
    """The folder holding the media files of the project stored at `db_path`."""
    return db_path.with_name(db_path.name[: -len(DB_SUFFIX)] + MEDIA_SUFFIX)


def saved_files_dir(media_dir: Path, run_id: str) -> Path:
    """The folder of the files run `run_id` saved (`trackio.save`, `run.dir`), inside
    the project's media folder `media_dir`: they go wherever the run's media go."""
    return media_dir / run_id / "files"


def is_encoded_stem(stem: str) -> bool:
    """Whether `stem` is exactly what `encode_project_name` produces for some short name."""
    try:
        return encode_project_name(decode_project_name(stem)) == stem
    except (ValueError, UnicodeDecodeError):
        return False
