"""A third-party phibench plugin: a detector that trusts the header's BurnedInAnnotation flag
(with a preset of its own, ``header_says``, shipped as package data), and a reporter that takes
parameters."""

import csv
from dataclasses import dataclass, field
from pathlib import Path

from phibench import Scorecard, hookimpl
from phibench.detector import Detector
from phibench.records import Detection
from phibench.reporter import Reporter


class BurnedInFlag(Detector):
    """PHI if the header says annotations are burned in (``BurnedInAnnotation == YES``)."""

    needs_header = True

    @dataclass
    class Params:
        missing_means_phi: bool = True  # fail closed when the header does not say

    def detect(self, frame):
        value = str(frame.header.get("BurnedInAnnotation", "")).upper() if frame.header else ""
        return Detection(has_phi=value == "YES" or (not value and self.params.missing_means_phi))


class SummaryCsv(Reporter):
    """Writes ``summary.csv``: the chosen rates, rounded."""

    @dataclass
    class Params:
        decimals: int = 3
        metrics: list = field(default_factory=lambda: ["recall", "specificity"])

    def report(self, scorecard: Scorecard, run_dir: Path) -> None:
        with open(Path(run_dir) / "summary.csv", "w", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["metric", "value"])
            for m in self.params.metrics:
                rate = scorecard.metrics.get(m)  # an Estimate: value, ci_low, ci_high, k, n
                value = rate.value if rate else None
                w.writerow([m, "" if value is None else round(value, self.params.decimals)])


@hookimpl
def phibench_register_detectors(register):
    register.add("burned_in_flag", BurnedInFlag)
    register.add("header_says", BurnedInFlag)


@hookimpl
def phibench_register_reporters(register):
    register.add("summary_csv", SummaryCsv)


@hookimpl
def phibench_config_dirs():
    return [Path(__file__).resolve().parent / "conf"]
