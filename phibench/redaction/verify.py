"""Is the PHI gone? Re-read the written file, re-render its masked frames and OCR them again.

This is the residual check of MIDI-B's ``pixels_hidden``, done where the truth and the OCR engine
already are (the worker): for each ground-truth PHI region, the text OCR reads where the region
was is compared with the region's text. A region is *residual* when its text can still be read.
"""

from __future__ import annotations

from collections.abc import Sequence

from rapidfuzz import fuzz

from phibench.frame import Frame
from phibench.ocr import OcrEngine, TextBox, read_frame
from phibench.records import Sample
from phibench.records.ground_truth import TextRegion
from phibench.redaction.geometry import inside_share
from phibench.redaction.policy import normalise
from phibench.sources import open_source

READABLE = 80.0
"""rapidfuzz ``partial_ratio`` at or above which a region's text counts as still readable."""

MARGIN = 4
"""Pixels added around a region when collecting the OCR text read there."""


def still_readable(region: TextRegion, boxes: Sequence[TextBox]) -> bool:
    """Whether ``region``'s text is among what OCR read in and around its box."""
    want = normalise(region.text)
    if len(want) < 2:
        return False
    x, y, w, h = region.box
    area = (x - MARGIN, y - MARGIN, w + 2 * MARGIN, h + 2 * MARGIN)
    near = [b for b in sorted(boxes, key=lambda b: (b.box[1], b.box[0])) if inside_share(b.box, area) >= 0.3]
    got = normalise(" ".join(b.text for b in near))
    if len(got) < max(2, len(want) // 2):
        return False
    return fuzz.partial_ratio(want, got) >= READABLE


def residual_regions(
    path: str, frames: dict[int, tuple[Sample, Sequence[TextRegion]]], engine: OcrEngine
) -> dict[int, list[int]]:
    """For each frame index: indices (into its region list) of PHI regions still readable in the
    redacted file ``path``. Raises when the file cannot be read or rendered (a failed check)."""
    source = open_source(path)  # a DICOM copy, or a PNG/JPEG/TIFF/slide one in its own format
    out: dict[int, list[int]] = {}
    try:
        for index, (sample, regions) in frames.items():
            boxes = read_frame(engine, Frame(sample, source.render(index), kind=source.kind))
            out[index] = [i for i, r in enumerate(regions) if r.is_phi and still_readable(r, boxes)]
    finally:
        source.close()
    return out
