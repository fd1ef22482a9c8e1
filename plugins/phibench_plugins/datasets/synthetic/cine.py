"""Backgrounds of ultrasound, angiography (multi-frame), nuclear medicine and screen captures."""

from __future__ import annotations

import numpy as np

from phibench_plugins.datasets.synthetic.backgrounds import Scene, ct, mr, pick
from phibench_plugins.datasets.synthetic.shapes import (
    arcs,
    blur,
    downup_blur,
    ellipse,
    grid,
    random_walk_tree,
    smooth_noise,
    strokes,
)
from phibench_plugins.datasets.synthetic.tone import Tone, hot_iron_lut

GREY8 = dict(kind="grey", bits_stored=8, signed=False, center=128.0, width=256.0,
             burn_hi=255.0, burn_lo=0.0)


def ultrasound(rng: np.random.Generator, frames: int, colour: bool) -> Scene:
    """B-mode sector (curvilinear) or rectangle (linear probe) of speckle on black, grey bar."""
    h, w = pick(rng, [(480, 640), (480, 640), (512, 512), (512, 512), (576, 768), (600, 768)])
    curved = rng.random() < 0.7
    ay, ax = h * float(rng.uniform(0.07, 0.12)), w * float(rng.uniform(0.46, 0.54))
    depth_px = h * 0.82
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    if curved:
        r0 = depth_px * 0.12
        r = np.hypot(yy - ay + r0, xx - ax)
        theta = np.arctan2(xx - ax, yy - ay + r0)
        half = np.deg2rad(float(rng.uniform(30, 40)))
        inside = (r > r0) & (r < r0 + depth_px) & (np.abs(theta) < half)
        depth = (r - r0) / depth_px
    else:
        half_w = w * float(rng.uniform(0.24, 0.3))
        inside = (yy > ay) & (yy < ay + depth_px) & (np.abs(xx - ax) < half_w)
        depth = (yy - ay) / depth_px
    y, x = grid(h, w)
    structure = 0.55 + 0.1 * smooth_noise(rng, h, w, 32) + 0.07 * smooth_noise(rng, h, w, 9)
    for _ in range(int(rng.integers(2, 5))):  # bright fascia layers
        d0 = float(rng.uniform(0.05, 0.5))
        structure += 0.5 * np.exp(-(((depth - d0) * 60) ** 2) * (1 + 0.3 * x**2))
    cy, cx = float(rng.uniform(-0.1, 0.5)), float(rng.uniform(-0.4, 0.4))
    cyst = ellipse(y, x, cy, cx, float(rng.uniform(0.08, 0.18)), float(rng.uniform(0.1, 0.25)))
    shadow_mask = np.clip((y - cy) * 4, 0, 1) * ellipse(y, x, cy + 0.3, cx, 0.3, 0.12, soft=0.2)
    structure = structure * (1 - cyst * 0.95) + shadow_mask * 0.35
    tgc = np.exp(-1.3 * np.clip(depth, 0, 1)) * 1.5
    out = []
    for k in range(frames):
        sp = np.hypot(rng.standard_normal((h, w), dtype=np.float32),
                      rng.standard_normal((h, w), dtype=np.float32))
        sp = blur(sp, 1) * 0.9
        shift = np.roll(structure, (k * 2, k), axis=(0, 1))
        b = np.clip(shift * sp * tgc * 0.55, 0, 1) ** 0.7 * 255.0 * inside
        out.append(b.astype(np.float32))
    bar_x = int(w * 0.04) if rng.random() < 0.5 else int(w * 0.94)
    bar = np.linspace(255, 0, int(h * 0.28), dtype=np.float32)[:, None]
    tx = min(int(ax + depth_px * 0.62) if curved else int(ax + w * 0.31), w - 30)
    for img in out:
        img[int(h * 0.2):int(h * 0.2) + bar.shape[0], bar_x:bar_x + 8] = bar
        for cm in range(1, 17):  # depth ticks every centimetre beside the image
            ty = int(ay + cm * depth_px / 16.0)
            img[ty:ty + 2, tx:tx + (6 if cm % 5 == 0 else 3)] = 230.0
    reserved = [(bar_x - 2, int(h * 0.2) - 2, 12, bar.shape[0] + 4),
                (tx - 2, int(ay), 10, int(depth_px) + 4)]
    tint = pick(rng, [(1.0, 1.0, 1.0)] * 3 + [(1.0, 0.93, 0.8), (0.85, 0.92, 1.0)])
    if colour:
        t = np.array(tint, dtype=np.float32)
        out = [img[..., None] * t for img in out]
        tone = Tone("rgb", 8)
    else:
        tone = Tone(**GREY8)
    facts = {"probe": pick(rng, ["C5-1", "C1-6", "L12-5", "C5-2", "9L-D", "L11-5v"]),
             "depth_cm": 16, "px_per_cm": depth_px / 16.0, "curved": curved,
             "tick_x": tx, "reserved": reserved,
             "apex": (ax, ay), "fps": int(rng.integers(18, 45)),
             "preset": pick(rng, ["Abd", "ABD GEN", "Renal", "Thyroid", "OB 2/3", "Vasc"])}
    header = {"FrameTime": round(1000.0 / facts["fps"], 2), "FrameIncrementPointer": 0x00181063} \
        if frames > 1 else {}
    return Scene(out, tone, "ABDOMEN", str(facts["preset"]), 10.0 / facts["px_per_cm"], facts,
                 header, noise=2.0)


