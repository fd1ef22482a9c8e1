"""Dates in common overlay renderings, each with its candidate (year, month, day) readings.

Numeric dates (``2013-05-04``, ``04/05/2013``, ``16.11.1995``, ``20130504``), dates with a month
name in several languages (``17-MAR-1945``, ``March 17, 1945``), and month-year forms. Every
pattern runs on the digit-repaired form of the line; a reading must be a valid calendar date, and
a date right after a version or software label is a version, not a date.
"""

from __future__ import annotations

import re

from phibench_plugins.detectors.recognizers.base import (
    Candidate,
    Hit,
    Line,
    Pattern,
    Recognizer,
    dedupe,
    overlaps,
)

_MONTH_FORMS = {
    1: ("jan", "january", "januar", "janv", "janvier", "ene", "enero"),
    2: ("feb", "february", "februar", "fev", "fév", "févr", "fevr", "février", "fevrier"),
    3: ("mar", "march", "märz", "marz", "mrz", "mars"),
    4: ("apr", "april", "avr", "avril", "abr", "abril"),
    5: ("may", "mai", "mayo"),
    6: ("jun", "june", "juni", "juin", "junio"),
    7: ("jul", "july", "juli", "juil", "juillet", "julio"),
    8: ("aug", "august", "aout", "août", "agosto"),
    9: ("sep", "sept", "september", "septembre", "septiembre"),
    10: ("oct", "october", "okt", "oktober", "octobre", "octubre"),
    11: ("nov", "november", "novembre", "noviembre"),
    12: ("dec", "december", "dez", "dezember", "déc", "décembre", "decembre", "dic", "diciembre"),
}
_MONTHS = {form: num for num, forms in _MONTH_FORMS.items() for form in forms}
MONTH_RE = "(?:" + "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True)) + r")\.?"


def month_number(word: str) -> int | None:
    """The month (1..12) a month name or abbreviation in any supported language stands for."""
    return _MONTHS.get(word.lower().rstrip("."))


def valid_date(y: int, m: int, d: int) -> bool:
    """Whether (y, m, d) can be a date (29 February in any year); four-digit years 1880..2099."""
    if not (1 <= m <= 12 and 1 <= d <= 31):
        return False
    if y >= 100 and not (1880 <= y <= 2099):
        return False
    return d <= (29 if m == 2 else 30 if m in (4, 6, 9, 11) else 31)


_VERSION_BEFORE = re.compile(
    r"(?:\bv|\bver|version|\brev|revision|\bsw|software|build|release|firmware|\bvb|\bve|\bva)"
    r"[\s.:#]*$",
    re.IGNORECASE,
)
_SEQ_BEFORE = re.compile(
    r"(?:\b(?:im|img|image|ima|se|ser|series|sl|slice|fr|frame|no|page|acq|#)\.?)[\s:#]*$",
    re.IGNORECASE,
)
_NUM_END = r"(?![\d:]|[.,/\-]\d)"
_NUMERIC_DMY = re.compile(
    r"(?<![\d./\-])(?<!\d:)(\d{1,2})\s?([/.\-])\s?(\d{1,2})\s?\2\s?(\d{4}|\d{2})" + _NUM_END
)
_NUMERIC_YMD = re.compile(
    r"(?<![\d./\-])(?<!\d:)(\d{4})\s?([/.\-])\s?(\d{1,2})\s?\2\s?(\d{1,2})" + _NUM_END
)
_NUMERIC_MIXED = re.compile(
    r"(?<![\d./\-,])(?<!\d:)(\d{1,2})\s?([/.\-,])\s?(\d{1,2})\s?([/.\-,])\s?"
    r"((?:19|20)\d{2})" + _NUM_END
)
"""A numeric date with a four-digit year whose two separators differ: OCR reads a thin ``/`` of
a small font as ``,`` or ``.`` (``6,24/2006``)."""
_MERIDIEM_AFTER = re.compile(r"\s?[ap]\.?m\.?(?![A-Za-z])", re.IGNORECASE)
_COMPACT = re.compile(r"(?<![\d.])(\d{8})(?![\d]|[.,]\d)")
_D_MON_Y = re.compile(
    rf"(?<![A-Za-z\d])(\d{{1,2}})(?:st|nd|rd|th)?[\s\-./]{{0,3}}({MONTH_RE})(?![A-Za-z])"
    rf"[\s\-./,]{{0,3}}(\d{{4}}|\d{{2}})(?!\d)",
    re.IGNORECASE,
)
_MON_D_Y = re.compile(
    rf"(?<![A-Za-z\d])({MONTH_RE})(?![A-Za-z])[\s\-./]{{0,3}}(\d{{1,2}})(?:st|nd|rd|th)?"
    rf"[\s,\-./]{{0,3}}(\d{{4}})(?!\d)",
    re.IGNORECASE,
)
_Y_MON_D = re.compile(
    rf"(?<![A-Za-z\d])(\d{{4}})[\s\-./]{{0,3}}({MONTH_RE})(?![A-Za-z])[\s\-./]{{0,3}}"
    rf"(\d{{1,2}})(?!\d)",
    re.IGNORECASE,
)
_MON_Y = re.compile(
    rf"(?<![A-Za-z\d])({MONTH_RE})(?![A-Za-z])[\s\-./,]{{0,3}}((?:19|20)\d{{2}})(?!\d)",
    re.IGNORECASE,
)
_NUM_M_Y = re.compile(r"(?<![\d.:/\-])(\d{1,2})\s?/\s?((?:19|20)\d{2})(?![\d:]|[.,/\-]\d)")



