"""Which samples a set of runs share, and whether they agree on the ground truth.

Paired tests need the same samples on both sides: runs are joined on ``sample_id`` and every
pairwise test uses the samples all the compared runs share. Runs whose sample sets differ are
compared on that intersection with a warning (``shared N of A / B``); none shared, or a shared
sample whose label differs between runs (two label files mixed up), is refused. Sample ids are
never printed: a folder dataset's ids are file paths, which may name a patient.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import pandas as pd

from phibench.compare.runs import Run
from phibench.exceptions import ConfigError


@dataclass(frozen=True)
class Sharing:
    """The samples the runs with per-sample results have in common."""

    ids: frozenset[str]
    """Sample ids every run has (the set every paired test is computed on)."""
    per_run: tuple[int, ...]
    """Samples of each run with results, in run order."""
    plans: str
    """``identical``: every run's plan.json records the same planned samples and labels;
    ``differ``; ``unknown``: a run has no plan.json."""

    @property
    def shared(self) -> int:
        return len(self.ids)

    @property
    def same(self) -> bool:
        return all(n == self.shared for n in self.per_run)

    def message(self) -> str:
        counts = " / ".join(str(n) for n in self.per_run)
        plans = {"identical": "plans record the same samples and labels",
                 "differ": "plans record different samples or labels",
                 "unknown": "no plan.json to compare"}[self.plans]
        return f"shared {self.shared} of {counts} samples ({plans})"

    def as_dict(self) -> dict[str, object]:
        return {"shared": self.shared, "per_run": list(self.per_run), "same": self.same,
                "plans": self.plans}


def _plans(runs: list[Run]) -> str:
    digests = [((r.plan or {}).get("components") or {}).get("samples") for r in runs]
    if any(d is None for d in digests):
        return "unknown"
    return "identical" if all(d == digests[0] for d in digests) else "differ"


def _label_conflicts(a: pd.DataFrame, b: pd.DataFrame) -> int:
    m = a[["sample_id", "has_phi_true"]].merge(b[["sample_id", "has_phi_true"]], on="sample_id")
    x, y = m["has_phi_true_x"], m["has_phi_true_y"]
    return int(((x.isna() != y.isna()) | (x.notna() & y.notna() & (x != y))).sum())


def check(runs: list[Run], *, require_same: bool = False) -> Sharing | None:
    """The shared samples of the runs with results (None when fewer than two have them).

    Raises :class:`ConfigError` when they share none, when a shared sample's label differs,
    or, with ``require_same``, when their sample sets differ at all."""
    paired = [r for r in runs if r.paired]
    if len(paired) < 2:
        return None
    for a, b in combinations(paired, 2):
        assert a.results is not None and b.results is not None
        if n := _label_conflicts(a.results, b.results):
            raise ConfigError(
                f"{n} samples shared by {a.label!r} and {b.label!r} have different ground truth "
                "in the two runs: they were scored against different ground truth (two label files, "
                "or datasets generated differently under the same ids). Compare runs that used "
                "the same labels (re-run one with the other's dataset.labels, or the same dataset)."
            )
    ids = frozenset.intersection(*(frozenset(r.results["sample_id"]) for r in paired))  # type: ignore[index]
    sharing = Sharing(ids, tuple(len(r.results) for r in paired), _plans(paired))  # type: ignore[arg-type]
    if not ids:
        raise ConfigError(
            f"the runs share no sample ({sharing.message()}): a paired comparison needs runs of "
            "one dataset; compare runs of the same dataset, n and seed"
        )
    if require_same and not sharing.same:
        raise ConfigError(f"--require-same-samples: the runs' samples differ ({sharing.message()})")
    return sharing
