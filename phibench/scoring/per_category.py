"""Recall per PHI category, and how often each kind of harmless text is flagged.

Two views, both from ``results.parquet``:

* **image recall** — of the answered samples whose ground truth has a PHI region of category C,
  the share the detector flagged. Defined for every detector, including the baselines.
* **region recall** — of the PHI regions of category C, the share a reported entity *located*:
  its box covers at least a third of the region (or of itself), or, for entities without a box,
  its text matches the region's text despite OCR noise. Only for detectors that report entities.
  Its mirror, **non-PHI flagged**, is the share of harmless regions (laterality, technique, ...)
  that an entity landed on: lower is better, and it predicts over-redaction.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
from rapidfuzz import fuzz

from phibench.records import Entity, TextRegion
from phibench.scoring.intervals import wilson

MIN_OVERLAP = 1 / 3
MIN_TEXT_SCORE = 85.0


def _overlap(a: list[int] | tuple[int, ...], b: list[int] | tuple[int, ...]) -> float:
    """Intersection over the smaller of the two boxes (left, top, width, height)."""
    ax, ay, aw, ah = a
    bx, by, bw, bh = b
    iw = min(ax + aw, bx + bw) - max(ax, bx)
    ih = min(ay + ah, by + bh) - max(ay, by)
    if iw <= 0 or ih <= 0:
        return 0.0
    smaller = min(aw * ah, bw * bh)
    return iw * ih / smaller if smaller > 0 else 0.0


def _norm(text: str) -> str:
    return " ".join("".join(c.lower() if c.isalnum() else " " for c in text).split())


def located(
    region: TextRegion | Mapping[str, Any], entities: Iterable[Entity | Mapping[str, Any]]
) -> bool:
    """Whether any entity points at this ground-truth region (records, or their stored dicts)."""
    if not isinstance(region, TextRegion):
        region = TextRegion.from_dict(region)
    for e in entities:
        if not isinstance(e, Entity):
            e = Entity.from_dict(e)
        if e.box:
            if _overlap(region.box, e.box) >= MIN_OVERLAP:
                return True
        elif e.text and region.text:
            if fuzz.partial_ratio(_norm(e.text), _norm(region.text)) >= MIN_TEXT_SCORE:
                return True
    return False


def per_category(df: pd.DataFrame) -> dict[str, Any]:
    """Per-category figures of the answered samples that carry ground-truth regions."""
    answered = df[df["error"].isna() & df["has_phi_pred"].notna()]
    reports_entities = bool((answered["entities"].fillna("[]") != "[]").any())
    image_hits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    region_hits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    benign_hits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for truth_json, entities_json, pred in zip(
        answered["truth_regions"], answered["entities"], answered["has_phi_pred"], strict=True
    ):
        regions = TextRegion.list_from_json(truth_json)
        entities = Entity.list_from_json(entities_json)
        for cat in {r.category for r in regions if r.is_phi and r.category}:
            image_hits[cat][0] += bool(pred)
            image_hits[cat][1] += 1
        for r in regions:
            table = region_hits if r.is_phi else benign_hits
            key = r.category or "UNLABELED"
            table[key][0] += located(r, entities)
            table[key][1] += 1
    phi = {
        cat: {
            "image_recall": wilson(*image_hits[cat]).as_dict(),
            "region_recall": wilson(*region_hits[cat]).as_dict() if reports_entities else None,
        }
        for cat in sorted(image_hits)
    }
    benign = {
        cat: wilson(*benign_hits[cat], higher_is_better=False).as_dict()
        for cat in sorted(benign_hits)
    } if reports_entities else {}
    return {"phi": phi, "non_phi_flagged": benign, "detector_reports_entities": reports_entities}
