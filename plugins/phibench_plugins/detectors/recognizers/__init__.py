"""Generic PHI recognizers for burned-in annotation text, and guards for harmless overlay text.

These need no DICOM header. They are written from how modality overlays commonly look (CT, MR,
US, CR/DX, MG, XA): a demographic block (name, ID, birth date, age/sex, accession, institution,
physicians, study date) and a technique block (kVp, mAs, TR/TE, W/L, slice and image counters,
laterality and view markers, scale bars, manufacturer and software text). Rules are positive
(a date, a labelled field, a long identifier, a name in DICOM or "LAST, FIRST" form, an age)
with guards that keep technique text out.

One module per kind, each a table of named patterns (:mod:`.base` has the contract):

====================  =====================================================================
:mod:`.dates`         numeric and month-name dates, with their (y, m, d) readings
:mod:`.labelled`      values after a label (``Name:``, ``DOB``, ``MRN``), titles, degrees
:mod:`.names`         ``LAST^FIRST``, ``LAST, FIRST``, ``LAST: GIVEN``; the given-name list
:mod:`.ages`          ``067Y``, ``45 yrs``, ``F/45``
:mod:`.identifiers`   long numbers, phone, e-mail, street address
:mod:`.institutions`  a line naming a hospital, clinic, university or department
:mod:`.vocabulary`    the harmless overlay words, units and counter labels used as guards
====================  =====================================================================

:func:`find_hits` normalises a line once and runs every recognizer in :data:`RECOGNIZERS`; hits
carry character spans in the text given, which the caller maps to OCR boxes. Nothing here logs
or keeps text.
"""

from __future__ import annotations

from phibench_plugins.detectors.recognizers.ages import AGES, find_ages
from phibench_plugins.detectors.recognizers.base import (
    Candidate,
    Hit,
    Line,
    Pattern,
    Recognizer,
    Validator,
    dedupe,
    overlaps,
)
from phibench_plugins.detectors.recognizers.dates import (
    DATES,
    MONTH_RE,
    find_dates,
    month_number,
    valid_date,
)
from phibench_plugins.detectors.recognizers.identifiers import IDENTIFIERS, find_identifiers
from phibench_plugins.detectors.recognizers.institutions import INSTITUTIONS, find_institutions
from phibench_plugins.detectors.recognizers.labelled import LABELLED, find_labelled
from phibench_plugins.detectors.recognizers.names import (
    NAMES,
    find_names,
    given_names,
    is_given_name,
)
from phibench_plugins.detectors.recognizers.normalize import digitize, fold
from phibench_plugins.detectors.recognizers.vocabulary import (
    ANATOMY_AND_WORKFLOW,
    LATERALITY,
    MANUFACTURERS,
    NUMBER_LABELS,
    SCALE,
    SEQUENCE,
    TECHNIQUE,
    UNITS,
    VIEWS,
    VOCABULARY,
    looks_like_technique,
    number_context,
)

RECOGNIZERS: tuple[Recognizer, ...] = (DATES, LABELLED, NAMES, AGES, IDENTIFIERS, INSTITUTIONS)
"""Every recognizer, in the order :func:`find_hits` reports their hits."""

_SHADOWED = frozenset(p.name for p in IDENTIFIERS.patterns if p.category == "ID")
"""Patterns whose hits give way to a date, contact or labelled ID over the same characters."""


def _claims_span(h: Hit) -> bool:
    return h.category in ("DATE", "CONTACT") or h.rule in ("label_id", "label_accession")


def find_hits(text: str | Line) -> list[Hit]:
    """Every generic PHI pattern in one line of overlay text (or a :class:`Line` made once by
    the caller, who may run single recognizers over it too).

    An unlabelled long number overlapping a date, a contact or a labelled ID is dropped: an
    8-digit date is a date, a phone number a phone number, not an ID.
    """
    line = text if isinstance(text, Line) else Line.of(text)
    hits = [h for r in RECOGNIZERS for h in r.find(line)]
    taken = [h for h in hits if _claims_span(h)]
    return [h for h in hits if not (h.pattern in _SHADOWED and overlaps(taken, h.start, h.end))]


__all__ = [
    "AGES", "ANATOMY_AND_WORKFLOW", "Candidate", "DATES", "Hit", "IDENTIFIERS", "INSTITUTIONS",
    "LABELLED", "LATERALITY", "Line", "MANUFACTURERS", "MONTH_RE", "NAMES", "NUMBER_LABELS",
    "Pattern", "RECOGNIZERS", "Recognizer", "SCALE", "SEQUENCE", "TECHNIQUE", "UNITS", "VIEWS",
    "VOCABULARY", "Validator", "dedupe", "digitize", "find_ages", "find_dates", "find_hits",
    "find_identifiers", "find_institutions", "find_labelled", "find_names", "fold",
    "given_names", "is_given_name", "looks_like_technique", "month_number", "number_context",
    "overlaps", "valid_date",
]
