"""Ages: DICOM ``067Y``, ``45 yrs`` / ``45 y/o`` and an age next to a sex (``F/45``, ``45Y M``).

Every pattern runs on the digit-repaired line; each hit carries its (value, unit) reading, so a
caller can tell an infant's ``003M`` from an identifying age over 89.
"""

from __future__ import annotations

import re

from phibench_plugins.detectors.recognizers.base import (
    Candidate,
    Hit,
    Line,
    Pattern,
    Recognizer,
    Validator,
    dedupe,
)
from phibench_plugins.detectors.recognizers.vocabulary import number_context

_AGE_UNIT = r"(?:y|yr|yrs|years?|yo|y/o|y\.o\.|jahre|ans|a[ñn]os)"
_AGE_WORD = re.compile(rf"(?<![\w.,])(\d{{1,3}})\s?{_AGE_UNIT}(?![A-Za-z])", re.IGNORECASE)
_AGE_AS = re.compile(r"(?<![\w.])(0\d\d)\s?([DWMY])(?![A-Za-z])")
_SEX_AGE = re.compile(
    rf"(?<![\w])([MF])\s?[/,\-]?\s?(\d{{1,3}})\s?({_AGE_UNIT})?(?![\w.])", re.IGNORECASE
)
_AGE_SEX = re.compile(
    rf"(?<![\w.])(\d{{1,3}})\s?({_AGE_UNIT})?\s?[/,\-]?\s?([MF])(?![\w])", re.IGNORECASE
)
_SEX_LABEL_BEFORE = re.compile(
    r"(?:age|sex|gender)\s*(?:/\s*(?:sex|age|gender))?\s*[:=]?\s*$", re.IGNORECASE
)


def _age_dicom(c: Candidate) -> Hit | None:
    return c.hit(age=(int(c.match.group(1)), c.match.group(2).upper()))


def _age_years(c: Candidate) -> Hit | None:
    m = c.match
    v = int(m.group(1))
    if v <= 125 and not number_context(c.form, m.start(), m.start()):
        return c.hit(age=(v, "Y"))
    return None


def _with_sex(sex_g: int, num_g: int, unit_g: int) -> Validator:
    """A validator for an age beside a sex letter, the groups holding sex, number and unit.

    With a unit the hit is ``age_sex``; a bare number is kept (as ``age_sex_bare``, 0.6) only when
    it is the whole line or follows an age / sex label, and never above 105.
    """

    def validate(c: Candidate) -> Hit | None:
        m, t = c.match, c.form
        if m.group(sex_g) not in "MF":  # upper case only: 'm' is metres
            return None
        v = int(m.group(num_g))
        if v > (125 if m.group(unit_g) else 105):
            return None
        if m.group(unit_g):
            return c.hit(age=(v, "Y"))
        if m.group(0).strip() == t.strip() or _SEX_LABEL_BEFORE.search(t[: m.start()]):
            return c.hit(score=0.6, rule="age_sex_bare", age=(v, "Y"))
        return None

    return validate


PATTERNS: tuple[Pattern, ...] = (
    Pattern("age_dicom", _AGE_AS, 0.8, "AGE", _age_dicom, "digits"),
    Pattern("age_years", _AGE_WORD, 0.75, "AGE", _age_years, "digits"),
    Pattern("sex_age", _SEX_AGE, 0.85, "AGE", _with_sex(1, 2, 3), "digits", rule="age_sex"),
    Pattern("age_sex", _AGE_SEX, 0.85, "AGE", _with_sex(3, 1, 2), "digits", rule="age_sex"),
)

AGES = Recognizer("ages", PATTERNS, finish=dedupe)


def find_ages(text: str) -> list[Hit]:
    """Ages in one line of overlay text, each with its (value, unit) reading."""
    return AGES.find(Line.of(text))
