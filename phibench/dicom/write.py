"""Writing a redacted copy of a DICOM file: boxes filled in stored-value space, nothing else lost.

Why stored values and not the rendered image: the output must still be the same image for every
pixel outside the boxes -- same dtype, Bits Stored, signedness, Photometric Interpretation -- so
every frame is decoded to its stored values (never through the 8-bit rendering), the boxes are
filled there, and the pixels are written back uncompressed (Explicit VR Little Endian) or
re-encoded losslessly. A file with nothing to mask is copied byte for byte.

Fill values (``fill=``), per frame and in the frame's own sample space:

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

Transfer syntax: uncompressed input (Implicit/Explicit VR Little Endian, Explicit VR Big Endian,
Deflated) is written Explicit VR Little Endian. Compressed input: ``explicit`` writes it
uncompressed; ``lossless`` re-encodes it with RLE Lossless (pydicom's own encoders: 8 and 16 bits
allocated, grey, RGB and palette alike; no extra codec, and RLE decodes everywhere) and, where the
encoder refuses the data (32 bits allocated), falls back to Explicit VR Little Endian (the result's
``transfer_syntax`` says which). Colour from
a codec with its own colour transform (JPEG family, JPEG 2000) is written as the decoder's RGB;
YBR_FULL samples stored as they are (native, RLE) stay YBR_FULL, and uncompressed YBR_FULL_422 is
written as the same samples in YBR_FULL (re-subsampling would blur chroma across box edges).
Stored values are taken with unused high bits cleared, so bits above Bits Stored (retired
overlays in pixel data) are not carried over.

Header of a masked file: Burned In Annotation ``NO``, Deidentification Method and its code
sequence (DCM 113101 "Clean Pixel Data Option"), Derivation Description, and -- by default -- a new
SOP Instance UID, with the original referenced in Source Image Sequence. The Icon Image Sequence
is removed (a thumbnail of the unmasked pixels). phibench masks pixels only: it does not
de-identify the header, so Patient Identity Removed is never set.
"""

from __future__ import annotations

import logging
import math
import operator
import os
import shutil
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.multival import MultiValue
from pydicom.pixels import apply_color_lut, as_pixel_options, get_decoder, pack_bits
from pydicom.uid import (
    UID,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    RLELossless,
    SecondaryCaptureImageStorage,
    generate_uid,
)

from phibench.dicom.decode import decode_frame, frame_count
from phibench.dicom.read import PIXEL_KEYWORDS, read_dataset, read_header
from phibench.exceptions import SampleFailure
from phibench.records.ground_truth import Box

__all__ = ["FILLS", "LOSSLESS_SYNTAX", "TRANSFER_SYNTAXES", "WriteResult", "write_redacted"]

log = logging.getLogger(__name__)

FILLS = ("black", "background", "contrast")
TRANSFER_SYNTAXES = ("explicit", "lossless")
LOSSLESS_SYNTAX = RLELossless
"""What ``transfer_syntax="lossless"`` re-encodes compressed input with."""
LOSSLESS_PLUGINS = ("pylibjpeg", "pydicom")
"""pydicom's RLE encoders, tried in order. Never gdcm: its RLE encoder aborts the whole process
(a C++ ``terminate``, not an exception) on odd-sized frames."""

RING = 3
"""Width in pixels of the ring around a box whose median is the ``background`` fill."""

CLEAN_PIXEL = ("113101", "DCM", "Clean Pixel Data Option")
_SWAP = {"OW": 2, "OF": 4, "OL": 4, "OD": 8, "OV": 8}
"""Byte-order-dependent binary VRs: pydicom writes their bytes as read, so big-endian input
needs them swapped before it is written little endian."""


@dataclass(frozen=True)
class WriteResult:
    """What :func:`write_redacted` wrote."""

    path: str
    """The file written."""

    changed_frames: tuple[int, ...]
    """0-based frames whose stored pixel values were changed by the masking."""

    transfer_syntax: str
    """Transfer Syntax UID of the written file."""

    copied: bool
    """True: nothing to mask, the input was copied byte for byte."""


@dataclass
class _Pixels:
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


