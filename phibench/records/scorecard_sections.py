"""The sections of a scorecard that reporters read: counts, rates with intervals, AUROC,
per-category recall, latency, tokens and redaction quality.

Each is a frozen :class:`~phibench.records.json_record.JsonRecord` whose fields are the keys
:mod:`phibench.scoring` writes, in its order; the whole is :class:`phibench.records.Scorecard`.
Counts are kept as stored (``k`` and ``n`` are ints, except F1's effective ``n``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from phibench.records.json_record import JsonRecord, key, record, records


@dataclass(frozen=True, slots=True)
class ConfusionCounts(JsonRecord):
    """Image-level counts (``confusion``). Errors are counted apart, never as negatives."""

    tp: int = 0
    """PHI present and flagged."""
    fp: int = 0
    """No PHI, flagged."""
    tn: int = 0
    """No PHI, not flagged."""
    fn: int = 0
    """PHI present, not flagged: a miss."""
    errors: int = 0
    """Samples without an answer (any stage failed); in none of the four cells above."""
    errors_on_phi: int = 0
    """Errors on samples whose ground truth has PHI."""
    errors_on_no_phi: int = 0
    """Errors on samples whose ground truth has none."""
    unlabeled: int = 0
    """Answered samples without ground truth (a folder's labels may leave some out)."""


@dataclass(frozen=True, slots=True)
class Estimate(JsonRecord):
    """One figure with its 95% interval and what it stands on: a rate ``k / n`` (Wilson
    interval), or a mean over ``n`` values (``masked_area_outside_phi``, which has no ``k``)."""

    value: float | None = None
    """The rate or mean; None when nothing is counted (``n`` is 0)."""
    ci_low: float | None = None
    """Lower end of the 95% interval; None with ``value``."""
    ci_high: float | None = None
    """Upper end of the 95% interval; None with ``value``."""
    k: float | None = None
    """Successes counted; None for a mean (the key is then absent)."""
    n: float = 0
    """Trials (or values averaged); F1's is its effective number, ``tp + (fp + fn) / 2``."""
    higher_is_better: bool = True
    """Whether a larger value is the better one (False for ``error_rate`` and harmless text
    flagged)."""


@dataclass(frozen=True, slots=True)
class CategoryRecall(JsonRecord):
    """Recall of one PHI category (``per_category.phi[CATEGORY]``)."""

    image_recall: Estimate | None = record(Estimate, default=None)
    """Of the answered samples with a region of this category, the share flagged."""
    region_recall: Estimate | None = record(Estimate, default=None)
    """Of the regions of this category, the share an entity located; None when the detector
    reports no entities."""


@dataclass(frozen=True, slots=True)
class RegionRates(JsonRecord):
    """Region figures over all categories (``per_category.regions``), as Presidio's DICOM
    evaluator reports them; the rule is :func:`phibench.scoring.per_category.located`'s."""

    recall: Estimate | None = record(Estimate, default=None)
    """Of all ground-truth PHI regions, the share a reported entity located."""
    precision: Estimate | None = record(Estimate, default=None)
    """Of the entities reported on samples whose PHI is fully boxed (samples with regions, and
    samples labelled without PHI), the share that land on a PHI region."""


@dataclass(frozen=True, slots=True)
class PerCategory(JsonRecord):
    """Figures per ground-truth category (``per_category``;
    :mod:`phibench.scoring.per_category`)."""

    phi: Mapping[str, CategoryRecall] = records(CategoryRecall)
    """Recall per PHI category, categories sorted."""
    non_phi_flagged: Mapping[str, Estimate] = records(Estimate)
    """Share of harmless regions per category that an entity landed on (lower is better);
    empty when the detector reports no entities."""
    detector_reports_entities: bool = False
    """Whether any answered sample carries entities (region figures need them)."""
    regions: RegionRates | None = record(RegionRates, default=None)
    """Region recall and precision over all categories; None when the detector reports no
    entities (and absent from cards written before it was recorded)."""


@dataclass(frozen=True, slots=True)
class Auroc(JsonRecord):
    """The AUROC of the detector's P(PHI) score, with DeLong's 95% interval."""

    value: float | None = None
    """The area under the ROC curve."""
    ci_low: float | None = None
    """Lower end of DeLong's interval (clipped at 0); None with fewer than two of a class."""
    ci_high: float | None = None
    """Upper end of DeLong's interval (clipped at 1)."""
    se: float | None = None
    """DeLong's standard error (unclipped); absent from cards written before it was recorded."""
    method: str = "delong"
    """How the interval was computed."""


@dataclass(frozen=True, slots=True)
class ThresholdFree(JsonRecord):
    """Curves and areas of a detector that reports a confidence (``threshold_free``, schema 1.2;
    :mod:`phibench.scoring.curves`)."""

    n: int = 0
    """Answered, labeled samples with a confidence."""
    positives: int = 0
    """Of those, the samples with PHI."""
    negatives: int = 0
    """Of those, the samples without."""
    distinct_scores: int = 0
    """Distinct P(PHI) values; 2 or fewer means the curves are a single threshold."""
    auroc: Auroc = record(Auroc, default_factory=Auroc)
    """The AUROC with its interval."""
    average_precision: float | None = None
    """Area under the precision-recall curve (step-wise)."""
    roc: Mapping[str, list[float]] = key(default_factory=dict)
    """The ROC curve, thinned: ``fpr`` and ``tpr``."""
    pr: Mapping[str, list[float]] = key(default_factory=dict)
    """The precision-recall curve, thinned: ``recall`` and ``precision``."""
    score: str = ""
    """What was ranked, in words."""


@dataclass(frozen=True, slots=True)
class Quantiles(JsonRecord):
    """A time's distribution over the samples, seconds (``latency_s``, ``render_s``)."""

    p50: float | None = None
    """Median; None when no sample recorded one."""
    p95: float | None = None
    """95th percentile."""
    mean: float | None = None
    """Mean."""


@dataclass(frozen=True, slots=True)
class Tokens(JsonRecord):
    """Model tokens spent by the run (``tokens``)."""

    input: int = 0
    """Input tokens, all samples."""
    output: int = 0
    """Output tokens, all samples."""


@dataclass(frozen=True, slots=True)
class Redaction(JsonRecord):
    """Redaction quality of a redacting run (``redaction``, schema 1.1;
    :mod:`phibench.scoring.redaction`)."""

    frames: Mapping[str, int] = key(default_factory=dict)
    """Frames per redaction state (``masked``, ``untouched``, ``failed``)."""
    files_written: int = 0
    """Distinct redacted files written."""
    files_failed: int = 0
    """Distinct inputs with a frame that was not written."""
    errors_by_stage: Mapping[str, int] = key(default_factory=dict)
    """Redaction failures per stage (``redact``, ``write``, ``verify``)."""
    phi_regions: int = 0
    """Ground-truth PHI regions in the redacted frames."""
    metrics: Mapping[str, Estimate] = records(Estimate)
    """Quality rates with intervals (``phi_regions_hidden``, ``negatives_retained``, ...)."""
    mean_phi_region_coverage: float | None = None
    """Mean share of a PHI region's area under the mask."""
    per_category_hidden: Mapping[str, Estimate] = records(Estimate)
    """Share of PHI regions hidden, per category."""
    thresholds: Mapping[str, float] = key(default_factory=dict)
    """Coverage a region needs to count as hidden or masked."""
    redact_s_p50: float | None = None
    """Median redaction wall time per frame, seconds."""
    cost_per_100k_usd: float | None = None
    """What redacting 100,000 images costs at the run's core-hour price."""


def as_dicts(named: Mapping[str, JsonRecord | None]) -> dict[str, dict[str, Any] | None]:
    """``{name: record.to_dict()}``, for helpers that take the stored form."""
    return {k: None if v is None else v.to_dict() for k, v in named.items()}
