"""Rendering text to ink masks with real TrueType fonts, and burning masks into frames.

Fonts are the ones matplotlib ships (DejaVu Sans/Mono/Serif and STIX, free licences; see the
dataset card), found on disk without importing matplotlib. A line of text becomes an :class:`Ink`:
an alpha mask cropped tight to the drawn pixels, with its offset inside the line's nominal box, so
ground-truth boxes are measured from the ink rather than guessed from font metrics.
"""

from __future__ import annotations

import functools
import importlib.util
import string
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from phibench.exceptions import DatasetError

FONT_FILES: dict[str, str] = {
    "sans": "DejaVuSans.ttf",
    "sans_bold": "DejaVuSans-Bold.ttf",
    "sans_oblique": "DejaVuSans-Oblique.ttf",
    "mono": "DejaVuSansMono.ttf",
    "mono_bold": "DejaVuSansMono-Bold.ttf",
    "serif": "DejaVuSerif.ttf",
    "serif_bold": "DejaVuSerif-Bold.ttf",
    "stix": "STIXGeneral.ttf",
    "stix_bold": "STIXGeneralBol.ttf",
    "thin_mono": "cmtt10.ttf",
    "thin_sans": "cmss10.ttf",
}
"""Font key -> file in matplotlib's ``mpl-data/fonts/ttf``. The ``thin_`` ones (Computer Modern
typewriter and sans, BaKoMa TrueType) have the hairline strokes of many ultrasound consoles."""

THIN_SAFE = frozenset(string.ascii_letters + string.digits + " :./,-#*()%+'&=")
"""Characters the ``thin_`` fonts draw as themselves (their TrueType maps some ASCII, e.g. ``<``
and ``_``, to other glyphs, and they lack accented letters)."""


def drawable(key: str, text: str) -> str:
    """``key``, or plain DejaVu Sans where a ``thin_`` font would draw ``text`` wrongly."""
    if key.startswith("thin_") and not set(text) <= THIN_SAFE:
        return "sans"
    return key

ALPHA_FLOOR = 24
"""Anti-aliasing fringe below this (of 255) is dropped, so the measured box holds all the ink."""


@functools.cache
def font_dir() -> Path:
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetError("the synthetic dataset needs matplotlib's fonts: pip install matplotlib")
    return Path(list(spec.submodule_search_locations)[0]) / "mpl-data" / "fonts" / "ttf"


@functools.lru_cache(maxsize=512)
def font(key: str, size: int) -> ImageFont.FreeTypeFont:
    path = font_dir() / FONT_FILES[key]
    if not path.is_file():
        raise DatasetError(f"font {path} is missing: reinstall matplotlib")
    return ImageFont.truetype(str(path), size)


@dataclass(frozen=True)
class Ink:
    """A line of text as drawn: tight alpha mask and where it sits in the line's nominal box."""

    alpha: np.ndarray
    """float32 0..1, cropped to the ink."""
    ox: int
    oy: int
    """Offset of the mask's top-left inside the nominal box."""
    width: int
    height: int
    """Nominal box: advance width by line height (rotated: the rotated canvas)."""
    size: int = 0
    """Font size in pixels."""


def render_text(text: str, key: str, size: int, angle: float = 0.0, aliased: bool = False
                ) -> Ink | None:
    """Draw ``text``; ``angle`` in degrees, counter-clockwise. None when nothing is drawn.

    ``aliased`` draws without anti-aliasing, like the bitmap fonts of many scanner overlays.
    """
    f = font(drawable(key, text), size)
    ascent, descent = f.getmetrics()
    left, _, right, _ = f.getbbox(text)
    pad = 2
    w, h = max(1, right - min(0, left)) + 2 * pad, ascent + descent + 2 * pad
    img = Image.new("L", (w, h), 0)
    draw = ImageDraw.Draw(img)
    if aliased:
        draw.fontmode = "1"
    draw.text((pad - min(0, left), pad), text, font=f, fill=255)
    if angle:
        resample = Image.Resampling.NEAREST if angle % 90 == 0 else Image.Resampling.BICUBIC
        img = img.rotate(angle, resample=resample, expand=True)
    arr = np.asarray(img, dtype=np.uint8).copy()
    arr[arr < ALPHA_FLOOR] = 0
    rows, cols = np.flatnonzero(arr.any(axis=1)), np.flatnonzero(arr.any(axis=0))
    if rows.size == 0:
        return None
    t, b, lft, r = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    alpha = arr[t:b, lft:r].astype(np.float32) / 255.0
    return Ink(alpha, lft, t, img.width, img.height, size)


def burn(frame: np.ndarray, alpha: np.ndarray, x: int, y: int, value: np.ndarray) -> None:
    """Blend ``value`` into ``frame`` (in place) through ``alpha`` placed at ``(x, y)``."""
    h, w = alpha.shape
    region = frame[y:y + h, x:x + w]
    a = alpha[: region.shape[0], : region.shape[1]]
    if frame.ndim == 3:
        a = a[..., None]
    region *= 1.0 - a
    region += a * value


def fill(frame: np.ndarray, box: tuple[int, int, int, int], value: np.ndarray) -> None:
    """Paint the rectangle ``(left, top, width, height)`` (clipped to the frame) with ``value``."""
    left, top, w, h = box
    H, W = frame.shape[:2]
    frame[max(0, top):min(H, top + h), max(0, left):min(W, left + w)] = value


def ticks(frame: np.ndarray, x: int, y: int, length: int, step: float, vertical: bool,
          value: np.ndarray, major_every: int = 5) -> tuple[int, int, int, int]:
    """A ruler: a line with tick marks every ``step`` px; returns its bounding box."""
    H, W = frame.shape[:2]
    n = int(length // step)
    if vertical:
        fill(frame, (x, y, 1, length), value)
        for k in range(n + 1):
            tick = 7 if k % major_every == 0 else 4
            fill(frame, (x - tick, int(round(y + k * step)), tick, 1), value)
        box = (x - 7, y, 8, length + 1)
    else:
        fill(frame, (x, y, length, 1), value)
        for k in range(n + 1):
            tick = 7 if k % major_every == 0 else 4
            fill(frame, (int(round(x + k * step)), y - tick, 1, tick), value)
        box = (x, y - 7, length + 1, 8)
    left, top, w, h = box
    return max(0, left), max(0, top), min(W, left + w) - max(0, left), min(H, top + h) - max(0, top)
