"""Gallery thumbnails: a case's frame with its ground-truth and found boxes drawn, as JPEG URIs.

PHI is in the original pixels, so by default a case shows only what is safe to look at: the
redacted output (``redacted_path``) when the run redacted, else the boxes on a blank canvas of
the frame's size. The original frame is rendered only when the report is told to show PHI.
Frames are decoded here with :func:`phibench.sources.open_source` (the same pixels detectors
saw, DICOM or image), at most once per gallery entry; nothing is OCR'd.
"""

from __future__ import annotations

import base64
import io
import logging
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from phibench.dicom import read_header
from phibench.images import sniff
from phibench.sources import open_source
from phibench_plugins.reporters.cases import Box, Case

log = logging.getLogger(__name__)

MAX_SIDE = 512
"""Longest side of a thumbnail, in pixels (keeps the report small)."""
TRUTH_COLOUR = (0, 200, 0)
"""Ground-truth PHI regions (residual cases: the regions still readable)."""
FOUND_COLOUR = (255, 0, 200)
"""Boxes of the entities the detector found."""


@dataclass(frozen=True)
class Thumb:
    kind: str
    """``original`` (PHI), ``redacted`` or ``boxes`` (a blank canvas): the ``data-kind`` of the img."""
    uri: str
    caption: str


def _uri(image: Image.Image) -> str:
    buf = io.BytesIO()
    image.convert("RGB").save(buf, format="JPEG", quality=75)
    return "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def _draw(pixels: np.ndarray, truth: list[Box], found: list[Box]) -> Image.Image:
    img = Image.fromarray(pixels if pixels.ndim == 3 else np.repeat(pixels[:, :, None], 3, axis=2))
    scale = min(1.0, MAX_SIDE / max(img.size))
    if scale < 1.0:
        img = img.resize((max(1, round(img.width * scale)), max(1, round(img.height * scale))), Image.BILINEAR)
    draw = ImageDraw.Draw(img)
    width = max(2, round(3 * scale))
    for boxes, colour in ((truth, TRUTH_COLOUR), (found, FOUND_COLOUR)):
        for left, top, w, h in boxes:
            x0, y0 = left * scale, top * scale
            draw.rectangle([x0, y0, x0 + max(w * scale, 1), y0 + max(h * scale, 1)], outline=colour, width=width)
    return img


def _frame(path: str, frame: int) -> np.ndarray:
    source = open_source(path)
    try:
        return source.render(frame)
    finally:
        source.close()


def _size(path: str, frame: int) -> tuple[int, int]:
    """(rows, columns) of a frame: from a DICOM header alone, or the image's decoded page."""
    if sniff(path) is None:
        ds = read_header(path)
        return int(ds.Rows), int(ds.Columns)
    rows, cols = _frame(path, frame).shape[:2]
    return int(rows), int(cols)


def _canvas(case: Case) -> tuple[np.ndarray, float] | None:
    """A mid-grey frame of the file's size (from its header alone) at thumbnail size, with the
    scale its boxes must be drawn at; None when the header does not read."""
    try:
        rows, cols = _size(case.path, case.frame)
    except Exception:  # noqa: BLE001 - an unreadable file just has no canvas
        return None
    if not (0 < rows <= 65535 and 0 < cols <= 65535):
        return None
    scale = min(1.0, MAX_SIDE / max(rows, cols))  # drawn at thumbnail size: no huge canvases
    return np.full((max(1, round(rows * scale)), max(1, round(cols * scale))), 96, dtype=np.uint8), scale


def _scaled_boxes(boxes: list[Box], s: float) -> list[Box]:
    return [(round(a * s), round(b * s), max(1, round(c * s)), max(1, round(d * s))) for a, b, c, d in boxes]


def thumbs(case: Case, show_phi: bool) -> tuple[list[Thumb], str]:
    """The images of one case and a note (why an image is missing), never PHI text."""
    out: list[Thumb] = []
    notes: list[str] = []
    if show_phi:
        try:
            out.append(Thumb("original", _uri(_draw(_frame(case.path, case.frame), case.truth_boxes, case.found_boxes)),
                             "original frame (PHI)"))
        except Exception as exc:  # noqa: BLE001 - a frame that will not render is noted, not fatal
            notes.append(f"original frame not rendered ({type(exc).__name__})")
    if case.redacted_path:
        try:
            out.append(Thumb("redacted", _uri(_draw(_frame(case.redacted_path, case.frame), case.truth_boxes,
                                                    case.found_boxes)), "redacted output"))
        except Exception as exc:  # noqa: BLE001
            notes.append(f"redacted frame not rendered ({type(exc).__name__})")
    if not out:
        canvas = _canvas(case)
        if canvas is not None:
            pixels, s = canvas
            img = _draw(pixels, _scaled_boxes(case.truth_boxes, s), _scaled_boxes(case.found_boxes, s))
            out.append(Thumb("boxes", _uri(img), "boxes only (pixels hidden: report show_phi to see them)"))
        else:
            notes.append("no image: the file's header does not read")
    return out, "; ".join(notes)
