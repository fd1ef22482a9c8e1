"""Threshold-free views of a detector that reports a confidence: ROC and precision-recall curves,
AUROC with its interval, average precision, and DeLong's paired test of two detectors' AUROCs
on the same samples (``phibench compare``).

A detection's ``confidence`` is its confidence *in its answer* (:class:`phibench.Detection`), so
the score ranked here is the detector's probability of PHI: ``confidence`` when it said PHI,
``1 - confidence`` when it said none. Curves and areas come from scikit-learn; the AUROC
interval is DeLong's (as pROC computes it by default). A detector that separates a small set
perfectly gets a zero-width interval there: read it with ``positives`` and ``negatives``.
Errors have no answer and are left out, as the scorecard's rates leave them out; ``n`` says how
many samples the curves stand on. A detector whose scores take one or two values (a fixed
confidence) gives a curve of one or two points: ``distinct_scores`` says so, and the report
should not read an area into it.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import norm, rankdata
from sklearn import config_context
from sklearn.metrics import average_precision_score, precision_recall_curve, roc_auc_score, roc_curve

MAX_POINTS = 200
"""Curves are thinned to at most this many points (the scorecard stays small at 100k samples)."""


def phi_scores(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``(truth, P(PHI))`` of the answered, labelled samples that carry a confidence."""
    ok = df["error"].isna() & df["has_phi_pred"].notna() & df["has_phi_true"].notna() & df["confidence"].notna()
    rows = df[ok]
    truth = rows["has_phi_true"].to_numpy(dtype=bool)
    pred = rows["has_phi_pred"].to_numpy(dtype=bool)
    conf = np.clip(rows["confidence"].to_numpy(dtype=float), 0.0, 1.0)
    return truth, np.where(pred, conf, 1.0 - conf)


def threshold_free(df: pd.DataFrame) -> dict[str, Any] | None:
    """The scorecard's ``threshold_free`` section; ``None`` when no sample has a confidence or one
    class is missing (no curve can be drawn)."""
    if "confidence" not in df or df["confidence"].notna().sum() == 0:
        return None
    truth, score = phi_scores(df)
    pos, neg = int(truth.sum()), int((~truth).sum())
    if not pos or not neg:
        return None
    # The arrays are ours (finite, 1-d, boolean truth): scikit-learn's per-call validation of
    # them was half of this section's cost on a small run.
    with config_context(assume_finite=True, skip_parameter_validation=True):
        fpr, tpr, _ = roc_curve(truth, score)
        precision, recall, _ = precision_recall_curve(truth, score)
        auroc = float(roc_auc_score(truth, score))
        average_precision = float(average_precision_score(truth, score))
    return {
        "n": int(truth.size), "positives": pos, "negatives": neg,
        "distinct_scores": int(np.unique(score).size),
        "auroc": {"value": auroc, **_auroc_interval(truth, score)},
        "average_precision": average_precision,
        "roc": {"fpr": _thin(fpr), "tpr": _thin(tpr)},
        "pr": {"recall": _thin(recall[::-1]), "precision": _thin(precision[::-1])},
        "score": "P(PHI): confidence when flagged, 1 - confidence when not",
    }


def _components(truth: np.ndarray, score: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """The AUROC and DeLong's structural components (the fast midrank form of Sun and Xu, 2014):
    for each positive, the share of negatives it outranks; for each negative, the share of
    positives that outrank it (ties count one half). O(n log n), so 100k samples cost nothing."""
    p, q = score[truth], score[~truth]
    m, n = p.size, q.size
    tz = rankdata(np.concatenate([p, q]))
    auc = float((tz[:m].sum() - m * (m + 1) / 2) / (m * n))
    return auc, (tz[:m] - rankdata(p)) / n, 1.0 - (tz[m:] - rankdata(q)) / m


def _auroc_interval(truth: np.ndarray, score: np.ndarray) -> dict[str, Any]:
    """DeLong's 95% interval: the AUROC's variance from each sample's structural component."""
    m, n = int(truth.sum()), int((~truth).sum())
    if m < 2 or n < 2:
        return {"ci_low": None, "ci_high": None, "se": None, "method": "delong"}
    auc, v_pos, v_neg = _components(truth, score)
    se = float(np.sqrt(v_pos.var(ddof=1) / m + v_neg.var(ddof=1) / n))
    z = float(norm.ppf(0.975))
    return {"ci_low": max(0.0, auc - z * se), "ci_high": min(1.0, auc + z * se), "se": se, "method": "delong"}


def delong_paired(
    truth: np.ndarray, score_a: np.ndarray, score_b: np.ndarray, *, alpha: float = 0.05
) -> dict[str, float | None]:
    """DeLong's test of two correlated AUROCs on the same samples (DeLong, DeLong and
    Clarke-Pearson, 1988; pROC's ``roc.test(paired=TRUE)``): ``b - a`` with its interval and the
    two-sided p-value, from the covariance of the two runs' structural components. ``None``
    fields where a class has fewer than two samples."""
    m, n = int(truth.sum()), int((~truth).sum())
    if m < 2 or n < 2:
        return {"auroc_a": None, "auroc_b": None, "difference": None, "ci_low": None, "ci_high": None, "p": None}
    auc_a, pos_a, neg_a = _components(truth, score_a)
    auc_b, pos_b, neg_b = _components(truth, score_b)
    var = (np.var(pos_a - pos_b, ddof=1) / m) + (np.var(neg_a - neg_b, ddof=1) / n)
    diff = auc_b - auc_a
    se = float(np.sqrt(max(var, 0.0)))
    z = float(norm.ppf(1 - alpha / 2))
    method = "delong"
    if se == 0.0 and diff == 0:  # identical rankings, or both perfect: no evidence of a difference
        p = 1.0
    elif se == 0.0:  # e.g. a perfect ranking against a fixed score: DeLong's variance vanishes
        draws = PERMUTATIONS if truth.size <= 5_000 else 999  # seconds, not minutes, at 100k
        p, method = permutation_p(truth, score_a, score_b, draws=draws), "permutation"
    else:
        p = float(2 * norm.sf(abs(diff) / se))
    return {"auroc_a": auc_a, "auroc_b": auc_b, "difference": diff,
            "ci_low": diff - z * se, "ci_high": diff + z * se, "p": p, "method": method}


PERMUTATIONS = 9999


def permutation_p(truth: np.ndarray, score_a: np.ndarray, score_b: np.ndarray, *,
                  draws: int = PERMUTATIONS, seed: int = 0) -> float:
    """Two-sided p of ``auroc(b) - auroc(a)`` by paired permutation: under no difference, which
    run gave which score of a sample is exchangeable, so each draw swaps the two at random per
    sample. Used where DeLong's variance is zero but the AUROCs differ (a normal test would say
    p = 0 there); ``(1 + hits) / (1 + draws)``, never 0. Seeded: the same inputs, the same p."""
    observed = abs(_components(truth, score_b)[0] - _components(truth, score_a)[0])
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(draws):
        swap = rng.random(truth.size) < 0.5
        a, b = np.where(swap, score_b, score_a), np.where(swap, score_a, score_b)
        hits += abs(_components(truth, b)[0] - _components(truth, a)[0]) >= observed - 1e-12
    return (1 + hits) / (1 + draws)


def _thin(values: np.ndarray) -> list[float]:
    if values.size <= MAX_POINTS:
        return [round(float(v), 6) for v in values]
    idx = np.unique(np.linspace(0, values.size - 1, MAX_POINTS).round().astype(int))
    return [round(float(values[i]), 6) for i in idx]
