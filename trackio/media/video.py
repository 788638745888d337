"""`trackio.Video`: a file, or frames (T×C×H×W or B×T×C×H×W) encoded off the training thread."""

from __future__ import annotations

import math
import os
import uuid
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from trackio.media.base import Media, copy_file, safe_extension, to_numpy

_VIDEO_EXTENSIONS = frozenset({"mp4", "webm", "gif", "ogg", "ogv", "mov"})
_ENCODED_FORMATS = ("mp4", "gif", "webm")


class Video(Media):
    """A video to log. `value` is a file path, or a uint8 array of frames shaped
    T×C×H×W, or B×T×C×H×W for a batch (tiled into a grid). Arrays are encoded as
    `format` ("mp4" by default, "gif" or "webm") at `fps` (4 by default) with the
    ffmpeg that the imageio-ffmpeg package ships, in the writer thread."""

    kind = "video"

    def __init__(
        self,
        value: Any,
        caption: str | None = None,
        fps: float | None = None,
        format: str | None = None,
        **_: Any,
    ) -> None:
        super().__init__(caption)
        self.fps = fps
        self._path: Path | None = None
        self._frames: Any = None
        if isinstance(value, (str, Path)):
            self._path = Path(value)
            if not self._path.is_file():
                raise FileNotFoundError(f"video file {self._path} does not exist")
            self.format = safe_extension(self._path, _VIDEO_EXTENSIONS)
            return
        self.format = (format or "mp4").lower()
        if self.format not in _ENCODED_FORMATS:
            raise ValueError(f"video format must be one of {_ENCODED_FORMATS}, got {format!r}")
        if find_spec("imageio") is None or find_spec("imageio_ffmpeg") is None:
            raise ImportError(
                "encoding video frames needs imageio and imageio-ffmpeg: "
                "pip install 'trackio[media]'"
            )
        frames = to_numpy(value)
        if frames.ndim == 5:
            frames = _tile(frames)
        if frames.ndim != 4 or frames.shape[1] not in (1, 3, 4):
            raise ValueError(
                f"video frames must be T×C×H×W or B×T×C×H×W with C in 1, 3, 4; got shape "
                f"{tuple(frames.shape)}"
            )
        self._frames = frames

    def write(self, folder: Path, stem: str) -> tuple[str | None, dict[str, Any]]:
        """Encode (or copy) the video and return its file name, format and fps."""
        name = f"{stem}.{self.format}"
        folder.mkdir(parents=True, exist_ok=True)
        if self._path is not None:
            copy_file(self._path, folder / name)
            return name, {"format": self.format, "fps": self.fps}
        temporary = folder / f".{uuid.uuid4().hex}.{self.format}"
        try:
            _encode(self._frames, temporary, self.format, self.fps or 4)
            os.replace(temporary, folder / name)
        finally:
            temporary.unlink(missing_ok=True)
        return name, {"format": self.format, "fps": self.fps or 4}


def _tile(batch: Any) -> Any:
    """B×T×C×H×W → T×C×(rows·H)×(cols·W), videos laid out in a grid."""
    import numpy as np

    count, frames, channels, height, width = batch.shape
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    padded = np.zeros((rows * columns, frames, channels, height, width), dtype=batch.dtype)
    padded[:count] = batch
    grid = padded.reshape(rows, columns, frames, channels, height, width)
    return grid.transpose(2, 3, 0, 4, 1, 5).reshape(
        frames, channels, rows * height, columns * width
    )


def _encode(frames: Any, target: Path, form: str, fps: float) -> None:
    import imageio.v2 as imageio
    import numpy as np

    if frames.dtype != np.uint8:
        scale = 255.0 if frames.dtype.kind == "f" and frames.max() <= 1.0 else 1.0
        frames = np.clip(frames * scale, 0, 255).astype(np.uint8)
    pictures = frames.transpose(0, 2, 3, 1)
    if pictures.shape[-1] == 1:
        pictures = np.repeat(pictures, 3, axis=-1)
    if form == "gif":
        imageio.mimwrite(target, list(pictures), format="GIF", duration=1000 / fps, loop=0)
        return
    pictures = pictures[..., :3]
    height, width = pictures.shape[1:3]
    pictures = np.pad(pictures, ((0, 0), (0, height % 2), (0, width % 2), (0, 0)))
    codec = "libx264" if form == "mp4" else "libvpx-vp9"
    imageio.mimwrite(
        target,
        list(pictures),
        format="FFMPEG",
        fps=fps,
        codec=codec,
        macro_block_size=1,
        pixelformat="yuv420p",
        output_params=["-loglevel", "error"],
    )
