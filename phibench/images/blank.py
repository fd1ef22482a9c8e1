"""Blanking a slide's associated images in a byte copy: the pyramid stays byte-identical.

Why blank and not remove: removing an IFD means rewriting the chain of next-IFD offsets and,
for the tools that find the label by position, changes what the file is; re-writing the whole
slide would re-encode (or at least move) every pyramid tile. Blanking keeps the IFD structure:
the copy is the input byte for byte except

* every data segment (strip or tile) of a blanked page, overwritten with zeros first (no byte of
  the old label survives in the file), then holding that segment of an all-black image,
  deflate-compressed (stdlib zlib; a black image compresses to almost nothing, so it fits where
  the old segment was; one that does not is appended at the end of the file);
* that page's own tag values: StripOffsets/TileOffsets and their byte counts, Compression (8,
  Adobe Deflate), Predictor (1, when present), YCbCrSubsampling (1, 1, when present) and
  Photometric (MinIsBlack or RGB, so zero is black also where the page was YCbCr JPEG or
  MinIsWhite).

Every pyramid level -- its IFD, its tags, its tile bytes -- is untouched, and a page whose
segments overlap another page's (a crafted file) is refused rather than blanked.
"""

from __future__ import annotations

import os
import shutil
import struct
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from phibench import files
from phibench.exceptions import SampleFailure

__all__ = ["blank_pages"]

_DEFLATE = 8
_TYPES = {3: "H", 4: "L", 16: "Q", 13: "L"}  # SHORT, LONG, LONG8, IFD
_MAX = {"H": 0xFFFF, "L": 0xFFFFFFFF, "Q": 2**64 - 1}


def blank_pages(src: str | os.PathLike[str], dst: str | os.PathLike[str], pages: Iterable[int]) -> None:
    """Write ``src`` to ``dst`` (atomically, owner-only) with TIFF ``pages`` blanked."""
    import tifffile

    todo = sorted(set(pages))
    with tifffile.TiffFile(os.fspath(src)) as tif:
        plans = [_plan(tif, i) for i in todo]
        _check_disjoint(tif, todo)

    def write(tmp: Path) -> None:
        shutil.copyfile(src, tmp)
        with open(tmp, "r+b") as fh:
            for plan in plans:
                _apply(fh, plan)

    try:
        files.write_atomic(Path(dst), write)
    except OSError as exc:
        raise SampleFailure("write", f"cannot write the output file: "
                            f"{exc.strerror or type(exc).__name__}") from exc


def _plan(tif: Any, index: int) -> dict[str, Any]:
    """What to write for page ``index``: its new segments and the tag slots to patch."""
    page = tif.pages[index]
    if page.bitspersample not in (1, 8, 16, 32) or page.sampleformat not in (1, 2, 3):
        raise SampleFailure("write", f"page {index}: {page.bitspersample}-bit samples cannot be blanked")
    spp, bits = int(page.samplesperpixel), int(page.bitspersample)
    planar = int(page.planarconfig) == 2
    per_pixel = 1 if planar else spp
    if page.is_tiled:
        rows = [int(page.tilelength)] * len(page.dataoffsets)
        width = int(page.tilewidth)
        names = ("TileOffsets", "TileByteCounts")
    else:
        height, rps = int(page.imagelength), int(page.rowsperstrip or page.imagelength)
        per_plane = -(-height // rps)
        rows = [min(rps, height - (i % per_plane) * rps) for i in range(len(page.dataoffsets))]
        width = int(page.imagewidth)
        names = ("StripOffsets", "StripByteCounts")
    segments = [zlib.compress(bytes(-(-(width * per_pixel * bits) // 8) * r), 9) for r in rows]
    photometric = 2 if spp >= 3 else 1
    slots = {"Compression": _DEFLATE, "PhotometricInterpretation": photometric}
    if "Predictor" in page.tags:
        slots["Predictor"] = 1
    arrays = [_slot(tif, page.tags[name]) for name in names]
    if "YCbCrSubSampling" in page.tags:  # no subsampling in the new (RGB, deflated) segments
        arrays.append(_slot(tif, page.tags["YCbCrSubSampling"]))
    return {
        "index": index,
        "old": list(zip((int(o) for o in page.dataoffsets), (int(c) for c in page.databytecounts),
                        strict=True)),
        "new": segments,
        "arrays": arrays,
        "scalars": {_slot(tif, page.tags[name]): value for name, value in slots.items()
                    if name in page.tags},
        "order": tif.byteorder,
    }


def _slot(tif: Any, tag: Any) -> tuple[int, str, int]:
    """``(file offset of the value, struct code, count)`` of ``tag``."""
    code = _TYPES.get(int(tag.dtype))
    if code is None:
        raise SampleFailure("write", f"tag {tag.name} has an unexpected type: not blanked")
    return int(tag.valueoffset), code, int(tag.count)


def _check_disjoint(tif: Any, blanked: list[int]) -> None:
    """Refuse when a blanked page's segments overlap any other page's (zeroing would hit it)."""
    ranges = []
    for page in tif.pages:
        for off, n in zip(page.dataoffsets, page.databytecounts, strict=False):
            ranges.append((int(off), int(off) + int(n), page.index in blanked, page.index))
    ranges.sort()
    for (a0, a1, ab, ai), (b0, b1, bb, bi) in zip(ranges, ranges[1:], strict=False):
        if b0 < a1 and ai != bi and (ab or bb):
            raise SampleFailure("write", "an associated image shares bytes with another page: "
                                "it cannot be blanked without touching that page")


def _apply(fh: Any, plan: dict[str, Any]) -> None:
    order = plan["order"]
    for off, n in plan["old"]:
        fh.seek(off)
        fh.write(bytes(n))
    fh.seek(0, os.SEEK_END)
    end = fh.tell()
    offsets, counts = [], []
    for (off, n), data in zip(plan["old"], plan["new"], strict=True):
        if len(data) <= n:
            where = off
        else:
            where = end + (end & 1)  # word-aligned, as TIFF asks
            end = where + len(data)
        fh.seek(where)
        fh.write(data)
        offsets.append(where)
        counts.append(len(data))
    for (at, code, count), values in zip(plan["arrays"], (offsets, counts, [1, 1]), strict=False):
        if count != len(values) or max(values) > _MAX[code]:
            raise SampleFailure("write", "the blanked image does not fit the page's offset tags")
        fh.seek(at)
        fh.write(struct.pack(f"{order}{count}{code}", *values))
    for (at, code, _), value in plan["scalars"].items():
        fh.seek(at)
        fh.write(struct.pack(f"{order}{code}", value))
