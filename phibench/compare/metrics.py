"""The metrics a comparison can test, defined per sample so two runs can be paired.

Each metric is a ratio of two per-sample sums, ``sum(num) / sum(den)``, computed on the samples
the compared runs share. How a detection error (a sample without an answer) enters, per metric,
is the scorecard's own rule (:meth:`phibench.scoring.confusion.Confusion.rates`), applied so the
two runs are compared on the same samples:

* ``recall``, ``precision``, ``specificity``, ``npv``, ``accuracy``, ``f1`` are rates over
  answered samples; a sample that errored in *either* run leaves the pair, so both rates are
  computed on the same samples. An error is never a negative.
* ``recall_fail_closed`` and ``specificity_fail_closed`` count an error as a "PHI" answer (a
  fail-closed pipeline redacts it), so errors stay in and cost specificity, not recall.
* ``coverage`` (answered share of labeled samples) and ``error_rate`` (errored share of all
  samples) compare the errors themselves; a gate should hold ``error_rate`` too, since the
  headline rates cannot see a detector that errors instead of answering.

A paired value can therefore differ slightly from the run's scorecard figure, which is over all
of that run's samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from phibench.exceptions import ConfigError
from phibench.scoring.confusion import RATE_NAMES

METRICS = RATE_NAMES
DEFAULT_METRICS = ("recall", "precision", "specificity", "npv", "accuracy", "error_rate")
BINARY = frozenset(
    {"recall", "specificity", "accuracy", "recall_fail_closed", "specificity_fail_closed",
     "coverage", "error_rate"}
)
"""Metrics that are one yes/no outcome per sample over a denominator both runs share: their
difference is a difference of paired proportions, tested exactly by McNemar. The others
(precision, NPV: the denominator is each run's own positive or negative answers; F1) get a
paired bootstrap."""
LOWER_IS_BETTER = frozenset({"error_rate"})


def check_names(names: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    unknown = [m for m in names if m not in METRICS]
    if unknown:
        raise ConfigError(f"unknown metric {unknown[0]!r}. Metrics: {', '.join(METRICS)}")
    return tuple(names)


@dataclass(frozen=True)
class Outcomes:
    """One run's answers on the shared samples, in one order for every run."""

    truth: np.ndarray
    labeled: np.ndarray
    pred: np.ndarray
    error: np.ndarray

    @classmethod
    def of(cls, df: pd.DataFrame, ids: list[str]) -> "Outcomes":
        d = df.set_index("sample_id").loc[ids]
        error = (d["error"].notna() | d["has_phi_pred"].isna()).to_numpy()
        truth, pred = (d[c].astype("boolean") for c in ("has_phi_true", "has_phi_pred"))
        return cls(
            truth=truth.fillna(False).to_numpy(dtype=bool),
            labeled=truth.notna().to_numpy(),
            pred=pred.fillna(False).to_numpy(dtype=bool) & ~error,
            error=error,
        )


def terms(metric: str, run: Outcomes, other: Outcomes) -> tuple[np.ndarray, np.ndarray]:
    """``(num, den)`` per sample of ``run`` for ``metric``, paired with ``other`` (whose
    errors take a sample out of the answered-only rates)."""
    t, lab = run.truth, run.labeled
    if metric.endswith("_fail_closed"):
        inc, p = lab, run.pred | run.error
    else:
        inc, p = lab & ~run.error & ~other.error, run.pred
    if metric in ("recall", "recall_fail_closed"):
        den = inc & t
        num = den & p
    elif metric in ("specificity", "specificity_fail_closed"):
        den = inc & ~t
        num = den & ~p
    elif metric == "precision":
        den = inc & p
        num = den & t
    elif metric == "npv":
        den = inc & ~p
        num = den & ~t
    elif metric == "accuracy":
        den = inc
        num = inc & (p == t)
    elif metric == "f1":
        tp = inc & t & p
        num = 2.0 * tp
        return num, num + (inc & ~t & p) + (inc & t & ~p)
    elif metric == "coverage":
        den = lab
        num = lab & ~run.error
    elif metric == "error_rate":
        den = np.ones_like(run.error)
        num = run.error
    else:  # pragma: no cover - names are checked first
        raise ConfigError(f"unknown metric {metric!r}")
    return num.astype(float), den.astype(float)
