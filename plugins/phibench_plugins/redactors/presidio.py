"""The Presidio redactor (``redactor=presidio``): mask the words Presidio flags.

It takes the Presidio detector's settings (:class:`PresidioParams`) on top of the common
redactor ones. Configured like the detector, it reuses the detector's analysis of each frame
(cached on the frame), so nothing is OCR'd or analysed twice. Choosing boxes is all it does: the
core pads, fills and writes them (:mod:`phibench.redaction`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from phibench import extras
from phibench.frame import Frame
from phibench.records import Detection
from phibench.records.ground_truth import Box
from phibench.redaction import policy
from phibench.redactor import Redactor, RedactorParams
from phibench_plugins.detectors.presidio.engine import PresidioAnalysis
from phibench_plugins.detectors.presidio.params import PresidioParams, check, settings_of


@dataclass(frozen=True)
class PresidioRedactorParams(RedactorParams, PresidioParams):
    """The common redactor parameters plus Presidio's (:class:`PresidioParams`)."""

    mode: str = "entities"
    """``entities`` (default, what Presidio does): the words Presidio flags; ``all_text``: every
    word Presidio's OCR read on a redacted frame."""


class PresidioRedactor(Redactor):
    """Masks Presidio's findings (or, with ``mode=all_text``, every word its OCR read)."""

    requires = extras.needs("presidio")

    Params = PresidioRedactorParams

    def __init__(self, params: PresidioRedactorParams | None = None) -> None:
        super().__init__(params)
        policy.check(self.params)
        check(settings_of(self.params), "redactor 'presidio'")
        self.analysis = PresidioAnalysis(settings_of(self.params))

    def setup(self) -> None:
        self.analysis.setup()

    def boxes(self, frame: Frame, detection: Detection) -> list[Box]:
        found = self.analysis.analyze(frame)
        if self.params.mode == "all_text":
            boxes = list(found.words)
        else:
            boxes = [f.box for f in found.findings if f.box is not None]
        return list(dict.fromkeys(boxes))

    def describe(self) -> dict[str, Any]:
        p: PresidioRedactorParams = self.params
        return {"redactor": "presidio", "mode": p.mode, "fill": p.fill, "padding": p.padding,
                **self.analysis.describe()}
