"""Threshold-free views: the detector's P(PHI), ROC / PR curves and AUROC with DeLong's interval."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from phibench.scoring import curves


def frame(rows) -> pd.DataFrame:
    df = pd.DataFrame(rows, columns=["has_phi_true", "has_phi_pred", "error", "confidence"])
    return df.astype({"has_phi_true": "boolean", "has_phi_pred": "boolean", "confidence": "Float64"})


def noisy(n: int, seed: int = 0) -> pd.DataFrame:
    """A detector whose confidence carries signal but no certainty (half overlap)."""
    rng = np.random.default_rng(seed)
    truth = rng.random(n) < 0.4
    p_phi = np.clip(rng.normal(np.where(truth, 0.65, 0.4), 0.2), 0, 1)
    pred = p_phi >= 0.5
    conf = np.where(pred, p_phi, 1 - p_phi)
    return frame([(bool(t), bool(p), None, float(c)) for t, p, c in zip(truth, pred, conf)])


def test_the_score_is_the_probability_of_phi_whatever_the_answer() -> None:
    df = frame([(True, True, None, 0.9), (False, False, None, 0.9), (True, False, None, 0.6),
                (False, True, None, 0.55), (True, None, "ocr: failed", None)])
    truth, score = curves.phi_scores(df)
    assert truth.tolist() == [True, False, True, False]  # the error is left out
    assert score == pytest.approx([0.9, 0.1, 0.4, 0.55])


def test_auroc_matches_scikit_learn_and_delong_matches_its_definition() -> None:
    df = noisy(300)
    tf = curves.threshold_free(df)
    truth, score = curves.phi_scores(df)
    assert tf["auroc"]["value"] == pytest.approx(roc_auc_score(truth, score))
    # DeLong from the O(m n) definition: structural components of each sample
    p, q = score[truth], score[~truth]
    psi = (p[:, None] > q[None, :]) + 0.5 * (p[:, None] == q[None, :])
    auc = psi.mean()
    se = np.sqrt(psi.mean(axis=1).var(ddof=1) / p.size + psi.mean(axis=0).var(ddof=1) / q.size)
    assert tf["auroc"]["ci_low"] == pytest.approx(auc - 1.959964 * se, abs=1e-6)
    assert tf["auroc"]["ci_high"] == pytest.approx(auc + 1.959964 * se, abs=1e-6)
    assert 0.5 < tf["auroc"]["ci_low"] < tf["auroc"]["value"] < tf["auroc"]["ci_high"] < 1.0
    assert (tf["positives"], tf["negatives"]) == (int(truth.sum()), int((~truth).sum()))


def test_curves_run_from_corner_to_corner_and_stay_small() -> None:
    tf = curves.threshold_free(noisy(5000, seed=1))
    fpr, tpr = tf["roc"]["fpr"], tf["roc"]["tpr"]
    assert (fpr[0], tpr[0], fpr[-1], tpr[-1]) == (0.0, 0.0, 1.0, 1.0)
    assert np.all(np.diff(fpr) >= 0) and np.all(np.diff(tpr) >= 0)
    assert len(fpr) <= curves.MAX_POINTS and len(tf["pr"]["recall"]) <= curves.MAX_POINTS
    assert tf["pr"]["recall"][0] == 0.0 and tf["pr"]["recall"][-1] == 1.0
    assert 0.4 < tf["average_precision"] < 1.0


def test_a_fixed_confidence_is_reported_as_such_and_one_class_gives_no_curve() -> None:
    fixed = frame([(True, True, None, 1.0), (False, True, None, 1.0), (True, True, None, 1.0)])
    tf = curves.threshold_free(fixed)
    assert tf["distinct_scores"] == 1 and tf["auroc"]["value"] == 0.5
    assert curves.threshold_free(frame([(True, True, None, 0.8), (True, False, None, 0.7)])) is None
    assert curves.threshold_free(frame([(True, True, None, None), (False, False, None, None)])) is None


def _psi(score: np.ndarray, truth: np.ndarray) -> np.ndarray:
    p, q = score[truth], score[~truth]
    return (p[:, None] > q[None, :]) + 0.5 * (p[:, None] == q[None, :])


def test_delong_paired_matches_its_definition_and_scipy_normal_tail() -> None:
    rng = np.random.default_rng(3)
    truth = rng.random(400) < 0.35
    a = np.clip(rng.normal(np.where(truth, 0.7, 0.4), 0.2), 0, 1).round(2)  # ties on purpose
    b = np.clip(a + rng.normal(np.where(truth, -0.08, 0.05), 0.15), 0, 1).round(2)
    t = curves.delong_paired(truth, a, b)
    pa, pb = _psi(a, truth), _psi(b, truth)
    assert t["auroc_a"] == pytest.approx(roc_auc_score(truth, a)) and t["auroc_b"] == pytest.approx(roc_auc_score(truth, b))
    var = (np.var(pa.mean(1) - pb.mean(1), ddof=1) / truth.sum()
           + np.var(pa.mean(0) - pb.mean(0), ddof=1) / (~truth).sum())
    z = (t["auroc_b"] - t["auroc_a"]) / np.sqrt(var)
    from scipy.stats import norm
    assert t["p"] == pytest.approx(2 * norm.sf(abs(z)), rel=1e-9)
    assert t["ci_low"] < t["difference"] < t["ci_high"] < 0 and t["p"] < 0.05  # b is worse, clearly
    # pairing matters: the same two AUROCs as independent estimates give a wider interval
    se_a, se_b = (curves.threshold_free(frame([(bool(x), bool(s >= .5), None, float(max(s, 1 - s)))
                                               for x, s in zip(truth, sc)]))["auroc"]["se"] for sc in (a, b))
    assert t["ci_high"] - t["ci_low"] < 2 * 1.96 * np.hypot(se_a, se_b)


def test_delong_paired_of_a_run_with_itself_finds_no_difference() -> None:
    rng = np.random.default_rng(4)
    truth = rng.random(50) < 0.5
    s = rng.random(50)
    t = curves.delong_paired(truth, s, s)
    assert (t["difference"], t["p"]) == (0.0, 1.0)
    assert curves.delong_paired(np.array([True, False, False]), s[:3], s[:3])["p"] is None  # one positive


def test_where_delongs_variance_vanishes_a_permutation_test_gives_the_p_value() -> None:
    """A perfect ranking against a fixed score: every structural component is constant, so
    DeLong's se is 0 and a normal test would claim p = 0 however few the samples."""
    for m, significant in ((2, False), (5, True)):
        truth = np.array([True] * m + [False] * m)
        perfect, fixed = truth.astype(float), np.full(2 * m, 0.5)
        t = curves.delong_paired(truth, fixed, perfect)
        assert (t["auroc_a"], t["auroc_b"], t["method"]) == (0.5, 1.0, "permutation")
        # only swapping every sample or none reaches |0.5|: 2 of 2^(2m) assignments
        assert t["p"] == pytest.approx(2 / 2 ** (2 * m), abs=0.01) and t["p"] > 0
        assert (t["p"] < 0.05) is significant
    assert curves.delong_paired(truth, perfect, perfect)["p"] == 1.0  # no difference, no test