def angio(rng: np.random.Generator, frames: int) -> Scene:
    """Coronary/peripheral angiography run: dark contrast-filled vessels filling frame by frame."""
    h = w = 512
    y, x = grid(h, w)
    base = 185 - 35 * ellipse(y, x, 0.1, 0, 0.9, 0.7, soft=0.6) + 8 * smooth_noise(rng, h, w, 40)
    base -= 25 * np.clip(1 - np.abs(x - float(rng.uniform(-0.2, 0.2))) / 0.12, 0, 1)  # spine
    rib_arcs = [((w * 0.05, h * (0.1 + 0.12 * k), w * 0.95, h * (0.5 + 0.12 * k)), 200, 340, 8.0)
                for k in range(4)]
    base -= 14 * downup_blur(arcs(h, w, rib_arcs), 3)
    tree = random_walk_tree(rng, h, w, (w * float(rng.uniform(0.35, 0.6)), h * 0.2),
                            float(rng.uniform(0.6, 2.4)), 5.0, 4)
    vessels = downup_blur(strokes(h, w, tree), 1)
    cath = strokes(h, w, [([(w * 0.55, h * 1.0), (w * 0.52, h * 0.6), tree[0][0][0]], 2.5)])
    collimated = (x**2 + y**2) > float(rng.uniform(0.9, 1.0)) ** 2
    fill = [0.25, 0.65, 1.0, 0.85][:frames] if frames > 1 else [1.0]
    out = []
    for k in range(frames):
        v = np.roll(vessels, (k, k * 2), axis=(0, 1))
        img = base - 120 * fill[k] * v - 90 * cath
        img = img + rng.standard_normal((h, w), dtype=np.float32) * 4
        img[collimated] = 0.0
        out.append(np.clip(img, 0, 255).astype(np.float32))
    facts = {"angles": (pick(rng, ["LAO", "RAO"]), int(rng.integers(0, 45)),
                        pick(rng, ["CRA", "CAU"]), int(rng.integers(0, 35))),
             "fps": pick(rng, [7.5, 15, 15, 30]), "kvp": int(rng.integers(68, 95)),
             "ma": int(rng.integers(300, 900)), "fd": pick(rng, [20, 25, 32, 42])}
    header = {"FrameTime": round(1000.0 / facts["fps"], 2), "FrameIncrementPointer": 0x00181063,
              "PositionerPrimaryAngle": facts["angles"][1],
              "PositionerSecondaryAngle": facts["angles"][3], "KVP": facts["kvp"]}
    return Scene(out, Tone(**GREY8), "HEART", "CORONARY", 0.2, facts, header, noise=1.5)


