"""What every logged media object does: snapshot cheaply, then write its file later.

`log()` runs on the training thread, so a media object's constructor only
validates its input and keeps a private copy; encoding (PNG, MP4, WAV, JSON) and
writing happen in the writer thread through `write()`.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

_ALLOWED_EXTENSIONS = frozenset(
    [
        "png",
        "jpg",
        "jpeg",
        "gif",
        "webp",
        "bmp",
        "mp4",
        "webm",
        "ogg",
        "ogv",
        "mov",
        "gifv",
        "wav",
        "mp3",
        "flac",
        "oga",
        "m4a",
        "json",
    ]
)


class Media:
    """Base class of the values `log()` stores as files beside the database."""

    kind = "media"

    def __init__(self, caption: str | None = None) -> None:
        if caption is not None and not isinstance(caption, str):
            caption = str(caption)
        self.caption = caption

    def write(self, folder: Path, stem: str) -> tuple[str | None, dict[str, Any]]:
        """Write the file under `folder` named from `stem`; return (file name, meta).

        Called by the writer thread. The file name is relative to `folder`.
        """
        raise NotImplementedError

    def __repr__(self) -> str:
        caption = f", caption={self.caption!r}" if self.caption else ""
        return f"{type(self).__name__}({caption.lstrip(', ')})"


def is_media(value: Any) -> bool:
    """Whether `value` is a media object or a non-empty tuple of them (one `log()` key)."""
    if isinstance(value, Media):
        return True
    return isinstance(value, tuple) and bool(value) and all(isinstance(v, Media) for v in value)


def safe_extension(path: Path, allowed: frozenset[str] | None = None) -> str:
    """The lowercase extension of `path` if trackio stores files of that type, else an error."""
    extension = path.suffix.lower().lstrip(".")
    if extension not in (allowed or _ALLOWED_EXTENSIONS):
        raise ValueError(
            f"{path.name}: files ending in {path.suffix or '(no extension)'!r} are not "
            f"supported here; use one of {', '.join(sorted(allowed or _ALLOWED_EXTENSIONS))}"
        )
    return extension


def atomic_write(target: Path, data: bytes) -> None:
    """Write `data` to `target` through a temporary file, so no reader sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def copy_file(source: Path, target: Path) -> None:
    """Copy `source` to `target` atomically."""
    atomic_write(target, source.read_bytes())


def is_torch_tensor(value: Any) -> bool:
    """Whether `value` is a torch tensor, found without importing torch."""
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def to_numpy(value: Any) -> Any:
    """A private numpy copy of an array-like or tensor (on the caller's thread)."""
    import numpy as np

    if is_torch_tensor(value):
        value = value.detach().cpu().numpy()
    return np.array(value, copy=True)
