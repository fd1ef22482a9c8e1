"""Checking what a DICOM header claims against :class:`~phibench.limits.Limits` and the file.

A header is a set of claims: Number of Frames, Rows x Columns, bits per sample. Planning expands
frames from them and decoders allocate from them, so each is checked here first, against the run's
limits and against what the bytes on disk can possibly hold. The bounds are sound (a conformant
file never fails them):

* native pixel data holds every frame, so frames x frame bytes <= the Pixel Data length (the
  value's length; for a header-only read, the element header's length, at most the bytes left);
* encapsulated pixel data holds each frame in at least one fragment item (PS3.5 A.4), so frames
  <= fragment items (counted from the value, or by walking item headers after a header-only
  read) and frames x 8 (an item header) <= the bytes left in the file. pydicom agrees: it
  refuses to split fewer fragments into more frames.
* a deflated file's inflated size is the bound when the file position says nothing.

A single frame whose data is short is left to the decoder, which reports it at ``decode``.
Every violation is a ``read`` :class:`~phibench.exceptions.SampleFailure` whose message names the
limit to raise (``run.limits.max_frames=100000``) and quotes only counts and sizes, never a
header value that could be PHI.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import BinaryIO

import pydicom

from phibench.exceptions import SampleFailure
from phibench.limits import Limits

__all__ = ["PixelExtent", "check_file_size", "check_header", "frame_count", "inflated_size"]

_ITEM_HEADER = 8
"""Bytes of one fragment item's tag and length: the least a frame of encapsulated data takes."""
_READ, _INFLATE = 1 << 16, 1 << 20
"""Deflated bytes read, and inflated bytes produced, at a time: memory stays about 1 MiB."""


@dataclass(frozen=True, slots=True)
class PixelExtent:
    """What the file holds for pixel data, as far as the reader could tell."""

    max_bytes: int
    """Upper bound of the pixel data's length: the value's length, else bytes left in the file."""
    fragments: int | None = None
    """Fragment items of encapsulated pixel data when they were counted (the value parses, or
    the item headers after a header-only read were walked); else None."""
    encapsulated: bool = False
    """Whether the pixel data is (or the transfer syntax says it will be) encapsulated."""


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


def check_file_size(size: int, limits: Limits) -> None:
    """Refuse a file larger than ``limits.max_file_bytes`` (its size from ``fstat``)."""
    if size > limits.max_file_bytes:
        raise SampleFailure(
            "read",
            f"the file is {size} bytes, above run.limits.max_file_bytes={limits.max_file_bytes}",
        )


def inflated_size(fp: BinaryIO, limits: Limits) -> int:
    """Bytes the raw deflate stream from ``fp``'s position inflates to, streamed, never held whole.

    pydicom inflates a Deflated Explicit VR Little Endian dataset in one ``zlib.decompress``; a
    250 KB file can hold a gigabyte of zeros. Counting first, in bounded chunks, stops at the cap.
    """
    cap = limits.max_decoded_bytes
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    total = 0
    try:
        while not inflater.eof and (data := fp.read(_READ)):
            while data and not inflater.eof:  # after the end, trailing bytes stay in the tail
                total += len(inflater.decompress(data, _INFLATE))
                if total > cap:
                    raise SampleFailure(
                        "read",
                        f"the deflated dataset inflates to more than {cap} bytes, above "
                        f"run.limits.max_decoded_bytes={cap}",
                    )
                data = inflater.unconsumed_tail
    except zlib.error as exc:
        raise SampleFailure("read", "corrupt deflated dataset: it does not inflate") from exc
    return total


def check_header(ds: pydicom.Dataset, limits: Limits, extent: PixelExtent) -> None:
    """Refuse a header whose frames or pixels exceed ``limits`` or what ``extent`` can hold."""
    frames = frame_count(ds)
    if frames > limits.max_frames:
        raise SampleFailure(
            "read", f"Number of Frames is {frames}, above run.limits.max_frames={limits.max_frames}"
        )
    if frames > 1:  # before the pixel limits: raising a limit would not help a file that lies
        _check_frames_fit(ds, frames, extent)
    geometry = _geometry(ds)
    if geometry is not None:
        rows, cols, samples, item_bytes = geometry
        if rows * cols > limits.max_pixels_per_frame:
            raise SampleFailure(
                "read",
                f"a frame of {rows} x {cols} = {rows * cols} pixels is above "
                f"run.limits.max_pixels_per_frame={limits.max_pixels_per_frame}",
            )
        decoded = frames * rows * cols * samples * item_bytes
        if decoded > limits.max_decoded_bytes:
            raise SampleFailure(
                "read",
                f"{frames} frame(s) of {rows} x {cols} x {samples} sample(s) of {item_bytes} "
                f"byte(s) decode to {decoded} bytes, above "
                f"run.limits.max_decoded_bytes={limits.max_decoded_bytes}",
            )


def _check_frames_fit(ds: pydicom.Dataset, frames: int, extent: PixelExtent) -> None:
    if extent.encapsulated:
        fits = extent.max_bytes // _ITEM_HEADER
        if extent.fragments is not None:
            fits = min(fits, extent.fragments)
        unit = "fragment item(s)"
    else:
        native = _native_frames(ds, extent.max_bytes)
        fits, unit = (native[0], f"frame(s) of {native[1]} bytes") if native else (
            extent.max_bytes, "bytes")
    if frames > fits:
        raise SampleFailure(
            "read",
            f"Number of Frames is {frames} but the pixel data can hold at most {fits} {unit}: "
            "the file is truncated or its Number of Frames is wrong",
        )


def _geometry(ds: pydicom.Dataset) -> tuple[int, int, int, int] | None:
    """(rows, columns, samples, bytes per decoded sample), or None when Rows/Columns are unusable.

    Decoders return 1-bit data as one byte per pixel and round other depths up to a whole
    numpy item (1, 2, 4 or 8 bytes); a missing Bits Allocated counts as the least, one byte.
    """
    try:
        rows, cols = int(ds.get("Rows") or 0), int(ds.get("Columns") or 0)
        samples = max(int(ds.get("SamplesPerPixel") or 1), 1)
        bits = int(ds.get("BitsAllocated") or 8)
    except (TypeError, ValueError, OverflowError):
        return None
    if rows <= 0 or cols <= 0:
        return None
    item = 1
    while item * 8 < bits and item < 8:
        item *= 2
    return rows, cols, samples, item


def _native_frames(ds: pydicom.Dataset, length: int) -> tuple[int, int] | None:
    """(whole native frames ``length`` bytes hold, stored bytes of one frame); None when unknown.

    Counted as :func:`pydicom.pixels.utils.get_expected_length` does: 1-bit data packed across
    frame boundaries, YBR_FULL_422 at two bytes per pixel and byte of depth.
    """
    try:
        rows, cols = int(ds.get("Rows") or 0), int(ds.get("Columns") or 0)
        samples = max(int(ds.get("SamplesPerPixel") or 1), 1)
        bits = int(ds.get("BitsAllocated") or 0)
        ybr422 = str(ds.get("PhotometricInterpretation", "")).strip().upper() == "YBR_FULL_422"
    except (TypeError, ValueError, OverflowError):
        return None
    if rows <= 0 or cols <= 0 or bits <= 0:
        return None
    values = rows * cols * samples
    if bits == 1:
        return length * 8 // values, (values + 7) // 8
    frame = values * max(bits // 8, 1)
    frame = frame // 3 * 2 if ybr422 else frame
    return length // frame, frame
