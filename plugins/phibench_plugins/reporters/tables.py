"""The scorecard as rows of text, shared by the Markdown, terminal and HTML reporters.

Every function reads the typed :class:`~phibench.records.Scorecard`; rates are formatted by
:mod:`phibench.scoring.formatting`, the same in every report and table.
"""

from __future__ import annotations

from typing import Any

from phibench.records import Estimate, Scorecard
from phibench.scoring.confusion import RATE_NAMES
from phibench.scoring.formatting import money, pct


METRIC_ORDER = RATE_NAMES


def count(rate: Estimate | None) -> str:
    """``k/n`` of a rate; empty when there is none."""
    if not rate:
        return ""
    return f"{rate.k:g}/{rate.n:g}"


def title(sc: Scorecard) -> str:
    sim = " (SIMULATED endpoint: measures the pipeline, not a model)" if sc.simulated else ""
    return f"phibench scorecard: detector {sc.detector.get('name')} on dataset {sc.dataset}{sim}"


def confusion_rows(sc: Scorecard) -> list[tuple[str, str]]:
    c = sc.confusion
    return [
        ("true positives", str(c.tp)),
        ("false positives", str(c.fp)),
        ("true negatives", str(c.tn)),
        ("false negatives", str(c.fn)),
        ("errors (not scored as negatives)", f"{c.errors} ({c.errors_on_phi} on PHI, {c.errors_on_no_phi} on no-PHI)"),
        ("unlabeled", str(c.unlabeled)),
    ]


def auroc_text(sc: Scorecard) -> str:
    """The AUROC with its DeLong interval, ``0.912 [0.850, 0.974]``; empty without a confidence."""
    if sc.threshold_free is None:
        return ""
    auroc = sc.threshold_free.auroc
    ci = f" [{auroc.ci_low:.3f}, {auroc.ci_high:.3f}]" if auroc.ci_low is not None else ""
    return f"{auroc.value:.3f}{ci}"


def metric_rows(sc: Scorecard) -> list[tuple[str, str, str]]:
    rows = [(m, pct(sc.metrics[m]), count(sc.metrics[m])) for m in METRIC_ORDER if m in sc.metrics]
    tf = sc.threshold_free
    if tf:
        rows.append(("auroc (DeLong CI)", auroc_text(sc), f"n={tf.n}, {tf.distinct_scores} distinct scores"))
        rows.append(("average precision", f"{tf.average_precision:.3f}", f"n={tf.n}"))
    return rows


def category_rows(sc: Scorecard) -> list[tuple[str, str, str]]:
    return [(cat, pct(v.image_recall), pct(v.region_recall)) for cat, v in sc.per_category.phi.items()]


REGIONS_HEADER = ("", "value [95% CI]", "k/n")


def region_rows(sc: Scorecard) -> list[tuple[str, str, str]]:
    """Region recall and precision over all categories (Presidio's evaluator's two figures);
    empty when the detector reports no entities or the card predates them."""
    regions = sc.per_category.regions
    if regions is None:
        return []
    return [
        ("region recall (PHI regions located)", pct(regions.recall), count(regions.recall)),
        ("region precision (entities on a PHI region)", pct(regions.precision), count(regions.precision)),
    ]


def non_phi_rows(sc: Scorecard) -> list[tuple[str, str, str]]:
    return [(cat, pct(v), count(v)) for cat, v in sc.per_category.non_phi_flagged.items()]


def run_rows(sc: Scorecard) -> list[tuple[str, str]]:
    lat = sc.latency_s
    thr = sc.throughput_images_per_s
    rows = [
        ("samples (files)", f"{sc.samples} ({sc.files})"),
        ("throughput", "n/a" if thr is None else f"{thr:.2f} images/s"),
        ("detector latency p50 / p95", "n/a" if lat.p50 is None else f"{lat.p50:.3f} s / {lat.p95:.3f} s"),
        ("cost per 100k images", money(sc.cost_per_100k_usd)),
        ("cost basis", sc.cost_basis),
    ]
    if sc.endpoints:
        rows.append(("endpoints", ", ".join(sc.endpoints)))
    if sc.errors_by_stage:
        rows.append(("errors by stage", ", ".join(f"{k}: {v}" for k, v in sc.errors_by_stage.items())))
    return rows


