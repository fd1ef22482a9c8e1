"""Rendering one frame to display-ready ``uint8``: what a person would see on a viewer.

Burned-in PHI is found by looking at pixels the way a reader does, so every detector must see
the same, correctly displayed image. The rules, in the order DICOM's grayscale pipeline applies
them (PS3.4 N.2):

* Greyscale: Modality LUT (Rescale Slope/Intercept or Modality LUT Sequence), then the VOI LUT
  Sequence or else the first window (Window Center/Width, VOI LUT Function), via pydicom's own
  functions. The result is scaled to 0..255 from the *output range of that VOI step*, so values
  outside the window clip to black/white; without a usable VOI the frame's own finite min..max is
  used. Never a cast: 16-bit values are scaled, not wrapped. MONOCHROME1 is inverted so white is
  always high signal.
* Colour: the decoder has already turned YBR_FULL/YBR_FULL_422 (and JPEG 2000 YBR_ICT/YBR_RCT)
  into RGB and reported it (see :mod:`phibench.dicom.decode`); what remains is PALETTE COLOR
  (pydicom's ``apply_color_lut``) and scaling samples of more than 8 bits by Bits Stored.
* Float data, or integers that fit no stated bit depth, are scaled by their min..max.

A failure after decoding is a ``render`` :class:`~phibench.exceptions.SampleFailure`; an invalid
window is not a failure (the image falls back to min..max and a debug line is logged).
"""

from __future__ import annotations

import logging

import numpy as np
import pydicom
from pydicom.multival import MultiValue
from pydicom.pixels import (
    apply_color_lut,
    apply_modality_lut,
    apply_voi,
    apply_windowing,
    convert_color_space,
)

from phibench.dicom.decode import DecodedFrame, decode_frame
from phibench.exceptions import SampleFailure

__all__ = ["render_frame"]

log = logging.getLogger(__name__)

_GREY = ("MONOCHROME1", "MONOCHROME2")
_YBR = ("YBR_FULL", "YBR_FULL_422", "YBR_ICT", "YBR_RCT")
_OTHER = ("RGB", "PALETTE COLOR", "YBR_PARTIAL_420", "YBR_PARTIAL_422", "HSV", "ARGB", "CMYK")
_KNOWN = _GREY + _YBR + _OTHER
"""Defined terms of Photometric Interpretation: the only values ever echoed in a message."""


def render_frame(ds: pydicom.Dataset, index: int) -> np.ndarray:
    """Frame ``index`` (0-based) of ``ds`` as ``uint8``: ``(H, W)`` greyscale or ``(H, W, 3)`` RGB.

    Raises :class:`SampleFailure`: stage ``decode`` for missing pixel data, an out-of-range index
    or a codec failure; stage ``render`` when the decoded pixels cannot be displayed.
    """
    frame = decode_frame(ds, index)
    try:
        image = _display(frame)
    except SampleFailure:
        raise
    except Exception as exc:
        reason = type(exc).__name__
        raise SampleFailure("render", f"cannot render decoded pixels ({reason})") from exc
    return np.ascontiguousarray(image)


def _display(frame: DecodedFrame) -> np.ndarray:
    arr, pi = frame.array, frame.photometric
    if arr.ndim == 2:
        if pi == "PALETTE COLOR":
            return _palette(arr, frame.view)
        if pi not in _GREY:
            # One sample per pixel is a grey image whatever the header claims; show it as such.
            log.debug("single-sample data labelled %s rendered as greyscale", _pi(pi))
        return _greyscale(arr, frame.view, invert=pi == "MONOCHROME1")
    if arr.ndim == 3 and arr.shape[2] == 3:
        if pi in _YBR:
            # Only non-conformant native YBR_ICT/RCT reach here (decoders convert the rest);
            # both are YCbCr-like, so the YBR_FULL transform is the closest available one.
            log.debug("converting leftover %s to RGB", pi)
            arr = convert_color_space(arr, "YBR_FULL", "RGB")
        elif pi not in ("RGB", ""):
            raise SampleFailure(
                "render", f"unsupported colour photometric interpretation {_pi(pi)}"
            )
        return _rgb(arr, frame.bits_stored)
    raise SampleFailure("render", f"unsupported pixel layout: {arr.ndim}-d array, {_samples(arr)}")


