"""Base class of OCR engines, shared by detectors and redactors."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from phibench.plugin import Plugin
from phibench.records.ground_truth import Box


@dataclass(frozen=True, slots=True)
class TextBox:
    """One piece of text an OCR engine read."""

    box: Box
    """(left, top, width, height) in pixels of the frame given to the engine."""

    text: str
    """What was read. May be PHI: never log it."""

    confidence: float
    """The engine's confidence, 0..1."""


class OcrEngine(Plugin):
    """Reads the text in an image. Load the model in ``setup()``; it runs once per worker."""

    kind: ClassVar[str] = "ocr"

    def read(self, image: np.ndarray) -> list[TextBox]:
        """Text boxes in ``image`` (``uint8``, greyscale ``(H, W)`` or RGB ``(H, W, 3)``)."""
        raise NotImplementedError
