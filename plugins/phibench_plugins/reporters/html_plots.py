"""The HTML report's plots, drawn by :mod:`phibench.figures` (PNG ``data:`` URIs, nothing fetched).

Every function takes the scorecard record, or one of its sections (or the latency column), and
returns a data URI, or ``None`` when there is nothing to plot. No PHI reaches a plot: only counts,
rates and times. The shared figure helpers read a rate by its stored names, which the records
answer (:class:`~phibench.records.json_record.JsonRecord`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from phibench import figures
from phibench.figures import plt, rates, uri
from phibench.records import ConfusionCounts, Scorecard
from phibench_plugins.reporters import tables
from phibench_plugins.reporters.tables import METRIC_ORDER, REDACTION_ORDER


def confusion(c: ConfusionCounts) -> str:
    """The 2x2 matrix (truth rows, prediction columns); errors and unlabeled in the title."""
    cells = np.array([[c.tp, c.fn], [c.fp, c.tn]])
    fig, ax = plt.subplots(figsize=(4, 3.4))
    ax.imshow(cells, cmap="Blues")
    for (i, j), v in np.ndenumerate(cells):
        dark = v > cells.max() / 2
        ax.text(j, i, str(v), ha="center", va="center", fontsize=16, color="white" if dark else "black")
    ax.set_xticks([0, 1], ["flagged", "not flagged"])
    ax.set_yticks([0, 1], ["PHI", "no PHI"])
    ax.set_xlabel("prediction")
    ax.set_ylabel("truth")
    ax.set_title(f"errors: {c.errors}, unlabeled: {c.unlabeled}", fontsize=9)
    return uri(fig)


def metric_rates(sc: Scorecard) -> str | None:
    return rates([(m, sc.metrics.get(m)) for m in METRIC_ORDER], "detection rates, 95% Wilson intervals")


def category_recall(sc: Scorecard) -> str | None:
    phi = sc.per_category.phi
    return rates([(c, v.image_recall) for c, v in phi.items()], "image recall per PHI category", "recall")


def non_phi_flagged(sc: Scorecard) -> str | None:
    named = list(sc.per_category.non_phi_flagged.items())
    return rates(named, "harmless text flagged as PHI (lower is better)", "share flagged")


def redaction(sc: Scorecard) -> str | None:
    red = sc.redaction
    if not red:
        return None
    return rates([(k, red.metrics.get(k)) for k, _ in REDACTION_ORDER], "redaction quality")


def cost_vs_recall(points: list[dict[str, Any]]) -> str | None:
    """One point per detector run (this one first, highlighted): cost per 100k images vs recall."""
    return figures.cost_vs_recall(points)


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
    return uri(fig)


def curves(sc: Scorecard) -> str | None:
    """ROC and precision-recall curves, where the detector reports a confidence."""
    tf = sc.threshold_free
    if not tf:
        return None
    fig, (roc, pr) = plt.subplots(1, 2, figsize=(8, 3.4))
    roc.plot(tf.roc["fpr"], tf.roc["tpr"], drawstyle="steps-post")
    roc.plot([0, 1], [0, 1], color="grey", lw=0.8, ls=":")
    roc.set_xlabel("1 - specificity")
    roc.set_ylabel("recall")
    roc.set_title(f"ROC: AUROC {tables.auroc_text(sc)}", fontsize=9)
    pr.plot(tf.pr["recall"], tf.pr["precision"], drawstyle="steps-post")
    pr.set_xlabel("recall")
    pr.set_ylabel("precision")
    pr.set_ylim(-0.02, 1.05)
    pr.set_title(f"precision-recall: AP {tf.average_precision:.3f} "
                 f"(n={tf.n}, {tf.distinct_scores} distinct scores)", fontsize=9)
    return uri(fig)