def _greyscale(arr: np.ndarray, view: pydicom.Dataset, *, invert: bool) -> np.ndarray:
    stored = arr.astype(np.uint8) if arr.dtype == np.bool_ else arr
    tabulated = _tabulated(stored, view, invert)
    return _grey_pixels(stored, view, invert) if tabulated is None else tabulated


def _tabulated(stored: np.ndarray, view: pydicom.Dataset, invert: bool) -> np.ndarray | None:
    """The same pixels as :func:`_grey_pixels`, through a table of the stored values.

    Every step (rescale, window, scaling, inversion) maps each stored value alone, so for 8- and
    16-bit integers with a rescale (CT) the stored range ``lo..hi`` is rendered once and the frame
    looks itself up: one gather instead of a float64 rescale and a float32 window over every
    pixel (0.97 -> 0.51 ms a 512x512 frame). Without a rescale the direct path is one float32
    pass and the gather would be slower. The one step that looks at the whole frame, the min..max
    fallback, sees the same extremes: ``lo`` and ``hi`` are present and a rescale is monotone. A
    Modality LUT Sequence need not be, so it takes the direct path; so does a range wider than a
    quarter of the pixels (the table would cost as much).
    """
    if stored.dtype.kind not in "ui" or stored.dtype.itemsize > 2 or "ModalityLUTSequence" in view:
        return None
    if "RescaleSlope" not in view and "RescaleIntercept" not in view:
        return None
    lo, hi = int(stored.min()), int(stored.max())
    if hi - lo + 1 > stored.size // 4:
        return None
    table = _grey_pixels(np.arange(lo, hi + 1, dtype=stored.dtype), view, invert)
    unsigned = np.uint8 if stored.dtype.itemsize == 1 else np.uint16
    # Modulo 2**bits: exact, since 0 <= value - lo <= hi - lo fits the unsigned type.
    offsets = np.subtract(stored, np.array(lo).astype(stored.dtype), dtype=unsigned, casting="unsafe")
    return np.take(table, offsets)


def _grey_pixels(stored: np.ndarray, view: pydicom.Dataset, invert: bool) -> np.ndarray:
    """Modality LUT, then VOI (window or LUT), scaled to 0..255; inverted for MONOCHROME1."""
    values = stored
    if np.issubdtype(stored.dtype, np.integer):
        try:
            values = apply_modality_lut(stored, view)
        except Exception as exc:
            log.debug("modality LUT unusable (%s); using stored values", type(exc).__name__)
            values = stored
    out = _linear_window(values, view)
    if out is None:
        windowed = _voi(values, view)
        out = _scale(values, *_finite_range(values)) if windowed is None else _scale(*windowed)
    return 255 - out if invert else out


def _linear_window(values: np.ndarray, view: pydicom.Dataset) -> np.ndarray | None:
    """The first LINEAR / LINEAR_EXACT window (PS3.3 C.11.2.1.2), straight to 0..255.

    The common case, fused into one float32 pass: pydicom's ``apply_windowing`` followed by
    scaling its output range to 0..255 gives the same pixels (tested to within rounding) at
    several times the cost. Anything else (VOI LUT Sequence, SIGMOID, odd values) returns None
    and takes the general path through pydicom.
    """
    edges = window_edges(view)
    return None if edges is None else _scale(values, *edges)


def window_edges(view: pydicom.Dataset) -> tuple[float, float] | None:
    """The first LINEAR / LINEAR_EXACT window as (lowest, highest) modality value it displays;
    None for a VOI LUT Sequence, another VOI LUT Function, or unusable values."""
    if view.get("VOILUTSequence") or view.get("WindowCenter") is None or view.get("WindowWidth") is None:
        return None
    try:
        func = str(view.get("VOILUTFunction") or "LINEAR").strip().upper()
        center, width = (float(v[0] if isinstance(v, MultiValue) else v) for v in (view.WindowCenter, view.WindowWidth))
    except (TypeError, ValueError, IndexError):
        return None
    if func == "LINEAR":
        center, width = center - 0.5, width - 1.0
    elif func != "LINEAR_EXACT":
        return None
    if not (np.isfinite(center) and np.isfinite(width)) or width <= 0:
        return None
    return center - width / 2, center + width / 2


