"""Cross-sectional and projection anatomy, painted with caller-chosen tissue values.

``body_slice`` and ``head_slice`` return a float32 image where each tissue carries the value the
caller gives (Hounsfield units for CT, signal for MR), so CT and MR share the geometry.
``chest_projection`` returns X-ray attenuation 0..1 (0 = direct exposure).
"""

from __future__ import annotations

import numpy as np

from phibench_plugins.datasets.synthetic.shapes import (
    arcs,
    downup_blur,
    ellipse,
    grid,
    random_walk_tree,
    ring,
    smooth_noise,
    strokes,
)


def _paint(img: np.ndarray, mask: np.ndarray, value: float | np.ndarray) -> np.ndarray:
    return img * (1.0 - mask) + mask * value


def body_slice(rng: np.random.Generator, h: int, w: int, v: dict[str, float],
               chest: bool) -> np.ndarray:
    """Axial trunk slice: skin, fat, muscle, lungs or abdominal organs, spine, ribs, table."""
    y, x = grid(h, w)
    tex = smooth_noise(rng, h, w, max(6, h // 40))
    ry, rx = float(rng.uniform(0.55, 0.68)), float(rng.uniform(0.78, 0.92))
    cy = float(rng.uniform(-0.08, 0.02))
    img = np.full((h, w), v["air"], dtype=np.float32)
    img = _paint(img, ellipse(y, x, cy, 0, ry, rx), v["fat"] + tex * v["tex"])
    inner = ellipse(y, x, cy + 0.01, 0, ry * 0.88, rx * 0.9, soft=0.03)
    img = _paint(img, inner, v["soft"] + tex * v["tex"])
    # table below the patient
    table = ellipse(y, x, cy + ry + 0.75, 0, 0.68, rx * 1.6, soft=0.01)
    table -= ellipse(y, x, cy + ry + 0.75, 0, 0.64, rx * 1.6, soft=0.01)
    img = _paint(img, np.clip(table, 0, 1), v["table"])
    if chest:
        for side in (-1, 1):
            lung = ellipse(y, x, cy - 0.04, side * rx * 0.42, ry * 0.7, rx * 0.3,
                           angle=side * 0.15, soft=0.03)
            vessels = np.clip(smooth_noise(rng, h, w, max(3, h // 120)) - 1.6, 0, 1)
            img = _paint(img, lung, v["lung"] + tex * v["tex"] * 2 + vessels * v["vessel_in_lung"])
        img = _paint(img, ellipse(y, x, cy + 0.02, rx * 0.1, ry * 0.38, rx * 0.28, angle=0.5),
                     v["heart"] + tex * v["tex"])
    else:
        img = _paint(img, ellipse(y, x, cy - 0.05, -rx * 0.35, ry * 0.6, rx * 0.42, angle=-0.3),
                     v["liver"] + tex * v["tex"])
        for side in (-1, 1):
            img = _paint(img, ellipse(y, x, cy + ry * 0.35, side * rx * 0.3, ry * 0.16, rx * 0.1,
                                      angle=side * 0.6), v["kidney"])
        for _ in range(int(rng.integers(3, 9))):
            gy, gx = float(rng.uniform(-0.3, 0.3)), float(rng.uniform(-0.2, 0.5))
            r = float(rng.uniform(0.02, 0.06))
            img = _paint(img, ellipse(y, x, cy + gy * ry, gx * rx, r, r * 1.3), v["gas"])
    # aorta, spine and ribs
    img = _paint(img, ellipse(y, x, cy + ry * 0.45, -rx * 0.08, 0.05, 0.05), v["vessel"])
    sy = cy + ry * 0.7
    img = _paint(img, ellipse(y, x, sy, 0, 0.11, 0.1), v["cortex"])
    img = _paint(img, ellipse(y, x, sy, 0, 0.085, 0.08), v["marrow"] + tex * v["tex"])
    img = _paint(img, ellipse(y, x, sy + 0.16, 0, 0.04, 0.035), v["soft"])
    img = _paint(img, ring(y, x, sy + 0.16, 0, 0.07, 0.065, 0.02), v["cortex"])
    n_ribs = int(rng.integers(5, 9)) if chest else int(rng.integers(2, 5))
    for k in range(n_ribs):
        for side in (-1, 1):
            a = np.pi * (0.15 + 0.7 * (k + 0.5) / n_ribs)
            py, px = cy + np.sin(a) * ry * 0.84, side * np.cos(a) * rx * 0.86
            img = _paint(img, ellipse(y, x, py, px, 0.025, 0.045, angle=side * (a - np.pi / 2)),
                         v["cortex"])
    return img


def head_slice(rng: np.random.Generator, h: int, w: int, v: dict[str, float]) -> np.ndarray:
    """Axial brain slice: scalp, skull, cortex with sulci, white matter, ventricles, falx."""
    y, x = grid(h, w)
    ry, rx = float(rng.uniform(0.8, 0.9)), float(rng.uniform(0.62, 0.72))
    cy = float(rng.uniform(-0.05, 0.05))
    img = np.full((h, w), v["air"], dtype=np.float32)
    img = _paint(img, ellipse(y, x, cy, 0, ry, rx, soft=0.01), v["scalp"])
    img = _paint(img, ellipse(y, x, cy, 0, ry - 0.03, rx - 0.03, soft=0.01), v["skull"])
    img = _paint(img, ellipse(y, x, cy, 0, ry - 0.085, rx - 0.085, soft=0.01), v["csf"])
    n1 = smooth_noise(rng, h, w, max(4, h // 28))
    n2 = smooth_noise(rng, h, w, max(6, h // 14))
    cortex = ellipse(y, x, cy, 0, ry - 0.1, rx - 0.1, soft=0.01)
    img = _paint(img, cortex, v["grey"] + n2 * v["tex"])
    d = np.sqrt((x / (rx * 0.8)) ** 2 + ((y - cy) / (ry * 0.82)) ** 2) + 0.1 * n2
    white = np.clip((0.8 - d) * 10.0, 0.0, 1.0)
    sulci = np.clip(1.0 - np.abs(n1) / 0.16, 0.0, 1.0) * cortex * (1.0 - white)
    img = _paint(img, sulci * 0.85, v["csf"])
    img = _paint(img, white * (1.0 - sulci), v["white"] + n2 * v["tex"] * 0.5)
    falx = np.clip(1.0 - np.abs(x) / 0.012, 0, 1) * (np.abs(y - cy) > ry * 0.42) * cortex
    img = _paint(img, falx, v["csf"])
    for side in (-1, 1):
        vent = ellipse(y, x, cy - 0.08, side * 0.08, 0.2, 0.045, angle=side * 0.3, soft=0.03)
        vent += ellipse(y, x, cy + 0.16, side * 0.13, 0.07, 0.035, angle=-side * 0.5, soft=0.03)
        img = _paint(img, np.clip(vent, 0, 1), v["csf"])
    return img


def chest_projection(rng: np.random.Generator, h: int, w: int) -> np.ndarray:
    """PA/AP chest radiograph as attenuation 0..1: torso, lungs, vessels, heart, spine, ribs."""
    y, x = grid(h, w)
    a = w / h
    tex = smooth_noise(rng, h, w, max(16, h // 12))
    shoulder = float(rng.uniform(-0.78, -0.66))
    trunk = ellipse(y, x, 0.45, 0, 1.3, a * float(rng.uniform(0.78, 0.9)), soft=0.06)
    trunk *= np.clip((y - shoulder) * 8.0, 0, 1)
    neck = np.clip(1 - np.abs(x) / (a * 0.2), 0, 1) ** 0.3 * (y < shoulder + 0.2) * 0.75
    arms = np.clip((np.abs(x) - a * 0.8) * 12.0, 0, 1) * np.clip((y + 0.9) * 4, 0, 1) * 0.85
    body = np.clip(trunk + neck + arms, 0, 1)
    att = body * (0.48 + 0.015 * tex)
    lungs = np.zeros((h, w), np.float32)
    dome = float(rng.uniform(0.45, 0.6))
    for side in (-1, 1):
        lung = ellipse(y, x, 0.02, side * a * 0.33, 0.66, a * 0.23, angle=-side * 0.1, soft=0.1)
        lung *= 1.0 - ellipse(y, x, dome + 0.45, side * a * 0.3, 0.42, a * 0.32, soft=0.1)
        lungs = np.maximum(lungs, lung)
    att -= lungs * (0.3 + 0.02 * smooth_noise(rng, h, w, max(8, h // 40)))
    tree = []
    for side in (-1, 1):
        for _ in range(3):
            tree += random_walk_tree(rng, h, w, (w * (0.5 + side * 0.1), h * 0.42),
                                     float(np.pi / 2 - side * rng.uniform(0.6, 2.2)), 2.5, 2)
    att += downup_blur(strokes(h, w, tree), 2) * lungs * 0.07
    heart = ellipse(y, x, 0.3, a * 0.1, 0.3, a * 0.27, angle=0.3, soft=0.2)
    att += heart * (1 - 0.6 * lungs) * 0.14
    spine = np.clip(1 - np.abs(x) / (a * 0.07), 0, 1) ** 0.5 * trunk
    att += spine * 0.1 * (1 - 0.3 * lungs)
    levels = (np.floor((y + 1.0) * 14.0) % 2).astype(np.float32)  # vertebral bodies and discs
    att += spine * levels * 0.03
    att += np.clip((y - dome - 0.05) * 4, 0, 1) * trunk * 0.12  # below the diaphragm
    rib_items = []
    for k in range(int(rng.integers(9, 12))):
        yy = h * (0.1 + 0.066 * k)
        for side in (-1, 1):
            rw, rh = w * float(rng.uniform(0.34, 0.4)), h * float(rng.uniform(0.26, 0.34))
            cx = w / 2
            box = (cx - rw, yy, cx + rw, yy + 2 * rh)
            rib_items.append((box, (195, 268) if side < 0 else (272, 345), h * 0.011))
    ribs = downup_blur(arcs(h, w, [(b, s, e, wd) for b, (s, e), wd in rib_items]), 2)
    att += ribs * np.clip(downup_blur(lungs, 8) * 1.6, 0, 1) * 0.1
    clav = arcs(h, w, [((w * 0.14, h * 0.14, w * 0.52, h * 0.34), 200, 320, h * 0.016),
                       ((w * 0.48, h * 0.14, w * 0.86, h * 0.34), 220, 340, h * 0.016)])
    att += downup_blur(clav, 2) * body * 0.12
    heel = np.linspace(0.97, 1.03, h, dtype=np.float32)[:, None]
    return np.clip(att * heel, 0.0, 1.0).astype(np.float32)
