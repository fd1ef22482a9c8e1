"""The scorecard: every figure of a run, computed from ``results.parquet`` alone.

Because nothing else is read, a resumed, merged or re-scored run (``phibench score RUN_DIR``)
gives exactly the numbers of one uninterrupted run. The JSON shape is versioned by
:data:`SCHEMA_VERSION`; fields are only ever added within a major version. Its record, which
reporters read, is :class:`phibench.records.Scorecard` (``Scorecard.from_dict`` of the dict made
here; ``to_dict`` gives it back key for key).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from phibench.records.scorecard import SCHEMA_VERSION
from phibench.scoring.confusion import Confusion
from phibench.scoring.curves import threshold_free
from phibench.scoring.per_category import per_category
from phibench.scoring.redaction import redaction_quality
from phibench.simulated import SUFFIX as SIMULATED_SUFFIX


def _throughput(df: pd.DataFrame) -> tuple[float | None, float]:
    """Images per second over the wall time of every session that contributed rows."""
    if df.empty:
        return None, 0.0
    sessions = df.groupby("session_id")
    wall = (sessions["finished_at"].max() - sessions["session_started_at"].min()).clip(lower=0).sum()
    return (len(df) / wall if wall > 0 else None), float(wall)


def _quantiles(values: pd.Series) -> dict[str, float | None]:
    v = values.dropna().to_numpy(dtype=float)
    if v.size == 0:
        return {"p50": None, "p95": None, "mean": None}
    p50, p95 = np.percentile(v, [50, 95])
    return {"p50": float(p50), "p95": float(p95), "mean": float(v.mean())}


def build_scorecard(
    df: pd.DataFrame,
    *,
    config: dict[str, Any],
    versions: dict[str, str],
    detector: dict[str, Any],
    cost_basis: str,
    redactor: dict[str, Any] | None = None,
    price_per_core_hour_usd: float = 0.0,
) -> dict[str, Any]:
    """The scorecard of the result rows ``df`` (one row per sample), as the JSON-ready dict that
    ``scorecard.json`` holds; its keys are :class:`~phibench.records.Scorecard`'s fields, in order
    (:func:`phibench.run.report` adds the run's own, from ``fingerprint`` on)."""
    confusion = Confusion.from_results(df)
    throughput, wall_s = _throughput(df)
    endpoints = sorted({e for e in df["endpoint"].dropna() if e})
    stages = df.loc[df["error"].notna(), "error_stage"].fillna("unknown").value_counts()
    return {
        "schema_version": SCHEMA_VERSION,
        "detector": detector,
        "dataset": str(config.get("dataset", {}).get("name", "")),
        "samples": int(len(df)),
        "files": int(df["path"].nunique()),
        "endpoints": endpoints,
        "simulated": bool(detector.get("simulated", False)) or any(e.endswith(SIMULATED_SUFFIX) for e in endpoints),
        "confusion": {
            "tp": confusion.tp,
            "fp": confusion.fp,
            "tn": confusion.tn,
            "fn": confusion.fn,
            "errors": confusion.errors,
            "errors_on_phi": confusion.errors_on_phi,
            "errors_on_no_phi": confusion.errors_on_no_phi,
            "unlabeled": confusion.unlabeled,
        },
        "metrics": {name: rate.as_dict() for name, rate in confusion.rates().items()},
        "per_category": per_category(df),
        "threshold_free": threshold_free(df),
        "errors_by_stage": {str(k): int(v) for k, v in stages.items()},
        "throughput_images_per_s": throughput,
        "wall_time_s": wall_s,
        "latency_s": _quantiles(df["latency_s"]),
        "render_s": _quantiles(df["render_s"]),
        "tokens": {
            "input": int(df["input_tokens"].fillna(0).sum()),
            "output": int(df["output_tokens"].fillna(0).sum()),
        },
        "cost_per_100k_usd": float(df["cost_usd"].fillna(0).mean() * 100_000) if len(df) else None,
        "cost_basis": cost_basis,
        "redactor": redactor,
        "redaction": redaction_quality(df, price_per_core_hour_usd),
        "config": config,
        "versions": versions,
    }
