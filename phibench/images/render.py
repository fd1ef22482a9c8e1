"""Stored pixels of a PNG/JPEG/TIFF page to the display-ready ``uint8`` every detector sees.

The same rules as :mod:`phibench.dicom.render`, for files with no window to apply: 8-bit grey
and RGB pass through; more bits (16-bit PNG/TIFF, 32-bit and float TIFF) are scaled from the
page's own finite min..max to 0..255 -- never cast, so 16-bit values are scaled, not wrapped;
an alpha channel is dropped (the stored colour is what was captured); min-is-white grey is
inverted so white is always high signal.
"""

from __future__ import annotations

import numpy as np

from phibench.exceptions import SampleFailure

__all__ = ["to_display"]


def to_display(arr: np.ndarray, *, min_is_white: bool = False) -> np.ndarray:
    """``(H, W)`` or ``(H, W, S)`` stored samples as ``uint8`` ``(H, W)`` or ``(H, W, 3)``."""
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[:, :, 0]
    if arr.ndim == 3:
        if arr.shape[2] < 3:  # grey + alpha
            arr = arr[:, :, 0]
        else:
            arr = arr[:, :, :3]
    if arr.ndim not in (2, 3) or arr.size == 0:
        raise SampleFailure("render", f"cannot display pixels of shape {tuple(arr.shape)}")
    if arr.dtype == np.bool_:
        arr = arr.astype(np.uint8) * 255
    if arr.dtype != np.uint8:
        arr = _scale(arr)
    if min_is_white and arr.ndim == 2:
        arr = 255 - arr
    return np.ascontiguousarray(arr)


def _scale(arr: np.ndarray) -> np.ndarray:
    values = arr.astype(np.float64)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.zeros(arr.shape, np.uint8)
    lo, hi = float(finite.min()), float(finite.max())
    if hi <= lo:
        return np.zeros(arr.shape, np.uint8)
    out = (np.nan_to_num(values, nan=lo, posinf=hi, neginf=lo) - lo) * (255.0 / (hi - lo))
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)
