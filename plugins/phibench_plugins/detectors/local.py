"""The local detector: OCR the frame, then look for PHI with header values and generic patterns.

Fully local: an OCR engine (EasyOCR by default, loaded once per worker through
:func:`phibench.worker.instance`), the DICOM header, regular expressions and fuzzy matching.

Per frame:

1. OCR gives text boxes; boxes on one row with small gaps are joined into *lines*, so a label and
   its value (``Name:`` | ``DOE JOHN``) or the parts of a name read as separate words are seen
   together, while each match still maps back to the boxes it came from.
2. With ``use_header``, the header's PHI values (:mod:`.header_phi`) are searched in each line,
   tolerant of OCR noise (:mod:`.fuzzy`).
3. With ``use_patterns``, generic patterns that need no header (:mod:`.recognizers`) find dates,
   labelled fields, long identifiers, names in ``LAST^FIRST`` / ``LAST, FIRST`` form, ages and
   contact details, with guards that keep technique text (kVp, W/L, counters, scale bars, times,
   laterality, views, vendor text) out.

``has_phi`` is true when any entity scores at least ``min_score``; ``confidence`` is the best
entity score, or, when nothing was found, one minus the best sub-threshold score. An OCR failure
raises (stage ``ocr``): it is never reported as "no PHI".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from statistics import median
from typing import Any, ClassVar

from phibench.detector import Detector
from phibench.frame import Frame
from phibench import ocr
from phibench.ocr import OcrEngine, OcrSettings, TextBox, UsesOcrEngine, ocr_field
from phibench.records import Detection, Entity
from phibench.records.ground_truth import Box
from phibench_plugins.detectors import header_phi, recognizers

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LocalParams:
    """Parameters of :class:`LocalDetector`."""

    ocr: OcrSettings = ocr_field("rapidocr")
    """The OCR engine and its parameters (``detector.ocr.name=easyocr``,
    ``+detector.ocr.params.mag_ratio=1.5``). RapidOCR by default: on the real files of
    ``benchmarks/README.md`` ("OCR cost") it reads every PHI region EasyOCR reads, with the same
    recall and specificity, at about a sixteenth of EasyOCR's CPU and below Presidio's."""

    use_header: bool = True
    """Look for the header's PHI values (name, IDs, dates, ...) in the OCR text."""

    use_patterns: bool = True
    """Look for generic PHI patterns that need no header."""

    min_score: float = 0.5
    """Entities scoring below this are not reported and do not make ``has_phi`` true."""

    min_ocr_confidence: float = 0.05
    """OCR boxes the engine is less sure of than this are ignored."""

    line_gap: float = 2.5
    """Boxes on one row are joined into a line when the gap is at most this many text heights."""

    not_decisive: list[str] = field(default_factory=lambda: ["INSTITUTION"])
    """Categories reported as entities (a redactor in ``entities`` mode masks them) that alone do
    not make ``has_phi`` true: a hospital or department line identifies no patient (HIPAA; the
    labelling rules of phibench's real-image sets)."""

    min_phi_age: int = 90
    """An AGE entity makes ``has_phi`` true only from this age up (HIPAA: ages over 89); younger
    ages are still reported as entities."""


@dataclass
class Line:
    """Text boxes on one row joined into one string; spans map back to the boxes."""

    text: str
    pieces: list[tuple[int, int, TextBox]]

    def boxes_in(self, start: int, end: int) -> list[TextBox]:
        got = [b for s, e, b in self.pieces if s < end and start < e]
        return got or [min(self.pieces, key=lambda p: abs(p[0] - start))[2]]

    def box_of(self, start: int, end: int) -> Box:
        return union([b.box for b in self.boxes_in(start, end)])

    def confidence(self, start: int, end: int) -> float:
        return min(b.confidence for b in self.boxes_in(start, end))


def union(boxes: list[Box]) -> Box:
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return (x0, y0, x1 - x0, y1 - y0)


def build_lines(boxes: list[TextBox], line_gap: float = 2.5) -> list[Line]:
    """Group OCR boxes into rows (vertical overlap) and rows into lines (small horizontal gaps)."""
    rows: list[list[TextBox]] = []
    for b in sorted(boxes, key=lambda b: (b.box[1] + b.box[3] / 2, b.box[0])):
        top, bottom = b.box[1], b.box[1] + b.box[3]
        for row in rows:
            r_top = median(x.box[1] for x in row)
            r_bottom = median(x.box[1] + x.box[3] for x in row)
            overlap = min(bottom, r_bottom) - max(top, r_top)
            if overlap >= 0.5 * min(b.box[3], r_bottom - r_top):
                row.append(b)
                break
        else:
            rows.append([b])
    lines: list[Line] = []
    for row in rows:
        row.sort(key=lambda b: b.box[0])
        height = median(b.box[3] for b in row)
        run: list[TextBox] = [row[0]]
        for b in row[1:]:
            prev_end = max(x.box[0] + x.box[2] for x in run)
            if b.box[0] - prev_end <= line_gap * height:
                run.append(b)
            else:
                lines.append(_join(run))
                run = [b]
        lines.append(_join(run))
    return lines


