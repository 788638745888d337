"""The PyPI client's uploaded files: `/api/upload` bodies kept under a handle, and the
media slots where a file media value and its file meet, parked until both arrive."""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from trackio.media.base import Media, atomic_write
from trackio.server.pypi.calls import (
    PypiRequestError,
    entry_object,
    entry_project,
    is_utf8,
    optional_step,
    run_request,
)
from trackio.storage import ProjectStore
from trackio.storage.paths import data_dir
from trackio.storage.records import RunBatch, RunRequest

FILE_MEDIA = {"trackio.image": "image", "trackio.video": "video", "trackio.audio": "audio"}
"""Their file media types, each with the kind of our media it becomes."""
MEDIA_SUFFIXES = {
    "image": frozenset({".png", ".jpg", ".jpeg", ".gif", ".webp", ".bmp"}),
    "video": frozenset({".mp4", ".webm", ".gif", ".ogg", ".ogv", ".mov"}),
    "audio": frozenset({".wav", ".mp3", ".ogg", ".oga", ".flac", ".m4a"}),
}
"""The file suffixes our media of each kind can read."""
_KEPT_SUFFIXES = frozenset().union(*MEDIA_SUFFIXES.values())
_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")
_HANDLE = re.compile(r"^[0-9a-f]{32}(\.[a-z0-9]{1,8})?$")
_STAGED_FOR_SECONDS = 24 * 3600.0
_UPLOAD_DIR = ".pypi-uploads"
_PARKED = "parked"


def _upload_dir() -> Path:
    return data_dir() / _UPLOAD_DIR


def file_name(text: Any) -> str | None:
    """The last part of a client's file path, or None if it names no file."""
    if not isinstance(text, str):
        return None
    name = PurePosixPath(text.replace("\\", "/")).name
    if name in ("", ".", "..") or not is_utf8(name):
        return None
    return name


def file_suffix(name: str) -> str:
    """The file name's suffix, lower-cased, or "" if it has none we would keep."""
    suffix = PurePosixPath(name).suffix.lower()
    return suffix if _SUFFIX.match(suffix) else ""


@dataclass(frozen=True)
class MediaSlot:
    """Where a file media value and its uploaded file meet: by project, run, step and
    the client's file name, which both sides carry, so either may come first."""

    project: str
    run_id: str
    step: int
    name: str

    @property
    def digest(self) -> str:
        text = f"{self.project}\0{self.run_id}\0{self.step}\0{self.name}"
        return hashlib.sha256(text.encode()).hexdigest()[:40]

    @property
    def file(self) -> Path:
        """The uploaded file, waiting for its value."""
        return _upload_dir() / _PARKED / f"{self.digest}{file_suffix(self.name)}"

    @property
    def claim(self) -> Path:
        """The value (key, value, time), waiting for its file."""
        return _upload_dir() / _PARKED / f"{self.digest}.claim.json"

    @property
    def batch_id(self) -> str:
        return f"pypi-media:{self.digest}"


def _media_from_file(kind: str, path: Path, caption: Any) -> Media | None:
    """Our media object of an uploaded file, or None if it is not one we can store."""
    from trackio.media.audio import Audio
    from trackio.media.image import Image
    from trackio.media.video import Video

    text = caption if isinstance(caption, str) else None
    if file_suffix(path.name) not in MEDIA_SUFFIXES[kind]:
        return None
    try:
        if kind == "image":
            return Image.from_encoded(path.read_bytes(), caption=text)
        if kind == "video":
            return Video(path, caption=text)
        return Audio(path, caption=text)
    except (OSError, ValueError):
        return None


