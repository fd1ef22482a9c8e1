"""A sample: one frame of one DICOM file."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Sample:
    """One frame of one file; a multi-frame object gives one sample per frame."""

    sample_id: str
    """Stable identifier: the same file and frame give the same id in every run (resume keys on it)."""

    path: str
    """Absolute path of the DICOM file."""

    frame: int = 0
    """Zero-based frame index within the file."""

    dataset: str = ""
    """Name of the dataset plugin that planned this sample."""
