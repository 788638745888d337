"""`trackio.Video`: a file, or frames (T×C×H×W or B×T×C×H×W) encoded off the training thread."""

from __future__ import annotations

import math
import tempfile
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from trackio.media.base import Encoded, Media, read_source, to_numpy, to_uint8

_VIDEO_EXTENSIONS = frozenset({"mp4", "webm", "gif", "ogg", "ogv", "mov"})
_ENCODED_FORMATS = ("mp4", "gif", "webm")


class Video(Media):
    """A video to log. `value` is a file path (read when the Video is made), or an
    array of frames shaped T×C×H×W, or B×T×C×H×W for a batch (tiled into a grid).
    Frames are encoded as `format` ("mp4" by default, "gif" or "webm") at `fps`
    (4 by default) with the ffmpeg that the imageio-ffmpeg package ships, in the
    writer thread."""

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
        self._bytes: bytes | None = None
        self._frames: Any = None
        if isinstance(value, (str, Path)):
            self._bytes, self.format = read_source(Path(value), _VIDEO_EXTENSIONS, "video")
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
        if frames.ndim != 4 or frames.shape[1] not in (1, 3, 4) or frames.shape[0] == 0:
            raise ValueError(
                f"video frames must be T×C×H×W or B×T×C×H×W with C in 1, 3, 4 and at least "
                f"one frame; got shape {tuple(frames.shape)}"
            )
        self._frames = frames

    def _encode(self) -> Encoded:
        if self._bytes is not None:
            return self.format, self._bytes, {"format": self.format, "fps": self.fps}
        fps = self.fps or 4
        with tempfile.TemporaryDirectory(prefix="trackio-video-") as folder:
            target = Path(folder) / f"video.{self.format}"
            _encode_frames(self._frames, target, self.format, fps)
            data = target.read_bytes()
        return self.format, data, {"format": self.format, "fps": fps}


def _tile(batch: Any) -> Any:
    """B×T×C×H×W → T×C×(rows·H)×(cols·W), videos laid out in a grid."""
    import numpy as np

    count, frames, channels, height, width = batch.shape
    columns = math.ceil(math.sqrt(count))
    rows = math.ceil(count / columns)
    padded = np.zeros((rows * columns, frames, channels, height, width), dtype=batch.dtype)
    padded[:count] = batch
    grid = padded.reshape(rows, columns, frames, channels, height, width)
    tiled = grid.transpose(2, 3, 0, 4, 1, 5)
    return tiled.reshape(frames, channels, rows * height, columns * width)


def _encode_frames(frames: Any, target: Path, form: str, fps: float) -> None:
    import imageio.v2 as imageio
    import numpy as np

    pictures = to_uint8(frames).transpose(0, 2, 3, 1)
    if pictures.shape[-1] == 1:
        pictures = np.repeat(pictures, 3, axis=-1)
    if form == "gif":
        imageio.mimwrite(target, list(pictures), format="GIF", duration=1000 / fps, loop=0)
        return
    pictures = pictures[..., :3]
    height, width = pictures.shape[1:3]
    pictures = np.pad(pictures, ((0, 0), (0, height % 2), (0, width % 2), (0, 0)), mode="edge")
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
