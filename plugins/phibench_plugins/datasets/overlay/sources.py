"""Where the real pixels come from: pydicom's bundled test files, or the user's folder + labels.

A source is one frame of a real DICOM file that shows no burned-in text. The bundled list was
chosen by looking at each rendered file (pydicom's US examples print text and are left out, as
are test patterns, dose grids and images under 96 pixels a side). A user's folder is read at run
time through ``dataset.sources=DIR dataset.source_labels=FILE.csv``; only rows that say the frame
carries no text are used (``has_text`` 0/false when the column is there, else ``has_phi`` false
with no regions). Nothing from such a folder is copied into phibench.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from phibench.exceptions import DatasetError
from phibench.labels import parse_has_phi, resolve_in_root

BUNDLED: tuple[str, ...] = (
    "CT_small.dcm",               # CT 128x128, 16-bit signed, Explicit VR LE
    "693_J2KI.dcm",               # CT 512x512, 16-bit signed, JPEG 2000 (lossy)
    "J2K_pixelrep_mismatch.dcm",  # CT head 512x512, JPEG 2000 whose signedness disagrees
    "examples_overlay.dcm",       # MR abdomen 300x484, 16-bit unsigned (overlay plane ignored)
    "JPEG2000.dcm",               # NM whole body 1024x256, 16-bit, JPEG 2000 lossless
    "JPGExtended.dcm",            # NM whole body 1024x256, 16-bit, JPEG extended (lossy)
)
"""pydicom test files (``pydicom.data``, shipped in the wheel) that show no burned-in text."""

MIN_SIDE = 96
"""Sources smaller than this on either side are skipped: a banner of 7 px text does not fit."""


@dataclass(frozen=True)
class Source:
    """One text-free frame of a real file."""

    path: str
    """Absolute path of the file (read at generation time, never copied)."""
    frame: int
    name: str
    """What the manifest records: the bundled file name, or the path relative to the folder."""
    origin: str
    """``pydicom`` or ``folder``."""


def bundled() -> list[Source]:
    """The bundled sources, from the installed pydicom's test data (no download)."""
    from pydicom.data import get_testdata_file

    out = []
    for name in BUNDLED:
        try:
            path = get_testdata_file(name, download=False)
        except Exception:  # an older pydicom without download=; or a stripped install
            path = None
        if path:
            out.append(Source(str(path), 0, name, "pydicom"))
    if not out:
        raise DatasetError("dataset=overlay: none of pydicom's bundled test files is installed; "
                           "point dataset.sources=DIR dataset.source_labels=FILE.csv at yours")
    return out


def _no_text(row: dict[str, str], where: str) -> bool:
    if "has_text" in row and (row.get("has_text") or "").strip():
        return parse_has_phi(row["has_text"], where) is False
    return parse_has_phi(row.get("has_phi", ""), where) is False and \
        (row.get("regions") or "").strip() in ("", "[]")


def from_folder(root: str, labels: str | None) -> list[Source]:
    """Text-free frames listed in ``labels`` (CSV: path, has_phi[, has_text, frame, regions])."""
    base = Path(root).expanduser()
    if not base.is_dir():
        raise DatasetError(f"dataset.sources {base} is not a folder")
    if not labels:
        raise DatasetError("dataset.sources needs dataset.source_labels=FILE.csv saying which "
                           "files carry no text (has_text=0, or has_phi=0 without regions)")
    table = Path(labels).expanduser()
    if not table.is_absolute() and not table.exists():
        table = base / table
    if not table.is_file():
        raise DatasetError(f"dataset.source_labels {table} does not exist or is not a file")
    base = base.resolve()
    out = []
    with table.open(encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            rel = (row.get("path") or "").strip()
            if not rel or not _no_text(row, f"{table} line {line}"):
                continue
            path, id_path = resolve_in_root(base, rel)
            frame = int((row.get("frame") or "0").strip() or 0)
            if id_path and path.is_file():
                out.append(Source(str(path), frame, id_path, "folder"))
    if not out:
        raise DatasetError(f"dataset.source_labels {table} lists no text-free file under {base}")
    return sorted(out, key=lambda s: (s.name, s.frame))
