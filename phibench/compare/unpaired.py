"""Two runs without shared per-sample results (a committed ``scorecard.json`` as baseline):
each rate's difference tested as two independent proportions from the scorecards' ``k / n``
(score test; Newcombe's hybrid score interval). Weaker than a paired test on the same samples,
and said so wherever it is used."""

from __future__ import annotations

import warnings

from statsmodels.stats.proportion import confint_proportions_2indep, test_proportions_2indep

from phibench.compare.metrics import LOWER_IS_BETTER
from phibench.compare.paired import Difference
from phibench.records import Estimate, Scorecard

TEST = "two proportions (unpaired)"


def difference(metric: str, a: Scorecard, b: Scorecard, *, alpha: float = 0.05) -> Difference:
    """``b - a`` of ``metric`` from two scorecards' rates (``value, k, n``)."""
    ra, rb = (a.metrics.get(metric) or Estimate()), (b.metrics.get(metric) or Estimate())
    ka, na, kb, nb = (float(x or 0) for r in (ra, rb) for x in (r.k, r.n))
    va, vb = ra.value, rb.value
    hib = metric not in LOWER_IS_BETTER
    if va is None or vb is None or na <= 0 or nb <= 0:
        return Difference(metric, va, vb, None, None, None, na, nb, "none", None, higher_is_better=hib)
    with warnings.catch_warnings():  # statsmodels divides by zero on rates of 0 or 1
        warnings.simplefilter("ignore", RuntimeWarning)
        lo, hi = confint_proportions_2indep(kb, nb, ka, na, method="newcomb", alpha=alpha)
        p = 1.0 if kb / nb == ka / na else float(test_proportions_2indep(kb, nb, ka, na, method="score").pvalue)
    if p != p:  # nan: both rates at the same bound
        p = 1.0
    return Difference(metric, float(va), float(vb), float(vb - va), float(lo), float(hi), na, nb,
                      TEST, p, higher_is_better=hib)