def parse_multipart(content_type: str, body: bytes) -> list[tuple[str, str | None, bytes]]:
    """(field name, file name, bytes) of each part of a `multipart/form-data` body."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if not content_type.lower().startswith("multipart/form-data") or match is None:
        raise PypiRequestError("the body must be multipart/form-data with a boundary")
    delimiter = b"--" + match.group(1).encode("latin-1")
    pieces = body.split(delimiter)
    if len(pieces) < 3 or not pieces[-1].startswith(b"--"):
        raise PypiRequestError("the multipart body is cut short")
    parts = []
    for piece in pieces[1:-1]:
        if not piece.startswith(b"\r\n") or not piece.endswith(b"\r\n"):
            raise PypiRequestError("a multipart part is malformed")
        head, separator, content = piece[2:-2].partition(b"\r\n\r\n")
        if not separator:
            raise PypiRequestError("a multipart part has no header end")
        disposition = ""
        for line in head.decode("utf-8", "replace").split("\r\n"):
            label, _, text = line.partition(":")
            if label.strip().lower() == "content-disposition":
                disposition = text
        name = re.search(r'(?:^|;)\s*name="([^"]*)"', disposition)
        filename = re.search(r'filename="([^"]*)"', disposition)
        parts.append(
            (name.group(1) if name else "", filename.group(1) if filename else None, content)
        )
    return parts


def complete_media(store: ProjectStore, slot: MediaSlot) -> bool:
    """Store the media value of a slot whose value and file have both arrived, exactly
    once (under the slot's batch id); True if it was stored now."""
    if not (slot.claim.is_file() and slot.file.is_file()):
        return False
    stored = False
    if not store.has_batch(slot.batch_id):
        claim = json.loads(slot.claim.read_text(encoding="utf-8"))
        value = claim["value"]
        media = _media_from_file(FILE_MEDIA[value["_type"]], slot.file, value.get("caption"))
        batch = RunBatch(
            slot.run_id,
            {claim["key"]: ([slot.step], [value if media is None else media], [claim["time"]])},
            last_time=time.time(),
        )
        result = store.append([batch], batch_id=slot.batch_id)
        stored = not result.duplicate and not result.missing_runs
    slot.claim.unlink(missing_ok=True)
    slot.file.unlink(missing_ok=True)
    return stored


@dataclass
class Upload:
    """One `bulk_upload_media` entry, checked: its staged file and where it goes."""

    project: str
    run: RunRequest | None
    step: int | None
    name: str | None
    staged: Path


def check_upload(item: Any, index: int) -> Upload:
    """The `Upload` of the `index`th `bulk_upload_media` entry."""
    where = f"uploads[{index}]"
    entry = entry_object(item, where)
    project = entry_project(entry, where)
    uploaded = entry.get("uploaded_file")
    if not isinstance(uploaded, dict):
        raise PypiRequestError(f"{where}: 'uploaded_file' must be an object")
    handle = uploaded.get("path")
    if not isinstance(handle, str) or not _HANDLE.match(handle):
        raise PypiRequestError(f"{where}: 'uploaded_file.path' is not a path /api/upload gave")
    staged = _upload_dir() / handle
    if not staged.is_file():
        raise PypiRequestError(f"{where}: no uploaded file {handle!r} (upload it again)")
    run = None if entry.get("run") is None else run_request(entry, where)
    return Upload(
        project,
        run,
        optional_step(entry, where),
        file_name(uploaded.get("orig_name")) or file_name(handle),
        staged,
    )


def store_upload(store: ProjectStore | None, upload: Upload) -> bool:
    """Keep an uploaded file where its value finds it, and store the media at once if
    the value came first; True if it was stored now. `store` is None when the project
    does not exist yet (the file then waits for the value that creates it)."""
    if upload.run is None or upload.step is None or upload.name is None:
        # A project file (their `relative_path` uploads): nothing of ours holds it.
        upload.staged.unlink(missing_ok=True)
        return False
    if file_suffix(upload.name) not in _KEPT_SUFFIXES:
        # HTML, 3D objects and the like: no value of ours can show them.
        upload.staged.unlink(missing_ok=True)
        return False
    run_id = upload.run.run_id
    if run_id is None:
        named = [] if store is None else store.list_runs()
        named = [record for record in named if record.name == upload.run.name]
        if not named:
            upload.staged.unlink(missing_ok=True)
            return False
        run_id = named[-1].run_id
    slot = MediaSlot(upload.project, run_id, upload.step, upload.name)
    if store is not None and store.has_batch(slot.batch_id):
        # Their client re-sent a file that was stored already.
        upload.staged.unlink(missing_ok=True)
        return False
    slot.file.parent.mkdir(parents=True, exist_ok=True)
    upload.staged.replace(slot.file)
    return store is not None and complete_media(store, slot)


def _forget_old_uploads(now: float) -> None:
    """Delete staged uploads no `bulk_upload_media` named within a day."""
    folder = _upload_dir()
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        try:
            if path.is_file() and now - path.stat().st_mtime > _STAGED_FOR_SECONDS:
                path.unlink()
        except OSError:
            continue


def save_uploads(content_type: str, body: bytes) -> list[str]:
    """Keep each file of an `/api/upload` body; the handles their client sends back."""
    files = [part for part in parse_multipart(content_type, body) if part[1] is not None]
    if not files:
        raise PypiRequestError("the body holds no file")
    _forget_old_uploads(time.time())
    handles = []
    for _, filename, content in files:
        handle = uuid.uuid4().hex + file_suffix(filename or "")
        atomic_write(_upload_dir() / handle, content)
        handles.append(handle)
    return handles
