"""Person names without a label: DICOM ``LAST^FIRST``, ``LAST, FIRST`` and ``LAST: GIVEN``.

Also the given-name gazetteer (from Faker's person providers) and :func:`name_span`, which the
labelled-field recognizer uses to cut a name out of a label's value.
"""

from __future__ import annotations

import importlib
import re
from functools import lru_cache

from phibench_plugins.detectors.recognizers.base import Candidate, Hit, Line, Pattern, Recognizer
from phibench_plugins.detectors.recognizers.dates import month_number
from phibench_plugins.detectors.recognizers.normalize import fold
from phibench_plugins.detectors.recognizers.vocabulary import VOCABULARY

_GIVEN_NAME_LOCALES = (
    "en_US", "en_GB", "en_IE", "en_IN", "fr_FR", "fr_CA", "de_DE", "de_AT", "nl_NL", "it_IT",
    "es_ES", "es_MX", "pt_BR", "pt_PT", "sv_SE", "no_NO", "da_DK", "fi_FI", "pl_PL", "cs_CZ",
    "hu_HU", "ro_RO", "tr_TR", "id_ID",
)
"""Faker locales (a declared dependency) whose given-name lists form the gazetteer."""


@lru_cache(maxsize=1)
def given_names() -> frozenset[str]:
    """Upper-case ASCII-folded given names from Faker's person providers (loaded once)."""
    out: set[str] = set()
    for loc in _GIVEN_NAME_LOCALES:
        try:
            provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        except (ImportError, AttributeError):
            continue
        for attr in ("first_names", "first_names_male", "first_names_female"):
            names = provider.__dict__.get(attr, ())
            if isinstance(names, (tuple, list, set, frozenset, dict)):
                out.update(fold(str(n)) for n in names)
    return frozenset(n for n in out if len(n) >= 3) - VOCABULARY


def is_given_name(word: str) -> bool:
    """Whether ``word`` is a given name in the gazetteer (case and accents ignored)."""
    return fold(word) in given_names()


DEGREES = frozenset(("MD", "DO", "PHD", "RN", "RT", "JR", "SR", "II", "III", "IV", "MBBS", "FRCR",
                     "FRCPC", "RDMS", "RVT", "RDCS", "DDS", "DMD", "MS", "MSC", "BSC", "NP", "PA"))
"""Degrees and suffixes that follow a name (``Smith, MD``) and are not a given name."""


def name_case(word: str) -> bool:
    """Whether ``word`` is cased like a name part: ``SMITH`` or ``Smith``, two letters or more."""
    letters = [c for c in word if c.isalpha()]
    if len(letters) < 2:
        return False
    return word.isupper() or (word[0].isupper() and "".join(letters[1:]).islower())


_TITLE = re.compile(r"(?:dr|doctor|prof|mr|mrs|ms|miss)(?:[.:,]\s*|\s+)(?=[A-Za-z])",
                    re.IGNORECASE)
_NAME_VALUE = r"[A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F'`\-\^,. ]*[A-Za-z\u00C0-\u024F.]"


def name_span(value: str) -> tuple[int, int] | None:
    """The span of a person-name-like prefix of ``value`` (after a title), or None."""
    title = _TITLE.match(value)
    offset = title.end() if title else 0
    m = re.match(_NAME_VALUE, value[offset:])
    if not m:
        return None
    span = m.group(0).rstrip(" ,.-^")
    words = [w for w in re.split(r"[\s,.\^\-]+", span) if w]
    if not words or not any(len(w) >= 2 for w in words):
        return None
    if words[0].upper() in VOCABULARY or all(w.upper() in VOCABULARY for w in words):
        return None
    if month_number(words[0]) is not None and len(words) == 1:
        return None
    return offset + m.start(), offset + m.start() + len(span)


def _caret(c: Candidate) -> Hit | None:
    a, b = c.match.group(1), c.match.group(2) or ""
    if len(a) + len(b) < 3:
        return None
    if a.upper() in VOCABULARY and (not b or b.upper() in VOCABULARY):
        return None
    return c.hit() if b else c.hit(score=0.8)


def _last_comma_first(c: Candidate) -> Hit | None:
    a, b = c.match.group(1), c.match.group(2)
    if not (name_case(a) and name_case(b)) or len(a) + len(b) < 5:
        return None
    if a.upper() in VOCABULARY or b.upper() in VOCABULARY:
        return None
    if month_number(a) is not None or month_number(b) is not None:
        return None
    if b.upper().replace(".", "") in DEGREES:
        return None  # "Smith, MD": the provider rule has it
    return c.hit() if is_given_name(b) else c.hit(score=0.65)


def _last_colon_given(c: Candidate) -> Hit | None:
    a, b = c.match.group(1), c.match.group(2)
    if not (name_case(a) and name_case(b)) or len(a) < 2 or len(b) < 3:
        return None
    if a.upper() in VOCABULARY or b.upper() in VOCABULARY or month_number(a) is not None:
        return None
    return c.hit() if is_given_name(b) else None  # "BERNARD: SOPHIE", not "Mode: Color"


_CARET = re.compile(
    r"(?<![A-Za-z0-9])([A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F'\-]*)\s?\^\s?"
    r"([A-Za-z\u00C0-\u024F][A-Za-z\u00C0-\u024F'\-]*)?(?:\s?\^\s?[A-Za-z\u00C0-\u024F'\-]*)*"
)
_LAST_FIRST = re.compile(
    r"(?<![A-Za-z0-9])([A-Z][A-Za-z'\-]+)\s?,\s?([A-Z][A-Za-z'\-]+)(?:\s([A-Z])\.?)?"
    r"(?![A-Za-z0-9])"
)
_LAST_COLON_FIRST = re.compile(
    r"(?<![A-Za-z0-9])([A-Z][A-Za-z'\-]+)\s?[:;]\s?([A-Z][A-Za-z'\-]+)(?![A-Za-z0-9])"
)
"""``LAST: FIRST`` / ``LAST; FIRST``: banners that separate the parts of a name with a colon (or
OCR that reads a comma as one); kept only when the second word is a known given name."""

PATTERNS: tuple[Pattern, ...] = (
    Pattern("caret_name", _CARET, 0.9, "NAME", _caret),
    Pattern("last_comma_first", _LAST_FIRST, 0.8, "NAME", _last_comma_first),
    Pattern("last_colon_given", _LAST_COLON_FIRST, 0.75, "NAME", _last_colon_given),
)
"""A caret name with one part scores 0.8; ``LAST, FIRST`` 0.65 unless FIRST is a given name;
``LAST: GIVEN`` needs one."""

NAMES = Recognizer("names", PATTERNS)


def find_names(text: str) -> list[Hit]:
    """Names in ``LAST^FIRST``, ``LAST, FIRST`` or ``LAST: GIVEN`` form, without a label."""
    return NAMES.find(Line.of(text))
