"""Stored pixel values in and out: every frame decoded to a :class:`Pixels`, and written back.

Split from :mod:`phibench.dicom.write` so that the codec details -- decoding every frame to its
stored values (YBR samples kept as they are where the syntax stores them so), re-encoding as
Explicit VR Little Endian or RLE Lossless, swapping big-endian binary values, packing 1-bit
data -- sit apart from the masking rules (:mod:`phibench.dicom.fill`) and the file handling.
Stored values are taken with unused high bits cleared, so bits above Bits Stored (retired
overlays in pixel data) are not carried over.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels import apply_color_lut, as_pixel_options, get_decoder, pack_bits
from pydicom.uid import UID, ExplicitVRLittleEndian, RLELossless

from phibench.dicom.decode import decode_frame, frame_count
from phibench.dicom.read import PIXEL_KEYWORDS
from phibench.exceptions import SampleFailure

__all__ = [
    "LOSSLESS_PLUGINS",
    "LOSSLESS_SYNTAX",
    "Pixels",
    "convert_elements",
    "decode_pixels",
    "encode_pixels",
    "staged",
]

log = logging.getLogger(__name__)

LOSSLESS_SYNTAX = RLELossless
"""What ``transfer_syntax="lossless"`` re-encodes compressed input with."""
LOSSLESS_PLUGINS = ("pylibjpeg", "pydicom")
"""pydicom's RLE encoders, tried in order. Never gdcm: its RLE encoder aborts the whole process
(a C++ ``terminate``, not an exception) on odd-sized frames."""

_SWAP = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}
"""Byte-order-dependent binary VRs: pydicom writes their bytes as read, so big-endian input
needs them swapped before it is written little endian."""


@dataclass
class Pixels:
    """Every frame of an object as stored values, and how to write them back."""

    frames: np.ndarray
    """``(frames, rows, cols[, 3])``, native byte order."""
    photometric: str
    bits_allocated: int
    bits_stored: int
    """0 for float pixel data."""
    keyword: str
    view: Dataset
    """The decoder's pixel view (group 0x0028): windows, rescale and palette for fill values."""

    @property
    def is_float(self) -> bool:
        return self.keyword != "PixelData"

    @cached_property
    def palette(self) -> tuple[np.ndarray, int]:
        """R+G+B of every PALETTE COLOR LUT entry, and the first entry's index."""
        try:
            desc = self.view.RedPaletteColorLookupTableDescriptor
            entries, first = int(desc[0]) or 2**16, int(desc[1])
            table = apply_color_lut(np.arange(first, first + entries, dtype=np.int64), self.view)
        except Exception as exc:
            reason = type(exc).__name__
            raise SampleFailure("write", f"unusable palette colour LUT ({reason})") from exc
        return table[..., :3].astype(np.int64).sum(axis=-1), first

    def representable(self) -> tuple[int, int]:
        bits = self.bits_stored or self.frames.dtype.itemsize * 8
        if self.frames.dtype.kind == "i":
            return -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        return 0, 2**bits - 1


# -- decoding --------------------------------------------------------------------------------


def staged(func: Callable[..., Any], *args: Any) -> Any:
    """Call a reader or decoder; its SampleFailure becomes a ``write`` one (same message)."""
    try:
        return func(*args)
    except SampleFailure as exc:
        raise SampleFailure("write", str(exc)) from exc


def decode_pixels(ds: Dataset) -> Pixels:
    """Every frame of ``ds`` as stored values; SampleFailure for a layout phibench cannot mask."""
    first = staged(decode_frame, ds, 0)
    view, count = first.view, frame_count(ds)
    syntax = view.file_meta.TransferSyntaxUID
    header_pi = str(view.get("PhotometricInterpretation", "")).strip().upper()
    # Native and RLE hold YBR samples as they are: keep them rather than round through RGB.
    raw_ybr = (first.array.ndim == 3 and header_pi in ("YBR_FULL", "YBR_FULL_422")
               and (not syntax.is_compressed or syntax == RLELossless))
    frames = []
    for index in range(count):
        if raw_ybr:
            frames.append(_decode_raw(view, syntax, index))
        else:
            frames.append(first.array if index == 0 else staged(decode_frame, ds, index).array)
    arr = np.stack([f.astype(f.dtype.newbyteorder("=")) for f in frames])
    photometric = "YBR_FULL" if raw_ybr else first.photometric
    layout = {2: ("MONOCHROME1", "MONOCHROME2", "PALETTE COLOR"), 3: ("RGB", "YBR_FULL")}
    if photometric not in layout.get(arr.ndim - 1, ()) or (arr.ndim == 4 and arr.shape[3] != 3):
        raise SampleFailure("write", "unsupported photometric interpretation or pixel layout")
    keyword = next(kw for kw in PIXEL_KEYWORDS if kw in ds)
    one_bit = keyword == "PixelData" and int(view.get("BitsAllocated") or 0) == 1
    return Pixels(frames=arr, photometric=photometric,
                  bits_allocated=1 if one_bit else arr.dtype.itemsize * 8,
                  bits_stored=first.bits_stored, keyword=keyword, view=view)


