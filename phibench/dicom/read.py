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
"""

from __future__ import annotations

import logging
import os
from typing import Any

import pydicom
from pydicom.errors import InvalidDicomError

from phibench.exceptions import SampleFailure

__all__ = ["read_dataset", "read_header"]

log = logging.getLogger(__name__)

PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
"""Elements that can hold an image's pixels; one of them must be present to render."""

_NOT_DICOM = (
    "not a DICOM file: no 'DICM' prefix or file meta, and the content does not parse as a "
    "DICOM image (no Rows/Columns/pixel data)"
)


def read_dataset(path: str | os.PathLike[str]) -> pydicom.Dataset:
    """Read a whole DICOM file, pixel data included (decoded later, one frame at a time).

    Raises :class:`SampleFailure` (stage ``read``) for a missing file, a directory, a non-DICOM
    file, or a file with no data elements (empty, or cut short inside its header).
    """
    return _read(path, header_only=False)


def read_header(path: str | os.PathLike[str]) -> pydicom.Dataset:
    """Read a DICOM file's elements up to, not including, the pixel data; for planning.

    Same error rules as :func:`read_dataset`.
    """
    return _read(path, header_only=True)


def _read(path: str | os.PathLike[str], *, header_only: bool) -> pydicom.Dataset:
    if os.path.isdir(path):
        raise SampleFailure("read", "path is a directory, not a DICOM file")
    try:
        ds = _dcmread(path, header_only=header_only, force=False)
    except InvalidDicomError:
        # No preamble / 'DICM' prefix: maybe a bare dataset. Accept it only if it is an image.
        log.debug("no DICOM preamble, retrying with force=True")
        try:
            ds = _dcmread(path, header_only=header_only, force=True)
        except SampleFailure:
            raise
        except Exception as exc:  # garbage makes the parser fail in many ways
            raise SampleFailure("read", f"{_NOT_DICOM} ({type(exc).__name__})") from exc
        if not _looks_like_image(ds, header_only=header_only):
            raise SampleFailure("read", _NOT_DICOM)
    if len(ds) == 0:
        raise SampleFailure(
            "read", "no data elements: the file is empty or truncated in its header"
        )
    return ds


def _dcmread(path: str | os.PathLike[str], *, header_only: bool, force: bool) -> pydicom.Dataset:
    """``dcmread`` with OS and parse errors turned into PHI-free read failures.

    ``InvalidDicomError`` passes through so the caller can retry with ``force=True``.
    """
    try:
        return pydicom.dcmread(path, stop_before_pixels=header_only, force=force)
    except InvalidDicomError:
        raise
    except FileNotFoundError as exc:
        raise SampleFailure("read", "file not found") from exc
    except IsADirectoryError as exc:
        raise SampleFailure("read", "path is a directory, not a DICOM file") from exc
    except PermissionError as exc:
        raise SampleFailure("read", "permission denied") from exc
    except OSError as exc:
        # str(exc) would carry the path; strerror does not.
        reason = exc.strerror or type(exc).__name__
        raise SampleFailure("read", f"cannot read file: {reason}") from exc
    except Exception as exc:
        if force:
            raise
        # Parse errors can quote element values (PHI), so only the type is reported.
        raise SampleFailure(
            "read", f"corrupt or truncated DICOM file: the parser failed ({type(exc).__name__})"
        ) from exc


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
