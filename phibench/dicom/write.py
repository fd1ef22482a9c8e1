"""Writing a redacted copy of a DICOM file: boxes filled in stored-value space, nothing else lost.

Why stored values and not the rendered image: the output must still be the same image for every
pixel outside the boxes -- same dtype, Bits Stored, signedness, Photometric Interpretation -- so
every frame is decoded to its stored values (never through the 8-bit rendering), the boxes are
filled there, and the pixels are written back uncompressed (Explicit VR Little Endian) or
re-encoded losslessly. A file with nothing to mask is copied byte for byte.

Fill values (``fill=``: ``black``, ``background``, ``contrast``) are chosen per frame and in the
frame's own sample space; the rules, per Photometric Interpretation, are in
:mod:`phibench.dicom.fill`. Decoding and re-encoding the stored values is
:mod:`phibench.dicom.pixels_io`; this module is the file around them.

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

Files are written owner-only (0600) and a folder the write has to make is owner-only (0700): the
header still holds the patient's identity even where the pixels are clean.
"""

from __future__ import annotations

import logging
import operator
import os
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pydicom
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue
from pydicom.uid import (
    UID,
    ExplicitVRBigEndian,
    SecondaryCaptureImageStorage,
    generate_uid,
)

from phibench import files
from phibench.dicom.decode import syntax_of
from phibench.dicom.fill import FILLS, mask_frame
from phibench.dicom.pixels_io import (
    LOSSLESS_SYNTAX,
    convert_elements,
    decode_pixels,
    encode_pixels,
    staged,
)
from phibench.dicom.read import read_dataset, read_header
from phibench.exceptions import SampleFailure
from phibench.records.ground_truth import Box

__all__ = ["DIR_MODE", "FILE_MODE", "FILLS", "LOSSLESS_SYNTAX", "TRANSFER_SYNTAXES", "WriteResult",
           "copy_file", "write_redacted"]

log = logging.getLogger(__name__)

TRANSFER_SYNTAXES = ("explicit", "lossless")

CLEAN_PIXEL = ("113101", "DCM", "Clean Pixel Data Option")


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
        syntax = syntax_of(staged(read_header, src))
        copy_file(src, dst)
        return WriteResult(str(dst), (), str(syntax), True)
    ds = staged(read_dataset, src)
    source_syntax = syntax_of(ds)
    pixels = decode_pixels(ds)
    count = pixels.frames.shape[0]
    changed = []
    for index in sorted(boxes):
        if not 0 <= index < count:
            raise ValueError(f"mask for frame {index}: the object has {count} frame(s)")
        if mask_frame(pixels, index, boxes[index], fill):
            changed.append(index)
    log.debug("masked %d of %d frame(s)", len(changed), count)
    convert_elements(ds, big_endian=source_syntax == ExplicitVRBigEndian)
    lossless = transfer_syntax == "lossless" and source_syntax.is_compressed
    syntax = encode_pixels(ds, pixels, lossless=lossless)
    _stamp(ds, fill, new_sop_instance_uid)
    _file_meta(ds, syntax)
    _atomic(dst, lambda tmp: _save(ds, tmp))
    return WriteResult(str(dst), tuple(changed), str(syntax), False)


# -- header ----------------------------------------------------------------------------------


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
        # (whose byte-order-dependent values convert_elements has already swapped).
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


FILE_MODE = files.FILE_MODE
"""Mode of every file written: redacted copies are derived from PHI-bearing input, and a copy
that was not masked holds PHI outright, so only the run's owner may read them."""

DIR_MODE = files.DIR_MODE
"""Mode of an output folder :func:`_atomic` creates (and of ``redacted/`` and ``quarantine/``)."""


def copy_file(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
    """Copy ``src`` to ``dst`` byte for byte, atomically and owner-only (see :func:`_atomic`)."""
    _atomic(Path(dst), lambda tmp: shutil.copyfile(src, tmp))


def _atomic(dst: Path, write: Callable[[Path], object]) -> None:
    """Write through :func:`phibench.files.write_atomic` (owner-only from the first byte, a
    temporary file then a rename; never a partial file). A missing parent folder is made
    :data:`DIR_MODE`; an existing one is left as it is (it may be the caller's own folder)."""
    try:
        if not dst.parent.is_dir():
            dst.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        files.write_atomic(dst, write)
    except OSError as exc:
        # str(exc) would carry the path; strerror does not.
        reason = exc.strerror or type(exc).__name__
        raise SampleFailure("write", f"cannot write the output file: {reason}") from exc
