"""A third-party phibench plugin: a detector that trusts the header's BurnedInAnnotation flag."""

from dataclasses import dataclass

from phibench import hookimpl
from phibench.detector import Detector
from phibench.records import Detection


class BurnedInFlag(Detector):
    """PHI if the header says annotations are burned in (``BurnedInAnnotation == YES``)."""

    needs_header = True

    @dataclass
    class Params:
        missing_means_phi: bool = True  # fail closed when the header does not say

    def detect(self, frame):
        value = str(frame.header.get("BurnedInAnnotation", "")).upper() if frame.header else ""
        return Detection(has_phi=value == "YES" or (not value and self.params.missing_means_phi))


@hookimpl
def phibench_register_detectors(register):
    register.add("burned_in_flag", BurnedInFlag)
