"""The runs side by side: one row per run, the same row in ``phibench compare``, ``phibench
table`` and the ``pixels_table`` sweep's table (which shows four of its rates)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from phibench.compare import auroc
from phibench.compare.runs import Run
from phibench.records import Scorecard


def _stored(rate: Any) -> dict[str, Any] | None:
    return None if rate is None else rate.to_dict()


def run_row(sc: Scorecard | Mapping[str, Any], label: str, metrics: tuple[str, ...],
            run_dir: str | None = None) -> dict[str, Any]:
    """A scorecard's figures for the table (JSON-ready: rates as their stored dicts): each rate
    (with its interval), cost, throughput, and the AUROC (with its DeLong interval) of a
    detector that reports a confidence."""
    sc = Scorecard.of(sc)
    return {
        "solution": label,
        "cost_per_100k_usd": sc.cost_per_100k_usd,
        **{m: _stored(sc.metrics.get(m)) for m in metrics},
        "throughput_images_per_s": sc.throughput_images_per_s,
        "auroc": _stored(auroc.reported(sc)),
        "samples": sc.samples,
        "errors": sc.confusion.errors,
        "endpoints": list(sc.endpoints),
        "dataset": sc.dataset,
        "run_dir": run_dir if run_dir is not None else sc.run_dir,
    }


def run_rows(runs: list[Run], metrics: tuple[str, ...]) -> list[dict[str, Any]]:
    """Every run's row, with where its figures come from and its plan fingerprint."""
    return [
        run_row(r.scorecard, r.label, metrics, str(r.path) if r.path.is_dir() else r.scorecard.run_dir)
        | {"source": "run directory" if r.paired else "scorecard only", "fingerprint": r.scorecard.fingerprint}
        for r in runs
    ]
