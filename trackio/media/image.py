"""`trackio.Image`: numpy arrays, PIL images, tensors or files, stored as PNG."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from trackio.media.base import (
    Media,
    atomic_write,
    copy_file,
    is_torch_tensor,
    safe_extension,
    to_numpy,
)

MAX_PIXELS = 100_000_000
_IMAGE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif", "webp", "bmp"})


class Image(Media):
    """An image to log: `trackio.log({"sample": trackio.Image(array, caption="cat")})`.

    `value` may be a numpy array (H×W, H×W×C or C×H×W with C in 1, 3, 4; uint8, or
    floats in [0, 1]), a PIL image, a torch tensor of those shapes, or the path of an
    image file (kept in its own format). Arrays and PIL images are stored as PNG.
    """

    kind = "image"

    def __init__(self, value: Any, caption: str | None = None, **_: Any) -> None:
        super().__init__(caption)
        self._path: Path | None = None
        self._pil: Any = None
        self._array: Any = None
        self._encoded: tuple[bytes, str] | None = None
        if isinstance(value, (str, Path)):
            self._path = Path(value)
            if not self._path.is_file():
                raise FileNotFoundError(f"image file {self._path} does not exist")
            safe_extension(self._path, _IMAGE_EXTENSIONS)
        elif type(value).__module__.startswith("PIL."):
            _check_pixels(value.width * value.height)
            self._pil = value.copy()
        elif hasattr(value, "shape") or is_torch_tensor(value) or isinstance(value, list):
            self._array = _as_image_array(to_numpy(value))
        else:
            raise TypeError(
                f"trackio.Image takes a numpy array, PIL image, tensor or file path, "
                f"not {type(value).__name__}"
            )

    @classmethod
    def from_encoded(cls, data: bytes, caption: str | None = None) -> Image:
        """An image already encoded as PNG, JPEG, GIF or WebP bytes, stored as they are."""
        form = _encoded_format(data)
        image = cls.__new__(cls)
        Media.__init__(image, caption)
        image._path, image._pil, image._array = None, None, None
        image._encoded = (bytes(data), form)
        return image

    def write(self, folder: Path, stem: str) -> tuple[str | None, dict[str, Any]]:
        """Write the PNG (or the original file) and return its name and size."""
        if self._encoded is not None:
            from PIL import Image as PILImage

            data, form = self._encoded
            atomic_write(folder / f"{stem}.{form}", data)
            with PILImage.open(io.BytesIO(data)) as opened:
                size = {"width": opened.width, "height": opened.height, "format": form}
            return f"{stem}.{form}", size
        if self._path is not None:
            from PIL import Image as PILImage

            name = f"{stem}.{safe_extension(self._path, _IMAGE_EXTENSIONS)}"
            copy_file(self._path, folder / name)
            with PILImage.open(self._path) as opened:
                width, height, form = opened.width, opened.height, (opened.format or "").lower()
            return name, {"width": width, "height": height, "format": form}
        picture = self._pil if self._pil is not None else _to_pil(self._array)
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG", compress_level=1)
        name = f"{stem}.png"
        atomic_write(folder / name, buffer.getvalue())
        return name, {"width": picture.width, "height": picture.height, "format": "png"}


_SIGNATURES = {b"\x89PNG": "png", b"\xff\xd8\xff": "jpeg", b"GIF8": "gif", b"RIFF": "webp"}


def _encoded_format(data: bytes) -> str:
    for signature, form in _SIGNATURES.items():
        if data.startswith(signature):
            return form
    raise ValueError("encoded image bytes are not PNG, JPEG, GIF or WebP")


def _check_pixels(count: int) -> None:
    if count > MAX_PIXELS:
        raise ValueError(
            f"image has {count:,} pixels; trackio stores images of up to {MAX_PIXELS:,} pixels"
        )


def _as_image_array(array: Any) -> Any:
    """Validate an image array and bring it to H×W or H×W×C."""
    if array.ndim == 3 and array.shape[0] in (1, 3, 4) and array.shape[-1] not in (1, 3, 4):
        array = array.transpose(1, 2, 0)
    if array.ndim == 3 and array.shape[-1] == 1:
        array = array[:, :, 0]
    if array.ndim not in (2, 3) or (array.ndim == 3 and array.shape[-1] not in (3, 4)):
        raise ValueError(
            f"an image array must be H×W, H×W×C or C×H×W with C in 1, 3, 4; got shape "
            f"{tuple(array.shape)}"
        )
    if array.dtype.kind not in "uifb":
        raise ValueError(f"an image array must hold numbers, not {array.dtype}")
    _check_pixels(array.shape[0] * array.shape[1])
    return array


def _to_pil(array: Any) -> Any:
    import numpy as np
    from PIL import Image as PILImage

    if array.dtype != np.uint8:
        if array.dtype.kind == "f":
            array = np.clip(np.nan_to_num(array), 0.0, 1.0) * 255.0
        array = np.clip(array, 0, 255).astype(np.uint8)
    return PILImage.fromarray(array)
