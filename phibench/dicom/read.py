"""Reading DICOM files: the only place phibench calls :func:`pydicom.dcmread`.

Why a wrapper: pydicom is deliberately lenient, and a benchmark must not be. ``dcmread(force=True)``
turns any byte soup (a text file, a gzip archive) into a "dataset" of nonsense elements, and a
file cut short inside its file meta comes back as an empty dataset without complaint. Both would
surface much later as puzzling render or detection results. Here every way a file can fail to be
a usable DICOM image is turned into one :class:`~phibench.exceptions.SampleFailure` at the
``read`` stage, with a message that names the problem but never a path or a header value (either
may hold PHI; the pipeline records the path separately).

Files without the 128-byte preamble and ``DICM`` prefix (old ACR-NEMA style, or raw dataset
dumps) are accepted only when a forced read yields the image attributes a renderer needs.

Only regular files are read (a FIFO would block forever), and every header's claims are checked
against the caller's :class:`~phibench.limits.Limits` and against what the file can hold before
anyone expands frames or allocates pixels (:mod:`phibench.dicom.limits`); a deflated dataset's
inflated size is counted, capped, before pydicom inflates it whole.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
import struct
from typing import Any, BinaryIO

import pydicom
from pydicom.dataset import FileDataset
from pydicom.encaps import parse_fragments
from pydicom.errors import InvalidDicomError
from pydicom.filereader import _read_file_meta_info, read_preamble
from pydicom.uid import UID, DeflatedExplicitVRLittleEndian
from pydicom.valuerep import EXPLICIT_VR_LENGTH_32, VR

from phibench.dicom.limits import PixelExtent, check_file_size, check_header, inflated_size
from phibench.exceptions import SampleFailure
from phibench.limits import DEFAULT_LIMITS, Limits

__all__ = ["read_dataset", "read_header"]

log = logging.getLogger(__name__)

PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
"""Elements that can hold an image's pixels; one of them must be present to render."""

_ITEM_TAG = b"\xfe\xff\x00\xe0"
"""First bytes of encapsulated pixel data: a little endian item tag."""
_UNDEFINED = 0xFFFFFFFF
_META_PEEK = 8192
"""Bytes read to walk the file meta (a few hundred in practice); a longer meta is parsed."""
_DEFLATED_UID = DeflatedExplicitVRLittleEndian.encode("ascii")
_KNOWN_VRS = frozenset(vr.value.encode("ascii") for vr in VR)
_LONG_VRS = frozenset(vr.value.encode("ascii") for vr in EXPLICIT_VR_LENGTH_32)
"""Explicit VRs with two reserved bytes and a four-byte length (pydicom's set)."""

_NOT_DICOM = (
    "not a DICOM file: no 'DICM' prefix or file meta, and the content does not parse as a "
    "DICOM image (no Rows/Columns/pixel data)"
)


