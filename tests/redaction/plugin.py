"""Test-only plugins for the redaction tests (``PHIBENCH_EXTRA_PLUGINS=tests.redaction.plugin``).

* detector ``always_fails``: every detection raises, as a timed-out or broken detector would.
* detector ``burned_in_header``: flags a frame when its header says ``BurnedInAnnotation=YES``
  (a metadata rule, no OCR: fast and exact on fixtures that set the attribute honestly).
* redactor ``broken``: choosing boxes raises, as a crashing OCR model would.
* redactor ``whole_frame``: masks the whole frame (no OCR: fast, and hides everything).
"""

from __future__ import annotations

from phibench import hookimpl
from phibench.detector import Detector
from phibench.records import Detection
from phibench.redactor import Redactor


class AlwaysFails(Detector):
    def detect(self, frame):
        raise TimeoutError("the detector did not answer")


class BurnedInHeader(Detector):
    needs_header = True

    def detect(self, frame):
        return Detection(has_phi=str(frame.header.get("BurnedInAnnotation", "")).upper() == "YES")


class Broken(Redactor):
    def boxes(self, frame, detection):
        raise RuntimeError("no boxes today")


class WholeFrame(Redactor):
    def boxes(self, frame, detection):
        h, w = frame.image.shape[:2]
        return [(0, 0, w, h)]


@hookimpl
def phibench_register_detectors(register):
    register.add("always_fails", AlwaysFails)
    register.add("burned_in_header", BurnedInHeader)


@hookimpl
def phibench_register_redactors(register):
    register.add("broken", Broken)
    register.add("whole_frame", WholeFrame)
