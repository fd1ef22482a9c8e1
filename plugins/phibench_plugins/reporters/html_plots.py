"""The HTML report's plots: matplotlib (Agg) figures as PNG ``data:`` URIs, nothing fetched.

Every function takes scorecard figures (or the latency column) and returns a data URI, or
``None`` when there is nothing to plot. No PHI reaches a plot: only counts, rates and times.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after the backend is chosen
import numpy as np  # noqa: E402

from phibench_plugins.reporters.tables import METRIC_ORDER, REDACTION_ORDER  # noqa: E402

DPI = 96


def _uri(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def confusion(c: dict[str, int]) -> str:
    """The 2x2 matrix (truth rows, prediction columns); errors and unlabeled in the title."""
    cells = np.array([[c["tp"], c["fn"]], [c["fp"], c["tn"]]])
    fig, ax = plt.subplots(figsize=(4, 3.4))
    ax.imshow(cells, cmap="Blues")
    for (i, j), v in np.ndenumerate(cells):
        dark = v > cells.max() / 2
        ax.text(j, i, str(v), ha="center", va="center", fontsize=16, color="white" if dark else "black")
    ax.set_xticks([0, 1], ["flagged", "not flagged"])
    ax.set_yticks([0, 1], ["PHI", "no PHI"])
    ax.set_xlabel("prediction")
    ax.set_ylabel("truth")
    ax.set_title(f"errors: {c['errors']}, unlabeled: {c['unlabeled']}", fontsize=9)
    return _uri(fig)


def rates(named: list[tuple[str, dict[str, Any] | None]], title: str, xlabel: str = "rate") -> str | None:
    """Horizontal points with their 95% interval bars, one per named rate that has a value."""
    pts = [(n, r) for n, r in named if r and r.get("value") is not None]
    if not pts:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 0.38 * len(pts) + 1.0))
    y = np.arange(len(pts))[::-1]
    v = np.array([r["value"] for _, r in pts])
    lo = np.array([r.get("ci_low", r["value"]) for _, r in pts])
    hi = np.array([r.get("ci_high", r["value"]) for _, r in pts])
    ax.errorbar(v, y, xerr=[np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)], fmt="o", capsize=4)
    ax.set_yticks(y, [n for n, _ in pts])
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return _uri(fig)


def metric_rates(sc: dict[str, Any]) -> str | None:
    return rates([(m, sc["metrics"].get(m)) for m in METRIC_ORDER], "detection rates, 95% Wilson intervals")


def category_recall(sc: dict[str, Any]) -> str | None:
    phi = sc["per_category"]["phi"]
    return rates([(c, v["image_recall"]) for c, v in phi.items()], "image recall per PHI category", "recall")


def non_phi_flagged(sc: dict[str, Any]) -> str | None:
    named = list(sc["per_category"]["non_phi_flagged"].items())
    return rates(named, "harmless text flagged as PHI (lower is better)", "share flagged")


def redaction(sc: dict[str, Any]) -> str | None:
    red = sc.get("redaction")
    if not red:
        return None
    return rates([(k, red["metrics"].get(k)) for k, _ in REDACTION_ORDER], "redaction quality")


def cost_vs_recall(points: list[dict[str, Any]]) -> str | None:
    """One point per detector run (this one first, highlighted): cost per 100k images vs recall."""
    pts = [p for p in points if p.get("recall") and p["recall"].get("value") is not None and p.get("cost") is not None]
    if not pts:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for i, p in enumerate(pts):
        r = p["recall"]
        err = [[max(r["value"] - r["ci_low"], 0)], [max(r["ci_high"] - r["value"], 0)]]
        ax.errorbar([p["cost"]], [r["value"]], yerr=err, fmt="o" if i else "*", markersize=6 if i else 14,
                    capsize=3, color=None if i else "crimson")
        ax.annotate(p["label"], (p["cost"], r["value"]), textcoords="offset points", xytext=(6, 4), fontsize=8)
    ax.set_xlabel("cost per 100k images (USD)")
    ax.set_ylabel("recall")
    ax.set_ylim(-0.02, 1.05)
    ax.set_title("cost vs recall across detectors (star: this run)", fontsize=10)
    ax.grid(alpha=0.3)
    return _uri(fig)


def latency_histogram(latency_s: Any) -> str | None:
    v = np.asarray([x for x in latency_s if x is not None and np.isfinite(x)], dtype=float)
    if v.size == 0:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 3))
    ax.hist(v, bins=min(40, max(5, v.size // 2)))
    ax.axvline(float(np.percentile(v, 50)), color="k", ls="--", lw=1, label="p50")
    ax.axvline(float(np.percentile(v, 95)), color="crimson", ls="--", lw=1, label="p95")
    ax.set_xlabel("detector latency per image (s)")
    ax.set_ylabel("images")
    ax.legend(fontsize=8)
    return _uri(fig)


def curves(sc: dict[str, Any]) -> str | None:
    """ROC and precision-recall curves, where the detector reports a confidence."""
    tf = sc.get("threshold_free")
    if not tf:
        return None
    fig, (roc, pr) = plt.subplots(1, 2, figsize=(8, 3.4))
    auroc = tf["auroc"]
    ci = (f" [{auroc['ci_low']:.3f}, {auroc['ci_high']:.3f}]" if auroc.get("ci_low") is not None else "")
    roc.plot(tf["roc"]["fpr"], tf["roc"]["tpr"], drawstyle="steps-post")
    roc.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
    roc.set_xlabel("1 - specificity")
    roc.set_ylabel("recall")
    roc.set_title(f"ROC: AUROC {auroc['value']:.3f}{ci}", fontsize=9)
    pr.plot(tf["pr"]["recall"], tf["pr"]["precision"], drawstyle="steps-post")
    pr.set_xlabel("recall")
    pr.set_ylabel("precision")
    pr.set_ylim(-0.02, 1.05)
    pr.set_title(f"precision-recall: AP {tf['average_precision']:.3f} "
                 f"(n={tf['n']}, {tf['distinct_scores']} distinct scores)", fontsize=9)
    return _uri(fig)
