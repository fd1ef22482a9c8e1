"""Presidio on a rendered frame: engines built once per process, one analysis per frame.

Presidio never reads DICOM pixels here: its DICOM path min-max rescales the raw pixel array
itself and takes every non-MONOCHROME frame for RGB (YBR comes out in false colour). phibench's
renderer has already applied LUTs, window, MONOCHROME1 and colour conversion, so Presidio gets
that frame as a PIL image, prepared as its DICOM redactor prepares it for its own Tesseract
(greyscale inverted to dark-on-light, a 25 px border of the most common colour).

The header deny-list is built by Presidio's own functions (``_get_text_metadata``,
``_make_phi_list``) from ``frame.header``, quirks included: every element whose name holds
"name" or "patient" counts, and a sequence counts as its printed form, so a header with an
Other Patient IDs Sequence puts words such as "Patient" and "ID" on the list.

Offline: the spaCy model is an installed package (Presidio would download ``en_core_web_lg``),
and tldextract, which Presidio's e-mail recognizer calls, is kept on its bundled suffix list.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import warnings
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from phibench import ocr as phibench_ocr
from phibench.versions import distribution_version
from phibench.exceptions import ConfigError, SampleFailure
from phibench.frame import Frame
from phibench.ocr import OcrEngine
from phibench.records.ground_truth import Box
from phibench_plugins.detectors.presidio.params import (
    METADATA_ENTITY,
    PRESIDIO_TESSERACT,
    PresidioParams,
)

log = logging.getLogger(__name__)

_lock = threading.Lock()
_analyzers: dict[tuple[str, str], Any] = {}


PRESIDIO_LOGGERS = ("presidio-analyzer", "presidio-image-redactor")
"""Presidio's loggers. ``presidio-analyzer`` logs the analysed text (PHI) at DEBUG and a line
per frame at INFO; unless configured otherwise they are set to WARNING."""


def import_presidio() -> None:
    """Import Presidio so that nothing it loads goes to the network or logs PHI."""
    for name in PRESIDIO_LOGGERS:
        if logging.getLogger(name).level == logging.NOTSET:
            logging.getLogger(name).setLevel(logging.WARNING)
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    import tldextract.tldextract as tx

    offline = not os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"].strip()
    if offline and tx.TLD_EXTRACTOR.suffix_list_urls:
        tx.TLD_EXTRACTOR.suffix_list_urls = ()  # imported before the variable was set
    import presidio_analyzer  # noqa: F401

    # presidio-image-redactor imports a pydicom module deprecated in pydicom 3: a warning and a
    # pydicom log line on every import, about Presidio's code, not ours
    pydicom_log = logging.getLogger("pydicom")
    level = pydicom_log.level
    pydicom_log.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning, module="pydicom.*")
            import presidio_image_redactor  # noqa: F401
    finally:
        pydicom_log.setLevel(level)


def analyzer_engine(spacy_model: str, language: str) -> Any:
    """This process's Presidio ``AnalyzerEngine`` for a spaCy model (built on first use)."""
    key = (spacy_model, language)
    with _lock:
        if key not in _analyzers:
            _analyzers[key] = _build_analyzer(spacy_model, language)
        return _analyzers[key]


def _build_analyzer(spacy_model: str, language: str) -> Any:
    import_presidio()
    import spacy.util
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    if not (spacy.util.is_package(spacy_model) or Path(spacy_model).exists()):
        raise ConfigError(f"presidio: spaCy model {spacy_model!r} is not installed (phibench never "
                          f"downloads models). Install it with pip, or set spacy_model.")
    # Presidio's own default NLP configuration (entity mapping, ignored labels), another model
    conf = NlpEngineProvider._read_nlp_conf(NlpEngineProvider._get_full_conf_path())
    conf["models"] = [{"lang_code": language, "model_name": spacy_model}]
    quiet = logging.getLogger(PRESIDIO_LOGGERS[0])
    level = quiet.level
    quiet.setLevel(max(level, logging.ERROR))  # a warning per recognizer of another language
    try:
        nlp = NlpEngineProvider(nlp_configuration=conf).create_engine()
        return AnalyzerEngine(nlp_engine=nlp, supported_languages=[language])
    finally:
        quiet.setLevel(level)


