"""The scorecard as a record: every figure of a run, typed, in the order ``scorecard.json`` holds.

Like inspect_ai's ``EvalLog`` (``log/_log.py``), the record sits beside its codec:
:meth:`Scorecard.from_dict` reads the JSON-ready dict that :func:`phibench.scoring.build_scorecard`
and :func:`phibench.run.report` make (or a ``scorecard.json`` of any 1.x version), and
:meth:`Scorecard.to_dict` gives it back key for key, so ``json.dumps(card.to_dict(), indent=2)``
is the file's text. Reporters, tables and ``phibench compare`` read the record.

The sections reporters read are records of their own (:mod:`phibench.records.scorecard_sections`);
the open parts, whose shape belongs to another module or to a plugin (``detector``, ``redactor``,
``config``, ``versions``, ``provenance``, ``errors_by_stage``), are typed mappings kept as stored.

Older versions read: a 1.0 card has no ``redactor``, ``redaction``, ``fingerprint``,
``planned_samples``, ``missing_samples``, ``threshold_free`` or ``provenance`` (nor does a 1.1
card the last two; early 1.2 cards lack ``threshold_free``; cards before 1.3 lack
``per_category.regions``). Those fields are then their default
(None) and listed in :attr:`~phibench.records.json_record.JsonRecord.absent_keys`, so the card
still round-trips exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from phibench.records.json_record import JsonRecord, key, record, records
from phibench.records.scorecard_sections import (
    ConfusionCounts,
    Estimate,
    PerCategory,
    Quantiles,
    Redaction,
    ThresholdFree,
    Tokens,
)

SCHEMA_VERSION = "1.3"
"""The version :func:`phibench.scoring.build_scorecard` writes. Fields are only added within a
major version: 1.1 added ``redactor`` and ``redaction`` (and, later, ``fingerprint``,
``planned_samples``, ``missing_samples``); 1.2 added ``provenance`` (set by
:func:`phibench.run.report`; see :mod:`phibench.provenance`) and ``threshold_free``
(:mod:`phibench.scoring.curves`); 1.3 added ``per_category.regions`` (region recall and precision
over all categories)."""


@dataclass(frozen=True, slots=True)
class Scorecard(JsonRecord):
    """A run's scorecard, computed from ``results.parquet`` alone (:mod:`phibench.scoring`)."""

    schema_version: str = SCHEMA_VERSION
    """The version of this shape (:data:`SCHEMA_VERSION` for a card made now)."""
    detector: Mapping[str, Any] = key(default_factory=dict)
    """The detector's name and its own description (``{"name": ..., **describe()}``)."""
    dataset: str = ""
    """Name of the dataset plugin."""
    samples: int = 0
    """Samples scored (one row each)."""
    files: int = 0
    """Distinct files among them."""
    endpoints: tuple[str, ...] = key(decode=tuple, encode=list, default=())
    """Endpoints that answered (secrets redacted), sorted; empty for local detectors."""
    simulated: bool = False
    """Whether a simulated endpoint answered: the run measures the pipeline, not a model."""
    confusion: ConfusionCounts = record(ConfusionCounts, default_factory=ConfusionCounts)
    """The image-level confusion counts, errors apart."""
    metrics: Mapping[str, Estimate] = records(Estimate)
    """Detection rates with 95% Wilson intervals, by name (``recall``, ``precision``, ...,
    ``error_rate``), in :meth:`phibench.scoring.Confusion.rates` order."""
    per_category: PerCategory = record(PerCategory, default_factory=PerCategory)
    """Recall per PHI category, and harmless text flagged."""
    threshold_free: ThresholdFree | None = record(ThresholdFree, default=None)
    """ROC and precision-recall curves with the AUROC (1.2); None when no sample has a
    confidence or a class is missing."""
    errors_by_stage: Mapping[str, int] = key(default_factory=dict)
    """Errored samples per pipeline stage."""
    throughput_images_per_s: float | None = None
    """Images per second over the wall time of the sessions that made rows; None without any."""
    wall_time_s: float = 0.0
    """That wall time, seconds."""
    latency_s: Quantiles = record(Quantiles, default_factory=Quantiles)
    """Detector latency per sample."""
    render_s: Quantiles = record(Quantiles, default_factory=Quantiles)
    """Read and render time per sample."""
    tokens: Tokens = record(Tokens, default_factory=Tokens)
    """Model tokens spent."""
    cost_per_100k_usd: float | None = None
    """Detection cost of 100,000 images, USD; None for a run without samples."""
    cost_basis: str = ""
    """How the detector prices a sample (tokens, core time), in words."""
    redactor: Mapping[str, Any] | None = None
    """The redactor's name and description (1.1); None when the run did not redact."""
    redaction: Redaction | None = record(Redaction, default=None)
    """Redaction quality (1.1); None when the run did not redact."""
    config: Mapping[str, Any] = key(default_factory=dict)
    """The resolved run config (secrets blanked): what reproduces the run."""
    versions: Mapping[str, Any] = key(default_factory=dict)
    """Code revision and library and plugin versions (:mod:`phibench.versions`)."""
    fingerprint: str | None = None
    """The plan's fingerprint (:mod:`phibench.plan`)."""
    planned_samples: int | None = None
    """Samples the plan holds; None for a run directory without a plan."""
    missing_samples: int | None = None
    """Planned samples without a row (an interrupted run); None without a plan."""
    run_dir: str | None = None
    """The run directory the card was computed in."""
    provenance: Mapping[str, Any] | None = None
    """Dataset fingerprint, times, hardware and plugin versions (1.2;
    :mod:`phibench.provenance`)."""

    @property
    def detector_name(self) -> str:
        """The detector's name (``?`` when the card does not say)."""
        return str(self.detector.get("name", "?"))

    @classmethod
    def of(cls, value: Scorecard | Mapping[str, Any]) -> Scorecard:
        """``value`` if it is a record already, else :meth:`from_dict` of it."""
        return value if isinstance(value, Scorecard) else cls.from_dict(value)
