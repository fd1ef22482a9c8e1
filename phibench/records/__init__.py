"""Plain, frozen records that flow through a run: samples, ground truth, detections, errors,
the result row they end as (:class:`ResultRow`, from which every results schema derives), and
the scorecard made of those rows (:class:`Scorecard`, with its sections), which reporters read.

Everything here is picklable plain data, so it can cross to a Spark worker and back.
"""

from phibench.records.detection import Detection, Entity, TokenUsage
from phibench.records.ground_truth import GroundTruth, TextRegion
from phibench.records.result_row import ResultRow
from phibench.records.sample import Sample
from phibench.records.sample_error import SampleError
from phibench.records.scorecard import Scorecard
from phibench.records.scorecard_sections import (
    Auroc,
    CategoryRecall,
    ConfusionCounts,
    Estimate,
    PerCategory,
    Quantiles,
    Redaction,
    ThresholdFree,
    Tokens,
)

__all__ = [
    "Auroc",
    "CategoryRecall",
    "ConfusionCounts",
    "Detection",
    "Estimate",
    "Entity",
    "GroundTruth",
    "PerCategory",
    "Quantiles",
    "Redaction",
    "ResultRow",
    "Sample",
    "SampleError",
    "Scorecard",
    "TextRegion",
    "ThresholdFree",
    "TokenUsage",
    "Tokens",
]
