"""Institutions: a line that names a hospital, clinic, university, department or imaging centre.

The whole (stripped) line is the hit, once per line; a line that names a manufacturer
(``GE MEDICAL SYSTEMS``, ``SIEMENS HEALTHCARE``) is vendor text and has none.
"""

from __future__ import annotations

import re

from phibench_plugins.detectors.recognizers.base import Candidate, Hit, Line, Pattern, Recognizer

_MANUFACTURER_RE = re.compile(
    r"(?<![A-Za-z])(?:siemens|ge|philips|toshiba|canon|hitachi|fuji(?:film)?|agfa|kodak|"
    r"carestream|hologic|samsung|esaote|mindray|konica|shimadzu|healthcare|healthineers|"
    r"medical\s+systems|medical\s+solutions)(?![A-Za-z])",
    re.IGNORECASE,
)
_INSTITUTION = re.compile(
    r"(?<![A-Za-z])(?:hospital(?:s)?|hosp\.|clinic(?:s|a|o)?|clinique|klinik(?:um)?|infirmary|"
    r"medical\s+(?:center|centre|ctr|college|school|group|associates|clinic|institute|"
    r"university|campus)|med\.?\s*ctr|health\s*(?:system|center|centre|services|trust|network|"
    r"authority|board|partners)|universit(?:y|ät|at|é|e|à|a)|univ\.|institute|instituto|"
    r"institut|memorial|sanatorium|h[oô]pital|ospedale|krankenhaus|spital|ziekenhuis|"
    r"imaging\s+(?:center|centre|associates|group|institute|services)|"
    r"radiology\s+(?:associates|group|partners|center|centre|department|dept|services)|"
    r"(?:dept\.?|department)\s+of\s+[A-Za-z]{3,}|children'?s\s+\w+|"
    r"cancer\s+(?:center|centre|institute)|nhs\s+(?:trust|foundation))(?![A-Za-z])",
    re.IGNORECASE,
)


def _whole_line(c: Candidate) -> Hit | None:
    text = c.line.text
    if _MANUFACTURER_RE.search(text):
        return None
    return c.hit(start=len(text) - len(text.lstrip()), end=len(text.rstrip()))


def _first(hits: list[Hit]) -> list[Hit]:
    """Every match makes the same whole-line hit: keep one."""
    return hits[:1]


PATTERNS: tuple[Pattern, ...] = (
    Pattern("institution_word", _INSTITUTION, 0.75, "INSTITUTION", _whole_line),
)

INSTITUTIONS = Recognizer("institutions", PATTERNS, finish=_first)


def find_institutions(text: str) -> list[Hit]:
    """The line as an institution when it names one (and no manufacturer)."""
    return INSTITUTIONS.find(Line.of(text))
