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

A frame is checked before its codec sees it: JPEG, JPEG-LS and JPEG 2000 codecs decode a cut-short
codestream without an error (the missing rows grey), so a frame that does not end with its
EOI/EOC marker, or an RLE frame whose segments cannot hold its pixels, is a ``decode`` failure;
so is a decoder warning that its input ended early. Header claims (frames, pixels, bytes) were
already bounded when the file was read (:mod:`phibench.dicom.limits`).
"""

from __future__ import annotations

import copy
import logging
import operator
import re
import struct
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import pydicom
from pydicom.dataelem import DataElement
from pydicom.dataset import FileMetaDataset
from pydicom.pixels import as_pixel_options, get_decoder
from pydicom.encaps import get_frame
from pydicom.uid import (
    UID,
    ExplicitVRBigEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000TransferSyntaxes,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLSTransferSyntaxes,
    JPEGTransferSyntaxes,
    RLETransferSyntaxes,
)

from phibench.dicom.limits import frame_count
from phibench.dicom.read import PIXEL_KEYWORDS
from phibench.exceptions import SampleFailure

__all__ = ["DecodedFrame", "decode_frame", "frame_count"]

log = logging.getLogger(__name__)

_ITEM_TAG = b"\xfe\xff\x00\xe0"  # first bytes of encapsulated (compressed) pixel data, LE item tag
_MAX_DETAIL = 220
_EOI_SYNTAXES = frozenset(
    (*JPEGTransferSyntaxes, *JPEGLSTransferSyntaxes, *JPEG2000TransferSyntaxes)
)
"""Codestreams that end with the EOI (JPEG, JPEG-LS) or EOC (JPEG 2000, HTJ2K) marker 0xFFD9."""
_EOI_WINDOW = 10
"""The marker must start within this many bytes of the end, after trailing 0x00/0xFF padding
(one real JPEG Lossless file repeats its last byte; pydicom's frame splitter looks as far)."""
_RLE_HEADER = 64
_VIEW_GROUPS = (0x0028, 0x7FE0)
"""Groups copied into the pixel view: Image Pixel, LUT and VOI modules; the pixel data."""
_TRUNCATION = re.compile(
    r"truncat|premature end|end of (the )?(encapsulated pixel )?data|not enough data|"
    r"insufficient data|no JPEG EOI",
    re.IGNORECASE,
)
"""Decoder warnings that mean the input ended before the image did."""
_PREFERRED_PLUGIN = {JPEGBaseline8Bit: "pillow", JPEGExtended12Bit: "pillow"}
"""Plugins tried before pydicom's own order (gdcm first). Pillow's libjpeg-turbo is bit-exact
with the IJG libjpeg that gdcm builds on for 8-bit JPEG, and 2.4x faster: on every JPEG Baseline
and 8-bit Extended file of pydicom's test corpus and of realdev it gives the same array and the
same colour space (``tests/dicom/test_decode_plugins.py``). Where it cannot (12-bit JPEG
Extended, a codestream it refuses) pydicom's order decodes the frame as before."""


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
    options = as_pixel_options(view)
    # Not thread-safe (warnings filters are global); phibench decodes one sample per process.
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        if tsyntax.is_encapsulated:
            _check_codestream(view, tsyntax, keyword, index, options)
        decoded = _preferred(decoder, tsyntax, view, index, options)
        if decoded is None:
            try:
                decoded = decoder.as_array(
                    view, index=index, raw=False, correct_unused_bits=True, **options
                )
            except Exception as exc:
                raise SampleFailure(
                    "decode", f"cannot decode {_ts_name(tsyntax)} pixel data: {_detail(exc)}"
                ) from exc
    arr, props = decoded
    _check_warnings(caught, tsyntax, index)
    photometric = str(props.get("photometric_interpretation", "") or "").strip().upper()
    bits = 0 if keyword != "PixelData" else int(props.get("bits_stored", 0) or 0)
    log.debug("decoded frame %d: %s %s", index, arr.dtype, arr.shape)
    return DecodedFrame(array=arr, photometric=photometric, bits_stored=bits, view=view)


def _preferred(
    decoder: Any, tsyntax: UID, view: pydicom.Dataset, index: int, options: dict[str, Any]
) -> tuple[np.ndarray, dict[str, Any]] | None:
    """The frame decoded by the syntax's preferred plugin (:data:`_PREFERRED_PLUGIN`); None when
    there is none, it is not installed, or it fails (its warnings are dropped with it: pydicom's
    own order then decodes the frame and warns for itself)."""
    plugin = _PREFERRED_PLUGIN.get(tsyntax)
    if plugin is None or plugin not in decoder.available_plugins:
        return None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = decoder.as_array(
                view, index=index, raw=False, correct_unused_bits=True,
                decoding_plugin=plugin, **options,
            )
        except Exception as exc:
            log.debug("%s could not decode frame %d (%s); using pydicom's order",
                      plugin, index, type(exc).__name__)
            return None
    for item in caught:  # the outer catch sees them, as it would the default order's
        warnings.warn_explicit(item.message, item.category, item.filename, item.lineno)
    return result


def _check_codestream(
    view: pydicom.Dataset, tsyntax: UID, keyword: str, index: int, options: dict[str, Any]
) -> None:
    """Refuse a frame whose codestream is cut short, before a codec fills the gap with grey.

    JPEG, JPEG-LS and JPEG 2000 codecs decode a truncated stream without an error, the missing
    rows grey or repeated, and a detector would be scored on that. Each such codestream ends
    with the EOI/EOC marker 0xFFD9, and none can occur earlier inside coded data (byte stuffing
    forbids it), so its absence at the end means the frame is incomplete. Real files pad after
    it: 0x00 or 0xFF bytes, or a stray byte, hence the small window. RLE segments are checked
    against the least bytes their pixels can be encoded in.
    """
    value = view[keyword].value
    if not isinstance(value, bytes | bytearray) or value[:4] != _ITEM_TAG:
        return  # the decoder reports pixel data that is not encapsulated
    try:
        frame = get_frame(value, index, number_of_frames=options.get("number_of_frames"),
                          extended_offsets=_extended_offsets(options))
    except Exception as exc:
        raise SampleFailure(
            "decode", f"cannot find frame {index} in the encapsulated pixel data: {_detail(exc)}"
        ) from exc
    name = _ts_name(tsyntax)
    if tsyntax in _EOI_SYNTAXES and not _ends_with_eoi(frame):
        raise SampleFailure(
            "decode",
            f"{name} frame {index} is truncated or corrupt: its codestream does not end with "
            "the EOI/EOC marker (0xFFD9)",
        )
    if tsyntax in RLETransferSyntaxes:
        _check_rle(frame, view, name, index)


def _ends_with_eoi(frame: bytes) -> bool:
    """Whether 0xFFD9 starts within :data:`_EOI_WINDOW` bytes of the end, padding stripped."""
    tail = frame[-4096:].rstrip(b"\x00\xff")
    if not tail and len(frame) > 4096:  # kilobytes of padding: rare enough to copy the frame
        tail = frame.rstrip(b"\x00\xff")
    return b"\xff\xd9" in tail[-_EOI_WINDOW:]


def _check_rle(frame: bytes, view: pydicom.Dataset, name: str, index: int) -> None:
    """Every RLE segment must lie inside the fragment and be long enough for its pixels.

    A segment decodes to Rows x Columns bytes; PackBits needs at least 2 bytes per 128 of them
    (a replicate run), so a shorter segment is cut short whatever the encoder.
    """
    try:
        pixels = int(view.Rows) * int(view.Columns)
    except (AttributeError, TypeError, ValueError):
        return
    if len(frame) < _RLE_HEADER:
        raise SampleFailure("decode", f"{name} frame {index} is truncated: no whole RLE header")
    header = struct.unpack("<16L", frame[:_RLE_HEADER])
    count = header[0]
    if not 1 <= count <= 15:
        return  # the decoder reports a bad segment count
    starts = header[1 : count + 1]
    least = 2 * -(-pixels // 128)
    for segment, (start, end) in enumerate(zip(starts, (*starts[1:], len(frame)), strict=True)):
        if start < _RLE_HEADER or end - start < least:
            raise SampleFailure(
                "decode",
                f"{name} frame {index} is truncated or corrupt: RLE segment {segment} spans "
                f"{max(end - start, 0)} bytes of the fragment, fewer than the {least} its "
                "pixels need",
            )


def _check_warnings(caught: list[warnings.WarningMessage], tsyntax: UID, index: int) -> None:
    """A decoder's warning that its input ended early is a failure; others are logged (debug)."""
    for item in caught:
        text = " ".join(str(item.message).split())
        if _TRUNCATION.search(text):
            raise SampleFailure(
                "decode",
                f"{_ts_name(tsyntax)} frame {index} is truncated or corrupt: the decoder warned "
                f"{_clip(text)}",
            )
        log.debug("decoder warning on frame %d (%s): %s", index, item.category.__name__, text)


def _extended_offsets(options: dict[str, Any]) -> Any:
    """The Extended Offset Table as the decoder uses it: ignored when its two parts disagree."""
    offsets = options.get("extended_offsets")
    if offsets and len(offsets[0]) == len(offsets[1]):
        return offsets
    return None


def _pixel_keyword(ds: pydicom.Dataset) -> str:
    present = [kw for kw in PIXEL_KEYWORDS if kw in ds]
    if not present:
        raise SampleFailure("decode", "no pixel data")
    if len(present) > 1:
        listing = ", ".join(present)
        raise SampleFailure("decode", f"more than one pixel data element ({listing})")
    return present[0]


def syntax_of(ds: pydicom.Dataset) -> UID:
    """The file meta's transfer syntax, else the one the bare dataset was read with (its VR
    encoding and byte order). The one definition the reader and the writer share."""
    meta = getattr(ds, "file_meta", None)
    stated = meta.get("TransferSyntaxUID") if meta is not None else None
    if stated:
        return UID(str(stated).strip())
    implicit, little = ds.original_encoding
    if little is False:
        return ExplicitVRBigEndian
    return ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian


def _transfer_syntax(ds: pydicom.Dataset, keyword: str) -> UID:
    """:func:`syntax_of`, refusing compressed pixels in a file that states no syntax."""
    meta = getattr(ds, "file_meta", None)
    if not (meta is not None and meta.get("TransferSyntaxUID")):
        elem = ds[keyword]
        value = elem.value
        encapsulated = isinstance(value, bytes | bytearray) and value[:4] == _ITEM_TAG
        if elem.is_undefined_length or encapsulated:
            raise SampleFailure(
                "decode", "compressed pixel data but no transfer syntax (no file meta): codec unknown"
            )
        log.debug("no transfer syntax in file meta; inferring from encoding")
    return syntax_of(ds)


def _pixel_view(ds: pydicom.Dataset, tsyntax: UID, count: int) -> pydicom.Dataset:
    """A new dataset with the pixel-related groups of ``ds``; see the module docstring."""
    try:
        # Not ds.group_dataset(): that builds and sorts two throwaway datasets and converts
        # every raw element again on each call (per frame). A raw element is converted once,
        # in ds (ds[tag]), as any attribute access would; the view gets its own shallow copies,
        # put straight into its element dict (no per-element add: ~40 us a frame).
        elements = {}
        for tag, elem in ds.items():
            if tag >> 16 in _VIEW_GROUPS:
                elements[tag] = copy.copy(elem if isinstance(elem, DataElement) else ds[tag])
        view = pydicom.Dataset(elements)
        view.file_meta = FileMetaDataset()
        view.file_meta.TransferSyntaxUID = tsyntax
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
    return f"{type(exc).__name__}: {_clip(' '.join(str(exc).split()) or 'no details')}"


def _clip(text: str) -> str:
    return text if len(text) <= _MAX_DETAIL else text[: _MAX_DETAIL - 3] + "..."
