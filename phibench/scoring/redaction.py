"""Redaction quality, from ``results.parquet`` alone (the redaction columns of each row).

Per ground-truth PHI region (where the dataset has boxes):

* **covered** -- the mask covers at least :data:`HIDDEN_COVERAGE` of the region's box.
* **gone** -- its text cannot be read any more: the frame was masked and re-OCR of the written
  file (``residual_regions``) no longer reads it. A region in a frame left unmasked is *not* gone.
  Regions of masked frames that were not re-checked (``redactor.verify=false``) are left out.
* **hidden** -- covered and gone (MIDI-B's ``pixels_hidden``, per region).

Over-redaction: harmless (non-PHI) regions that the mask covers by at least
:data:`MASKED_COVERAGE`, and the share of the image masked outside any PHI box. Untouched
negatives: frames without PHI whose pixels the redactor left exactly as they were (MIDI-B's
``pixels_retained``). Proportions carry 95% Wilson intervals like the detection metrics; the area
share, a mean over frames, a 95% t interval.

**A failure counts against every metric it enters (fail closed).** A row whose redaction
``failed`` -- or that has no redaction state at all in a run that redacted (a worker that died
mid-file) -- has no redacted copy, so nothing of it was hidden and nothing of it was kept:

* its ground-truth PHI regions stay in every denominator and count as *not covered*, *not
  gone* and *not hidden* (``phi_regions_covered``/``_unreadable``/``_hidden``, per category too),
  with coverage 0 in ``mean_phi_region_coverage``. They count as checked even with
  ``verify=false``: there is no file whose PHI could be unreadable, so the answer is known;
* its PHI frame counts in ``phi_frames_masked`` as not masked;
* a failed negative counts in ``negatives_retained`` as *not* retained. Not having changed the
  pixels is not enough: no valid output was written, so the image a user would have kept is not
  there either. Counting it as retained would let a redactor that fails on every negative score
  perfectly on utility;
* its harmless regions count in ``nonphi_regions_masked`` as masked (lost with the file), for the
  same reason. ``masked_area_outside_phi`` stays a mean over written masked frames: a failed
  frame has no mask whose area could be measured (``files_failed`` and the counts above show it).

Rows whose *detection* failed but that were masked anyway (``redact_on_error``) have a real
written file and are counted like any other. Frames left unmasked on purpose
(``redact_on_error=false``, state ``untouched``) count as unmasked, also when they could not be
rendered (no image size: nothing of them is covered).
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd
from statsmodels.stats.weightstats import DescrStatsW

from phibench.records import TextRegion
from phibench.redaction.geometry import coverage, raster
from phibench.scoring.intervals import wilson

HIDDEN_COVERAGE = 0.9
MASKED_COVERAGE = 0.5
WRITTEN = ("masked", "untouched")
"""Redaction states with a valid file under ``redacted/``; any other state is a failure."""


def _boxes(text: Any) -> list[tuple[int, int, int, int]]:
    if not isinstance(text, str) or not text:
        return []
    return [tuple(int(v) for v in b) for b in json.loads(text)]  # type: ignore[misc]


def _mean_ci(values: list[float]) -> dict[str, float | None]:
    if not values:
        return {"value": None, "ci_low": None, "ci_high": None, "n": 0}
    arr = np.asarray(values, dtype=float)
    if arr.size < 2 or float(arr.std()) == 0.0:
        return {"value": float(arr.mean()), "ci_low": float(arr.mean()), "ci_high": float(arr.mean()), "n": int(arr.size)}
    low, high = DescrStatsW(arr).tconfint_mean(alpha=0.05)
    return {"value": float(arr.mean()), "ci_low": max(0.0, float(low)), "ci_high": min(1.0, float(high)), "n": int(arr.size)}


def redaction_quality(df: pd.DataFrame, price_per_core_hour_usd: float = 0.0) -> dict[str, Any] | None:
    """The scorecard's ``redaction`` section; ``None`` when the run did not redact."""
    if "redaction" not in df or df["redaction"].isna().all():
        return None
    states = df["redaction"].fillna("none").value_counts()
    failed_paths = df.loc[~df["redaction"].isin(WRITTEN), "path"].nunique()
    phi = dict(n=0, covered=0, gone=0, checked=0, hidden=0)
    by_cat: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    nonphi_n = nonphi_masked = 0
    outside_shares: list[float] = []
    coverages: list[float] = []
    for row in df.itertuples(index=False):
        failed = row.redaction not in WRITTEN
        text = row.truth_regions
        regions = TextRegion.list_from_json(text) if isinstance(text, str) else ()
        if not regions:
            continue
        sized = not failed and not (pd.isna(row.image_height) or pd.isna(row.image_width))
        h, w = (int(row.image_height), int(row.image_width)) if sized else (0, 0)
        mask = raster(_boxes(row.redaction_boxes), w, h) if sized else None
        residual = None if not isinstance(row.residual_regions, str) else set(json.loads(row.residual_regions))
        changed = not failed and bool(row.pixels_changed)
        phi_boxes = []
        for i, r in enumerate(regions):
            box = r.box
            cov = coverage(box, mask) if mask is not None else 0.0  # type: ignore[arg-type]
            if r.is_phi:
                phi_boxes.append(box)
                phi["n"] += 1
                coverages.append(min(cov, 1.0))
                covered = cov >= HIDDEN_COVERAGE
                phi["covered"] += covered
                if not changed:
                    gone = False  # unmasked, or no file at all: still readable
                elif residual is None:
                    continue
                else:
                    gone = i not in residual
                phi["checked"] += 1
                phi["gone"] += gone
                phi["hidden"] += covered and gone
                cat = r.category
                by_cat[cat][0] += covered and gone
                by_cat[cat][1] += 1
            else:
                nonphi_n += 1
                nonphi_masked += failed or cov >= MASKED_COVERAGE
        if changed and mask is not None:
            outside = mask & ~raster(phi_boxes, w, h)
            outside_shares.append(float(outside.sum()) / float(h * w))
    written = df["redaction"].isin(WRITTEN)
    changed = df["pixels_changed"].astype("boolean").fillna(False).astype(bool) & written
    negatives = df[df["has_phi_true"] == False]  # noqa: E712 - failed ones included
    positives = df[df["has_phi_true"] == True]  # noqa: E712
    retained = ~changed & written
    cpu = df["redact_cpu_s"].dropna()
    return {
        "frames": {str(k): int(v) for k, v in states.items()},
        "files_written": int(df["redacted_path"].dropna().nunique()),
        "files_failed": int(failed_paths),
        "errors_by_stage": {
            str(k): int(v) for k, v in df["redact_error_stage"].dropna().value_counts().items()
        },
        "phi_regions": phi["n"],
        "metrics": {
            "phi_regions_hidden": wilson(phi["hidden"], phi["checked"]).as_dict(),
            "phi_regions_covered": wilson(phi["covered"], phi["n"]).as_dict(),
            "phi_regions_unreadable": wilson(phi["gone"], phi["checked"]).as_dict(),
            "phi_frames_masked": wilson(int(changed[positives.index].sum()), len(positives)).as_dict(),
            "negatives_retained": wilson(int(retained[negatives.index].sum()), len(negatives)).as_dict(),
            "nonphi_regions_masked": wilson(nonphi_masked, nonphi_n, higher_is_better=False).as_dict(),
            "masked_area_outside_phi": {**_mean_ci(outside_shares), "higher_is_better": False},
        },
        "mean_phi_region_coverage": float(np.mean(coverages)) if coverages else None,
        "per_category_hidden": {
            cat: wilson(k, n).as_dict() for cat, (k, n) in sorted(by_cat.items()) if cat
        },
        "thresholds": {"hidden_coverage": HIDDEN_COVERAGE, "masked_coverage": MASKED_COVERAGE},
        "redact_s_p50": float(df["redact_s"].dropna().median()) if df["redact_s"].notna().any() else None,
        "cost_per_100k_usd": float(cpu.mean() / 3600.0 * price_per_core_hour_usd * 100_000) if len(cpu) else None,
    }
