"""Two runs on their shared samples: each metric's difference with a paired bootstrap interval,
an exact McNemar test where the metric is a paired proportion, and a paired bootstrap test where
it is not (precision, NPV, F1).

Differences are ``b - a``: the later run minus the earlier one (the candidate minus the
baseline in a gate). The bootstrap resamples the shared samples with replacement,
``resamples`` times from a fixed seed, so the same runs always give the same interval; its
two-sided p-value is ``2 * min(P(d <= 0), P(d >= 0))`` with the usual ``+1`` correction.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from statsmodels.stats.contingency_tables import mcnemar

from phibench.compare.metrics import BINARY, LOWER_IS_BETTER, Outcomes, terms

RESAMPLES = 2000
SEED = 0
_CELLS = 2_000_000
"""Resample weights held at once (resamples x samples); bounds memory on large runs."""


@dataclass(frozen=True)
class Difference:
    """One metric of one pair of runs."""

    metric: str
    a: float | None
    b: float | None
    difference: float | None
    """``b - a``; None where either value is undefined (an empty denominator)."""
    ci_low: float | None
    ci_high: float | None
    n_a: float
    n_b: float
    """Denominators (samples the rate is over; F1: its effective count)."""
    test: str
    """``mcnemar`` (exact), ``paired bootstrap``, ``two proportions (unpaired)`` or ``none``."""
    p: float | None
    p_adjusted: float | None = None
    """``p`` after the multiple-comparison correction over the comparison's pairs."""
    discordant: tuple[int, int] | None = None
    """McNemar's off-diagonal counts: (right in a only, right in b only)."""
    higher_is_better: bool = True

    @property
    def worsening(self) -> float | None:
        """How much worse ``b`` is than ``a`` (positive: worse), whichever way is better."""
        if self.difference is None:
            return None
        return -self.difference if self.higher_is_better else self.difference

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["discordant"] = list(self.discordant) if self.discordant else None
        return d


def mcnemar_table(num_a: np.ndarray, num_b: np.ndarray, den: np.ndarray) -> list[list[int]]:
    """``[[both right, a only], [b only, neither]]`` over the samples in ``den``."""
    m = den > 0
    a, b = num_a[m] > 0, num_b[m] > 0
    return [[int((a & b).sum()), int((a & ~b).sum())], [int((~a & b).sum()), int((~a & ~b).sum())]]


def mcnemar_p(table: list[list[int]]) -> float:
    """Exact (binomial) McNemar p-value, two-sided, from statsmodels."""
    return float(mcnemar(np.array(table), exact=True).pvalue)


def _ratio(num: Any, den: Any) -> Any:
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


def bootstrap(columns: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """Column sums of ``columns`` (samples x k) under ``resamples`` multinomial resamplings."""
    n = columns.shape[0]
    rng = np.random.default_rng(seed)
    chunk = max(1, min(resamples, _CELLS // max(n, 1)))
    out = []
    for start in range(0, resamples, chunk):
        w = rng.multinomial(n, np.full(n, 1.0 / n), size=min(chunk, resamples - start))
        out.append(w.astype(float) @ columns)
    return np.vstack(out)


def _interval(d: np.ndarray, alpha: float) -> tuple[float | None, float | None, float | None]:
    """Percentile interval and two-sided p-value of bootstrap differences ``d``."""
    d = d[np.isfinite(d)]
    if d.size < 10:
        return None, None, None
    lo, hi = np.percentile(d, [100 * alpha / 2, 100 * (1 - alpha / 2)])
    tail = min((d <= 0).sum(), (d >= 0).sum())
    return float(lo), float(hi), float(min(1.0, 2 * (tail + 1) / (d.size + 1)))


def differences(
    a: Outcomes, b: Outcomes, metrics: tuple[str, ...], *, alpha: float = 0.05,
    resamples: int = RESAMPLES, seed: int = SEED,
) -> tuple[dict[str, Difference], list[list[int]]]:
    """Each metric's paired difference, and the McNemar table of the has-PHI decision
    (``accuracy``: right or wrong, on samples both runs answered)."""
    cols: list[np.ndarray] = []
    spans = []
    for m in metrics:
        na, da = terms(m, a, b)
        nb, db = terms(m, b, a)
        spans.append(len(cols))
        cols += [na, da, nb, db]
    sums = bootstrap(np.column_stack(cols), resamples, seed) if cols and len(a.truth) else None
    out: dict[str, Difference] = {}
    for m, i in zip(metrics, spans):
        na, da, nb, db = cols[i:i + 4]
        va, vb = float(_ratio(na.sum(), da.sum())), float(_ratio(nb.sum(), db.sum()))
        defined = not (np.isnan(va) or np.isnan(vb))
        diff = float(vb - va) if defined else None
        lo = hi = p_boot = None
        if sums is not None and defined:
            d = _ratio(sums[:, i + 2], sums[:, i + 3]) - _ratio(sums[:, i], sums[:, i + 1])
            lo, hi, p_boot = _interval(d, alpha)
        test, p, disc = "none", None, None
        if defined and m in BINARY:
            table = mcnemar_table(na, nb, da)
            test, p, disc = "mcnemar", mcnemar_p(table), (table[0][1], table[1][0])
        elif defined and p_boot is not None:
            test, p = "paired bootstrap", p_boot
        out[m] = Difference(
            m, None if np.isnan(va) else va, None if np.isnan(vb) else vb, diff,
            lo, hi, float(da.sum()), float(db.sum()), test, p, discordant=disc,
            higher_is_better=m not in LOWER_IS_BETTER,
        )
    na, da = terms("accuracy", a, b)
    nb, _ = terms("accuracy", b, a)
    return out, mcnemar_table(na, nb, da)