def write_redacted(
    src: str | os.PathLike[str],
    dst: str | os.PathLike[str],
    masks: Mapping[int, Sequence[Box]],
    *,
    fill: str = "black",
    transfer_syntax: str = "explicit",
    new_sop_instance_uid: bool = True,
) -> WriteResult:
    """Write ``src`` to ``dst`` with every box of ``masks`` (frame index -> boxes) filled.

    Boxes are ``(left, top, width, height)`` in stored pixel coordinates (those of
    :func:`~phibench.dicom.render_frame`); they are clipped to the image and empty ones ignored.
    The write is atomic (a temporary file beside ``dst``, then a rename); ``src`` is never
    written. Raises :class:`ValueError` for bad arguments (unknown ``fill`` or ``transfer_syntax``,
    ``dst`` being ``src``, a frame index out of range) and :class:`SampleFailure` (stage
    ``write``) for input that cannot be masked or output that cannot be written.
    """
    if fill not in FILLS:
        raise ValueError(f"unknown fill {fill!r}; choose one of {', '.join(FILLS)}")
    if transfer_syntax not in TRANSFER_SYNTAXES:
        raise ValueError(f"unknown transfer_syntax {transfer_syntax!r}; choose one of "
                         f"{', '.join(TRANSFER_SYNTAXES)}")
    src, dst = Path(src), Path(dst)
    if _same_file(src, dst):
        raise ValueError("the output path is the input file; phibench never writes over its input")
    boxes = {operator.index(k): [b for b in v if b[2] > 0 and b[3] > 0] for k, v in masks.items()}
    if not any(boxes.values()):
        syntax = _syntax(_staged(read_header, src))
        _atomic(dst, lambda tmp: shutil.copyfile(src, tmp))
        return WriteResult(str(dst), (), str(syntax), True)
    ds = _staged(read_dataset, src)
    source_syntax = _syntax(ds)
    pixels = _decode(ds)
    count = pixels.frames.shape[0]
    changed = []
    for index in sorted(boxes):
        if not 0 <= index < count:
            raise ValueError(f"mask for frame {index}: the object has {count} frame(s)")
        if _mask_frame(pixels, index, boxes[index], fill):
            changed.append(index)
    log.debug("masked %d of %d frame(s)", len(changed), count)
    _convert_elements(ds, big_endian=source_syntax == ExplicitVRBigEndian)
    lossless = transfer_syntax == "lossless" and source_syntax.is_compressed
    syntax = _encode(ds, pixels, lossless=lossless)
    _stamp(ds, fill, new_sop_instance_uid)
    _file_meta(ds, syntax)
    _atomic(dst, lambda tmp: _save(ds, tmp))
    return WriteResult(str(dst), tuple(changed), str(syntax), False)


# -- decoding --------------------------------------------------------------------------------


def _staged(func: Callable[..., Any], *args: Any) -> Any:
    """Call a reader or decoder; its SampleFailure becomes a ``write`` one (same message)."""
    try:
        return func(*args)
    except SampleFailure as exc:
        raise SampleFailure("write", str(exc)) from exc


def _syntax(ds: Dataset) -> UID:
    """The file meta's transfer syntax, else the one the bare dataset was read with."""
    meta = getattr(ds, "file_meta", None)
    value = meta.get("TransferSyntaxUID") if meta is not None else None
    if value:
        return UID(str(value).strip())
    implicit, little = ds.original_encoding
    if little is False:
        return ExplicitVRBigEndian
    return ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian


