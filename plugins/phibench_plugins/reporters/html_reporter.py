"""Writes ``report.html``: the run for people, in one self-contained file.

Plots (confusion matrix, rates with intervals, recall per category, harmless text flagged, cost
vs recall across detectors, latency, redaction quality) are PNG data URIs; the gallery shows the
cases that matter (false negatives, false positives, errors, residual PHI) with each ground-truth
region and each found box drawn. The page loads nothing from anywhere.

PHI: by default the gallery shows redacted output (or the boxes alone) and never text read from
an image; the original frames appear only with ``report.show_phi=true``. ``report.gallery_cases``
sets how many cases each gallery section shows. The report reads ``results.parquet`` and decodes at most the
gallery's frames: no OCR runs.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import jinja2

from phibench import files
from phibench.records import Scorecard
from phibench.reporter import Reporter, report_settings
from phibench_plugins.reporters import cases as cases_mod
from phibench_plugins.reporters import html_gallery, html_plots, tables
from phibench_plugins.reporters.html_template import TEMPLATE

log = logging.getLogger(__name__)

REPORT_FILE = "report.html"
MAX_SIBLINGS = 50
"""Other runs (``scorecard.json`` next to this run's folder) drawn on the cost-vs-recall plot."""


def show_phi(sc: Scorecard) -> bool:
    """Whether the run's config asks reports to show PHI (``report.show_phi``)."""
    return bool(report_settings(sc).show_phi)


def _point(sc: Scorecard, label: str) -> dict[str, Any]:
    return {"label": label, "recall": sc.metrics.get("recall"), "cost": sc.cost_per_100k_usd}


def _siblings(run_dir: Path) -> list[dict[str, Any]]:
    """Cost and recall of the runs in folders next to ``run_dir`` (a sweep's other jobs)."""
    out: list[dict[str, Any]] = []
    try:
        paths = sorted(run_dir.resolve().parent.glob("*/scorecard.json"))
    except OSError:
        return out
    for path in paths:
        if path.parent == run_dir.resolve() or len(out) >= MAX_SIBLINGS:
            continue
        try:
            sc = Scorecard.from_dict(json.loads(path.read_text()))
            out.append(_point(sc, str((sc.detector or {}).get("name", path.parent.name))))
        except (OSError, ValueError, TypeError, AttributeError):
            continue
    return out


class HtmlReporter(Reporter):
    def report(self, scorecard: Scorecard, run_dir: Path) -> None:
        files.write_text(run_dir / REPORT_FILE, self.render(scorecard, run_dir))

    def render(self, sc: Scorecard, run_dir: Path) -> str:
        settings = report_settings(sc)
        phi = bool(settings.show_phi)
        df = cases_mod.load_rows(run_dir)
        found = cases_mod.select(df)
        siblings = _siblings(run_dir)
        plots = {
            "confusion": html_plots.confusion(sc.confusion),
            "rates": html_plots.metric_rates(sc),
            "categories": html_plots.category_recall(sc),
            "non_phi": html_plots.non_phi_flagged(sc),
            "cost": html_plots.cost_vs_recall([_point(sc, f"{sc.detector.get('name')} (this run)"), *siblings]),
            "latency": html_plots.latency_histogram(df["latency_s"].tolist()),
            "redaction": html_plots.redaction(sc),
            "curves": html_plots.curves(sc),
        }
        sections = []
        for kind, heading in cases_mod.SECTIONS:
            listed = found.get(kind) or []
            shown = [(c, *html_gallery.thumbs(c, phi)) for c in listed[: settings.gallery_cases]]
            sections.append({"kind": kind, "heading": heading, "total": len(listed), "shown": shown})
        env = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
        return env.from_string(TEMPLATE).render(
            title=tables.title(sc).replace("phibench scorecard", "phibench report"),
            sc=sc,
            show_phi=phi,
            plots=plots,
            siblings=len(siblings),
            confusion_rows=tables.confusion_rows(sc),
            metric_rows=tables.metric_rows(sc),
            category_rows=tables.category_rows(sc) if sc.per_category.phi else [],
            non_phi_rows=tables.non_phi_rows(sc) if sc.per_category.non_phi_flagged else [],
            region_rows=tables.region_rows(sc),
            run_rows=tables.run_rows(sc),
            redaction_rows=tables.redaction_rows(sc),
            redaction_run_rows=tables.redaction_run_rows(sc),
            sections=sections,
            provenance_rows=tables.provenance_rows(sc),
            truth_colour=html_gallery.TRUTH_COLOUR,
            found_colour=html_gallery.FOUND_COLOUR,
        )
