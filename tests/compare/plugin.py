"""Test-only plugin for the comparison tests (``PHIBENCH_EXTRA_PLUGINS=tests.compare.plugin``).

detector ``header_oracle``: flags a frame when its header says ``BurnedInAnnotation=YES`` -- exact
on a synthetic dataset made with ``leaky_tags=true`` -- except on a chosen share of frames, picked
by a hash of the sample id, so two runs of it differ only in a parameter and one is worse by a
known, reproducible amount:

* ``miss``: share of frames answered "no PHI" whatever the header says;
* ``fail``: share of frames whose detection raises (a per-sample error);
* ``confident``: report a confidence in each answer (0.5..1, from a hash of the sample id), so
  the run has an AUROC; without it the oracle reports none.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from phibench import hookimpl
from phibench.detector import Detector
from phibench.records import Detection


def _share(sample_id: str, salt: str) -> float:
    return int(hashlib.sha256(f"{salt}:{sample_id}".encode()).hexdigest()[:8], 16) / 2**32


class HeaderOracle(Detector):
    needs_header = True

    @dataclass
    class Params:
        miss: float = 0.0
        fail: float = 0.0
        confident: bool = False

    def detect(self, frame):
        sid = frame.sample.sample_id
        if _share(sid, "fail") < self.params.fail:
            raise TimeoutError("the detector did not answer")
        conf = 0.5 + 0.5 * _share(sid, "confidence") if self.params.confident else None
        if _share(sid, "miss") < self.params.miss:
            return Detection(has_phi=False, confidence=conf)
        return Detection(has_phi=str(frame.header.get("BurnedInAnnotation", "")).upper() == "YES", confidence=conf)


@hookimpl
def phibench_register_detectors(register):
    register.add("header_oracle", HeaderOracle)
