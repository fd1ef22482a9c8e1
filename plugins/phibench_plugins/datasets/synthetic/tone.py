"""How stored pixel values turn into what a viewer shows, and back.

The generator paints backgrounds in *modality values* (Hounsfield units for CT, signal for MR,
exposure for X-ray, palette indices for PALETTE COLOR, 0..255 samples for RGB) and needs to burn
text that a reader will *see*. :class:`Tone` is its model of phibench's renderer
(:mod:`phibench.dicom.render`): rescale, then the first window (pydicom's LINEAR formula), then
MONOCHROME1 inversion. ``level`` maps values to display brightness 0..1; ``value`` maps a wanted
brightness back to the modality value to burn.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, eq=False)
class Tone:
    """Display model of one image; ``kind`` is ``grey``, ``rgb`` or ``palette``."""

    kind: str
    bits_stored: int
    signed: bool = False
    slope: float = 1.0
    intercept: float = 0.0
    center: float = 128.0
    width: float = 256.0
    mono1: bool = False
    burn_hi: float | None = None
    """Modality value burned for pure white text (MONOCHROME2 sense): above the window."""
    burn_lo: float | None = None
    """Modality value for pure black (MONOCHROME2) text: below the window."""
    lum: np.ndarray | None = None
    """PALETTE COLOR: display brightness 0..1 of each palette index (monotonic)."""

    @property
    def stored_range(self) -> tuple[int, int]:
        if self.signed:
            return -(2 ** (self.bits_stored - 1)), 2 ** (self.bits_stored - 1) - 1
        return 0, 2**self.bits_stored - 1

    @property
    def value_range(self) -> tuple[float, float]:
        lo, hi = self.stored_range
        return lo * self.slope + self.intercept, hi * self.slope + self.intercept

    def level(self, values: np.ndarray) -> np.ndarray:
        """Display brightness 0..1 of modality values (RGB: luminance of the last axis)."""
        v = np.asarray(values, dtype=np.float32)
        if self.kind == "rgb":
            return (v[..., 0] * 0.299 + v[..., 1] * 0.587 + v[..., 2] * 0.114) / 255.0
        if self.kind == "palette":
            assert self.lum is not None
            idx = np.clip(np.rint(v), 0, len(self.lum) - 1).astype(np.int64)
            return self.lum[idx]
        c, w = self.center - 0.5, self.width - 1.0
        out = np.clip((v - c) / w + 0.5, 0.0, 1.0)
        return 1.0 - out if self.mono1 else out

    def value(self, level: float) -> float:
        """The modality value shown at brightness ``level`` (0..1); 0 and 1 lie past the window."""
        level = float(np.clip(level, 0.0, 1.0))
        if self.kind == "rgb":
            return level * 255.0
        if self.kind == "palette":
            assert self.lum is not None
            return float(np.clip(np.searchsorted(self.lum, level), 0, len(self.lum) - 1))
        lv = 1.0 - level if self.mono1 else level
        lo, hi = self.value_range
        if lv >= 0.995:
            top = self.burn_hi if self.burn_hi is not None else hi
            return float(min(hi, max(top, self.center + self.width / 2 + 1)))
        if lv <= 0.005:
            bottom = self.burn_lo if self.burn_lo is not None else lo
            return float(max(lo, min(bottom, self.center - self.width / 2 - 1)))
        return float(np.clip(self.center - 0.5 + (lv - 0.5) * (self.width - 1.0), lo, hi))

    def values(self, levels: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`value` for greyscale tones: modality values of display levels."""
        lv = np.clip(np.asarray(levels, dtype=np.float32), 0.0, 1.0)
        if self.mono1:
            lv = 1.0 - lv
        lo, hi = self.value_range
        out = np.clip(self.center - 0.5 + (lv - 0.5) * (self.width - 1.0), lo, hi)
        out = np.where(lv >= 0.995, self.value(0.0 if self.mono1 else 1.0), out)
        out = np.where(lv <= 0.005, self.value(1.0 if self.mono1 else 0.0), out)
        return out.astype(np.float32)

    def colour(self, level: float, tint: tuple[float, float, float] | None = None) -> np.ndarray:
        """Value(s) to burn: a scalar array, or an RGB triple (``tint`` scales the channels)."""
        if self.kind == "rgb":
            t = np.array(tint if tint is not None else (1.0, 1.0, 1.0), dtype=np.float32)
            return (t * 255.0 * float(np.clip(level, 0, 1))).astype(np.float32)
        return np.array(self.value(level), dtype=np.float32)

    def quantize(self, values: np.ndarray, dtype: np.dtype) -> np.ndarray:
        """Modality values to stored integers of ``dtype``, clipped to the stored bit range."""
        lo, hi = self.stored_range
        stored = np.rint((np.asarray(values, dtype=np.float64) - self.intercept) / self.slope)
        return np.clip(stored, lo, hi).astype(dtype)


def hot_iron_lut(entries: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """A 'hot iron' palette, ``(rgb uint16 (entries, 3) scaled to 0..65535, luminance 0..1)``.

    Black through red, orange and yellow to white; brightness rises with the index, so text burned
    at the top index renders white and anti-aliased edges stay monotonic.
    """
    t = np.linspace(0.0, 1.0, entries)
    r = np.clip(t * 2.2, 0, 1)
    g = np.clip(t * 2.2 - 0.7, 0, 1)
    b = np.clip(t * 3.0 - 2.0, 0, 1)
    rgb = np.stack([r, g, b], axis=1)
    lum = (rgb @ np.array([0.299, 0.587, 0.114])).astype(np.float32)
    lum = np.maximum.accumulate(lum)
    return np.rint(rgb * 65535).astype(np.uint16), lum
