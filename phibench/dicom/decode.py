"""Decoding one frame of pixel data with pydicom's decoders, and counting frames.

Why not ``ds.pixel_array``: it decodes (and caches on the dataset) every frame of a multi-frame
object, and hides what the decoder did to the colour space. Here the transfer syntax's
:class:`pydicom.pixels.decoders.base.Decoder` is called directly for one frame index, and its
returned pixel properties say what the array now holds: after decoding, JPEG YBR_FULL_422 data is
already RGB, JPEG 2000 YBR_ICT/YBR_RCT too, and a JPEG whose codestream contradicts the header's
Photometric Interpretation has been corrected. The renderer trusts those properties, so colours
are never converted twice.

The decoder works on a *pixel view*: a new dataset holding only group 0x0028 (Image Pixel, LUT and
VOI modules), group 0x7FE0 (the pixel data) and a transfer syntax. Building it is cheap (element
objects are copied shallowly, pixel bytes are shared) and lets us repair what pydicom would reject
(an unparseable Number of Frames, a missing transfer syntax in a bare dataset) without touching
the caller's dataset; pydicom's windowing helpers also write back to the dataset they are given.
"""

from __future__ import annotations

import copy
import logging
import operator
from dataclasses import dataclass

import numpy as np
import pydicom
from pydicom.dataset import FileMetaDataset
from pydicom.pixels import as_pixel_options, get_decoder
from pydicom.uid import UID, ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

from phibench.dicom.read import PIXEL_KEYWORDS
from phibench.exceptions import SampleFailure

__all__ = ["DecodedFrame", "decode_frame", "frame_count"]

log = logging.getLogger(__name__)

_ITEM_TAG = b"\xfe\xff\x00\xe0"  # first bytes of encapsulated (compressed) pixel data, LE item tag
_MAX_DETAIL = 220


@dataclass(frozen=True, slots=True)
class DecodedFrame:
    """One decoded frame and what it holds, as reported by the decoder."""

    array: np.ndarray
    """``(rows, cols)`` or ``(rows, cols, samples)``, the decoder's dtype."""

    photometric: str
    """Photometric Interpretation of :attr:`array` (``RGB`` after a YBR->RGB conversion)."""

    bits_stored: int
    """Significant bits per sample in :attr:`array` (0 for float data)."""

    view: pydicom.Dataset
    """The pixel view (group 0x0028 + pixel data) to give to pydicom's LUT functions."""


def frame_count(ds: pydicom.Dataset) -> int:
    """Number of frames: Number of Frames when it is a positive integer, else 1."""
    try:
        value = ds.get("NumberOfFrames")
    except Exception:  # an unparseable value can fail on access
        return 1
    if value is None or value == "":
        return 1
    try:
        count = int(value)
    except (TypeError, ValueError):
        try:
            count = int(float(str(value).strip()))
        except (TypeError, ValueError, OverflowError):
            return 1
    return max(count, 1)


def decode_frame(ds: pydicom.Dataset, index: int) -> DecodedFrame:
    """Decode frame ``index`` (0-based) of ``ds``; only that frame where the codec allows.

    Raises :class:`SampleFailure` (stage ``decode``) when there is no pixel data, the index is out
    of range, no codec is installed, or the codec fails.
    """
    index = operator.index(index)  # numpy integers welcome, floats are a caller bug
    keyword = _pixel_keyword(ds)
    count = frame_count(ds)
    if not 0 <= index < count:
        raise SampleFailure(
            "decode", f"frame index {index} out of range: the object has {count} frame(s)"
        )
    tsyntax = _transfer_syntax(ds, keyword)
    view = _pixel_view(ds, tsyntax, count)
    try:
        decoder = get_decoder(tsyntax)
    except NotImplementedError as exc:
        raise SampleFailure("decode", f"unsupported transfer syntax {_ts_name(tsyntax)}") from exc
    try:
        arr, props = decoder.as_array(
            view, index=index, raw=False, correct_unused_bits=True, **as_pixel_options(view)
        )
    except Exception as exc:
        raise SampleFailure(
            "decode", f"cannot decode {_ts_name(tsyntax)} pixel data: {_detail(exc)}"
        ) from exc
    photometric = str(props.get("photometric_interpretation", "") or "").strip().upper()
    bits = 0 if keyword != "PixelData" else int(props.get("bits_stored", 0) or 0)
    log.debug("decoded frame %d: %s %s", index, arr.dtype, arr.shape)
    return DecodedFrame(array=arr, photometric=photometric, bits_stored=bits, view=view)


def _pixel_keyword(ds: pydicom.Dataset) -> str:
    present = [kw for kw in PIXEL_KEYWORDS if kw in ds]
    if not present:
        raise SampleFailure("decode", "no pixel data")
    if len(present) > 1:
        listing = ", ".join(present)
        raise SampleFailure("decode", f"more than one pixel data element ({listing})")
    return present[0]


def _transfer_syntax(ds: pydicom.Dataset, keyword: str) -> UID:
    """The file meta's transfer syntax, else one inferred from how the dataset was encoded."""
    meta = getattr(ds, "file_meta", None)
    tsyntax = meta.get("TransferSyntaxUID") if meta is not None else None
    if tsyntax:
        return UID(str(tsyntax).strip())
    elem = ds[keyword]
    value = elem.value
    encapsulated = isinstance(value, bytes | bytearray) and value[:4] == _ITEM_TAG
    if elem.is_undefined_length or encapsulated:
        raise SampleFailure(
            "decode", "compressed pixel data but no transfer syntax (no file meta): codec unknown"
        )
    implicit, little = ds.original_encoding
    log.debug("no transfer syntax in file meta; inferring from encoding")
    if little is False:
        return ExplicitVRBigEndian
    return ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian


def _pixel_view(ds: pydicom.Dataset, tsyntax: UID, count: int) -> pydicom.Dataset:
    """A new dataset with the pixel-related groups of ``ds``; see the module docstring."""
    view = pydicom.Dataset()
    view.file_meta = FileMetaDataset()
    view.file_meta.TransferSyntaxUID = tsyntax
    try:
        for group in (0x0028, 0x7FE0):
            for elem in ds.group_dataset(group):
                view.add(copy.copy(elem))
        view.NumberOfFrames = count
    except Exception as exc:
        raise SampleFailure(
            "decode", f"unreadable image pixel attributes ({type(exc).__name__})"
        ) from exc
    return view


def _ts_name(tsyntax: UID) -> str:
    return tsyntax.name if tsyntax.is_valid else "(invalid transfer syntax UID)"


def _detail(exc: BaseException) -> str:
    """The codec's own words: they describe the pixel data and codec, never patient values."""
    text = " ".join(str(exc).split()) or "no details"
    if len(text) > _MAX_DETAIL:
        text = text[: _MAX_DETAIL - 3] + "..."
    return f"{type(exc).__name__}: {text}"
