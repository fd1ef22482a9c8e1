"""Reference baselines every scorecard can show beside a real detector.

``flag_all`` answers "PHI" for every frame (recall 1, specificity 0: the cost of redacting
everything); ``flag_none`` answers "no PHI" (the floor, and a no-op for overhead benchmarks).
Both still receive the rendered frame, so decode errors count for them as for any detector.
"""

from __future__ import annotations

from phibench.detector import Detector
from phibench.frame import Frame
from phibench.records import Detection


class FlagAll(Detector):
    """Flags every frame as carrying PHI."""

    def detect(self, frame: Frame) -> Detection:
        return Detection(has_phi=True, confidence=1.0)

    def describe(self) -> dict[str, object]:
        return {"kind": "baseline", "answer": "always PHI"}


class FlagNone(Detector):
    """Flags no frame."""

    def detect(self, frame: Frame) -> Detection:
        return Detection(has_phi=False, confidence=1.0)

    def describe(self) -> dict[str, object]:
        return {"kind": "baseline", "answer": "never PHI"}
