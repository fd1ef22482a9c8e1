"""Rates with 95% Wilson score intervals (statsmodels), the interval of choice for proportions
near 0 or 1 and small samples, where the normal approximation collapses to a zero-width band."""

from __future__ import annotations

from dataclasses import dataclass

from statsmodels.stats.proportion import proportion_confint

ALPHA = 0.05


@dataclass(frozen=True)
class Rate:
    """A proportion ``k / n`` with its interval. ``value`` is None when ``n`` is 0."""

    value: float | None
    ci_low: float | None
    ci_high: float | None
    k: float
    n: float
    higher_is_better: bool = True

    def as_dict(self) -> dict[str, float | bool | None]:
        return {
            "value": self.value,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "k": self.k,
            "n": self.n,
            "higher_is_better": self.higher_is_better,
        }


def wilson(k: float, n: float, *, higher_is_better: bool = True) -> Rate:
    """``k`` successes out of ``n`` with a 95% Wilson score interval."""
    if n <= 0:
        return Rate(None, None, None, k, n, higher_is_better)
    low, high = proportion_confint(k, n, alpha=ALPHA, method="wilson")
    return Rate(k / n, float(low), float(high), k, n, higher_is_better)
