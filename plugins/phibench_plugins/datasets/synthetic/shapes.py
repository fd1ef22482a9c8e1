"""Small numpy/Pillow drawing helpers shared by the procedural backgrounds.

Everything works on ``float32`` arrays in normalised coordinates (``x`` and ``y`` from -1 to 1
across the frame), takes its randomness from a ``numpy.random.Generator`` and nothing else, so a
seed always gives the same pixels.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw


def grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Normalised coordinates ``(y, x)``, each ``(h, w)`` float32 in -1..1 (aspect kept on x)."""
    y = np.linspace(-1.0, 1.0, h, dtype=np.float32)[:, None]
    x = np.linspace(-w / h, w / h, w, dtype=np.float32)[None, :]
    return np.broadcast_to(y, (h, w)), np.broadcast_to(x, (h, w))


def ellipse(
    y: np.ndarray, x: np.ndarray, cy: float, cx: float, ry: float, rx: float,
    angle: float = 0.0, soft: float = 0.02,
) -> np.ndarray:
    """Soft-edged filled ellipse: 1 inside, 0 outside, a ramp ``soft`` wide at the edge."""
    if angle:
        c, s = np.cos(angle), np.sin(angle)
        dx, dy = x - cx, y - cy
        u, v = c * dx + s * dy, -s * dx + c * dy
    else:
        u, v = x - cx, y - cy
    d = np.sqrt((u / rx) ** 2 + (v / ry) ** 2)
    return np.clip((1.0 - d) / max(soft, 1e-3) * min(rx, ry), 0.0, 1.0).astype(np.float32)


def ring(y: np.ndarray, x: np.ndarray, cy: float, cx: float, ry: float, rx: float,
         thick: float, soft: float = 0.01) -> np.ndarray:
    """An elliptical band ``thick`` wide just inside the ellipse's outline."""
    outer = ellipse(y, x, cy, cx, ry, rx, soft=soft)
    inner = ellipse(y, x, cy, cx, ry - thick, rx - thick, soft=soft)
    return np.clip(outer - inner, 0.0, 1.0)


def smooth_noise(rng: np.random.Generator, h: int, w: int, cell: int) -> np.ndarray:
    """Band-limited noise, roughly zero mean and unit spread, with features ``cell`` px large."""
    gh, gw = max(2, h // cell + 2), max(2, w // cell + 2)
    coarse = rng.standard_normal((gh, gw), dtype=np.float32)
    img = Image.fromarray(coarse, mode="F").resize((w, h), Image.Resampling.BICUBIC)
    out = np.asarray(img, dtype=np.float32)
    return out / (float(out.std()) + 1e-6)


def blur(a: np.ndarray, passes: int = 1) -> np.ndarray:
    """Separable [1 2 1]/4 blur, ``passes`` times, on the two leading axes (edges repeated)."""
    out = a.astype(np.float32, copy=True)
    for _ in range(passes):
        p = np.pad(out, [(1, 1), (1, 1)] + [(0, 0)] * (out.ndim - 2), mode="edge")
        out = (p[:-2] + 2 * p[1:-1] + p[2:]) * 0.25
        out = (out[:, :-2] + 2 * out[:, 1:-1] + out[:, 2:]) * 0.25
    return out.astype(np.float32)


def downup_blur(a: np.ndarray, factor: int) -> np.ndarray:
    """A wide, cheap blur of a 2-D float array: shrink by ``factor`` and enlarge again."""
    h, w = a.shape
    img = Image.fromarray(a.astype(np.float32), mode="F")
    small = img.resize((max(1, w // factor), max(1, h // factor)), Image.Resampling.BILINEAR)
    return np.asarray(small.resize((w, h), Image.Resampling.BICUBIC), dtype=np.float32)


def strokes(h: int, w: int, lines: list[tuple[list[tuple[float, float]], float]]) -> np.ndarray:
    """Anti-aliased polylines ``[(points_px, width_px), ...]`` as a 0..1 float mask.

    Drawn at twice the size and shrunk, which smooths the edges.
    """
    img = Image.new("L", (w * 2, h * 2), 0)
    draw = ImageDraw.Draw(img)
    for pts, width in lines:
        scaled = [(px * 2, py * 2) for px, py in pts]
        draw.line(scaled, fill=255, width=max(1, int(round(width * 2))), joint="curve")
    small = img.resize((w, h), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32) / 255.0


def arcs(h: int, w: int, items: list[tuple[tuple[float, float, float, float], float, float, float]]
         ) -> np.ndarray:
    """Elliptical arcs ``[((x0, y0, x1, y1), start_deg, end_deg, width_px), ...]``, 0..1 mask."""
    img = Image.new("L", (w * 2, h * 2), 0)
    draw = ImageDraw.Draw(img)
    for (x0, y0, x1, y1), start, end, width in items:
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        draw.arc((x0 * 2, y0 * 2, x1 * 2, y1 * 2), start, end, fill=255,
                 width=max(1, int(round(width * 2))))
    small = img.resize((w, h), Image.Resampling.BOX)
    return np.asarray(small, dtype=np.float32) / 255.0


def random_walk_tree(
    rng: np.random.Generator, h: int, w: int, start: tuple[float, float], heading: float,
    width: float, depth: int,
) -> list[tuple[list[tuple[float, float]], float]]:
    """A branching vessel-like tree of polylines in pixel coordinates (for angiograms)."""
    out: list[tuple[list[tuple[float, float]], float]] = []
    stack = [(start, heading, width, depth)]
    step = min(h, w) / 40.0
    while stack:
        (px, py), ang, wd, dp = stack.pop()
        pts = [(px, py)]
        for _ in range(int(rng.integers(8, 18))):
            ang += float(rng.normal(0.0, 0.18))
            px += step * float(np.cos(ang))
            py += step * float(np.sin(ang))
            pts.append((px, py))
            if dp > 0 and rng.random() < 0.12:
                side = 1 if rng.random() < 0.5 else -1
                turn = side * float(rng.uniform(0.4, 0.9))
                stack.append(((px, py), ang + turn, wd * 0.7, dp - 1))
        out.append((pts, wd))
    return out
