"""OCR engines, shared by detectors and redactors, and the per-frame cache of what they read.

An engine loads its model once per worker (:func:`engine`, through :mod:`phibench.worker`); a
frame is read once per engine configuration (:func:`read_frame`), however many stages ask.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
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
            from dataclasses import asdict

            text = json.dumps(asdict(params), sort_keys=True, default=str)
        except TypeError:
            text = repr(params)
        return f"ocr:{type(self).__module__}.{type(self).__qualname__}:{text}"


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
