"""The scorecard as rows of text, shared by the Markdown and terminal reporters."""

from __future__ import annotations

from typing import Any

from phibench.scoring.formatting import money, pct


METRIC_ORDER = (
    "recall", "precision", "specificity", "npv", "accuracy", "f1",
    "recall_fail_closed", "specificity_fail_closed", "coverage", "error_rate",
)


def count(rate: dict[str, Any] | None) -> str:
    if not rate:
        return ""
    return f"{rate['k']:g}/{rate['n']:g}"


def title(sc: dict[str, Any]) -> str:
    sim = " (SIMULATED endpoint: measures the pipeline, not a model)" if sc.get("simulated") else ""
    return f"phibench scorecard: detector {sc['detector'].get('name')} on dataset {sc['dataset']}{sim}"


def confusion_rows(sc: dict[str, Any]) -> list[tuple[str, str]]:
    c = sc["confusion"]
    return [
        ("true positives", str(c["tp"])),
        ("false positives", str(c["fp"])),
        ("true negatives", str(c["tn"])),
        ("false negatives", str(c["fn"])),
        ("errors (not scored as negatives)", f"{c['errors']} ({c['errors_on_phi']} on PHI, {c['errors_on_no_phi']} on no-PHI)"),
        ("unlabeled", str(c["unlabeled"])),
    ]


def metric_rows(sc: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(m, pct(sc["metrics"][m]), count(sc["metrics"][m])) for m in METRIC_ORDER if m in sc["metrics"]]


def category_rows(sc: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (cat, pct(v["image_recall"]), pct(v["region_recall"]))
        for cat, v in sc["per_category"]["phi"].items()
    ]


def non_phi_rows(sc: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(cat, pct(v), count(v)) for cat, v in sc["per_category"]["non_phi_flagged"].items()]


def run_rows(sc: dict[str, Any]) -> list[tuple[str, str]]:
    lat = sc["latency_s"]
    thr = sc["throughput_images_per_s"]
    rows = [
        ("samples (files)", f"{sc['samples']} ({sc['files']})"),
        ("throughput", "n/a" if thr is None else f"{thr:.2f} images/s"),
        ("detector latency p50 / p95", "n/a" if lat["p50"] is None else f"{lat['p50']:.3f} s / {lat['p95']:.3f} s"),
        ("cost per 100k images", money(sc["cost_per_100k_usd"])),
        ("cost basis", sc["cost_basis"]),
    ]
    if sc.get("endpoints"):
        rows.append(("endpoints", ", ".join(sc["endpoints"])))
    if sc.get("errors_by_stage"):
        rows.append(("errors by stage", ", ".join(f"{k}: {v}" for k, v in sc["errors_by_stage"].items())))
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


def redaction_rows(sc: dict[str, Any]) -> list[tuple[str, str, str]]:
    """The redaction-quality metrics, when the run redacted."""
    red = sc.get("redaction")
    if not red:
        return []
    out = []
    for key, label in REDACTION_ORDER:
        rate = red["metrics"].get(key)
        out.append((label, pct(rate), count(rate) if rate and "k" in rate else f"n={rate.get('n', 0) if rate else 0}"))
    return out


def redaction_run_rows(sc: dict[str, Any]) -> list[tuple[str, str]]:
    red = sc.get("redaction")
    if not red:
        return []
    rows = [
        ("frames", ", ".join(f"{k}: {v}" for k, v in red["frames"].items())),
        ("files written (failed)", f"{red['files_written']} ({red['files_failed']})"),
        ("redaction cost per 100k images", money(red.get("cost_per_100k_usd"))),
    ]
    if red.get("errors_by_stage"):
        rows.append(("redaction errors by stage", ", ".join(f"{k}: {v}" for k, v in red["errors_by_stage"].items())))
    return rows
