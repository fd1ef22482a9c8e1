"""The fill values of a redacted DICOM file: which stored value each box is filled with.

Split from :mod:`phibench.dicom.write` so the rules for choosing a value -- per Photometric
Interpretation, through Rescale and the first window, from a palette's LUT -- sit apart from the
file handling. Everything here works on a :class:`~phibench.dicom.pixels_io.Pixels`, in the
frame's own sample space (stored values, never the 8-bit rendering).

Fill values (``fill=``), per frame:

* ``black``: the stored value that displays darkest. MONOCHROME2: the frame's minimum, lowered to
  the first window's lower edge when the window starts below it (so the box renders black through
  that window too); MONOCHROME1 the mirror image (maximum / upper edge); a negative Rescale Slope
  swaps the two; a constant frame gets the minimum (maximum) representable in Bits Stored.
  RGB: ``(0, 0, 0)``; YBR_FULL: ``(0, mid, mid)`` with ``mid = 2**(BitsStored-1)`` (zero chroma
  is the middle code, not 0); PALETTE COLOR: the index whose LUT colour has the smallest R+G+B.
  Float pixel data is masked by the same rules, without a representable range to clip to.
* ``background``: the median stored value of a 3-pixel ring around the box (per channel for
  colour), ring pixels inside any box of the frame left out; for PALETTE COLOR the most common
  index (a median of indices is not a colour). A box with no ring (whole image) gets ``black``.
* ``contrast``: greyscale -- ``black`` or the display-brightest value (the mirror rule), whichever
  is farther in stored value from the background; colour -- black or white, whichever is farther
  from the background's brightness (mean of R, G, B; Y for YBR_FULL; LUT R+G+B for palettes).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from phibench.dicom.render import window_edges
from phibench.dicom.pixels_io import Pixels
from phibench.records.ground_truth import Box

__all__ = ["FILLS", "RING", "mask_frame"]

FILLS = ("black", "background", "contrast")

RING = 3
"""Width in pixels of the ring around a box whose median is the ``background`` fill."""


def mask_frame(px: Pixels, index: int, boxes: Sequence[Box], fill: str) -> bool:
    """Fill ``boxes`` on frame ``index`` in place; True when a stored value changed."""
    frame = px.frames[index]
    rows, cols = frame.shape[:2]
    rects = [r for r in (_clip(b, rows, cols) for b in boxes) if r is not None]
    if not rects:
        return False
    covered = np.zeros((rows, cols), dtype=bool)
    for y0, y1, x0, x1 in rects:
        covered[y0:y1, x0:x1] = True
    original = frame.copy() if fill != "black" else frame
    black, white = _extremes(px, original)
    changed = False
    for rect in rects:
        value = black
        if fill != "black":
            bg = _background(px, original, covered, rect)
            if bg is not None:
                value = bg if fill == "background" else _contrast(px, bg, black, white)
        y0, y1, x0, x1 = rect
        region = frame[y0:y1, x0:x1]
        changed = changed or bool(np.any(region != value))
        region[...] = value
    return changed


def _clip(box: Box, rows: int, cols: int) -> tuple[int, int, int, int] | None:
    """``(y0, y1, x0, x1)`` of ``box`` inside the image (fractional edges widen), or None."""
    left, top, width, height = box
    x0, y0 = max(0, math.floor(left)), max(0, math.floor(top))
    x1, y1 = min(cols, math.ceil(left + width)), min(rows, math.ceil(top + height))
    return (y0, y1, x0, x1) if x1 > x0 and y1 > y0 else None


def _extremes(px: Pixels, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(black, white)`` fill values of ``frame``, in its dtype (see the module docstring)."""
    if px.photometric == "PALETTE COLOR":
        sums, first = px.palette
        black, white = first + int(np.argmin(sums)), first + int(np.argmax(sums))
    elif px.photometric in ("RGB", "YBR_FULL"):
        top = px.representable()[1]
        if px.photometric == "RGB":
            black, white = [0, 0, 0], [top, top, top]
        else:
            mid = 2 ** ((px.bits_stored or 8) - 1)
            black, white = [0, mid, mid], [top, mid, mid]
    else:
        black, white = _grey_extremes(px, frame)
    return _cast(px, black), _cast(px, white)


