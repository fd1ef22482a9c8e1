"""The AUROC of two runs compared, where both detectors report a confidence.

Paired (both runs have results): DeLong's test of two correlated AUROCs
(:func:`phibench.scoring.curves.delong_paired`) on the shared samples that both runs answered
with a confidence; the score ranked is each run's P(PHI), as in the scorecard's
``threshold_free``. Unpaired (a lone scorecard): two independent AUROCs, a z-test on the
difference with each AUROC's DeLong standard error from its scorecard.

A detector whose confidence is fixed (the ``flag_*`` baselines) has an AUROC of 0.5 by
construction; ``distinct_scores`` in the scorecard says so, and the comparison keeps the row so a
reader sees it rather than a silent gap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from phibench.compare.paired import Difference
from phibench.records import Auroc, Scorecard
from phibench.scoring.curves import delong_paired, phi_scores

METRIC = "auroc"
PAIRED = "delong (paired)"
PERMUTED = "permutation (paired)"
"""Where DeLong's variance vanishes (:func:`phibench.scoring.curves.permutation_p`)."""
UNPAIRED = "delong (unpaired)"


def reported(sc: Scorecard) -> Auroc | None:
    """The scorecard's AUROC (``value, ci_low, ci_high, se``), or None when it has none."""
    auroc = sc.threshold_free.auroc if sc.threshold_free else None
    return auroc if auroc and auroc.value is not None else None


def _answered(df: pd.DataFrame, ids: list[str]) -> pd.DataFrame:
    d = df.set_index("sample_id").loc[ids]
    return d[d["error"].isna() & d["has_phi_pred"].notna() & d["has_phi_true"].notna() & d["confidence"].notna()]


def paired(a: pd.DataFrame, b: pd.DataFrame, ids: list[str], *, alpha: float = 0.05) -> Difference | None:
    """``b - a`` on the shared samples both answered with a confidence; None when either run's
    rows carry no confidence."""
    if "confidence" not in a or "confidence" not in b:
        return None
    da, db = _answered(a, ids), _answered(b, ids)
    both = da.index.intersection(db.index)
    if not len(both):
        return None
    da, db = da.loc[both].reset_index(), db.loc[both].reset_index()
    truth, score_a = phi_scores(da)
    _, score_b = phi_scores(db)
    t = delong_paired(truth, score_a, score_b, alpha=alpha)
    n = float(truth.size)
    return Difference(METRIC, t["auroc_a"], t["auroc_b"], t["difference"], t["ci_low"], t["ci_high"],
                      n, n, "none" if t["p"] is None else PERMUTED if t.get("method") == "permutation" else PAIRED,
                      t["p"])


def _se(auroc: Auroc) -> float | None:
    if auroc.se is not None:
        return float(auroc.se)
    if auroc.ci_low is None or auroc.ci_high is None:
        return None
    # a card written before ``se`` was recorded: its interval was clipped to [0, 1], so the wider
    # half is the one that was not cut
    value, lo, hi = (float(v) for v in (auroc.value, auroc.ci_low, auroc.ci_high))  # type: ignore[arg-type]
    return max(value - lo, hi - value) / float(norm.ppf(0.975))


def unpaired(a: Scorecard, b: Scorecard, *, alpha: float = 0.05) -> Difference | None:
    """``b - a`` from two scorecards' AUROCs as independent estimates; None when either has none."""
    ra, rb = reported(a), reported(b)
    if ra is None or rb is None or a.threshold_free is None or b.threshold_free is None:
        return None
    va, vb = float(ra.value), float(rb.value)  # type: ignore[arg-type]
    na, nb = float(a.threshold_free.n or 0), float(b.threshold_free.n or 0)
    sa, sb = _se(ra), _se(rb)
    if sa is None or sb is None:
        return Difference(METRIC, va, vb, vb - va, None, None, na, nb, "none", None)
    se = float(np.hypot(sa, sb))
    z = float(norm.ppf(1 - alpha / 2))
    p = (1.0 if vb == va else 0.0) if se == 0 else float(2 * norm.sf(abs(vb - va) / se))
    return Difference(METRIC, va, vb, vb - va, vb - va - z * se, vb - va + z * se, na, nb, UNPAIRED, p)