def read_dataset(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> pydicom.Dataset:
    """Read a whole DICOM file, pixel data included (decoded later, one frame at a time).

    Raises :class:`SampleFailure` (stage ``read``) for a missing file, a directory or other
    non-regular file, a non-DICOM file, a file with no data elements (empty, or cut short inside
    its header), and a header whose claims break ``limits`` or what the file can hold
    (:mod:`phibench.dicom.limits`).
    """
    return _read(path, limits, header_only=False)


def read_header(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> pydicom.Dataset:
    """Read a DICOM file's elements up to, not including, the pixel data; for planning.

    Same error rules as :func:`read_dataset`; the pixel data's length is taken from its element
    header, so a frame count the file cannot hold fails here too.
    """
    return _read(path, limits, header_only=True)


def _read(path: str | os.PathLike[str], limits: Limits, *, header_only: bool) -> pydicom.Dataset:
    with _open_regular(path) as fp:
        info = os.fstat(fp.fileno())
        check_file_size(info.st_size, limits)
        inflated = _deflated_size(fp, limits)
        ds = _parse(fp, header_only=header_only)
        extent = _pixel_extent(ds, fp, info.st_size if inflated is None else inflated,
                               header_only=header_only, positioned=inflated is None,
                               enough=limits.max_frames + 1)
    if len(ds) == 0:
        raise SampleFailure(
            "read", "no data elements: the file is empty or truncated in its header"
        )
    check_header(ds, limits, extent)
    if isinstance(ds, FileDataset):  # as dcmread(path) would have set them
        ds.filename, ds.timestamp = os.fspath(path), info.st_mtime
    return ds


def _open_regular(path: str | os.PathLike[str]) -> BinaryIO:
    """Open ``path`` for reading, refusing anything but a regular file (symlinks followed).

    Opened non-blocking, then checked with ``fstat`` on the open descriptor: a FIFO neither
    hangs the open nor the read, and nothing can swap the file between the check and the read.
    """
    try:
        fp = open(path, "rb", opener=_nonblocking)  # noqa: SIM115 - closed by the caller
    except FileNotFoundError as exc:
        raise SampleFailure("read", "file not found") from exc
    except IsADirectoryError as exc:
        raise SampleFailure("read", "path is a directory, not a DICOM file") from exc
    except PermissionError as exc:
        raise SampleFailure("read", "permission denied") from exc
    except ValueError as exc:  # a NUL byte in the path
        raise SampleFailure("read", "invalid path: it contains a NUL byte") from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            reason = "symlink loop: the path's links never reach a file"
            raise SampleFailure("read", reason) from exc
        raise SampleFailure("read", f"cannot open file: {_reason(exc)}") from exc
    mode = os.fstat(fp.fileno()).st_mode
    if not stat.S_ISREG(mode):
        fp.close()
        if stat.S_ISDIR(mode):
            raise SampleFailure("read", "path is a directory, not a DICOM file")
        raise SampleFailure("read", "not a regular file (a FIFO, socket or device): not read")
    return fp


def _nonblocking(path: str, flags: int) -> int:
    return os.open(path, flags | getattr(os, "O_NONBLOCK", 0))


def _deflated_size(fp: BinaryIO, limits: Limits) -> int | None:
    """Inflated size of a Deflated Explicit VR Little Endian dataset (capped); None otherwise.

    The file meta is read exactly as :func:`pydicom.dcmread` reads it (same two functions), so
    the transfer syntax seen here is the one pydicom will act on -- unless
    :func:`_may_be_deflated` proves it cannot be the deflated one, which spares parsing the
    meta twice. ``fp`` is rewound.
    """
    try:
        deflated = _may_be_deflated(fp)
        if deflated:
            fp.seek(0)
            read_preamble(fp, True)
            meta = _read_file_meta_info(fp)
            deflated = meta.get("TransferSyntaxUID") == DeflatedExplicitVRLittleEndian
    except Exception:  # the real read below reports what is wrong
        deflated = False
    try:
        return inflated_size(fp, limits) if deflated else None
    finally:
        fp.seek(0)


def _may_be_deflated(fp: BinaryIO) -> bool:
    """False only when the file meta, as pydicom reads it, provably does not name the deflated
    transfer syntax; True when it may (then the meta is parsed to know).

    pydicom reads the meta as explicit VR elements of group 0002 from just after the 'DICM'
    prefix (or from the start without one) up to the first element of another group. Walked
    here header to header within the first :data:`_META_PEEK` bytes: when the walk ends inside
    them and none of them spell the deflated UID, no value pydicom could take for the transfer
    syntax is that UID. Whatever the walk cannot follow exactly as pydicom would (a VR pydicom
    does not know, which may make it read implicit VR; a sequence; an undefined length; a meta
    longer than the peek) answers True.
    """
    head = fp.read(_META_PEEK)
    if _DEFLATED_UID in head:
        return True
    whole = len(head) < _META_PEEK  # the peek holds the whole file
    pos = 132 if head[128:132] == b"DICM" else 0
    while pos + 8 <= len(head):
        group, vr, length = struct.unpack_from("<H2x2sH", head, pos)
        if group != 2:
            return False
        if vr not in _KNOWN_VRS or vr == b"SQ":
            return True
        size = 8
        if vr in _LONG_VRS:
            if pos + 12 > len(head):
                return not whole
            length, size = struct.unpack_from("<L", head, pos + 8)[0], 12
        if length == _UNDEFINED:
            return True
        pos += size + length
    return not whole


def _parse(fp: BinaryIO, *, header_only: bool) -> pydicom.Dataset:
    try:
        return _dcmread(fp, header_only=header_only, force=False)
    except InvalidDicomError:
        # No preamble / 'DICM' prefix: maybe a bare dataset. Accept it only if it is an image.
        log.debug("no DICOM preamble, retrying with force=True")
        fp.seek(0)
        try:
            ds = _dcmread(fp, header_only=header_only, force=True)
        except SampleFailure:
            raise
        except Exception as exc:  # garbage makes the parser fail in many ways
            raise SampleFailure("read", f"{_NOT_DICOM} ({type(exc).__name__})") from exc
        if not _looks_like_image(ds, header_only=header_only):
            raise SampleFailure("read", _NOT_DICOM)
        return ds


def _dcmread(fp: BinaryIO, *, header_only: bool, force: bool) -> pydicom.Dataset:
    """``dcmread`` with OS and parse errors turned into PHI-free read failures.

    ``InvalidDicomError`` passes through so the caller can retry with ``force=True``.
    """
    try:
        return pydicom.dcmread(fp, stop_before_pixels=header_only, force=force)
    except (InvalidDicomError, SampleFailure):
        raise
    except OSError as exc:
        raise SampleFailure("read", f"cannot read file: {_reason(exc)}") from exc
    except Exception as exc:
        if force:
            raise
        # Parse errors can quote element values (PHI), so only the type is reported.
        raise SampleFailure(
            "read", f"corrupt or truncated DICOM file: the parser failed ({type(exc).__name__})"
        ) from exc


def _reason(exc: OSError) -> str:
    # str(exc) would carry the path; strerror does not.
    return exc.strerror or type(exc).__name__


def _pixel_extent(
    ds: pydicom.Dataset, fp: BinaryIO, size: int, *, header_only: bool, positioned: bool,
    enough: int,
) -> PixelExtent:
    """How many bytes of pixel data the file can hold, and its fragments when they were read.

    After a header-only read pydicom leaves ``fp`` at the pixel data element (it rewinds to the
    element's start when it stops), so its length is read from the element header, and the
    fragment items of encapsulated data are counted by skipping from item header to item header
    (up to ``enough``). A deflated file's position means nothing (not ``positioned``): ``size``,
    its inflated size, is the bound.
    """
    syntax = _syntax(ds)
    encapsulated = syntax is not None and syntax.is_encapsulated
    keyword = next((kw for kw in PIXEL_KEYWORDS if kw in ds), None)
    if keyword is not None:
        value = ds[keyword].value
        if not isinstance(value, bytes | bytearray):
            return PixelExtent(size, encapsulated=encapsulated)
        if value[:4] == _ITEM_TAG:
            return PixelExtent(len(value), _fragments(value), encapsulated=True)
        return PixelExtent(len(value), encapsulated=encapsulated)
    if not header_only:
        return PixelExtent(0, encapsulated=encapsulated)
    if not positioned:
        return PixelExtent(size, encapsulated=encapsulated)
    left = max(size - fp.tell(), 0)
    length = _element_length(fp, ds)
    if length is None:
        return PixelExtent(left, encapsulated=encapsulated)
    if length == _UNDEFINED:
        return PixelExtent(left, _skip_items(fp, enough), encapsulated=True)
    return PixelExtent(min(length, left), encapsulated=encapsulated)


def _element_length(fp: BinaryIO, ds: pydicom.Dataset) -> int | None:
    """Value length of the pixel data element at ``fp``; None when no such element is there."""
    implicit, little = ds.original_encoding
    head = fp.read(12)
    if len(head) < 8:
        return None
    order = "<" if little is not False else ">"
    group, elem = struct.unpack(f"{order}HH", head[:4])
    if group != 0x7FE0 or elem not in (0x0008, 0x0009, 0x0010):
        return None
    if implicit:
        return int(struct.unpack(f"{order}L", head[4:8])[0])
    if head[4:6] in (b"OB", b"OW", b"OF", b"OD", b"OL", b"OV", b"UN") and len(head) == 12:
        return int(struct.unpack(f"{order}L", head[8:12])[0])
    return int(struct.unpack(f"{order}H", head[6:8])[0])


def _skip_items(fp: BinaryIO, enough: int) -> int:
    """Fragment items from ``fp`` (after the Basic Offset Table) to the sequence delimiter.

    Only item headers are read; an item whose length runs past the end of the file still
    counts (the decoder reports it). Stops at ``enough``: more are never needed.
    """
    items = 0
    while items <= enough and len(head := fp.read(8)) == 8:
        tag, length = struct.unpack("<4sL", head)
        if tag != _ITEM_TAG or length == _UNDEFINED:
            break
        items += 1
        fp.seek(length, os.SEEK_CUR)
    return max(items - 1, 0)


def _fragments(value: bytes | bytearray) -> int | None:
    """Fragment items after the Basic Offset Table; None when the items do not parse."""
    try:
        items, _ = parse_fragments(value)
    except Exception:  # the decoder reports malformed encapsulation
        return None
    return max(items - 1, 0)


def _syntax(ds: pydicom.Dataset) -> UID | None:
    meta = getattr(ds, "file_meta", None)
    value = meta.get("TransferSyntaxUID") if meta is not None else None
    return UID(str(value).strip()) if value else None


def _looks_like_image(ds: pydicom.Dataset, *, header_only: bool) -> bool:
    """True when a force-read dataset has the attributes an image needs (not parse noise)."""
    try:
        if not (_positive_int(ds.get("Rows")) and _positive_int(ds.get("Columns"))):
            return False
        return header_only or any(kw in ds for kw in PIXEL_KEYWORDS)
    except Exception:  # nonsense elements may fail to convert
        return False


def _positive_int(value: Any) -> bool:
    try:
        return int(value) > 0
    except (TypeError, ValueError):
        return False