def _decode_raw(view: Dataset, syntax: UID, index: int) -> np.ndarray:
    try:
        arr, _ = get_decoder(syntax).as_array(view, index=index, raw=False, as_rgb=False,
                                              correct_unused_bits=True, **as_pixel_options(view))
    except Exception as exc:
        reason = type(exc).__name__
        raise SampleFailure("write", f"cannot decode YBR pixel data ({reason})") from exc
    return arr


# -- encoding --------------------------------------------------------------------------------


def convert_elements(ds: Dataset, *, big_endian: bool) -> None:
    """Parse every raw element (recursively), swapping big-endian binary values to little endian.

    Why parse them all: pydicom writes unparsed elements as read, and a file whose dataset is
    encoded otherwise than its transfer syntax says (implicit VR under an explicit syntax, found
    in the wild) has raw elements without a VR, which cannot be written explicit.
    """

    def visit(_: Dataset, elem: pydicom.DataElement) -> None:
        size = _SWAP.get(elem.VR) if big_endian else None
        if elem.keyword in PIXEL_KEYWORDS:
            return  # replaced by the masked frames
        if size and isinstance(elem.value, bytes | bytearray) and len(elem.value) % size == 0:
            elem.value = np.frombuffer(elem.value, f">u{size}").astype(f"<u{size}").tobytes()

    ds.walk(visit)


def encode_pixels(ds: Dataset, px: Pixels, *, lossless: bool) -> UID:
    """Put ``px`` back into ``ds`` (Image Pixel attributes too); the transfer syntax used."""
    arr = px.frames
    for keyword in (*PIXEL_KEYWORDS, "ExtendedOffsetTable", "ExtendedOffsetTableLengths"):
        if keyword in ds:
            delattr(ds, keyword)
    if px.bits_allocated == 1:
        data = pack_bits(arr.reshape(-1))
    else:
        data = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<")).tobytes()
    data += b"\x00" if len(data) % 2 else b""
    setattr(ds, px.keyword, data)
    if not px.is_float:
        ds["PixelData"].VR = "OB" if px.bits_allocated <= 8 else "OW"
    colour = arr.ndim == 4
    ds.Rows, ds.Columns = arr.shape[1:3]
    ds.SamplesPerPixel = 3 if colour else 1
    ds.PhotometricInterpretation = px.photometric
    if colour:
        ds.PlanarConfiguration = 0
    elif "PlanarConfiguration" in ds:
        del ds.PlanarConfiguration
    ds.BitsAllocated = px.bits_allocated
    if not px.is_float:
        ds.BitsStored, ds.HighBit = px.bits_stored, px.bits_stored - 1
        ds.PixelRepresentation = 1 if arr.dtype.kind == "i" else 0
        if "SmallestImagePixelValue" in ds:  # a black fill may lie outside the old range
            ds.SmallestImagePixelValue = int(arr.min())
        if "LargestImagePixelValue" in ds:
            ds.LargestImagePixelValue = int(arr.max())
    if arr.shape[0] > 1 or "NumberOfFrames" in ds:
        ds.NumberOfFrames = arr.shape[0]
    ds.file_meta = getattr(ds, "file_meta", None) or FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    if lossless and not px.is_float:
        for plugin in LOSSLESS_PLUGINS:
            try:
                ds.compress(LOSSLESS_SYNTAX, arr if arr.shape[0] > 1 else arr[0],
                            encoding_plugin=plugin, generate_instance_uid=False)
                break
            except Exception as exc:  # missing plugin, or a layout RLE cannot hold (32-bit RGB)
                log.debug("RLE encoder %s failed (%s)", plugin, type(exc).__name__)
        else:
            return encode_pixels(ds, px, lossless=False)  # uncompressed is lossless too
    return UID(ds.file_meta.TransferSyntaxUID)
