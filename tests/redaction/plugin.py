"""Test-only plugins for the redaction tests (``PHIBENCH_EXTRA_PLUGINS=tests.redaction.plugin``).

* detector ``always_fails``: every detection raises, as a timed-out or broken detector would.
* redactor ``broken``: choosing boxes raises, as a crashing OCR model would.
"""

from __future__ import annotations

from phibench import hookimpl
from phibench.detector import Detector
from phibench.redactor import Redactor


class AlwaysFails(Detector):
    def detect(self, frame):
        raise TimeoutError("the detector did not answer")


class Broken(Redactor):
    def boxes(self, frame, detection):
        raise RuntimeError("no boxes today")


@hookimpl
def phibench_register_detectors(register):
    register.add("always_fails", AlwaysFails)


@hookimpl
def phibench_register_redactors(register):
    register.add("broken", Broken)
