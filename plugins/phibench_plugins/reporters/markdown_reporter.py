"""Writes ``scorecard.md``: the scorecard for people, with intervals."""

from __future__ import annotations

from pathlib import Path

from phibench import files
from phibench.records import Scorecard
from phibench.reporter import Reporter, report_settings
from phibench_plugins.reporters import cases as cases_mod
from phibench_plugins.reporters import tables



def _cell(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return "\n".join(lines)


def _case_parts(found: dict[str, list[cases_mod.Case]], most: int) -> list[str]:
    parts: list[str] = []
    for kind, heading in cases_mod.SECTIONS:
        listed = found.get(kind) or []
        if not listed:
            continue
        parts += [f"### {heading}: {len(listed)}", _table(tables.CASE_HEADER, tables.case_rows(listed[:most]))]
        if len(listed) > most:
            parts.append(f"... and {len(listed) - most} more (all are in results.parquet; "
                         "report.listed_cases sets how many are listed).")
    return ["## Misses and errors", *parts] if parts else []


def render(sc: Scorecard, found: dict[str, list[cases_mod.Case]] | None = None) -> str:
    parts = [
        f"# {tables.title(sc)}",
        "Rates are over answered, labeled samples, with 95% Wilson intervals; errors are counted "
        "apart and never as negatives (`*_fail_closed` counts them as flagged).",
        "## Confusion matrix",
        _table(("", "count"), tables.confusion_rows(sc)),
        "## Detection",
        _table(("metric", "value [95% CI]", "k/n"), tables.metric_rows(sc)),
    ]
    if sc.per_category.phi:
        parts += [
            "## Recall per PHI category",
            _table(("category", "image recall [95% CI]", "region recall [95% CI]"), tables.category_rows(sc)),
        ]
    if tables.region_rows(sc):
        parts += [
            "## Regions, all categories",
            _table(tables.REGIONS_HEADER, tables.region_rows(sc)),
        ]
    if sc.per_category.non_phi_flagged:
        parts += [
            "## Harmless text flagged as PHI (lower is better)",
            _table(("category", "share flagged [95% CI]", "k/n"), tables.non_phi_rows(sc)),
        ]
    if sc.redaction:
        parts += [
            "## Redaction",
            _table(("metric", "value [95% CI]", "k/n"), tables.redaction_rows(sc)),
            _table(("", ""), tables.redaction_run_rows(sc)),
        ]
    parts += ["## Run", _table(("", ""), tables.run_rows(sc))]
    parts += _case_parts(found or {}, report_settings(sc).listed_cases)
    if sc.provenance:
        parts += ["## Provenance", _table(("", ""), tables.provenance_rows(sc))]
    return "\n\n".join(parts) + "\n"


class MarkdownReporter(Reporter):
    def report(self, scorecard: Scorecard, run_dir: Path) -> None:
        found = cases_mod.select(cases_mod.load_rows(run_dir)) if (run_dir / "results.parquet").exists() else {}
        files.write_text(run_dir / "scorecard.md", render(scorecard, found))
