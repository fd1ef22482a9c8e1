"""A comparison of runs: the runs side by side, the samples they share, and every pair's
differences with tests corrected for multiple comparisons.

The correction (Holm by default) runs over the pairs, one family per metric: with k runs, each
metric's k(k-1)/2 pairwise tests are adjusted together, and so is the pairs' ``mcnemar_p``.
Pairs of detectors that both report a confidence also get an ``auroc`` difference (DeLong,
:mod:`phibench.compare.auroc`), a family of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from itertools import combinations
from typing import Any

from statsmodels.stats.multitest import multipletests

from phibench.compare import auroc, unpaired
from phibench.compare.metrics import DEFAULT_METRICS, Outcomes, check_names
from phibench.compare.paired import RESAMPLES, SEED, Difference, differences, mcnemar_p
from phibench.compare.runs import Run
from phibench.compare.samples import Sharing, check
from phibench.exceptions import ConfigError

SCHEMA_VERSION = "1.0"
CORRECTIONS = ("holm", "bonferroni", "sidak", "holm-sidak", "hommel", "fdr_bh", "fdr_by", "none")
ERRORS_POLICY = (
    "errors are never negatives: answered-only rates drop a sample that errored in either run, "
    "fail-closed rates count an error as a PHI answer, error_rate compares the errors"
)


@dataclass(frozen=True)
class Pair:
    """Two runs, ``a`` before ``b`` in the order given; every difference is ``b - a``."""

    a: str
    b: str
    paired: bool
    """Tested on shared samples (both runs have results); else as independent proportions."""
    shared: int | None
    mcnemar_p: float | None
    """Exact McNemar p-value of the has-PHI decision (right or wrong) on the shared samples
    both runs answered; None for an unpaired pair."""
    mcnemar_table: list[list[int]] | None
    differences: dict[str, Difference]
    mcnemar_p_adjusted: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "a": self.a, "b": self.b, "paired": self.paired, "shared": self.shared,
            "mcnemar_p": self.mcnemar_p, "mcnemar_p_adjusted": self.mcnemar_p_adjusted,
            "mcnemar_table": self.mcnemar_table,
            "differences": {m: d.as_dict() for m, d in self.differences.items()},
        }


@dataclass(frozen=True)
class Comparison:
    runs: list[Run]
    sharing: Sharing | None
    pairs: list[Pair]
    metrics: tuple[str, ...]
    correction: str
    alpha: float
    resamples: int
    seed: int
    warnings: list[str] = field(default_factory=list)


def adjust(ps: list[float | None], method: str) -> list[float | None]:
    """``ps`` corrected together by ``method`` (a statsmodels ``multipletests`` method);
    None stays None."""
    given = [p for p in ps if p is not None]
    if method == "none" or not given:
        return list(ps)
    adjusted = iter(multipletests(given, method=method)[1])
    return [None if p is None else float(next(adjusted)) for p in ps]


def check_correction(method: str) -> str:
    if method not in CORRECTIONS:
        raise ConfigError(f"unknown correction {method!r}. Corrections: {', '.join(CORRECTIONS)}")
    return method


def pair(a: Run, b: Run, metrics: tuple[str, ...], sharing: Sharing | None, *, alpha: float = 0.05,
         resamples: int = RESAMPLES, seed: int = SEED) -> Pair:
    """The differences ``b - a``: paired when both runs have results, else unpaired."""
    if a.paired and b.paired and sharing is not None:
        ids = sorted(sharing.ids)
        oa, ob = Outcomes.of(a.results, ids), Outcomes.of(b.results, ids)  # type: ignore[arg-type]
        diffs, table = differences(oa, ob, metrics, alpha=alpha, resamples=resamples, seed=seed)
        if (d := auroc.paired(a.results, b.results, ids, alpha=alpha)) is not None:  # type: ignore[arg-type]
            diffs[auroc.METRIC] = d
        return Pair(a.label, b.label, True, len(ids), mcnemar_p(table), table, diffs)
    diffs = {m: unpaired.difference(m, a.scorecard, b.scorecard, alpha=alpha) for m in metrics}
    if (d := auroc.unpaired(a.scorecard, b.scorecard, alpha=alpha)) is not None:
        diffs[auroc.METRIC] = d
    return Pair(a.label, b.label, False, None, None, None, diffs)


def compare(
    runs: list[Run], *, metrics: tuple[str, ...] = DEFAULT_METRICS, correction: str = "holm",
    alpha: float = 0.05, require_same: bool = False, resamples: int = RESAMPLES, seed: int = SEED,
) -> Comparison:
    """Compare ``runs`` (labelled, in order). Raises :class:`ConfigError` when they cannot be
    compared (fewer than two, no shared sample, labels that disagree)."""
    if len(runs) < 2:
        raise ConfigError(f"compare needs at least two runs; got {len(runs)}")
    metrics, correction = check_names(metrics), check_correction(correction)
    sharing = check(runs, require_same=require_same)
    notes = []
    if sharing is not None and not sharing.same:
        notes.append(f"the runs' samples differ: {sharing.message()}; every pair is compared on the shared ones")
    if sharing is not None and sharing.plans == "differ" and sharing.same:
        notes.append("the runs' plans record different samples or labels, though their scored samples agree")
    if lone := [r.label for r in runs if not r.paired]:
        notes.append(f"no results.parquet for {', '.join(lone)}: pairs with it are tested as independent proportions")
    pairs = [pair(a, b, metrics, sharing, alpha=alpha, resamples=resamples, seed=seed)
             for a, b in combinations(runs, 2)]
    tested = (*metrics, auroc.METRIC)
    adjusted = {m: adjust([p.differences[m].p if m in p.differences else None for p in pairs], correction)
                for m in tested}
    mc = adjust([p.mcnemar_p for p in pairs], correction)
    pairs = [
        replace(p, mcnemar_p_adjusted=mc[i],
                differences={m: replace(d, p_adjusted=adjusted[m][i]) for m, d in p.differences.items()})
        for i, p in enumerate(pairs)
    ]
    return Comparison(runs, sharing, pairs, metrics, correction, alpha, resamples, seed, notes)


def as_dict(c: Comparison) -> dict[str, Any]:
    """The comparison as JSON-ready data (``phibench compare --format json``)."""
    from phibench.compare.table import run_rows

    return {
        "schema_version": SCHEMA_VERSION,
        "metrics": list(c.metrics),
        "runs": run_rows(c.runs, c.metrics),
        "samples": c.sharing.as_dict() if c.sharing else None,
        "warnings": c.warnings,
        "difference": "b - a",
        "errors": ERRORS_POLICY,
        "correction": c.correction,
        "alpha": c.alpha,
        "bootstrap": {"resamples": c.resamples, "seed": c.seed},
        "pairs": [p.as_dict() for p in c.pairs],
    }
