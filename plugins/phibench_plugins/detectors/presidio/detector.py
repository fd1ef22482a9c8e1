"""The Presidio detector: out-of-the-box Presidio (OCR, spaCy NER, patterns, header deny-list)."""

from __future__ import annotations

from typing import Any, ClassVar

from phibench import extras
from phibench.detector import Detector
from phibench.frame import Frame
from phibench.records import Detection, Entity
from phibench_plugins.detectors.presidio.engine import PresidioAnalysis
from phibench_plugins.detectors.presidio.params import PresidioParams, category_of, check


class PresidioDetector(Detector):
    """Presidio's ``ImageAnalyzerEngine`` on the rendered frame, as its DICOM redactor runs it.

    ``has_phi`` is true when Presidio reports any entity (it keeps every score by default);
    ``confidence`` is the best entity score. Any failure (OCR, model) raises and is recorded as
    that sample's error, never as "no PHI". The core's CPU measure includes the Tesseract child
    processes (:func:`phibench.detector.cpu_time`).
    """

    requires = extras.needs("presidio")

    Params = PresidioParams
    needs_header: ClassVar[bool] = True

    def __init__(self, params: PresidioParams | None = None) -> None:
        super().__init__(params)
        check(self.params, "detector 'presidio'")
        self.analysis = PresidioAnalysis(self.params)

    def setup(self) -> None:
        """Load spaCy and Presidio's recognizers (once per process) and the OCR engine."""
        self.analysis.setup()

    def detect(self, frame: Frame) -> Detection:
        findings = self.analysis.analyze(frame).findings
        entities = tuple(
            Entity(category_of(f.entity_type), f.text, f.box, round(f.score, 4)) for f in findings
        )
        if not entities:
            return Detection(False, ())
        best = max(e.score or 0.0 for e in entities)
        return Detection(True, entities, confidence=best)

    def describe(self) -> dict[str, Any]:
        return {"detector": "presidio", **self.analysis.describe()}