@dataclass(frozen=True, slots=True)
class Finding:
    """One word Presidio flagged."""

    entity_type: str
    """Presidio's entity type (``PERSON``, ``DATE_TIME``, ``DICOM_METADATA``, ...)."""

    text: str
    """The part of the entity this word holds. PHI: never log it."""

    box: Box | None
    """(left, top, width, height) in frame pixels; ``None`` if the word lies in the border."""

    score: float


@dataclass(frozen=True, slots=True)
class Analysis:
    """Presidio's analysis of one frame."""

    findings: tuple[Finding, ...]
    words: tuple[Box, ...]
    """Every word the OCR read, in frame pixels."""


def metadata_recognizer(header: Any, language: str) -> Any:
    """Presidio's ad-hoc deny-list recognizer from a header, built by Presidio's own functions."""
    from presidio_analyzer import PatternRecognizer
    from presidio_image_redactor import DicomImageRedactorEngine as Dicom

    metadata, is_name, is_patient = Dicom._get_text_metadata(header)
    phi = Dicom._make_phi_list(metadata, is_name, is_patient)
    return PatternRecognizer(supported_entity=METADATA_ENTITY, deny_list=phi,
                             supported_language=language, name="DicomMetadataRecognizer")


class PresidioAnalysis:
    """Runs Presidio's ``ImageAnalyzerEngine`` on frames with one set of :class:`PresidioParams`.

    The result is kept in ``frame.ocr_cache`` under a key holding every parameter, so a detector
    and a redactor configured alike analyse each frame once.
    """

    def __init__(self, params: PresidioParams) -> None:
        self.params = params
        self.cache_key = "presidio:" + json.dumps(asdict(params), sort_keys=True, default=str)
        self._analyzer: Any = None
        self._engine: OcrEngine | None = None

    def setup(self) -> None:
        p = self.params
        if self._analyzer is None:
            analyzer = analyzer_engine(p.spacy_model, p.language)
            known = set(analyzer.get_supported_entities(p.language)) | {METADATA_ENTITY}
            unknown = sorted(set(p.entities or ()) - known)
            if unknown:
                raise ConfigError(f"presidio: unknown entities {unknown}; known: {sorted(known)}")
            self._analyzer = analyzer
        if p.ocr.name != PRESIDIO_TESSERACT and self._engine is None:
            self._engine = phibench_ocr.engine_of(p.ocr)

    def analyze(self, frame: Frame) -> Analysis:
        """Presidio's analysis of ``frame``, computed once per frame and parameter set."""
        cached = frame.ocr_cache.get(self.cache_key)
        if cached is not None:
            return cached
        self.setup()
        found = self._analyze(frame)
        frame.ocr_cache[self.cache_key] = found
        return found

    def _analyze(self, frame: Frame) -> Analysis:
        from PIL import Image, ImageOps
        from presidio_image_redactor import (
            DicomImageRedactorEngine,
            ImageAnalyzerEngine,
            TesseractOCR,
        )

        from phibench_plugins.detectors.presidio.ocr_adapter import PhibenchOcr, RecordingOcr

        p = self.params
        grey = frame.image.ndim == 2
        image = Image.fromarray(frame.image)
        border = 0
        if p.ocr.name == PRESIDIO_TESSERACT:
            if grey and p.invert_greyscale:
                image = ImageOps.invert(image)
            if p.ocr_border:
                image = DicomImageRedactorEngine._add_padding(image, grey, p.ocr_border)
                border = p.ocr_border
            reader = RecordingOcr(TesseractOCR(), "presidio_tesseract")
        else:
            assert self._engine is not None
            reader = RecordingOcr(PhibenchOcr(self._engine, frame), p.ocr.name)

        kwargs: dict[str, Any] = {"language": p.language, "score_threshold": p.score_threshold}
        if p.entities is not None:
            kwargs["entities"] = list(p.entities) + ([METADATA_ENTITY] if p.use_metadata else [])
        if p.allow_list:
            kwargs["allow_list"] = list(p.allow_list)
        if p.use_metadata and frame.kind == "dicom":  # an image has no header to deny-list
            if frame.header is None:
                raise SampleFailure("detect", "presidio: use_metadata needs the DICOM header, "
                                              "which this frame was rendered without")
            kwargs["ad_hoc_recognizers"] = [metadata_recognizer(frame.header, p.language)]

        engine = ImageAnalyzerEngine(analyzer_engine=self._analyzer, ocr=reader)
        results = engine.analyze(image, ocr_kwargs=dict(p.ocr_kwargs) or None, **kwargs)
        words = self._words(reader.result or {})
        height, width = frame.image.shape[:2]
        findings: dict[Finding, None] = {}
        for r in results:
            raw = (int(r.left), int(r.top), int(r.width), int(r.height))
            box = _unpad(raw, border, width, height)
            findings[Finding(r.entity_type, _word_text(words, raw, r.start, r.end), box,
                             float(r.score))] = None
        boxes = tuple(b for _, _, raw in words if (b := _unpad(raw, border, width, height)))
        log.debug("presidio: %d words, %d findings", len(words), len(findings))
        return Analysis(tuple(findings), boxes)

    def _words(self, result: dict[str, list[Any]]) -> list[tuple[int, str, Box]]:
        """The words Presidio analysed, as (start in its text, text, padded box): the same
        filtering as ``ImageAnalyzerEngine.analyze``, by its own functions."""
        from presidio_image_redactor import ImageAnalyzerEngine

        if not result:
            return []
        result = ImageAnalyzerEngine.remove_space_boxes(result)
        threshold = self.params.ocr_kwargs.get("ocr_threshold")
        if threshold:
            result = ImageAnalyzerEngine.threshold_ocr_result(result, threshold)
        out: list[tuple[int, str, Box]] = []
        pos = 0
        for i, text in enumerate(result["text"]):
            box = (int(result["left"][i]), int(result["top"][i]),
                   int(result["width"][i]), int(result["height"][i]))
            out.append((pos, text, box))
            pos += len(text) + 1
        return out

    def describe(self) -> dict[str, Any]:
        p = self.params
        out: dict[str, Any] = {
            "presidio_analyzer": distribution_version("presidio-analyzer"),
            "presidio_image_redactor": distribution_version("presidio-image-redactor"),
            "spacy": distribution_version("spacy"),
            "spacy_model": p.spacy_model,
            "spacy_model_version": distribution_version(p.spacy_model),
            "ocr": p.ocr.name,
            "use_metadata": p.use_metadata,
            "entities": "presidio default" if p.entities is None else list(p.entities),
            "score_threshold": p.score_threshold,
        }
        if p.ocr.name == PRESIDIO_TESSERACT:
            out["tesseract"] = _tesseract_version()
            out["ocr_border"] = p.ocr_border
            out["invert_greyscale"] = p.invert_greyscale
        elif self._engine is not None:
            out |= {f"ocr_{k}": v for k, v in self._engine.describe().items()}
        return out


def _word_text(words: list[tuple[int, str, Box]], box: Box, start: int, end: int) -> str:
    """The part of the entity ``[start, end)`` that lies in the word with this box (the whole
    entity if no word matches)."""
    for pos, text, b in words:
        if b == box and pos < end and start < pos + len(text):
            return text[max(start - pos, 0): min(end - pos, len(text))]
    return " ".join(text for _, text, _ in words)[start:end]


def _unpad(box: Box, border: int, width: int, height: int) -> Box | None:
    """A box on the bordered image, in frame pixels and clipped to the frame."""
    x0, y0 = max(box[0] - border, 0), max(box[1] - border, 0)
    x1, y1 = min(box[0] - border + box[2], width), min(box[1] - border + box[3], height)
    if x1 <= x0 or y1 <= y0:
        return None
    return (x0, y0, x1 - x0, y1 - y0)




def _tesseract_version() -> str:
    try:
        import pytesseract

        return str(pytesseract.get_tesseract_version())
    except Exception:  # noqa: BLE001 - describe() never fails; the run will say what is wrong
        return "unavailable"
