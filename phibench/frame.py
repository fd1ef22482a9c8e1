"""A rendered frame: what every detector and redactor receives for one sample."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from phibench.records import Sample

if TYPE_CHECKING:
    import pydicom


@dataclass(frozen=True, eq=False)
class Frame:
    """One frame, rendered once by :func:`phibench.dicom.render_frame`, shared by every stage."""

    sample: Sample
    """Which file and frame this is."""

    image: np.ndarray
    """Display-ready pixels: ``uint8``, ``(H, W)`` for greyscale or ``(H, W, 3)`` RGB. LUTs,
    window, MONOCHROME1 inversion and colour conversion already applied. Do not modify."""

    header: "pydicom.Dataset | None" = None
    """The file's dataset, for header-aware detectors (holds PHI: never log its values)."""

    kind: str = "dicom"
    """What the file is: ``dicom``, or ``png``/``jpeg``/``tiff``/``slide``
    (:mod:`phibench.images`), whose frames never have a header."""

    ocr_cache: dict[str, Any] = field(default_factory=dict, repr=False)
    """Results of per-frame work shared between stages, keyed by who computed them (see
    :func:`phibench.ocr.read_frame`): a detector and a redactor using the same OCR engine read
    each frame once."""

    def rgb(self) -> np.ndarray:
        """The image as ``(H, W, 3)`` RGB ``uint8``."""
        if self.image.ndim == 3:
            return self.image
        return np.repeat(self.image[:, :, None], 3, axis=2)

    def grey(self) -> np.ndarray:
        """The image as ``(H, W)`` ``uint8`` luminance."""
        if self.image.ndim == 2:
            return self.image
        weights = np.array([0.299, 0.587, 0.114], dtype=np.float32)
        return np.clip(self.image.astype(np.float32) @ weights, 0, 255).astype(np.uint8)
