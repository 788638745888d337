"""`trackio.Image`: numpy arrays, PIL images, tensors or files, stored as PNG."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from trackio.media.base import (
    Encoded,
    Media,
    is_torch_tensor,
    read_source,
    to_numpy,
    to_uint8,
)

MAX_PIXELS = 100_000_000
_IMAGE_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif", "webp", "bmp"})
_SIGNATURES = {
    b"\x89PNG": "png",
    b"\xff\xd8\xff": "jpeg",
    b"GIF8": "gif",
    b"RIFF": "webp",
    b"BM": "bmp",
}


class Image(Media):
    """An image to log: `trackio.log({"sample": trackio.Image(array, caption="cat")})`.

    `value` may be a numpy array (H×W, H×W×C or C×H×W with C in 1, 3, 4; uint8,
    bool, or floats in [0, 1], or in [0, 255] when any exceeds 1), a PIL image, a
    torch tensor of those shapes, or the path of an image file (read when the Image
    is made, kept in its own format). Arrays and PIL images are stored as PNG.
    """

    kind = "image"

    def __init__(self, value: Any, caption: str | None = None, **_: Any) -> None:
        super().__init__(caption)
        self._pil: Any = None
        self._array: Any = None
        self._bytes: tuple[bytes, str] | None = None
        if isinstance(value, (str, Path)):
            data, _extension = read_source(Path(value), _IMAGE_EXTENSIONS, "image")
            self._bytes = (data, _encoded_format(data))
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
        """An image already encoded as PNG, JPEG, GIF, WebP or BMP bytes, stored as is."""
        image = cls.__new__(cls)
        Media.__init__(image, caption)
        image._pil, image._array = None, None
        image._bytes = (bytes(data), _encoded_format(data))
        return image

    def _encode(self) -> Encoded:
        from PIL import Image as PILImage

        if self._bytes is not None:
            data, form = self._bytes
            with PILImage.open(io.BytesIO(data)) as opened:
                opened.verify()
            with PILImage.open(io.BytesIO(data)) as opened:
                size = {"width": opened.width, "height": opened.height, "format": form}
            return form, data, size
        picture = self._pil if self._pil is not None else _to_pil(self._array)
        if picture.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16"):
            picture = picture.convert("RGBA" if "A" in picture.getbands() else "RGB")
        buffer = io.BytesIO()
        picture.save(buffer, format="PNG", compress_level=1)
        return (
            "png",
            buffer.getvalue(),
            {"width": picture.width, "height": picture.height, "format": "png"},
        )


def _encoded_format(data: bytes) -> str:
    for signature, form in _SIGNATURES.items():
        if data.startswith(signature):
            return form
    raise ValueError("the image is not a PNG, JPEG, GIF, WebP or BMP file")


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
    from PIL import Image as PILImage

    return PILImage.fromarray(to_uint8(array))
