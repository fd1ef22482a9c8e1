"""The gate's checks: one per threshold, plus one that the run itself completed.

``min`` and ``max`` hold the run's own scorecard figure (over all its samples). ``max_drop``
holds the change from the baseline: with two run directories, on their shared samples (exact
McNemar or paired bootstrap, :mod:`phibench.compare.paired`; AUROC by DeLong's paired test); with
a baseline ``scorecard.json`` alone, as two independent proportions (AUROCs). A drop beyond ``max_drop`` fails only when it is also
significant (the test of no difference, corrected over the gate's drop tests, below ``alpha``),
unless ``strict``: then any drop beyond it fails. A figure that cannot be computed fails.
"""

from __future__ import annotations

from dataclasses import dataclass

from phibench.compare import auroc
from phibench.compare.comparison import Pair, adjust, pair
from phibench.compare.metrics import METRICS
from phibench.compare.paired import Difference
from phibench.compare.runs import Run
from phibench.compare.samples import Sharing
from phibench.gate.thresholds import Settings, Threshold, higher_is_better
from phibench.records import Auroc, Estimate, Scorecard
from phibench.run import exit_status

EPS = 1e-12


@dataclass(frozen=True)
class Check:
    """One line of the gate's verdict."""

    name: str
    passed: bool
    why: str
    value: float | None = None
    baseline: float | None = None
    delta: float | None = None
    p: float | None = None
    metric: str = ""

    def line(self) -> str:
        f = lambda x, spec=".3f": "n/a" if x is None else format(x, spec)  # noqa: E731
        parts = [f"{'PASS' if self.passed else 'FAIL'}  {self.name}:"]
        if self.metric:
            parts.append(f"value {f(self.value)}, baseline {f(self.baseline)}, delta {f(self.delta, '+.3f')}, "
                         f"p {'n/a' if self.p is None else format(self.p, '.4g')} -")
        return " ".join(parts + [self.why])


TESTED = (*METRICS, auroc.METRIC)
"""Figures whose drop from a baseline has a test (the rates; AUROC by DeLong)."""


def _rate(sc: Scorecard, metric: str) -> Estimate | Auroc:
    if metric == auroc.METRIC:
        return auroc.reported(sc) or Auroc()
    return sc.metrics.get(metric) or Estimate()


def figure(sc: Scorecard, metric: str) -> float | None:
    """The scorecard's value of ``metric``: a rate's or the AUROC's value, or a top-level figure
    (``cost_per_100k_usd``, ``throughput_images_per_s``); None when it has none."""
    if metric in TESTED:
        return _rate(sc, metric).value
    v = sc.get(metric)
    return None if v is None else float(v)


def _bound(t: Threshold, cand: Run, base: Run | None) -> Check:
    v = figure(cand.scorecard, t.metric)
    b = figure(base.scorecard, t.metric) if base else None
    delta = None if v is None or b is None else v - b
    if v is None:
        return Check(t.name, False, f"{t.metric} cannot be computed for this run (no samples it applies to)",
                     None, b, None, None, t.metric)
    ok = v >= t.value - EPS if t.kind == "min" else v <= t.value + EPS
    op = (">=" if ok else "<") if t.kind == "min" else ("<=" if ok else ">")
    rate = _rate(cand.scorecard, t.metric)
    ci = f" (95% CI {rate.ci_low:.3f}-{rate.ci_high:.3f})" if rate.ci_low is not None else ""
    if t.metric == auroc.METRIC:  # over answered samples only: say how many, errors are held apart
        tf = cand.scorecard.threshold_free
        ci += f" on {tf.n if tf else None} answered of {cand.scorecard.samples} samples (hold error_rate too)"
    return Check(t.name, ok, f"{v:.4g}{ci} {op} {t.value:g}", v, b, delta, None, t.metric)


def _drop(t: Threshold, d: Difference | None, p_adj: float | None, s: Settings, cand: Run, base: Run, how: str) -> Check:
    if d is None:  # a figure without a test: compare the values themselves
        v, b = figure(cand.scorecard, t.metric), figure(base.scorecard, t.metric)
        if v is None or b is None:
            return Check(t.name, False, f"{t.metric} is missing from the run or the baseline", v, b, None, None, t.metric)
        worse = (b - v) if higher_is_better(t.metric) else (v - b)
        ok = worse <= t.value + EPS
        return Check(t.name, ok, f"{'worse' if worse > 0 else 'changed'} by {abs(worse):.4g} "
                     f"{'<=' if ok else '>'} {t.value:g} (no test for this figure)", v, b, v - b, None, t.metric)
    if d.worsening is None:
        return Check(t.name, False, f"{t.metric} cannot be computed on {how}", d.b, d.a, None, None, t.metric)
    ci = f" [{d.ci_low:+.3f}, {d.ci_high:+.3f}]" if d.ci_low is not None else ""
    test = f"{d.test}{', ' + s.correction if s.correction != 'none' else ''}"
    if d.worsening <= t.value + EPS:
        why = (f"{'dropped' if d.worsening > 0 else 'no drop'}"
               f"{f' {d.worsening:.4g}' if d.worsening > 0 else ''} <= {t.value:g}; delta{ci} on {how} ({test})")
        return Check(t.name, True, why, d.b, d.a, d.difference, p_adj, t.metric)
    significant = p_adj is not None and p_adj < s.alpha
    if s.strict or significant:
        why = (f"dropped {d.worsening:.4g} > {t.value:g}, "
               + (f"significant at alpha {s.alpha:g}" if significant else "failed by --strict (not significant)")
               + f"; delta{ci} on {how} ({test})")
        return Check(t.name, False, why, d.b, d.a, d.difference, p_adj, t.metric)
    why = (f"dropped {d.worsening:.4g} > {t.value:g} but not significant at alpha {s.alpha:g} "
           f"(--strict fails it); delta{ci} on {how} ({test})")
    return Check(t.name, True, why, d.b, d.a, d.difference, p_adj, t.metric)


def evaluate(cand: Run, base: Run | None, s: Settings, sharing: Sharing | None,
             *, resamples: int, seed: int) -> tuple[list[Check], Pair | None]:
    """Every check, in threshold order after the run-complete check, and the tested pair."""
    status, reason = exit_status(cand.scorecard.to_dict())
    checks = [Check("run complete", status == 0, reason or f"{cand.scorecard.samples} samples, all planned ones scored")]
    drops = [t for t in s.thresholds if t.kind == "max_drop"]
    rates = tuple(dict.fromkeys(t.metric for t in drops if t.metric in METRICS))
    need = base is not None and any(t.metric in TESTED for t in drops)
    tested = pair(base, cand, rates, sharing, alpha=s.alpha, resamples=resamples, seed=seed) if need else None
    tests = [tested.differences.get(t.metric) if tested and t.metric in TESTED else None for t in drops]
    adjusted = iter(adjust([d.p if d else None for d in tests], s.correction))
    how = f"{tested.shared} shared samples" if tested and tested.paired else "the two scorecards"
    by_drop = {id(t): (d, next(adjusted)) for t, d in zip(drops, tests)}
    for t in s.thresholds:
        if t.kind == "max_drop":
            assert base is not None
            d, p_adj = by_drop[id(t)]
            checks.append(_drop(t, d, p_adj, s, cand, base, how))
        else:
            checks.append(_bound(t, cand, base))
    return checks, tested
