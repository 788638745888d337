"""What every logged media object does: snapshot cheaply, encode later, then write.

`log()` runs on the training thread, so a media object's constructor only
validates its input and keeps a private copy (file sources are read right away,
so a file overwritten at the next step cannot change what was logged). The writer
thread calls `prepare()` to encode (PNG, MP4, WAV...) before it takes the
database's write lock, then `write()` to put the bytes in the media folder.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

Encoded = tuple[str, bytes | None, dict[str, Any]]
"""(file extension, file bytes or None for no file, details for the record)."""


class MediaEncodingError(ValueError):
    """A media object could not be encoded; it is skipped, nothing else is lost."""


class Media:
    """Base class of the values `log()` stores as files beside the database."""

    kind = "media"

    def __init__(self, caption: str | None = None) -> None:
        if caption is not None and not isinstance(caption, str):
            caption = str(caption)
        self.caption = caption
        self._encoded: Encoded | None = None
        self._failure: BaseException | None = None

    def _encode(self) -> Encoded:
        """The expensive part: encode the object. Runs in the writer thread."""
        raise NotImplementedError

    def snapshot(self) -> Media:
        """What `log()` keeps: this object, or a copy where later changes could leak in."""
        return self

    def prepare(self) -> None:
        """Encode now (idempotent); a failure is remembered and raised by `write()`."""
        if self._encoded is None and self._failure is None:
            try:
                self._encoded = self._encode()
            except Exception as error:  # noqa: BLE001 - reported by write() for this object only
                self._failure = error

    def write(self, folder: Path, stem: str) -> tuple[str | None, dict[str, Any]]:
        """Write the file under `folder` as `stem.<ext>`; return (file name, details).

        Raises `MediaEncodingError` if the object could not be encoded, and
        `OSError` if the file could not be written (a reason to retry later).
        """
        self.prepare()
        if self._failure is not None:
            raise MediaEncodingError(
                f"{self.kind} could not be encoded: {self._failure!r}"
            ) from self._failure
        assert self._encoded is not None
        extension, data, details = self._encoded
        if data is None:
            return None, details
        name = f"{stem}.{extension}"
        atomic_write(folder / name, data)
        return name, details

    def files_written(self, folder: Path, stem: str, name: str | None) -> list[str]:
        """Names of the files `write(folder, stem)` wrote, given the name it returned."""
        return [] if name is None else [name]

    def __repr__(self) -> str:
        caption = f"caption={self.caption!r}" if self.caption else ""
        return f"{type(self).__name__}({caption})"


def is_media(value: Any) -> bool:
    """Whether `value` is a media object or a non-empty tuple of them (one `log()` key)."""
    if isinstance(value, Media):
        return True
    return isinstance(value, tuple) and bool(value) and all(isinstance(v, Media) for v in value)


def read_source(path: Path, extensions: frozenset[str], what: str) -> tuple[bytes, str]:
    """The bytes and lowercase extension of a media file given by path, read now."""
    extension = path.suffix.lower().lstrip(".")
    if extension not in extensions:
        raise ValueError(
            f"{path.name}: {what} files ending in {path.suffix or '(no extension)'!r} are not "
            f"supported; use one of {', '.join(sorted(extensions))}"
        )
    if not path.is_file():
        raise FileNotFoundError(f"{what} file {path} does not exist")
    return path.read_bytes(), extension


def atomic_write(target: Path, data: bytes) -> None:
    """Write `data` to `target` through a temporary file, so no reader sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def to_uint8(array: Any) -> Any:
    """Pixels as uint8: bools become 0/255, floats in [0, 1] are scaled by 255 (floats
    beyond 1 are taken as 0-255 already), everything is clipped to 0-255."""
    import numpy as np

    if array.dtype == np.uint8:
        return array
    if array.dtype == np.bool_:
        return array.astype(np.uint8) * 255
    values = np.nan_to_num(array.astype(np.float64))
    if array.dtype.kind == "f" and values.size and values.max() <= 1.0:
        values = values * 255.0
    return np.clip(values, 0, 255).astype(np.uint8)


def is_torch_tensor(value: Any) -> bool:
    """Whether `value` is a torch tensor, found without importing torch."""
    return type(value).__module__.startswith("torch") and hasattr(value, "detach")


def to_numpy(value: Any) -> Any:
    """A private numpy copy of an array-like or tensor (on the caller's thread)."""
    import numpy as np

    if is_torch_tensor(value):
        tensor = value.detach().cpu()
        try:
            return tensor.numpy().copy()
        except TypeError:
            return tensor.float().numpy()
    return np.array(value, copy=True)
