"""The image a VLM receives: the rendered frame, its long side cut to a limit, as JPEG or PNG.

The frame is never upscaled. Greyscale frames stay single-channel (smaller requests; every
provider decodes greyscale JPEG and PNG). The same frame and settings give the same bytes in one
installation; the response cache keys on the *rendered pixels* instead (:func:`pixels_sha256`),
so a Pillow upgrade that changes JPEG bytes does not invalidate recorded responses.
"""

from __future__ import annotations

import base64
import hashlib
import io
from dataclasses import dataclass

import numpy as np
from PIL import Image

FORMATS = {"jpeg": "image/jpeg", "png": "image/png"}


@dataclass(frozen=True)
class EncodedImage:
    """An encoded image ready to send."""

    data: bytes
    mime: str
    width: int
    height: int

    def b64(self) -> str:
        return base64.b64encode(self.data).decode("ascii")

    def data_url(self) -> str:
        return f"data:{self.mime};base64,{self.b64()}"


def resized_size(width: int, height: int, long_side: int) -> tuple[int, int]:
    """Width and height after cutting the long side to ``long_side`` (0: keep the size)."""
    longest = max(width, height)
    if long_side <= 0 or longest <= long_side:
        return width, height
    scale = long_side / longest
    return max(1, round(width * scale)), max(1, round(height * scale))


def encode_image(image: np.ndarray, long_side: int = 768, fmt: str = "jpeg",
                 quality: int = 90) -> EncodedImage:
    """``image`` (``uint8``, ``(H, W)`` or ``(H, W, 3)``) resized and encoded as ``fmt``."""
    if fmt not in FORMATS:
        raise ValueError(f"image format must be one of {sorted(FORMATS)}, not {fmt!r}")
    pil = Image.fromarray(np.ascontiguousarray(image))
    size = resized_size(pil.width, pil.height, long_side)
    if size != (pil.width, pil.height):
        pil = pil.resize(size, Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    if fmt == "jpeg":
        pil.save(buf, "JPEG", quality=quality)
    else:
        pil.save(buf, "PNG", compress_level=6)
    return EncodedImage(buf.getvalue(), FORMATS[fmt], pil.width, pil.height)


def pixels_sha256(image: np.ndarray) -> str:
    """Content address of a rendered frame: its pixels, shape and type."""
    h = hashlib.sha256()
    h.update(f"{image.shape}|{image.dtype}|".encode())
    h.update(np.ascontiguousarray(image).tobytes())
    return h.hexdigest()
