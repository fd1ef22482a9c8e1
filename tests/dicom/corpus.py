"""Where pydicom's bundled test corpus lives (shipped in the wheel; nothing is downloaded)."""

from __future__ import annotations

from pathlib import Path

import pydicom.data

DATA_ROOT = Path(pydicom.data.__file__).parent
"""pydicom's bundled data: ``test_files`` (images, non-DICOM, DICOMDIRs) and ``charset_files``."""

CORPUS_DIRS = (DATA_ROOT / "test_files", DATA_ROOT / "charset_files")


def corpus_file(name: str) -> Path:
    """Path of a file in ``test_files`` by relative name; fails loudly if it is not bundled."""
    path = DATA_ROOT / "test_files" / name
    if not path.is_file():
        raise FileNotFoundError(f"{name} is not in pydicom's bundled test files")
    return path


def corpus_files() -> list[Path]:
    """Every regular file under the corpus folders, recursively, DICOM or not."""
    return sorted(
        p for root in CORPUS_DIRS for p in root.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    )