REDACTION_ORDER = (
    ("phi_regions_hidden", "PHI regions hidden (covered >= 90% and unreadable on re-OCR)"),
    ("phi_regions_covered", "PHI regions covered >= 90% by the mask"),
    ("phi_regions_unreadable", "PHI regions unreadable on re-OCR of the written file"),
    ("phi_frames_masked", "frames with PHI that were masked"),
    ("negatives_retained", "frames without PHI left byte-identical (pixels_retained)"),
    ("nonphi_regions_masked", "harmless regions masked (lower is better)"),
    ("masked_area_outside_phi", "share of image masked outside PHI boxes (lower is better)"),
)


def redaction_rows(sc: Scorecard) -> list[tuple[str, str, str]]:
    """The redaction-quality metrics, when the run redacted."""
    red = sc.redaction
    if not red:
        return []
    out = []
    for key, label in REDACTION_ORDER:
        rate = red.metrics.get(key)
        counts = count(rate) if rate and rate.k is not None else f"n={rate.n if rate else 0}"
        out.append((label, pct(rate), counts))
    return out


def redaction_run_rows(sc: Scorecard) -> list[tuple[str, str]]:
    red = sc.redaction
    if not red:
        return []
    rows = [
        ("frames", ", ".join(f"{k}: {v}" for k, v in red.frames.items())),
        ("files written (failed)", f"{red.files_written} ({red.files_failed})"),
        ("redaction cost per 100k images", money(red.cost_per_100k_usd)),
    ]
    if red.errors_by_stage:
        rows.append(("redaction errors by stage", ", ".join(f"{k}: {v}" for k, v in red.errors_by_stage.items())))
    return rows


def provenance_rows(sc: Scorecard) -> list[tuple[str, str]]:
    """Provenance (scorecard 1.2): dataset fingerprint, times, hardware, plugin versions."""
    prov: Any = sc.provenance
    if not prov:
        return []
    ds = prov.get("dataset") or {}
    params = ", ".join(f"{k}={v}" for k, v in sorted((ds.get("params") or {}).items()))
    hw = prov.get("hardware") or {}
    rows = [
        ("dataset fingerprint (sha256)", str(prov.get("dataset_fingerprint") or "n/a")),
        ("fingerprint basis", str(prov.get("dataset_fingerprint_basis") or "n/a")),
        ("dataset", f"{ds.get('name', sc.dataset)} ({params})" if params else str(ds.get("name", sc.dataset))),
        ("plan fingerprint", str(sc.fingerprint or "n/a")),
        ("started / finished (UTC)", f"{prov.get('started_at') or 'n/a'} / {prov.get('finished_at') or 'n/a'}"),
    ]
    if hw:
        rows.append(("hardware (driver)", f"{hw.get('cpu_model')}, {hw.get('cores')} cores, "
                     f"{hw.get('memory_gib')} GiB, {hw.get('machine')}, {hw.get('os')}, Python {hw.get('python')}"))
    for kind, entry in (prov.get("plugins") or {}).items():
        for e in entry if isinstance(entry, list) else [entry]:
            rows.append((f"plugin {kind}", f"{e.get('name')} ({e.get('distribution')} {e.get('version')})".strip()))
    rev = (sc.versions or {}).get("git_revision")
    if rev:
        rows.append(("code revision", str(rev)))
    return rows


CASE_HEADER = ("file", "frame", "category", "stage", "message")


def case_rows(cases: list[Any]) -> list[tuple[str, str, str, str, str]]:
    """Misses and errors as table rows (:class:`~phibench_plugins.reporters.cases.Case`)."""
    return [(c.file, str(c.frame), c.categories or "-", c.stage or "-", c.message or "-") for c in cases]
