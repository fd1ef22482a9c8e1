"""Re-reading rows of small text enlarged: where overlay text is too small for a whole-image pass.

Real overlays print names, dates and IDs in 7-12 px fonts; EasyOCR's detector merges two such
lines a few pixels apart into one box, and its recogniser (trained on lines ~64 px tall) drops or
confuses thin glyphs (``6/24`` read as ``6,24``). Enlarging the whole frame fixes both but costs
about four times the CPU (the detector's cost grows with the pixel count). Re-reading only the
*rows* that hold small text costs a fraction of that: the first pass finds where small boxes are,
each such row -- the full width of the frame, so text on that row the first pass missed entirely
is read too -- is cut out with some margin, enlarged so its text reaches a target height, read
again, and its boxes replace the first pass's boxes that lay inside the row.

The functions here are pure geometry on ``(left, top, width, height)`` boxes; the engine does the
reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median

from phibench.records.ground_truth import Box


@dataclass(frozen=True, slots=True)
class Band:
    """A horizontal strip of the frame to re-read, enlarged by ``scale``."""

    top: int
    bottom: int
    """Rows ``top`` (inclusive) to ``bottom`` (exclusive) of the frame."""

    scale: float
    """Enlargement factor for this strip."""


def small_text_bands(boxes: list[Box], height: int, min_text_height: int,
                     target_text_height: int, max_scale: float) -> list[Band]:
    """Strips around boxes shorter than ``min_text_height``, overlapping strips merged.

    Each strip extends 0.6 of its boxes' height above and below them (room for a line the first
    pass merged with its neighbour). Its scale brings the median small box to
    ``target_text_height``, at most ``max_scale``; strips that would not be enlarged are dropped.
    """
    small = [b for b in boxes if 0 < b[3] < min_text_height]
    spans: list[tuple[int, int, list[int]]] = []
    for b in sorted(small, key=lambda b: b[1]):
        pad = max(2, int(round(0.6 * b[3])))
        top, bottom = max(0, b[1] - pad), min(height, b[1] + b[3] + pad)
        if spans and top <= spans[-1][1]:
            t, btm, hs = spans[-1]
            spans[-1] = (t, max(btm, bottom), hs + [b[3]])
        else:
            spans.append((top, bottom, [b[3]]))
    # a box the first pass drew over two small lines (taller, but under twice the limit) that
    # reaches into a strip joins it, so that both lines are read apart
    grown = True
    while grown:
        grown = False
        for i, (top, bottom, hs) in enumerate(spans):
            for b in boxes:
                if min_text_height <= b[3] < 2 * min_text_height and b[1] < bottom \
                        and b[1] + b[3] > top and (b[1] < top or b[1] + b[3] > bottom):
                    top, bottom, grown = min(top, b[1]), max(bottom, b[1] + b[3]), True
            spans[i] = (top, bottom, hs)
        merged: list[tuple[int, int, list[int]]] = []
        for span in sorted(spans):
            if merged and span[0] <= merged[-1][1]:
                t, btm, hs = merged[-1]
                merged[-1] = (t, max(btm, span[1]), hs + span[2])
            else:
                merged.append(span)
        spans = merged
    bands: list[Band] = []
    for top, bottom, hs in spans:
        scale = min(max_scale, target_text_height / max(1.0, median(hs)))
        if scale > 1.05 and bottom > top:
            bands.append(Band(top, bottom, round(scale, 3)))
    return bands


def inside(box: Box, band: Band) -> bool:
    """Whether ``box`` lies within the strip's rows (one pixel of slack)."""
    return box[1] >= band.top - 1 and box[1] + box[3] <= band.bottom + 1
