"""`trackio.Audio`: a file, or samples stored as 16-bit WAV."""

from __future__ import annotations

import io
import wave
from pathlib import Path
from typing import Any

from trackio.media.base import Media, atomic_write, copy_file, safe_extension, to_numpy

_AUDIO_EXTENSIONS = frozenset({"wav", "mp3", "ogg", "oga", "flac", "m4a"})


class Audio(Media):
    """Audio to log: a file path, or a numpy array of samples (N, or N×channels)
    with `sample_rate`. Float samples in [-1, 1] and int16 samples are written as
    16-bit PCM WAV."""

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
        self._path: Path | None = None
        self._samples: Any = None
        if isinstance(value, (str, Path)):
            self._path = Path(value)
            if not self._path.is_file():
                raise FileNotFoundError(f"audio file {self._path} does not exist")
            safe_extension(self._path, _AUDIO_EXTENSIONS)
            return
        if sample_rate is None or sample_rate <= 0:
            raise ValueError("trackio.Audio of an array needs a positive sample_rate")
        samples = to_numpy(value)
        if samples.ndim not in (1, 2):
            raise ValueError(f"audio samples must be N or N×channels, got {tuple(samples.shape)}")
        self._samples = samples

    def write(self, folder: Path, stem: str) -> tuple[str | None, dict[str, Any]]:
        """Write the WAV (or copy the file); return its name, format and sample rate."""
        if self._path is not None:
            extension = safe_extension(self._path, _AUDIO_EXTENSIONS)
            copy_file(self._path, folder / f"{stem}.{extension}")
            return f"{stem}.{extension}", {"format": extension, "sample_rate": self.sample_rate}
        import numpy as np

        samples = self._samples
        if samples.dtype.kind == "f":
            samples = np.clip(np.nan_to_num(samples), -1.0, 1.0) * 32767
        pcm = samples.astype("<i2")
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as out:
            out.setnchannels(1 if pcm.ndim == 1 else pcm.shape[1])
            out.setsampwidth(2)
            out.setframerate(int(self.sample_rate))
            out.writeframes(pcm.tobytes())
        atomic_write(folder / f"{stem}.wav", buffer.getvalue())
        return f"{stem}.wav", {"format": "wav", "sample_rate": int(self.sample_rate)}