def _voi(values: np.ndarray, view: pydicom.Dataset) -> tuple[np.ndarray, float, float] | None:
    """VOI LUT Sequence, else first window: ``(output, out_lo, out_hi)``; None when neither works.

    The output range comes from pydicom itself: the whole LUT pushed through ``apply_voi``, or
    -inf/+inf pushed through ``apply_windowing`` (which maps them to its y_min/y_max).
    """
    try:
        if view.get("VOILUTSequence"):
            item = view.VOILUTSequence[0]
            if item.get("LUTDescriptor") is not None and item.get("LUTData") is not None:
                entries, first = int(item.LUTDescriptor[0]) or 2**16, int(item.LUTDescriptor[1])
                ints = values if np.issubdtype(values.dtype, np.integer) else _to_int(values)
                table = apply_voi(np.arange(first, first + entries, dtype=np.int64), view)
                return apply_voi(ints, view), float(table.min()), float(table.max())
        if view.get("WindowCenter") is not None and view.get("WindowWidth") is not None:
            out = apply_windowing(values, view)
            lo, hi = apply_windowing(np.array([-np.inf, np.inf]), view)
            return out, float(lo), float(hi)
    except Exception as exc:  # zero width, bad LUT descriptor, missing Bits Stored ...
        log.debug("VOI unusable (%s); scaling by min..max", type(exc).__name__)
    return None


def _palette(arr: np.ndarray, view: pydicom.Dataset) -> np.ndarray:
    # Palette and scaling act on each stored value alone, so an 8-bit frame maps the 256
    # possible values once and then looks itself up: the same pixels, in one pass instead of
    # pydicom's per-channel indexing followed by float scaling of all three channels.
    tabulate = arr.dtype.kind in "ui" and arr.dtype.itemsize == 1
    try:
        source = np.arange(256, dtype=np.uint8).view(arr.dtype) if tabulate else arr
        rgb = apply_color_lut(source, view)[..., :3]  # drop alpha if present
        first = int(view.RedPaletteColorLookupTableDescriptor[1])
        entries = int(view.RedPaletteColorLookupTableDescriptor[0]) or 2**16
        table = apply_color_lut(np.arange(first, first + entries, dtype=np.int64), view)
    except Exception as exc:
        reason = type(exc).__name__
        raise SampleFailure("render", f"unusable palette colour LUT ({reason})") from exc
    # 16-bit LUT entries may hold 8-bit values (older writers): judge by the table's real range.
    top = 255 if int(table[..., :3].max()) <= 255 else 65535
    out = _scale(rgb, 0.0, float(top))
    return np.take(out, arr.view(np.uint8), axis=0) if tabulate else out


def _rgb(arr: np.ndarray, bits_stored: int) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    if np.issubdtype(arr.dtype, np.unsignedinteger) and bits_stored > 0:
        return _scale(arr, 0.0, float(2**bits_stored - 1))
    return _scale(arr, *_finite_range(arr))


def _finite_range(values: np.ndarray) -> tuple[float, float]:
    finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values
    if finite.size == 0:
        return 0.0, 0.0
    return float(finite.min()), float(finite.max())


def _scale(values: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Map ``lo..hi`` linearly onto 0..255, clipping outside; ``lo > hi`` maps reversed.

    A constant image (``lo == hi``) renders black rather than dividing by zero.
    """
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo == hi:
        return np.zeros(values.shape, dtype=np.uint8)
    # float32 in place: exact for 16-bit inputs, and half the memory traffic of float64 on the
    # hot path of every run (this is most of the framework's per-frame cost).
    out = values.astype(np.float32)
    out -= np.float32(lo)
    out *= np.float32(255.0 / (hi - lo))
    if values.dtype.kind == "f":
        np.nan_to_num(out, copy=False, nan=0.0, posinf=255.0, neginf=0.0)
    np.clip(out, 0.0, 255.0, out=out)
    return np.rint(out, out=out).astype(np.uint8)


def _to_int(values: np.ndarray) -> np.ndarray:
    """Rescaled floats as LUT indices (a VOI LUT is indexed by integers)."""
    return np.rint(np.nan_to_num(values)).astype(np.int64)


def _pi(pi: str) -> str:
    # A Photometric Interpretation is a defined term; anything else is not echoed (may be junk).
    return pi if pi in _KNOWN else "(unrecognised value)"


def _samples(arr: np.ndarray) -> str:
    return f"{arr.shape[-1]} samples per pixel" if arr.ndim == 3 else "no samples axis"
