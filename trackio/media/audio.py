"""`trackio.Audio`: a file, or samples stored as 16-bit WAV."""

from __future__ import annotations

import io
import wave
from pathlib import Path
from typing import Any

from trackio.media.base import Encoded, Media, MediaEncodingError, read_source, to_numpy

_AUDIO_EXTENSIONS = frozenset({"wav", "mp3", "ogg", "oga", "flac", "m4a"})
_MAX_CHANNELS = 8


class Audio(Media):
    """Audio to log: a file path (read when the Audio is made), or a numpy array of
    samples (N, N×channels, or channels×N with at most 8 channels) with
    `sample_rate`. Float samples are read as [-1, 1], integer samples by their
    type's range; all are written as 16-bit PCM WAV."""

    kind = "audio"

    def __init__(
        self,
        value: Any,
        sample_rate: int | None = None,
        caption: str | None = None,
        **_: Any,
    ) -> None:
        super().__init__(caption)
        self.sample_rate = sample_rate
        self._bytes: tuple[bytes, str] | None = None
        self._samples: Any = None
        if isinstance(value, (str, Path)):
            self._bytes = read_source(Path(value), _AUDIO_EXTENSIONS, "audio")
            return
        if sample_rate is None or sample_rate <= 0:
            raise ValueError("trackio.Audio of an array needs a positive sample_rate")
        samples = to_numpy(value)
        if samples.ndim == 2 and samples.shape[0] <= _MAX_CHANNELS < samples.shape[1]:
            samples = samples.T
        if samples.ndim not in (1, 2) or (samples.ndim == 2 and samples.shape[1] > _MAX_CHANNELS):
            raise ValueError(
                f"audio samples must be N, N×channels or channels×N with at most "
                f"{_MAX_CHANNELS} channels; got shape {tuple(samples.shape)}"
            )
        if samples.dtype.kind not in "uif":
            raise ValueError(f"audio samples must be numbers, not {samples.dtype}")
        self._samples = samples

    def _encode(self) -> Encoded:
        if self._bytes is not None:
            data, extension = self._bytes
            return extension, data, {"format": extension, "sample_rate": self.sample_rate}
        rate = self.sample_rate
        if rate is None:
            raise MediaEncodingError("audio samples need a sample_rate")
        buffer = io.BytesIO()
        pcm = _to_int16(self._samples)
        with wave.open(buffer, "wb") as out:
            out.setnchannels(1 if pcm.ndim == 1 else pcm.shape[1])
            out.setsampwidth(2)
            out.setframerate(int(rate))
            out.writeframes(pcm.tobytes())
        return "wav", buffer.getvalue(), {"format": "wav", "sample_rate": int(rate)}


def _to_int16(samples: Any) -> Any:
    import numpy as np

    if samples.dtype.kind == "f":
        scaled = np.clip(np.nan_to_num(samples.astype(np.float64)), -1.0, 1.0) * 32767
    else:
        info = np.iinfo(samples.dtype)
        middle = (int(info.max) + int(info.min) + 1) / 2
        scaled = (samples.astype(np.float64) - middle) / (int(info.max) - middle) * 32767
    return np.clip(np.round(scaled), -32768, 32767).astype("<i2")
