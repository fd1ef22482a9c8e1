"""Unlabelled identifiers and contact details: long numbers, phone numbers, e-mail, street.

Long identifiers and phone numbers are read on the digit-repaired line; an identifier needs
enough digits and no technique context (a unit after it, a counter label before it).
"""

from __future__ import annotations

import re

from phibench_plugins.detectors.recognizers.base import Candidate, Hit, Line, Pattern, Recognizer
from phibench_plugins.detectors.recognizers.vocabulary import (
    SCALE,
    SEQUENCE,
    TECHNIQUE,
    VOCABULARY,
    number_context,
)

_LONG_ID = re.compile(r"(?<![\w.,/\-+])([A-Za-z]{0,4}[#\-]?\d[\d\-]*\d[A-Za-z]?)(?![\w])")
_PHONE = re.compile(
    r"(?<![\w+])(?:\+\d{1,3}[\s.\-]?)?(?:\(\d{2,4}\)|\d{3})[\s.\-]?\d{3}[\s.\-]\d{4}(?!\d)"
)
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+\.[\w.\-]+")
_STREET = re.compile(
    r"(?<![\w.])\d{1,5}[A-Za-z]?\s+(?P<words>(?:[A-Za-z][A-Za-z.'\-]*\s+){1,4})"
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|drive|dr|lane|ln|way|court|ct|place|pl|"
    r"parkway|pkwy|highway|hwy|strasse|straße|str|square|sq|terrace|circle|cir)\.?(?![A-Za-z])",
    re.IGNORECASE,
)
_COUNTER_PREFIXES = TECHNIQUE | SEQUENCE | SCALE
"""A letter prefix that makes ``SE12345`` or ``MM123456`` a counter or a value, not an ID."""


def _long_id(c: Candidate) -> Hit | None:
    m = c.match
    tok = m.group(1)
    prefix = re.match(r"[A-Za-z]*", tok).group(0)  # type: ignore[union-attr]
    digits = sum(ch.isdigit() for ch in tok)
    if len(prefix) >= 2 and prefix.upper() in _COUNTER_PREFIXES:
        return None
    if digits < (5 if prefix else 6):
        return None
    if "-" in tok.strip("-") and digits < 7:
        return None
    if number_context(c.form, m.start(), m.end()):
        return None
    return c.hit() if digits >= 8 else c.hit(score=0.7)


def _street(c: Candidate) -> Hit | None:
    words = c.match.group("words").split()
    if any(w.upper().strip(".") in VOCABULARY or len(w.strip(".")) < 3 for w in words):
        return None
    return c.hit()


PATTERNS: tuple[Pattern, ...] = (
    Pattern("long_id", _LONG_ID, 0.75, "ID", _long_id, "digits"),  # 0.7 under eight digits
    Pattern("phone", _PHONE, 0.8, "CONTACT", None, "digits"),
    Pattern("email", _EMAIL, 0.9, "CONTACT"),
    Pattern("street_address", _STREET, 0.75, "CONTACT", _street),
)

IDENTIFIERS = Recognizer("identifiers", PATTERNS)


def find_identifiers(text: str) -> list[Hit]:
    """Long identifiers, phone numbers, e-mail and street addresses in one line."""
    return IDENTIFIERS.find(Line.of(text))