def _grey_extremes(px: Pixels, frame: np.ndarray) -> tuple[float, float]:
    """Darkest and brightest displayed stored values, through Rescale and the first window."""
    view = px.view
    slope, intercept = _rescale(view)
    darker_up = (px.photometric == "MONOCHROME1") != (slope < 0)  # higher stored = darker
    values = frame[np.isfinite(frame)] if px.is_float else frame
    lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 0.0)
    if lo == hi and not px.is_float:  # constant frame: nothing in it is darker than its value
        lo, hi = px.representable()
    edges = _window(view)
    if edges is not None:
        s_lo, s_hi = sorted(((edges[0] - intercept) / slope, (edges[1] - intercept) / slope))
        if not px.is_float:
            s_lo, s_hi = math.floor(s_lo), math.ceil(s_hi)
        lo, hi = min(lo, s_lo), max(hi, s_hi)
    if not px.is_float:
        rep_lo, rep_hi = px.representable()
        lo, hi = max(lo, rep_lo), min(hi, rep_hi)
    return (hi, lo) if darker_up else (lo, hi)


def _rescale(view: Dataset) -> tuple[float, float]:
    """Rescale slope and intercept; ``(1, 0)`` when absent, unusable or replaced by a LUT."""
    if "ModalityLUTSequence" in view:
        return 1.0, 0.0
    try:
        slope = float(view.get("RescaleSlope", 1) or 1)
        intercept = float(view.get("RescaleIntercept", 0) or 0)
    except (TypeError, ValueError):
        return 1.0, 0.0
    if not (math.isfinite(slope) and math.isfinite(intercept)) or slope == 0:
        return 1.0, 0.0
    return slope, intercept


def _window(view: Dataset) -> tuple[float, float] | None:
    """First LINEAR / LINEAR_EXACT window's edges in modality values, as the renderer uses it."""
    return window_edges(view)


def _background(px: Pixels, frame: np.ndarray, covered: np.ndarray,
                rect: tuple[int, int, int, int]) -> np.ndarray | None:
    """Median of the ring around ``rect`` outside every box (else the whole ring); None: no ring."""
    y0, y1, x0, x1 = rect
    rows, cols = covered.shape
    ry0, ry1 = max(0, y0 - RING), min(rows, y1 + RING)
    rx0, rx1 = max(0, x0 - RING), min(cols, x1 + RING)
    window = frame[ry0:ry1, rx0:rx1]
    ring = ~covered[ry0:ry1, rx0:rx1]
    if not ring.any():
        ring = np.ones(ring.shape, dtype=bool)
        ring[y0 - ry0:y1 - ry0, x0 - rx0:x1 - rx0] = False
        if not ring.any():
            return None
    values = window[ring]
    if px.photometric == "PALETTE COLOR":
        found, counts = np.unique(values, return_counts=True)
        return _cast(px, found[np.argmax(counts)])
    median = np.nanmedian(values, axis=0) if px.is_float else np.median(values, axis=0)
    return _cast(px, median)


def _contrast(px: Pixels, bg: np.ndarray, black: np.ndarray, white: np.ndarray) -> np.ndarray:
    """``black`` or ``white``, whichever is farther from ``bg`` in brightness."""
    here = _level(px, bg)
    return black if abs(here - _level(px, black)) >= abs(here - _level(px, white)) else white


def _level(px: Pixels, value: np.ndarray) -> float:
    """Brightness of one fill value: stored grey, mean of R, G, B, Y, or a palette's R+G+B."""
    if px.photometric == "PALETTE COLOR":
        sums, first = px.palette
        return float(sums[int(np.clip(int(value) - first, 0, len(sums) - 1))])
    if px.photometric == "RGB":
        return float(np.mean(value))
    if px.photometric == "YBR_FULL":
        return float(value[0])
    return float(value)


def _cast(px: Pixels, value: Any) -> np.ndarray:
    """``value`` in the frames' dtype: rounded and clipped to Bits Stored for integers."""
    arr = np.asarray(value, dtype=np.float64)
    if px.is_float:
        return arr.astype(px.frames.dtype)
    lo, hi = px.representable()
    return np.clip(np.rint(arr), lo, hi).astype(px.frames.dtype)
