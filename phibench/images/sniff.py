"""Which kind of image a file is, from its first bytes (never from its name).

A folder of exports names files any way it likes (``.dcm`` screenshots, ``.tif`` JPEGs, no
extension at all), so the format is read from the content. DICOM wins over TIFF: a DICOM file
may carry a TIFF header in its 128-byte preamble (dual-personality DICOM-TIFF, common for
whole-slide DICOM), and it is a DICOM object first. ``None`` means "not one of ours": the DICOM
reader then reads the file and reports what is wrong with it, as it always has.

Sniffing opens regular files only, non-blocking (a FIFO would hang the open), and never raises.
"""

from __future__ import annotations

import os
import stat
import struct
from typing import Literal

__all__ = ["KINDS", "Kind", "SUFFIXES", "sniff"]

Kind = Literal["png", "jpeg", "tiff", "slide"]
KINDS: tuple[Kind, ...] = ("png", "jpeg", "tiff", "slide")

SUFFIXES: dict[str, str] = {"png": ".png", "jpeg": ".jpg", "tiff": ".tif", "slide": ".svs"}
"""The suffix of a redacted copy of each kind (the copy keeps its input's format)."""

_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
_TIFF = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")  # classic and BigTIFF, both byte orders
_PEEK = 4096
_TILE_TAGS = (322, 323)  # TileWidth, TileLength
_DESCRIPTION = 270


def sniff(path: str | os.PathLike[str]) -> Kind | None:
    """The kind of image at ``path``, or ``None`` (DICOM, anything else, or unreadable)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError):
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        head = os.pread(fd, _PEEK, 0)
        if head[128:132] == b"DICM":
            return None
        if head.startswith(_PNG):
            return "png"
        if head.startswith(_JPEG):
            return "jpeg"
        if head[:4] in _TIFF:
            return "slide" if _is_slide(fd, head) else "tiff"
        return None
    except OSError:
        return None
    finally:
        os.close(fd)


def _is_slide(fd: int, head: bytes) -> bool:
    """A whole-slide TIFF: its first page is tiled and (Aperio) or has its description so.

    Only the first IFD is walked: tiled first page plus an ``Aperio`` description is an SVS; a
    tiled first page followed by more pages is a generic tiled pyramid. Screenshots and
    multi-page exports are stripped, so they stay ``tiff`` (one sample per page).
    """
    try:
        order = "<" if head[:2] == b"II" else ">"
        big = head[2:4] in (b"+\x00", b"\x00+")
        if big:
            (offset,) = struct.unpack_from(order + "Q", head, 8)
            count_fmt, entry_fmt, entry_size, count_size, next_fmt = "Q", "HHQQ", 20, 8, "Q"
        else:
            (offset,) = struct.unpack_from(order + "L", head, 4)
            count_fmt, entry_fmt, entry_size, count_size, next_fmt = "H", "HHLL", 12, 2, "L"
        block = os.pread(fd, count_size, offset)
        (n,) = struct.unpack(order + count_fmt, block)
        n = min(n, 4096)
        ifd = os.pread(fd, n * entry_size + 8, offset + count_size)
        tags: dict[int, tuple[int, int, int]] = {}
        for i in range(n):
            tag, typ, count, value = struct.unpack_from(order + entry_fmt, ifd, i * entry_size)
            tags[tag] = (typ, count, value)
        (next_ifd,) = struct.unpack_from(order + next_fmt, ifd, n * entry_size)
    except (struct.error, OSError, OverflowError):
        return False
    if not all(t in tags for t in _TILE_TAGS):
        return False
    if _DESCRIPTION in tags:
        _, count, value = tags[_DESCRIPTION]
        inline = 8 if big else 4
        if count <= inline:
            raw = struct.pack(order + ("Q" if big else "L"), value)[:count]
        else:
            raw = os.pread(fd, min(count, 16), value)
        if raw.startswith(b"Aperio"):
            return True
    return next_ifd != 0