def _accept(c: Candidate, cands: list[tuple[int, int, int]], score: float | None = None
            ) -> Hit | None:
    """The date hit for ``cands`` (its valid readings), unless none is valid or it is a version."""
    cands = [d for d in dict.fromkeys(cands) if valid_date(*d)]
    if not cands:
        return None
    if _VERSION_BEFORE.search(c.form[: c.match.start()]):
        return None
    return c.hit(dates=tuple(cands), score=c.pattern.score if score is None else score)


def _ymd(c: Candidate) -> Hit | None:
    m = c.match
    return _accept(c, [(int(m.group(1)), int(m.group(3)), int(m.group(4)))])


def _numeric(c: Candidate) -> Hit | None:
    m, t = c.match, c.form
    if _MERIDIEM_AFTER.match(t, m.end()):
        return None  # "9.28.50 AM": a time whose colons OCR read as dots
    a, b, ys = int(m.group(1)), int(m.group(3)), m.group(4)
    y = int(ys)
    # dotted dates are day-first wherever they are printed (16.11.1995)
    cands = [(y, b, a)] if m.group(2) == "." else [(y, a, b), (y, b, a)]
    if len(ys) == 4:
        score = 0.9
    else:
        score = 0.75
        parts = (m.group(1), m.group(3), ys)
        if m.group(2) == "." and all(len(p) == 2 for p in parts) and a <= 23 and b <= 59 \
                and y <= 59:
            score = 0.35  # also reads as a time of day (OCR turns ':' into '.')
    return _accept(c, cands, score)


def _mixed(c: Candidate) -> Hit | None:
    m = c.match
    if m.group(2) == m.group(4) or overlaps(c.found, m.start(), m.end()):
        return None  # one separator throughout: the numeric rule has it
    a, b, y = int(m.group(1)), int(m.group(3)), int(m.group(5))
    return _accept(c, [(y, a, b), (y, b, a)])


def _compact(c: Candidate) -> Hit | None:
    s = c.match.group(1)
    ymd = (int(s[:4]), int(s[4:6]), int(s[6:]))
    if valid_date(*ymd) and ymd[0] >= 1900:
        return _accept(c, [ymd])
    return None


def _d_mon_y(c: Candidate) -> Hit | None:
    m = c.match
    return _accept(c, [(int(m.group(3)), month_number(m.group(2)) or 0, int(m.group(1)))])


def _mon_d_y(c: Candidate) -> Hit | None:
    m = c.match
    return _accept(c, [(int(m.group(3)), month_number(m.group(1)) or 0, int(m.group(2)))])


def _y_mon_d(c: Candidate) -> Hit | None:
    m = c.match
    return _accept(c, [(int(m.group(1)), month_number(m.group(2)) or 0, int(m.group(3)))])


def _mon_y(c: Candidate) -> Hit | None:
    m = c.match
    if overlaps(c.found, m.start(), m.end()):
        return None
    return _accept(c, [(int(m.group(2)), month_number(m.group(1)) or 0, 1)])


def _m_y(c: Candidate) -> Hit | None:
    m = c.match
    if overlaps(c.found, m.start(), m.end()) or _SEQ_BEFORE.search(c.form[: m.start()]):
        return None
    return _accept(c, [(int(m.group(2)), int(m.group(1)), 1)])


PATTERNS: tuple[Pattern, ...] = (
    Pattern("date_ymd", _NUMERIC_YMD, 0.9, "DATE", _ymd, "digits"),
    Pattern("date_numeric", _NUMERIC_DMY, 0.9, "DATE", _numeric, "digits"),
    Pattern("date_numeric_ocr_separator", _NUMERIC_MIXED, 0.8, "DATE", _mixed, "digits"),
    Pattern("date_compact", _COMPACT, 0.8, "DATE", _compact, "digits"),
    Pattern("date_d_mon_y", _D_MON_Y, 0.9, "DATE", _d_mon_y, "digits"),
    Pattern("date_mon_d_y", _MON_D_Y, 0.9, "DATE", _mon_d_y, "digits"),
    Pattern("date_y_mon_d", _Y_MON_D, 0.9, "DATE", _y_mon_d, "digits"),
    Pattern("date_mon_y", _MON_Y, 0.6, "DATE", _mon_y, "digits"),
    Pattern("date_m_y", _NUM_M_Y, 0.55, "DATE", _m_y, "digits"),
)
"""In order: the later month-year rules keep out of spans an earlier rule already has."""

DATES = Recognizer("dates", PATTERNS, finish=dedupe)


def find_dates(text: str) -> list[Hit]:
    """Dates in common overlay formats, with their candidate (y, m, d) readings."""
    return DATES.find(Line.of(text))
