"""Redacted copies of PNG, JPEG, TIFF and slide files, in the input's own format.

* PNG -> PNG, lossless, same mode (16-bit grey stays 16-bit; a palette keeps its palette).
* JPEG -> JPEG, **re-encoded** (JPEG has no lossless rewrite of changed blocks): quality 95,
  no chroma subsampling; every pixel outside the boxes may change by a few levels.
* TIFF -> TIFF, every page re-written losslessly (Adobe Deflate unless the page was
  uncompressed), masked pages with their boxes filled.
* Slide -> slide: the associated images to redact are blanked whole and the pyramid stays
  byte-identical (:mod:`.blank`); a label's barcode is no text OCR can box, so its boxes
  do not matter.

Boxes are filled in stored-sample space with ``fill``: ``black`` (zero), ``background`` (the
median of the ring around the box, :data:`phibench.dicom.fill.RING` pixels wide, as for DICOM)
or ``contrast`` (black or white, whichever is farther from that background). Not
:func:`phibench.dicom.fill.mask_frame` itself: its rules follow a DICOM frame's display (black is
the frame's darkest value through its window), while an 8-bit image shows its stored values as
they are, so black here is zero; and it has no alpha channel or min-is-white page. Metadata other than ICC profile and resolution (EXIF with its thumbnail of
the unmasked image, PNG text, TIFF descriptions) is not carried over. A file with nothing to mask
is copied byte for byte. Never a DICOM wrapper: the copy is what the input was.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from phibench import files
from phibench.dicom.fill import RING
from phibench.dicom.write import WriteResult, copy_file
from phibench.exceptions import SampleFailure
from phibench.images.read import PillowSource, TiffSource, open_image
from phibench.images.sniff import sniff
from phibench.limits import DEFAULT_LIMITS, Limits
from phibench.records.ground_truth import Box

__all__ = ["write_redacted_image"]

JPEG_QUALITY = 95


def write_redacted_image(src: str | os.PathLike[str], dst: str | os.PathLike[str],
                         masks: Mapping[int, Sequence[Box]], *, fill: str = "black",
                         limits: Limits = DEFAULT_LIMITS, **_ignored: object) -> WriteResult:
    """Like :func:`phibench.dicom.write_redacted`, for non-DICOM ``src`` (kind by content).

    ``masks`` maps frame index to boxes; for a slide, every frame listed in ``masks`` (boxes or
    not) is blanked whole. DICOM-only options (``transfer_syntax``...) are ignored.
    """
    kind = sniff(src)
    if kind is None:
        raise SampleFailure("write", "the input is not a PNG, JPEG or TIFF file")
    if os.path.realpath(src) == os.path.realpath(dst):
        raise ValueError("the output path is the input file; phibench never writes over its input")
    if kind == "slide":
        return _slide(src, dst, masks, limits)
    boxes = {int(k): [b for b in v if b[2] > 0 and b[3] > 0] for k, v in masks.items()}
    if not any(boxes.values()):
        copy_file(src, dst)
        return WriteResult(os.fspath(dst), (), kind, True)
    source = open_image(src, limits, kind)
    if isinstance(source, TiffSource):
        changed = _tiff(source, Path(dst), boxes, fill)
    else:
        assert isinstance(source, PillowSource)
        changed = _pillow(source, Path(dst), boxes, fill)
    return WriteResult(os.fspath(dst), tuple(changed), kind, False)


def _slide(src: str | os.PathLike[str], dst: str | os.PathLike[str],
           masks: Mapping[int, Sequence[Box]], limits: Limits) -> WriteResult:
    from phibench.images.blank import blank_pages
    from phibench.images.slide import SlideSource

    source = SlideSource(src, limits)
    try:
        frames = sorted(int(k) for k in masks)
        pages = [source.page_index(i) for i in frames]
    finally:
        source.close()
    if any(p is None for p in pages):
        raise SampleFailure("write", "the slide has no associated image and its overview (the "
                            "pyramid itself) must be redacted: phibench does not mask pyramid levels")
    if not frames:
        copy_file(src, dst)
        return WriteResult(os.fspath(dst), (), "slide", True)
    blank_pages(src, dst, [p for p in pages if p is not None])
    return WriteResult(os.fspath(dst), tuple(frames), "slide", False)


def fill_boxes(arr: np.ndarray, boxes: Sequence[Box], fill: str) -> bool:
    """Fill ``boxes`` of ``arr`` (``(H, W)`` or ``(H, W, S)``) in place; True if any pixel changed."""
    h, w = arr.shape[:2]
    covered = np.zeros((h, w), bool)
    clipped = []
    for x, y, bw, bh in boxes:
        x0, y0, x1, y1 = max(0, x), max(0, y), min(w, x + bw), min(h, y + bh)
        if x1 > x0 and y1 > y0:
            clipped.append((x0, y0, x1, y1))
            covered[y0:y1, x0:x1] = True
    before = arr.copy() if clipped else None
    info = np.iinfo(arr.dtype) if np.issubdtype(arr.dtype, np.integer) else None
    white = info.max if info is not None else float(np.nanmax(arr))
    for x0, y0, x1, y1 in clipped:
        value: object = 0
        if fill in ("background", "contrast"):
            ring = np.zeros((h, w), bool)
            ring[max(0, y0 - RING):y1 + RING, max(0, x0 - RING):x1 + RING] = True
            ring &= ~covered
            if ring.any():
                bg = np.median(arr[ring], axis=0)
                if fill == "background":
                    value = bg.astype(arr.dtype)
                else:
                    value = 0 if float(np.mean(bg)) > white / 2 else white
        arr[y0:y1, x0:x1] = value
    return before is not None and not np.array_equal(before, arr)


def _pillow(source: PillowSource, dst: Path, boxes: dict[int, list[Box]], fill: str) -> list[int]:
    from PIL import Image

    im = source.image()
    if source.kind == "png" and _png_16bit_colour(source.path):
        raise SampleFailure("write", "a 16-bit colour PNG cannot be rewritten losslessly "
                            "(Pillow reads it as 8-bit): not redacted")
    if im.mode not in ("1", "L", "LA", "P", "RGB", "RGBA", "I", "I;16", "I;16B", "F"):
        raise SampleFailure("write", f"{im.mode} images cannot be masked")
    arr = np.array(im)
    if im.mode == "P":
        # a palette is filled with its darkest colour (a median of indices is no colour)
        pal = np.asarray(im.getpalette() or [0, 0, 0], np.int64).reshape(-1, 3).sum(axis=1)
        before = arr.copy()
        for x, y, bw, bh in boxes.get(0, []):
            arr[max(0, y):y + bh, max(0, x):x + bw] = int(np.argmin(pal))
        changed = not np.array_equal(before, arr)
    else:
        changed = fill_boxes(arr, boxes.get(0, []), fill)
    out = Image.fromarray(arr)
    if im.mode == "P":
        out = Image.fromarray(arr.astype(np.uint8), "P")
        out.putpalette(im.getpalette())
        if "transparency" in im.info:
            out.info["transparency"] = im.info["transparency"]
    elif im.mode in ("I;16", "I;16B"):
        out = Image.fromarray(arr.astype(np.uint16))
    elif im.mode == "1":
        out = Image.fromarray(arr.astype(bool))
    keep = {k: source.info[k] for k in ("icc_profile", "dpi") if k in source.info}
    if source.kind == "jpeg":
        opts = {"quality": JPEG_QUALITY, "subsampling": 0, **keep}
        fmt = "JPEG"
    else:
        opts, fmt = keep, "PNG"
    files.write_atomic(dst, lambda tmp: out.save(tmp, format=fmt, **opts))
    return [0] if changed else []


def _png_16bit_colour(path: str) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(26)
    return len(head) >= 26 and head[24] == 16 and head[25] in (2, 6)


def _tiff(source: TiffSource, dst: Path, boxes: dict[int, list[Box]], fill: str) -> list[int]:
    import tifffile

    changed = []
    pages = []
    for i in range(source.count()):
        page = source.page(i)
        arr = np.array(source.stored(i))
        # min-is-white: fill in display terms ("black" is black on screen, not stored zero)
        flip = int(page.photometric) == 0 and np.issubdtype(arr.dtype, np.unsignedinteger)
        top = np.iinfo(arr.dtype).max if flip else 0
        if flip:
            arr = top - arr
        if fill_boxes(arr, boxes.get(i, []), fill):
            changed.append(i)
        if flip:
            arr = top - arr
        compression = None if int(page.compression) == 1 else "adobe_deflate"
        photometric = {0: "miniswhite", 1: "minisblack", 2: "rgb", 3: "palette"}.get(int(page.photometric))
        pages.append((arr, compression, photometric, page.colormap if int(page.photometric) == 3 else None))

    def write(tmp: Path) -> None:
        with tifffile.TiffWriter(tmp) as out:
            for arr, compression, photometric, cmap in pages:
                out.write(arr, compression=compression, photometric=photometric, colormap=cmap,
                          metadata=None)

    source.close()
    files.write_atomic(dst, write)
    return changed