def _decode(ds: Dataset) -> _Pixels:
    first = _staged(decode_frame, ds, 0)
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
            frames.append(first.array if index == 0 else _staged(decode_frame, ds, index).array)
    arr = np.stack([f.astype(f.dtype.newbyteorder("=")) for f in frames])
    photometric = "YBR_FULL" if raw_ybr else first.photometric
    layout = {2: ("MONOCHROME1", "MONOCHROME2", "PALETTE COLOR"), 3: ("RGB", "YBR_FULL")}
    if photometric not in layout.get(arr.ndim - 1, ()) or (arr.ndim == 4 and arr.shape[3] != 3):
        raise SampleFailure("write", "unsupported photometric interpretation or pixel layout")
    keyword = next(kw for kw in PIXEL_KEYWORDS if kw in ds)
    one_bit = keyword == "PixelData" and int(view.get("BitsAllocated") or 0) == 1
    return _Pixels(frames=arr, photometric=photometric,
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


# -- masking ---------------------------------------------------------------------------------


def _mask_frame(px: _Pixels, index: int, boxes: Sequence[Box], fill: str) -> bool:
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


def _extremes(px: _Pixels, frame: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def _grey_extremes(px: _Pixels, frame: np.ndarray) -> tuple[float, float]:
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
    if view.get("VOILUTSequence") or None in (view.get("WindowCenter"), view.get("WindowWidth")):
        return None
    try:
        func = str(view.get("VOILUTFunction") or "LINEAR").strip().upper()
        center, width = (float(v[0] if isinstance(v, MultiValue) else v)
                         for v in (view.WindowCenter, view.WindowWidth))
    except (TypeError, ValueError, IndexError):
        return None
    if func == "LINEAR":
        center, width = center - 0.5, width - 1.0
    elif func != "LINEAR_EXACT":
        return None
    if not (math.isfinite(center) and math.isfinite(width)) or width <= 0:
        return None
    return center - width / 2, center + width / 2


def _background(px: _Pixels, frame: np.ndarray, covered: np.ndarray,
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


def _contrast(px: _Pixels, bg: np.ndarray, black: np.ndarray, white: np.ndarray) -> np.ndarray:
    """``black`` or ``white``, whichever is farther from ``bg`` in brightness."""
    here = _level(px, bg)
    return black if abs(here - _level(px, black)) >= abs(here - _level(px, white)) else white


def _level(px: _Pixels, value: np.ndarray) -> float:
    """Brightness of one fill value: stored grey, mean of R, G, B, Y, or a palette's R+G+B."""
    if px.photometric == "PALETTE COLOR":
        sums, first = px.palette
        return float(sums[int(np.clip(int(value) - first, 0, len(sums) - 1))])
    if px.photometric == "RGB":
        return float(np.mean(value))
    if px.photometric == "YBR_FULL":
        return float(value[0])
    return float(value)


def _cast(px: _Pixels, value: Any) -> np.ndarray:
    """``value`` in the frames' dtype: rounded and clipped to Bits Stored for integers."""
    arr = np.asarray(value, dtype=np.float64)
    if px.is_float:
        return arr.astype(px.frames.dtype)
    lo, hi = px.representable()
    return np.clip(np.rint(arr), lo, hi).astype(px.frames.dtype)


# -- encoding and header ---------------------------------------------------------------------


def _convert_elements(ds: Dataset, *, big_endian: bool) -> None:
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


def _encode(ds: Dataset, px: _Pixels, *, lossless: bool) -> UID:
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
            return _encode(ds, px, lossless=False)  # uncompressed is lossless too
    return UID(ds.file_meta.TransferSyntaxUID)


def _stamp(ds: Dataset, fill: str, new_uid: bool) -> None:
    """The de-identification and derivation attributes of a masked file."""
    note = f"phibench: burned-in text masked ({fill})"
    ds.BurnedInAnnotation = "NO"
    old = ds.get("DeidentificationMethod")
    methods = [str(v) for v in old] if isinstance(old, MultiValue) else [str(old)] if old else []
    if note not in methods:
        methods.append(note)
    ds.DeidentificationMethod = methods if len(methods) > 1 else methods[0]
    codes = ds.get("DeidentificationMethodCodeSequence")
    if codes is None:
        ds.DeidentificationMethodCodeSequence = codes = pydicom.Sequence()
    if not any(c.get("CodeValue") == CLEAN_PIXEL[0] and c.get("CodingSchemeDesignator") == "DCM"
               for c in codes):
        item = Dataset()
        item.CodeValue, item.CodingSchemeDesignator, item.CodeMeaning = CLEAN_PIXEL
        codes.append(item)
    derivation = str(ds.get("DerivationDescription") or "")
    ds.DerivationDescription = f"{derivation}; {note}"[-1024:] if derivation else note
    if "IconImageSequence" in ds:
        del ds.IconImageSequence  # a thumbnail of the unmasked image
    if new_uid:
        old_uid = ds.get("SOPInstanceUID")
        sop_class = ds.get("SOPClassUID") or ds.file_meta.get("MediaStorageSOPClassUID")
        ds.SOPInstanceUID = generate_uid()
        if old_uid and sop_class:
            ref = Dataset()
            ref.ReferencedSOPClassUID, ref.ReferencedSOPInstanceUID = sop_class, old_uid
            if ds.get("SourceImageSequence") is None:
                ds.SourceImageSequence = pydicom.Sequence()
            ds.SourceImageSequence.append(ref)


def _file_meta(ds: Dataset, syntax: UID) -> None:
    """Part 10 file meta for ``ds``, also for input read without any."""
    meta = ds.file_meta
    meta.TransferSyntaxUID = syntax
    # No SOP Class UID in the dataset: Secondary Capture is the generic class for "an image".
    meta.MediaStorageSOPClassUID = ds.get("SOPClassUID") or SecondaryCaptureImageStorage
    if not ds.get("SOPInstanceUID"):
        ds.SOPInstanceUID = generate_uid()  # a Part 10 file must name its instance
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    # pydicom writes this file now: it adds its own implementation UID and version.
    for keyword in ("ImplementationClassUID", "ImplementationVersionName",
                    "SourceApplicationEntityTitle"):
        if keyword in meta:
            delattr(meta, keyword)
    ds.preamble = b"\x00" * 128  # an old preamble may point into the old file (DICOM/TIFF)


def _save(ds: Dataset, path: Path) -> None:
    try:
        # dcmwrite, not save_as: save_as refuses big-endian input written little endian
        # (whose byte-order-dependent values _convert_elements has already swapped).
        pydicom.dcmwrite(path, ds, enforce_file_format=True)
    except OSError:
        raise
    except Exception as exc:  # messages can quote element values: report the type only
        raise SampleFailure("write", f"cannot encode the dataset ({type(exc).__name__})") from exc


# -- files -----------------------------------------------------------------------------------


def _same_file(src: Path, dst: Path) -> bool:
    if os.path.realpath(src) == os.path.realpath(dst):
        return True
    try:
        return dst.exists() and src.exists() and os.path.samefile(src, dst)
    except OSError:
        return False


def _atomic(dst: Path, write: Callable[[Path], object]) -> None:
    """Write through a temporary file beside ``dst``, then rename; never leave a partial file."""
    tmp = dst.with_name(f".{dst.name}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        dst.parent.mkdir(parents=True, exist_ok=True)
        write(tmp)
        os.replace(tmp, dst)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        # str(exc) would carry the path; strerror does not.
        reason = exc.strerror or type(exc).__name__
        raise SampleFailure("write", f"cannot write the output file: {reason}") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
