"""Which frames a redactor masks, and how an OCR box is matched to a detector's PHI entities."""

from __future__ import annotations

import re
from collections.abc import Sequence

from rapidfuzz import fuzz

from phibench.dicom.fill import FILLS
from phibench.ocr import TextBox
from phibench.records import Detection, Entity
from phibench.redaction.geometry import inside_share
from phibench.redactor import RedactorParams

MODES = ("all_text", "entities")
SYNTAXES = ("explicit", "lossless")


def check(params: RedactorParams) -> None:
    """Reject settings no redaction could honour (called on the driver, before the run)."""
    from phibench.exceptions import ConfigError

    if params.mode not in MODES:
        raise ConfigError(f"redactor.mode must be one of {', '.join(MODES)}, not {params.mode!r}")
    if params.fill not in FILLS:
        raise ConfigError(f"redactor.fill must be one of {', '.join(FILLS)}, not {params.fill!r}")
    if params.transfer_syntax not in SYNTAXES:
        raise ConfigError(
            f"redactor.transfer_syntax must be one of {', '.join(SYNTAXES)}, not {params.transfer_syntax!r}"
        )
    if params.padding < 0:
        raise ConfigError("redactor.padding must be >= 0")


def decide(detection: Detection, params: RedactorParams) -> tuple[bool, str]:
    """Whether a frame with this detection is redacted, and why (recorded in the results)."""
    if params.redact_even_if_undetected:
        return True, "every image"
    if detection.error is not None:
        if params.redact_on_error:
            return True, "detection failed (fail closed)"
        return False, "detection failed (redact_on_error=false)"
    if detection.has_phi:
        return True, "flagged"
    return False, "not flagged"


_NON_ALNUM = re.compile(r"[^0-9A-Z]+")


def normalise(text: str) -> str:
    """Upper-case letters and digits only: how OCR text and PHI text are compared."""
    return _NON_ALNUM.sub("", text.upper())


def matches_entity(box: TextBox, entities: Sequence[Entity], min_overlap: float) -> bool:
    """Whether an OCR box holds one of the detector's entities: by location (the box lies at
    least ``min_overlap`` inside an entity's box) or by text (fuzzy, either way round, so that an
    entity spread over several OCR boxes or a box holding label and value both match)."""
    text = normalise(box.text)
    for e in entities:
        if e.box is not None and inside_share(box.box, e.box) >= min_overlap:
            return True
        etext = normalise(e.text)
        if len(text) < 2 or len(etext) < 2:
            continue
        short, long_ = sorted((text, etext), key=len)
        if len(short) >= 3 and fuzz.partial_ratio(short, long_) >= 80:
            return True
        if fuzz.ratio(text, etext) >= 80:
            return True
    return False


def select(boxes: Sequence[TextBox], detection: Detection, params: RedactorParams) -> list[TextBox]:
    """The OCR boxes to mask under ``params.mode``.

    ``entities`` mode masks only boxes matching the detection's entities; when the detection
    failed, or flagged the frame without saying where (no entities), every box is masked: an
    unexplained positive is treated like ``all_text``, never as nothing to hide.
    """
    if params.mode == "all_text" or detection.error is not None or not detection.entities:
        return list(boxes)
    return [b for b in boxes if matches_entity(b, detection.entities, params.min_entity_overlap)]
