"""OCR engines, shared by detectors and redactors, and the per-frame cache of what they read.

An engine loads its model once per worker (:func:`engine`, through :mod:`phibench.worker`); a
frame is read once per engine configuration (:func:`read_frame`), however many stages ask.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

import numpy as np

from phibench.exceptions import SampleFailure
from phibench.frame import Frame
from phibench.plugin import Plugin
from phibench.records.ground_truth import Box
from phibench.specs import PluginSpec


@dataclass(frozen=True, slots=True)
class TextBox:
    """One piece of text an OCR engine read."""

    box: Box
    """(left, top, width, height) in pixels of the frame given to the engine."""

    text: str
    """What was read. May be PHI: never log it."""

    confidence: float
    """The engine's confidence, 0..1."""


class OcrEngine(Plugin):
    """Reads the text in an image. Load the model in ``setup()``; it runs once per worker."""

    kind: ClassVar[str] = "ocr"

    name: str = ""
    """Registered name; set by :func:`engine` (used in messages)."""

    def read(self, image: np.ndarray) -> list[TextBox]:
        """Text boxes in ``image`` (``uint8``, greyscale ``(H, W)`` or RGB ``(H, W, 3)``)."""
        raise NotImplementedError

    @property
    def cache_key(self) -> str:
        """Identifies this engine *and its parameters*: equal keys read a frame identically."""
        params = self.params
        try:
            text = json.dumps(asdict(params), sort_keys=True, default=str)
        except TypeError:
            text = repr(params)
        return f"ocr:{type(self).__module__}.{type(self).__qualname__}:{text}"


class UsesOcrEngine:
    """For plugins whose ``Params`` have ``ocr`` (an engine name) and ``ocr_params``: the engine,
    taken from the per-process cache on first use, so its model loads once per worker however
    many detectors and redactors ask for it."""

    params: Any
    _engine: "OcrEngine | None" = None

    @property
    def engine(self) -> "OcrEngine":
        if self._engine is None:
            self._engine = engine(self.params.ocr, dict(self.params.ocr_params))
        return self._engine


def as_grey_or_bgr(image: np.ndarray) -> np.ndarray:
    """Contiguous ``uint8`` in the layout OpenCV-based engines expect: greyscale ``(H, W)``, or
    ``(H, W, 3)`` BGR from RGB. Raises ``ValueError`` for anything else."""
    img = np.asarray(image)
    if img.dtype != np.uint8:
        raise ValueError(f"OCR input must be uint8, got {img.dtype}")
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim == 3:
        if img.shape[2] == 4:
            img = img[:, :, :3]
        if img.shape[2] != 3:
            raise ValueError(f"OCR input must be (H, W) or (H, W, 3), got {img.shape}")
        img = img[:, :, ::-1]
    elif img.ndim != 2:
        raise ValueError(f"OCR input must be (H, W) or (H, W, 3), got {img.shape}")
    return np.ascontiguousarray(img)


def box_around(points: Any, width: int, height: int) -> Box | None:
    """``(left, top, width, height)`` around a polygon (an engine's quadrilateral), clipped to a
    ``width`` x ``height`` image; ``None`` when nothing is left."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    x0 = int(max(0, np.floor(pts[:, 0].min())))
    y0 = int(max(0, np.floor(pts[:, 1].min())))
    x1 = int(min(width, np.ceil(pts[:, 0].max())))
    y1 = int(min(height, np.ceil(pts[:, 1].max())))
    if x1 <= x0 or y1 <= y0:
        return None
    return (x0, y0, x1 - x0, y1 - y0)


def engine(name: str, params: dict[str, Any] | None = None) -> OcrEngine:
    """The set-up OCR engine ``name`` of this process (built and loaded on first use)."""
    from phibench.worker import instance

    found: OcrEngine = instance(PluginSpec.of("ocr", name, dict(params or {})))
    found.name = name
    return found


def read_frame(ocr: OcrEngine, frame: Frame) -> list[TextBox]:
    """What ``ocr`` reads in ``frame``, read at most once per frame and engine configuration.

    Any failure of the engine becomes a stage-``ocr`` :class:`SampleFailure` (never "no text").
    The returned list is shared: do not modify it.
    """
    key = ocr.cache_key
    cached = frame.ocr_cache.get(key)
    if cached is not None:
        return cached
    label = ocr.name or type(ocr).__name__
    try:
        boxes = ocr.read(frame.image)
    except SampleFailure:
        raise
    except Exception as exc:
        msg = " ".join(str(exc).split())[:200]
        raise SampleFailure("ocr", f"OCR engine {label!r} failed: {type(exc).__name__}: {msg}") from exc
    if not isinstance(boxes, list) or not all(isinstance(b, TextBox) for b in boxes):
        raise SampleFailure("ocr", f"OCR engine {label!r} returned no TextBox list")
    frame.ocr_cache[key] = boxes
    return boxes
