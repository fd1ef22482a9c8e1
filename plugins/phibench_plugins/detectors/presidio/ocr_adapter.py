"""Presidio ``OCR`` classes: phibench's OCR engines seen by Presidio, and a recorder.

Imported only once Presidio is (it subclasses ``presidio_image_redactor.OCR``), see
:func:`.engine.import_presidio`.
"""

from __future__ import annotations

from typing import Any

from presidio_image_redactor import OCR

from phibench import ocr
from phibench.exceptions import SampleFailure
from phibench.frame import Frame
from phibench.ocr import OcrEngine, TextBox
from phibench_plugins.detectors.local import build_lines

KEYS = ("level", "page_num", "block_num", "par_num", "line_num", "word_num",
        "left", "top", "width", "height", "conf", "text")
"""The keys of pytesseract's ``image_to_data`` dict, which Presidio's analysis expects."""


def to_tesseract_dict(boxes: list[TextBox]) -> dict[str, list[Any]]:
    """Our text boxes as the dict Presidio's ``TesseractOCR`` returns, one "word" per box.

    Boxes are put in reading order (rows top to bottom, left to right within a row), so the NER
    model sees ``PATIENT: JOHN SMITH`` as one phrase. Confidence becomes Tesseract's 0-100 scale.
    """
    out: dict[str, list[Any]] = {k: [] for k in KEYS}
    lines = build_lines(boxes, line_gap=1e9) if boxes else []
    ordered = [b for line in lines for _, _, b in line.pieces]
    for line_num, b in enumerate(ordered, start=1):
        left, top, width, height = (int(v) for v in b.box)
        values = (5, 1, 1, 1, line_num, 1, left, top, width, height,
                  round(100.0 * float(b.confidence), 2), " ".join(b.text.split()))
        for key, value in zip(KEYS, values):
            out[key].append(value)
    return out


class PhibenchOcr(OCR):
    """A registered phibench OCR engine behind Presidio's ``OCR`` interface, for one frame.

    :meth:`perform_ocr` ignores the image Presidio hands it and reads *the frame* through
    :func:`phibench.ocr.read_frame`, so a redactor or detector on the same engine and parameters
    reuses the same reading (the frame is OCR'd once).
    """

    def __init__(self, engine: OcrEngine, frame: Frame) -> None:
        self.engine = engine
        self.frame = frame

    def perform_ocr(self, image: object, **kwargs: Any) -> dict:
        if kwargs:
            raise TypeError(f"phibench OCR engines take no ocr_kwargs here: {sorted(kwargs)}")
        return to_tesseract_dict(ocr.read_frame(self.engine, self.frame))


class RecordingOcr(OCR):
    """Wraps a Presidio ``OCR``, keeps what it read (to map results back to words) and turns its
    failures into stage-``ocr`` errors (never "no text")."""

    def __init__(self, inner: OCR, label: str) -> None:
        self.inner = inner
        self.label = label
        self.result: dict[str, list[Any]] | None = None

    def perform_ocr(self, image: object, **kwargs: Any) -> dict:
        try:
            result = self.inner.perform_ocr(image, **kwargs)
        except SampleFailure:
            raise
        except Exception as exc:
            msg = " ".join(str(exc).split())[:200]
            raise SampleFailure(
                "ocr", f"OCR {self.label!r} failed: {type(exc).__name__}: {msg}") from exc
        if not isinstance(result, dict) or not all(k in result for k in KEYS[6:]):
            raise SampleFailure("ocr", f"OCR {self.label!r} returned no word dict")
        self.result = result
        return result