def _skeleton(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    """Bone-scan uptake of a standing skeleton (anterior view), 0..~1.5."""
    cx = w / 2 + float(rng.uniform(-4, 4))
    y, x = grid(h, w)
    a = w / h
    nx = (np.arange(w, dtype=np.float32) - cx) / (h / 2)
    X = np.broadcast_to(nx[None, :], (h, w))
    skull = ellipse(y, X, -0.87, 0, 0.09, 0.075 * 1.0, soft=0.02)
    inner = ellipse(y, X, -0.87, 0, 0.07, 0.055, soft=0.02)
    skull = 0.5 * skull + 0.7 * np.clip(skull - inner, 0, 1)
    lines = [([(cx, h * 0.11), (cx, h * 0.47)], 9.0),  # spine
             ([(cx - w * 0.09, h * 0.56), (cx - w * 0.12, h * 0.74)], 9.0),  # femurs
             ([(cx + w * 0.09, h * 0.56), (cx + w * 0.12, h * 0.74)], 9.0),
             ([(cx - w * 0.12, h * 0.76), (cx - w * 0.12, h * 0.96)], 7.0),  # tibiae
             ([(cx + w * 0.12, h * 0.76), (cx + w * 0.12, h * 0.96)], 7.0),
             ([(cx - w * 0.2, h * 0.17), (cx - w * 0.27, h * 0.33)], 6.0),  # humeri
             ([(cx + w * 0.2, h * 0.17), (cx + w * 0.27, h * 0.33)], 6.0),
             ([(cx - w * 0.28, h * 0.35), (cx - w * 0.32, h * 0.48)], 4.5),  # forearms
             ([(cx + w * 0.28, h * 0.35), (cx + w * 0.32, h * 0.48)], 4.5),
             ([(cx - w * 0.19, h * 0.145), (cx + w * 0.19, h * 0.145)], 4.0)]  # clavicles
    mask = strokes(h, w, lines)
    vert = 0.8 + 0.2 * np.cos(y * 90.0)
    mask = mask * np.where(np.abs(X) < 0.02, vert, 1.0)
    rib = [((cx - w * 0.2, h * (0.16 + 0.028 * k), cx + w * 0.2, h * (0.24 + 0.028 * k)),
            185, 355, 2.5) for k in range(8)]
    mask = np.maximum(mask, arcs(h, w, rib) * 0.45)
    pelvis = sum(ellipse(y, X, 0.05, s * 0.1 * a * 3.0, 0.055, 0.06, angle=s * 0.5, soft=0.03)
                 for s in (-1, 1))
    mask = np.maximum(mask, 0.9 * np.clip(pelvis, 0, 1))
    for yk, xk in ((0.5, 0.12), (0.5, -0.12)):  # knees, a little hotter
        mask += 0.4 * ellipse(y, X, yk, xk * a * 3.0 * 0.33, 0.02, 0.025)
    bladder = ellipse(y, X, 0.13, 0, 0.03, 0.04)
    return downup_blur(np.maximum(mask, skull) + 1.2 * bladder, 2)


def nuclear(rng: np.random.Generator, frames: int, bits: int, palette: bool) -> Scene:
    """Whole-body bone scan (ANT/POST) or dynamic renal scan, Poisson counts."""
    y, x = grid(256, 256)
    if frames == 2 and rng.random() < 0.6:
        h, w = 768, 256
        body = strokes(h, w, [([(w / 2, h * 0.07), (w / 2, h * 0.55)], w * 0.35),
                              ([(w * 0.42, h * 0.55), (w * 0.4, h * 0.97)], w * 0.13),
                              ([(w * 0.58, h * 0.55), (w * 0.6, h * 0.97)], w * 0.13)])
        bone = _skeleton(h, w, rng)
        lam = [3 + 3 * body + 40 * bone, 3 + 3 * body + 34 * np.fliplr(bone)]
        for _ in range(int(rng.integers(0, 4))):  # metastasis-like hot spots
            sy, sx = float(rng.uniform(-0.8, 0.5)), float(rng.uniform(-0.1, 0.1))
            spot = ellipse(*grid(h, w), sy, sx, 0.015, 0.03)
            lam = [m + 120 * spot for m in lam]
        part, desc, views, win = "WHOLEBODY", "WB BONE", ["ANT", "POST"], (0.55, 1.1)
    else:
        h, w = 256, 256
        body = ellipse(y, x, 0.0, 0, 0.95, 0.7, soft=0.3)
        kidneys = sum(ellipse(y, x, -0.05, s * 0.35, 0.25, 0.13, angle=s * 0.3) for s in (-1, 1))
        bladder = ellipse(y, x, 0.75, 0, 0.12, 0.18)
        lam = [2 + 4 * body + kidneys * (30 + 60 * min(k, 2)) + bladder * 50 * k
               for k in range(frames)]
        part, desc, views = "KIDNEY", "RENAL DYN", [f"{2 * (k + 1)} min" for k in range(frames)]
        win = (0.35, 0.7)
    counts = [rng.poisson(m).astype(np.float32) for m in lam]
    top = max(float(np.percentile(c, 99.8)) for c in counts) + 1.0
    facts = {"views": views, "isotope": pick(rng, ["Tc-99m MDP", "Tc99m", "Tc-99m MAG3"]),
             "collimator": pick(rng, ["LEHR", "LEGP", "LEHS"]),
             "duration": pick(rng, [30, 60, 120])}
    header = {"FrameIncrementPointer": 0x00540020, "DetectorVector": list(range(1, frames + 1)),
              "NumberOfDetectors": frames}
    if palette:
        lut, lum = hot_iron_lut()
        frames_idx = [np.clip(c / (top * win[1]) * 245.0, 0, 245).astype(np.float32)
                      for c in counts]
        return Scene(frames_idx, Tone("palette", 8, lum=lum), part, desc, 2.4, facts, header,
                     palette=lut, noise=0.0)
    scale = 1.0 if bits == 16 else 255.0 / top
    frames_v = [c * scale for c in counts]
    c_top = top * scale
    tone = Tone("grey", bits, False, 1.0, 0.0, round(c_top * win[0]) + 1, round(c_top * win[1]) + 2,
                burn_hi=float(min(2**bits - 1, c_top * 2 + 10)), burn_lo=0.0)
    return Scene(frames_v, tone, part, desc, 2.4, facts, header, noise=0.0)


def screen_capture(rng: np.random.Generator, colour: bool) -> Scene:
    """A viewer screenshot: dark UI, a toolbar, and a CT or MR slice in a bordered viewport."""
    h, w = pick(rng, [(512, 512), (512, 512), (480, 640), (576, 768)])
    inner = ct(rng, 16, True) if rng.random() < 0.5 else mr(rng, 12)
    shown = inner.tone.level(inner.frames[0]) * 255.0
    vh = int(h * float(rng.uniform(0.7, 0.82)))
    from PIL import Image

    view = np.asarray(Image.fromarray(shown.astype(np.float32), mode="F").resize(
        (vh, vh), Image.Resampling.BILINEAR), dtype=np.float32)
    img = np.full((h, w), float(rng.uniform(18, 45)), dtype=np.float32)
    bar = int(rng.integers(20, 30))
    img[:bar] = float(rng.uniform(55, 85))
    top, left = bar + (h - bar - vh) // 2, (w - vh) // 2 + int(rng.integers(-w // 10, w // 10 + 1))
    left = int(np.clip(left, 2, w - vh - 2))
    img[top - 2:top + vh + 2, left - 2:left + vh + 2] = 140.0
    img[top:top + vh, left:left + vh] = view
    facts = dict(inner.facts, viewport=(left, top, vh, vh), toolbar=bar, inner_modality=(
        "CT" if inner.tone.intercept == -1024.0 else "MR"))
    if colour:
        rgb = np.repeat(img[..., None], 3, axis=2)
        rgb[:bar] = np.array(pick(rng, [(40, 60, 110), (60, 60, 70), (30, 80, 90)]), np.float32)
        edge = np.array(pick(rng, [(230, 200, 40), (60, 200, 90), (200, 200, 200)]), np.float32)
        rgb[top - 2:top, left - 2:left + vh + 2] = edge
        rgb[top + vh:top + vh + 2, left - 2:left + vh + 2] = edge
        return Scene([rgb], Tone("rgb", 8), inner.body_part, "SCREEN CAPTURE", 0.0, facts, {},
                     noise=0.0)
    return Scene([img], Tone(**GREY8), inner.body_part, "SCREEN CAPTURE", 0.0, facts, {}, noise=0.0)
