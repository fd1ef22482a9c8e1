"""Box arithmetic for masks: padding, rasterising, coverage. Boxes are ``(left, top, width, height)``."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from phibench.records.ground_truth import Box


def clip(box: Box, width: int, height: int) -> Box | None:
    """``box`` clipped to a ``width`` x ``height`` image; ``None`` when nothing is left."""
    x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
    x1, y1 = min(width, int(box[0] + box[2])), min(height, int(box[1] + box[3]))
    if x1 <= x0 or y1 <= y0:
        return None
    return (x0, y0, x1 - x0, y1 - y0)


def pad(box: Box, padding: int, width: int, height: int) -> Box | None:
    """``box`` grown by ``padding`` pixels on every side, clipped to the image."""
    p = max(0, int(padding))
    return clip((box[0] - p, box[1] - p, box[2] + 2 * p, box[3] + 2 * p), width, height)


def raster(boxes: Iterable[Box], width: int, height: int) -> np.ndarray:
    """A ``(height, width)`` boolean mask, true inside any of ``boxes``."""
    mask = np.zeros((height, width), dtype=bool)
    for box in boxes:
        c = clip(box, width, height)
        if c is not None:
            mask[c[1] : c[1] + c[3], c[0] : c[0] + c[2]] = True
    return mask


def coverage(region: Box, mask: np.ndarray) -> float:
    """Share of ``region``'s area that ``mask`` covers (0 for an empty or off-image region)."""
    h, w = mask.shape
    c = clip(region, w, h)
    if c is None:
        return 0.0
    area = region[2] * region[3]
    if area <= 0:
        return 0.0
    covered = int(mask[c[1] : c[1] + c[3], c[0] : c[0] + c[2]].sum())
    return covered / float(area)


def inside_share(box: Box, other: Box) -> float:
    """Share of ``box``'s area that lies inside ``other``."""
    x0, y0 = max(box[0], other[0]), max(box[1], other[1])
    x1 = min(box[0] + box[2], other[0] + other[2])
    y1 = min(box[1] + box[3], other[1] + other[3])
    area = box[2] * box[3]
    if x1 <= x0 or y1 <= y0 or area <= 0:
        return 0.0
    return (x1 - x0) * (y1 - y0) / float(area)
