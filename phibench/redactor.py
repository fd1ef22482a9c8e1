"""Base class of redactors: which boxes of a frame to mask.

A redactor only *chooses boxes* (in pixel coordinates of the rendered frame, which are the
stored pixel coordinates). Everything else is the core's, so every redactor gets it right the same
way (:mod:`phibench.redaction`): the policy (which frames are redacted at all), padding, the fill
value in stored-value space, writing a valid DICOM file atomically under ``<run dir>/redacted/``,
and the re-OCR check of what was hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from phibench.frame import Frame
from phibench.plugin import Plugin
from phibench.records import Detection
from phibench.records.ground_truth import Box


@dataclass(frozen=True)
class RedactorParams:
    """Settings every redactor takes (``redactor.<name>=...``); plugins extend this dataclass."""

    redact_even_if_undetected: bool = False
    """``true``: redact every frame; ``false`` (default): only frames the detector flagged."""

    redact_on_error: bool = True
    """A frame whose detection failed is redacted anyway (fail closed). ``false`` leaves it
    untouched and its row says why."""

    mode: str = "all_text"
    """``all_text``: mask every text box of a redacted frame (what Pixels does); ``entities``: only
    boxes matching the detector's PHI entities (by box overlap or by text)."""

    fill: str = "black"
    """``black`` (the stored value that displays darkest), ``background`` (median stored value
    around the box) or ``contrast`` (the stored extreme farthest from that background)."""

    padding: int = 2
    """Pixels added on every side of each box before masking."""

    transfer_syntax: str = "explicit"
    """How a *masked* compressed file is written: ``explicit`` (Explicit VR Little Endian,
    uncompressed) or ``lossless`` (re-encoded losslessly: JPEG-LS lossless or RLE Lossless).
    Uncompressed input is always written uncompressed; untouched files are copied byte for byte."""

    new_sop_instance_uid: bool = True
    """Give a masked file a new SOP Instance UID (the old one is recorded in the header)."""

    verify: bool = True
    """Re-read each masked file, re-render and re-OCR its masked frames and record which ground
    truth PHI regions are still readable (costs one more OCR per masked frame)."""

    min_entity_overlap: float = 0.3
    """``mode=entities``: an OCR box is masked when at least this share of it lies inside an
    entity's box, or when its text matches an entity's text."""

    quarantine: bool = False
    """``true``: a file that could not be cleaned is copied unchanged (it still holds its PHI) to
    ``<run dir>/quarantine/`` (owner-only) for a person to deal with, and its rows record
    ``quarantine_path``. Such a file never goes under ``redacted/``, whatever this says."""


class Redactor(Plugin):
    """Chooses what to mask in a frame. Subclasses implement :meth:`boxes`.

    :meth:`boxes` is only called for frames the policy redacts; ``detection`` is that frame's
    result (``has_phi`` is ``None`` when the detection failed); ``frame.header`` always holds the
    file's dataset. Use :func:`phibench.ocr.read_frame`
    for OCR, so a detector and a redactor on the same engine read the frame once. Raising is fine:
    every row of the file is recorded as failed (stage ``redact``) and no output is written for
    that file (a copy left by an earlier attempt is removed), which is never reported as
    "redacted".
    """

    kind: ClassVar[str] = "redactor"
    Params: ClassVar[type] = RedactorParams


    def boxes(self, frame: Frame, detection: Detection) -> list[Box]:
        raise NotImplementedError

    def verify_engine(self) -> "object | None":
        """The OCR engine used to re-read masked frames (``None``: the core's default, EasyOCR)."""
        return None
