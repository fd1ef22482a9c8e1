"""Plain, frozen records that flow through a run: samples, ground truth, detections, errors,
and the result row they end as (:class:`ResultRow`, from which every results schema derives).

Everything here is picklable plain data, so it can cross to a Spark worker and back.
"""

from phibench.records.detection import Detection, Entity, TokenUsage
from phibench.records.ground_truth import GroundTruth, TextRegion
from phibench.records.result_row import ResultRow
from phibench.records.sample import Sample
from phibench.records.sample_error import SampleError

__all__ = [
    "Detection",
    "Entity",
    "GroundTruth",
    "ResultRow",
    "Sample",
    "SampleError",
    "TextRegion",
    "TokenUsage",
]
