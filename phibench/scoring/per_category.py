"""Recall per PHI category, and how often each kind of harmless text is flagged.

Two views, both from ``results.parquet``:

* **image recall** — of the answered samples whose ground truth has a PHI region of category C,
  the share the detector flagged. Defined for every detector, including the baselines.
* **region recall** — of the PHI regions of category C, the share a reported entity *located*:
  its box covers at least a third of the region (or of itself), or, for entities without a box,
  its text matches the region's text despite OCR noise. Only for detectors that report entities.
  Its mirror, **non-PHI flagged**, is the share of harmless regions (laterality, technique, ...)
  that an entity landed on: lower is better, and it predicts over-redaction.
* **region recall and precision, overall** (``regions``) — what Presidio's DICOM evaluator
  reports: of all PHI regions, the share located (recall); of all reported entities, the share
  that *land* on a PHI region by the same rule (precision). Precision counts the entities of
  samples whose PHI is fully boxed: those with regions, and those labelled ``has_phi`` false (an
  entity there is a false positive); a sample labelled PHI without regions is left out, having
  no boxes to check against. Every entity counts, so two on one word are two true positives
  (Presidio removes such duplicates first).
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


def lands(entity: Entity, regions: Iterable[TextRegion]) -> bool:
    """Whether ``entity`` points at one of ``regions`` (:func:`located`'s rule, turned round)."""
    return any(located(r, (entity,)) for r in regions)


def per_category(df: pd.DataFrame) -> dict[str, Any]:
    """Per-category figures of the answered samples that carry ground-truth regions, and the
    region figures over all categories (``regions``)."""
    answered = df[df["error"].isna() & df["has_phi_pred"].notna()]
    reports_entities = bool((answered["entities"].fillna("[]") != "[]").any())
    image_hits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    region_hits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    benign_hits: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    entity_hits = [0, 0]
    truth = answered["has_phi_true"] if "has_phi_true" in answered else [None] * len(answered)
    for truth_json, entities_json, pred, has_phi in zip(
        answered["truth_regions"], answered["entities"], answered["has_phi_pred"], truth,
        strict=True,
    ):
        regions = TextRegion.list_from_json(truth_json)
        entities = Entity.list_from_json(entities_json)
        if entities and (regions or (pd.notna(has_phi) and not has_phi)):
            phi = [r for r in regions if r.is_phi]
            entity_hits[0] += sum(lands(e, phi) for e in entities)
            entity_hits[1] += len(entities)
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
    located_phi = sum(k for k, _ in region_hits.values())
    phi_regions = sum(n for _, n in region_hits.values())
    overall = {
        "recall": wilson(located_phi, phi_regions).as_dict(),
        "precision": wilson(*entity_hits).as_dict(),
    } if reports_entities else None
    return {"phi": phi, "non_phi_flagged": benign, "detector_reports_entities": reports_entities,
            "regions": overall}
