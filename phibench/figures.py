"""Figures for the HTML pages (``report.html`` of a run, ``phibench compare --html``):
matplotlib (Agg) figures as PNG ``data:`` URIs, so a page embeds them and fetches nothing.

Every function takes figures already computed (rates with intervals, costs, curves) and returns a
data URI, or ``None`` when there is nothing to plot. No PHI reaches a plot: only counts, rates,
times and labels of runs.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after the backend is chosen
import numpy as np  # noqa: E402

DPI = 96


def uri(fig: Any) -> str:
    """``fig`` as a PNG data URI (the figure is closed)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def rates(named: list[tuple[str, dict[str, Any] | None]], title: str, xlabel: str = "rate") -> str | None:
    """Horizontal points with their 95% interval bars, one per named rate that has a value."""
    pts = [(n, r) for n, r in named if r and r.get("value") is not None]
    if not pts:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 0.38 * len(pts) + 1.0))
    y = np.arange(len(pts))[::-1]
    v = np.array([r["value"] for _, r in pts])
    lo = np.array([r["value"] if r.get("ci_low") is None else r["ci_low"] for _, r in pts])
    hi = np.array([r["value"] if r.get("ci_high") is None else r["ci_high"] for _, r in pts])
    ax.errorbar(v, y, xerr=[np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)], fmt="o", capsize=4)
    ax.set_yticks(y, [n for n, _ in pts])
    ax.set_xlim(-0.02, 1.02)
    ax.set_xlabel(xlabel)
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return uri(fig)


def cost_vs_recall(points: list[dict[str, Any]], *, highlight_first: bool = True,
                   title: str = "cost vs recall across detectors (star: this run)") -> str | None:
    """One point per run (``label``, ``recall`` rate dict, ``cost`` per 100k images), the first
    one starred when ``highlight_first``."""
    pts = [p for p in points if p.get("recall") and p["recall"].get("value") is not None and p.get("cost") is not None]
    if not pts:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 4))
    for i, p in enumerate(pts):
        r = p["recall"]
        lo, hi = r.get("ci_low", r["value"]), r.get("ci_high", r["value"])
        err = [[max(r["value"] - lo, 0)], [max(hi - r["value"], 0)]]
        star = highlight_first and i == 0
        ax.errorbar([p["cost"]], [r["value"]], yerr=err, fmt="*" if star else "o", markersize=14 if star else 6,
                    capsize=3, color="crimson" if star else None)
        ax.annotate(p["label"], (p["cost"], r["value"]), textcoords="offset points", xytext=(6, 4), fontsize=8)
    ax.set_xlabel("cost per 100k images (USD)")
    ax.set_ylabel("recall")
    ax.set_ylim(-0.02, 1.05)
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    return uri(fig)


def roc_curves(named: list[tuple[str, dict[str, Any]]]) -> str | None:
    """ROC curves of several runs on one plot (each a scorecard's ``threshold_free``), with each
    AUROC and its interval in the legend."""
    if not named:
        return None
    fig, ax = plt.subplots(figsize=(5.6, 4.6))
    for label, tf in named:
        a = tf["auroc"]
        ci = f" [{a['ci_low']:.3f}, {a['ci_high']:.3f}]" if a.get("ci_low") is not None else ""
        ax.plot(tf["roc"]["fpr"], tf["roc"]["tpr"], drawstyle="steps-post", label=f"{label}: {a['value']:.3f}{ci}")
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
    ax.set_xlabel("1 - specificity")
    ax.set_ylabel("recall")
    ax.set_title("ROC (legend: AUROC, DeLong 95% CI)", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    return uri(fig)


def differences(rows: list[tuple[str, float, float | None, float | None, bool]], title: str) -> str | None:
    """A forest plot of differences ``(label, difference, ci_low, ci_high, significant)``: a
    line at zero, significant ones in red."""
    rows = [r for r in rows if r[1] is not None]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(6.4, 0.38 * len(rows) + 1.0))
    for i, (label, d, lo, hi, sig) in enumerate(rows):
        y = len(rows) - 1 - i
        err = [[d - lo if lo is not None else 0], [hi - d if hi is not None else 0]]
        ax.errorbar([d], [y], xerr=err, fmt="o", capsize=4, color="crimson" if sig else "tab:blue")
    ax.axvline(0, color="grey", lw=0.8)
    ax.set_yticks(range(len(rows))[::-1], [r[0] for r in rows])
    ax.set_xlabel("B - A (red: significant after correction)")
    ax.set_title(title, fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return uri(fig)
