"""Composing one image's text: grouping fields into blocks and lines, placing, then degrading.

The banner (a row or two of small text along the top edge) is placed first, then blocks holding
PHI, so identifiers are never crowded out by technique text.
After all text is burned, acquisition-like noise and (for some images) a slight blur are applied
to the whole frame; the ground-truth boxes then grow by the blur's one-pixel reach.
"""

from __future__ import annotations

import re

import numpy as np

from phibench_plugins.datasets.synthetic.backgrounds import Scene
from phibench_plugins.datasets.synthetic.content import Field
from phibench_plugins.datasets.synthetic.layout import Cell, Painter, Region
from phibench_plugins.datasets.synthetic.shapes import blur

CORNERS = ("tl", "tr", "bl", "br", "tc", "bc")
SINGLES = ("lm", "rm", "at", "bar", "free", "vert")
RULER_LABEL = re.compile(r"^\d+ ?(cm|mm)$")


def _lines(p: Painter, fields: list[Field], size_factor: float, angle: float,
           slot: str) -> list[list[Cell]]:
    """Fields of a block as lines: per-frame variants share a line; some pairs share a row."""
    rng, lines = p.rng, []
    per_frame: dict[str, list[Cell]] = {}
    for f in fields:
        a = angle
        if slot == "vert":
            a = float(90 if rng.random() < 0.5 else 270)
        ink = p.ink(f, size_factor, a)
        if ink is None:
            continue
        if f.frame is not None:
            key = f.slot
            if key not in per_frame:
                per_frame[key] = []
                lines.append(per_frame[key])
            per_frame[key].append((f, ink, 0))
            continue
        prev = lines[-1] if lines else None
        if (prev and slot in ("tl", "tr", "bl", "br") and len(prev) == 1
                and prev[0][0].frame is None and angle == 0 and rng.random() < 0.2):
            gap = int(ink.height * float(rng.uniform(0.8, 1.6)))
            dx = prev[0][1].width + gap
            if dx + ink.width < p.w * 0.6:
                prev.append((f, ink, dx))
                continue
        lines.append([(f, ink, 0)])
    return lines


def compose(scene: Scene, fields: list[Field], rng: np.random.Generator) -> list[Region]:
    """Burn ``fields`` into ``scene`` (in place) and return the regions, boxes measured."""
    p = Painter(scene, rng)
    slots: dict[str, list[Field]] = {}
    for f in fields:
        slots.setdefault("tl" if f.slot == "any" else f.slot, []).append(f)
    spill: list[Field] = p.banner(slots.pop("row")) if "row" in slots else []
    order = sorted(slots, key=lambda s: (not any(f.is_phi for f in slots[s]), s in SINGLES, s))
    for slot in order:
        mode, angle, tint = p.look()
        factor = float(rng.uniform(0.85, 1.15))
        if slot in CORNERS:
            lines = _lines(p, slots[slot], factor, angle, slot)
            spill += p.stack(lines, slot, mode, tint)
            continue
        for f in slots[slot]:
            line = _lines(p, [f], factor, 0.0 if slot in ("at", "bar") else angle, slot)
            if line and not p.single(line[0], slot, mode, tint):
                spill.append(f)
    for f in spill:  # anywhere that is free, smaller if need be; labels tied to a spot are dropped
        if f.slot in ("at", "bar") or f.frame is not None:
            continue
        mode, _, tint = p.look()
        for factor in (0.9, 0.75):
            line = _lines(p, [f], factor, 0.0, "free")
            if not line or p.single(line[0], "free", mode, tint):
                break
    for region in list(p.regions):
        if region.category == "SCALE" and RULER_LABEL.match(region.text):
            p.ruler(region)
    _degrade(scene, rng, p)
    return p.regions


def _degrade(scene: Scene, rng: np.random.Generator, p: Painter) -> None:
    if scene.noise:
        for frame in scene.frames:
            frame += rng.standard_normal(frame.shape[:2], dtype=np.float32).reshape(
                frame.shape[:2] + (1,) * (frame.ndim - 2)) * scene.noise
    if scene.tone.kind == "palette" or rng.random() >= 0.3:
        return
    h, w = scene.shape
    grown = []
    for r in p.regions:
        left, top, bw, bh = r.box
        l2, t2 = max(0, left - 1), max(0, top - 1)
        r2, b2 = min(w, left + bw + 1), min(h, top + bh + 1)
        grown.append(Region((l2, t2, r2 - l2, b2 - t2), r.text, r.is_phi, r.category, r.frame))
    tone = scene.tone
    for k, frame in enumerate(scene.frames):  # a slight softening, not a smear
        soft = frame * 0.55 + blur(frame) * 0.45
        if tone.kind == "grey":
            # Around text, soften what is displayed: averaging modality values of ink with
            # far out-of-window neighbours (padding at -3024 HU) would wipe the ink out.
            for r in grown:
                if r.frame is not None and r.frame != k:
                    continue
                left, top, bw, bh = r.box
                sl = np.s_[max(0, top - 2):top + bh + 2, max(0, left - 2):left + bw + 2]
                lv = tone.level(frame[sl])
                soft[sl] = tone.values(lv * 0.55 + blur(lv) * 0.45)
        scene.frames[k] = soft
    p.regions[:] = grown
