"""The runs side by side: one row per run, the same row in ``phibench compare``, ``phibench
table`` and the ``pixels_table`` sweep's table (which shows four of its rates)."""

from __future__ import annotations

from typing import Any

from phibench.compare import auroc
from phibench.compare.runs import Run


def run_row(sc: dict[str, Any], label: str, metrics: tuple[str, ...], run_dir: str | None = None) -> dict[str, Any]:
    """A scorecard's figures for the table: each rate (with its interval), cost, throughput, and
    the AUROC (with its DeLong interval) of a detector that reports a confidence."""
    return {
        "solution": label,
        "cost_per_100k_usd": sc.get("cost_per_100k_usd"),
        **{m: sc.get("metrics", {}).get(m) for m in metrics},
        "throughput_images_per_s": sc.get("throughput_images_per_s"),
        "auroc": auroc.reported(sc),
        "samples": sc.get("samples"),
        "errors": sc.get("confusion", {}).get("errors"),
        "endpoints": sc.get("endpoints", []),
        "dataset": sc.get("dataset"),
        "run_dir": run_dir if run_dir is not None else sc.get("run_dir"),
    }


def run_rows(runs: list[Run], metrics: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every run's row, with where its figures come from and its plan fingerprint."""
    return [
        run_row(r.scorecard, r.label, metrics, str(r.path) if r.path.is_dir() else r.scorecard.get("run_dir"))
        | {"source": "run directory" if r.paired else "scorecard only", "fingerprint": r.scorecard.get("fingerprint")}
        for r in runs
    ]