def _join(run: list[TextBox]) -> Line:
    parts: list[str] = []
    pieces: list[tuple[int, int, TextBox]] = []
    pos = 0
    for b in run:
        if parts:
            parts.append("  ")  # two spaces: numbers in different boxes never run together
            pos += 2
        parts.append(b.text)
        pieces.append((pos, pos + len(b.text), b))
        pos += len(b.text)
    return Line("".join(parts), pieces)


class LocalDetector(UsesOcrEngine, Detector):
    """OCR + header values + generic patterns, with fuzzy matching; no network."""

    Params = LocalParams
    needs_header: ClassVar[bool] = True

    @classmethod
    def with_engine(cls, engine: OcrEngine, params: LocalParams | None = None) -> "LocalDetector":
        """A detector using ``engine`` instead of the registry's (tests, notebooks)."""
        det = cls(params)
        det._engine = engine
        return det

    def setup(self) -> None:
        """Get the OCR engine from the per-process cache, so its model loads once per worker."""
        self.engine

    def describe(self) -> dict[str, Any]:
        p: LocalParams = self.params
        out: dict[str, Any] = {
            "detector": "local",
            "ocr": p.ocr.name,
            "use_header": p.use_header,
            "use_patterns": p.use_patterns,
            "min_score": p.min_score,
        }
        if self._engine is not None:
            for k, v in self._engine.describe().items():
                out[f"ocr_{k}"] = v
        return out

    # -- detection ---------------------------------------------------------------------------

    def read_text(self, frame: Frame) -> list[TextBox]:
        """OCR of the frame, shared with other stages; a failure is a stage-``ocr`` error."""
        return ocr.read_frame(self.engine, frame)

    def detect(self, frame: Frame) -> Detection:
        p: LocalParams = self.params
        boxes = [b for b in self.read_text(frame) if b.confidence >= p.min_ocr_confidence]
        values = header_phi.header_values(frame.header) if p.use_header else []
        entities = self.find_entities(boxes, values)
        kept = [e for e in entities if (e.score or 0.0) >= p.min_score]
        decisive = [e for e in kept if self.decisive(e)]
        log.debug("local detector: %d boxes, %d header values, %d candidates, %d entities, "
                  "%d decisive", len(boxes), len(values), len(entities), len(kept), len(decisive))
        if decisive:
            return Detection(True, tuple(kept), confidence=max(e.score or 0.0 for e in decisive))
        weak = max((e.score or 0.0 for e in entities if self.decisive(e)), default=0.0)
        if kept:
            return Detection(False, tuple(kept), confidence=round(min(0.85, 1.0 - weak), 4))
        base = 0.9 if not boxes else 0.85
        return Detection(False, (), confidence=round(min(base, 1.0 - weak), 4))

    def decisive(self, entity: Entity) -> bool:
        """Whether ``entity`` alone makes the frame PHI (see ``not_decisive``, ``min_phi_age``)."""
        p: LocalParams = self.params
        if entity.category in p.not_decisive:
            return False
        if entity.category == "AGE":
            ages = [h.age for h in recognizers.find_ages(entity.text or "") if h.age]
            if not ages:
                return True  # an age we cannot read the value of: fail closed
            return any(unit == "Y" and value >= p.min_phi_age for value, unit in ages)
        return True

    def find_entities(self, boxes: list[TextBox],
                      values: list[header_phi.HeaderValue]) -> list[Entity]:
        """Every candidate entity (any score) in the OCR boxes, best first."""
        p: LocalParams = self.params
        best: dict[tuple[str, Box], Entity] = {}
        for line in build_lines(boxes, p.line_gap):
            for category, start, end, score in self._line_hits(line, values):
                box = line.box_of(start, end)
                conf = line.confidence(start, end)
                s = round(min(1.0, score * (0.8 + 0.2 * conf)), 4)
                text = line.text[start:end].strip()
                key = (category, box)
                if key not in best or (best[key].score or 0.0) < s:
                    best[key] = Entity(category, text, box, s)
        return sorted(best.values(), key=lambda e: -(e.score or 0.0))

    def _line_hits(self, line: Line,
                   values: list[header_phi.HeaderValue]) -> list[tuple[str, int, int, float]]:
        p: LocalParams = self.params
        out: list[tuple[str, int, int, float]] = []
        normalised = recognizers.Line.of(line.text)  # once, for every recognizer below
        if values:
            dates = recognizers.DATES.find(normalised)
            ages = recognizers.AGES.find(normalised)
            for h in header_phi.match_line(values, line.text, dates, ages):
                out.append((h.category, h.start, h.end, h.score))
        if p.use_patterns:
            for h in recognizers.find_hits(normalised):
                out.append((h.category, h.start, h.end, h.score))
        return out
