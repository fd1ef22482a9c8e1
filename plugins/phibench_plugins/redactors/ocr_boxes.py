"""The reference redactor (``redactor=easyocr``): mask the text boxes an OCR engine finds.

With ``mode=all_text`` every box of a redacted frame is masked (what Pixels does on a flagged
image); with ``mode=entities`` only boxes matching the detector's PHI entities. The engine is any
registered OCR engine (EasyOCR by default) and is shared with the detector: when both use the same
engine and parameters, each frame is read once (:func:`phibench.ocr.read_frame`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from phibench import ocr
from phibench.frame import Frame
from phibench.ocr import OcrEngine, OcrSettings, UsesOcrEngine, ocr_field
from phibench.records import Detection
from phibench.records.ground_truth import Box
from phibench.redaction import policy
from phibench.redactor import Redactor, RedactorParams


@dataclass(frozen=True)
class OcrBoxParams(RedactorParams):
    """Parameters of :class:`OcrBoxRedactor`: the common ones plus the OCR engine."""

    ocr: OcrSettings = ocr_field("easyocr")
    """The OCR engine that finds the text boxes (and re-reads masked frames), with its
    parameters. Keep it equal to the detector's ``ocr`` to share the detector's reading."""

    min_ocr_confidence: float = 0.0
    """Boxes the engine is less sure of are still text on the image: by default all are masked."""


class OcrBoxRedactor(UsesOcrEngine, Redactor):
    """Masks OCR text boxes: all of them on a redacted frame, or only the PHI entities'."""

    Params = OcrBoxParams

    def setup(self) -> None:
        self.engine  # loaded once per worker

    def boxes(self, frame: Frame, detection: Detection) -> list[Box]:
        p: OcrBoxParams = self.params
        found = [b for b in ocr.read_frame(self.engine, frame) if b.confidence >= p.min_ocr_confidence]
        return [b.box for b in policy.select(found, detection, p)]

    def verify_engine(self) -> OcrEngine:
        return self.engine

    def describe(self) -> dict[str, Any]:
        p: OcrBoxParams = self.params
        out: dict[str, Any] = {"redactor": "ocr_boxes", "ocr": p.ocr.name, "mode": p.mode, "fill": p.fill,
                               "padding": p.padding}
        if self._engine is not None:
            out |= {f"ocr_{k}": v for k, v in self._engine.describe().items()}
        return out
