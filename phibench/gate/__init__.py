"""``phibench gate RUN --baseline BASELINE``: hold a run to thresholds, and to its baseline, in CI.

::

    thresholds.py  --min / --max / --max-drop from flags or a YAML/JSON file; alpha, strict
    checks.py      one check per threshold (significance-aware drops), plus "run complete"
    reports.py     JUnit XML and the Markdown step summary

Exit status: 0 every check passed, 1 one failed, 2 a usage error (a :class:`ConfigError`:
unknown metric, unreadable run, malformed threshold).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

from phibench.compare.paired import RESAMPLES, SEED
from phibench.compare.runs import labels, load
from phibench.compare.samples import check as check_sharing
from phibench.exceptions import ConfigError
from phibench.gate.checks import Check, evaluate
from phibench.gate.reports import append_summary, junit, summary, write_junit
from phibench.gate.thresholds import NAMES, Settings, Threshold, default_drops, parse_assignment, settings

__all__ = ["NAMES", "Check", "Result", "Settings", "Threshold", "gate", "parse_assignment", "settings"]


@dataclass(frozen=True)
class Result:
    checks: list[Check]
    notes: list[str]
    title: str

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def status(self) -> int:
        return 0 if self.passed else 1


def gate(run: str | Path, baseline: str | Path | None, s: Settings, *, junit_path: Path | None = None,
         summary_path: Path | None = None, resamples: int = RESAMPLES, seed: int = SEED) -> Result:
    """Check ``run`` (a run directory or scorecard.json) and write the reports asked for."""
    cand = load(run)
    base = load(baseline) if baseline is not None else None
    if base is None and any(t.kind == "max_drop" for t in s.thresholds):
        raise ConfigError("--max-drop needs --baseline (a run directory or a scorecard.json)")
    if base is None and not s.thresholds:
        raise ConfigError("nothing to check: pass --baseline, or thresholds (--min, --max, --thresholds FILE)")
    if base is not None:
        s = default_drops(s)
        names = labels([base.scorecard, cand.scorecard])
        base, cand = replace(base, label=f"baseline {names[0]}"), replace(cand, label=names[1])
    sharing = check_sharing([base, cand]) if base is not None else None
    notes = list(s.notes)
    if base is not None:
        if sharing is not None:
            notes.append(f"paired on shared samples: {sharing.message()}")
            if not sharing.same:
                notes.append("the run and the baseline have different samples; drops are tested on the shared ones")
        else:
            notes.append("baseline or run without results.parquet: drops tested as two independent proportions")
    checks, _ = evaluate(cand, base, s, sharing, resamples=resamples, seed=seed)
    title = f"{cand.label or cand.path}" + (f" vs {base.label}" if base else "")
    result = Result(checks, notes, title)
    if junit_path is not None:
        write_junit(junit_path, junit(checks, title, notes))
    if summary_path is not None:
        append_summary(summary_path, summary(checks, title, notes))
    return result
