"""One way to open any input file phibench plans: DICOM, or a PNG/JPEG/TIFF/slide by content.

Every stage that reads a file back (render, the redactor's unplanned frames, verification, the
HTML gallery, Spark's frame count, the folder dataset's planning) goes through here, so the
choice "DICOM or image" is made in one place, from the file's first bytes
(:func:`phibench.images.sniff`), never from its name.
"""

from __future__ import annotations

import os
from typing import Any, Protocol

import numpy as np

from phibench.dicom import frame_count, read_dataset, read_header, render_frame
from phibench.images import open_image, page_count, sniff
from phibench.limits import DEFAULT_LIMITS, Limits

__all__ = ["DicomSource", "Source", "count_frames", "open_source"]


class Source(Protocol):
    """An opened input file: how many frames it has and each one rendered."""

    kind: str
    header: Any
    """The pydicom dataset of a DICOM file; ``None`` for images (no header is made up)."""

    def count(self) -> int: ...

    def render(self, index: int) -> np.ndarray: ...

    def close(self) -> None: ...


class DicomSource:
    """A DICOM file read whole (pixel data decoded a frame at a time by :func:`render_frame`)."""

    kind = "dicom"

    def __init__(self, path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS,
                 header: Any = None) -> None:
        self.header = header if header is not None else read_dataset(path, limits)

    def count(self) -> int:
        return frame_count(self.header)

    def render(self, index: int) -> np.ndarray:
        return render_frame(self.header, index)

    def close(self) -> None:
        pass


def open_source(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> Source:
    """``path`` opened as what its bytes say it is. Raises ``SampleFailure`` (stage ``read``)."""
    kind = sniff(path)
    if kind is None:
        return DicomSource(path, limits)
    return open_image(path, limits, kind)


def count_frames(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> int:
    """Frames (samples) of ``path`` from its header alone; raises ``SampleFailure``."""
    if sniff(path) is None:
        return frame_count(read_header(path, limits))
    return page_count(path, limits)
