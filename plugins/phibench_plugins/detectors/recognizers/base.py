"""The recognizer contract: a line normalised once, tables of named patterns, and their hits.

As in Presidio's ``predefined_recognizers``, a :class:`Recognizer` is a name and a table of
:class:`Pattern` s (name, regex, base score, category, optional validator); recognizers are
instances of one class, not subclasses. A validator sees a :class:`Candidate` and accepts it
(possibly with another score, span or rule), or rejects it with ``None``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any, Callable, Literal, Sequence

from phibench_plugins.detectors.recognizers import normalize


@dataclass(frozen=True, slots=True)
class Hit:
    """A generic pattern that matched: category, span in the text, score, and which rule."""

    category: str
    start: int
    end: int
    score: float
    rule: str
    dates: tuple[tuple[int, int, int], ...] = ()
    """For date hits: candidate (year, month, day); a two-digit year is kept as 0..99."""
    age: tuple[int, str] | None = None
    """For age hits: (value, unit) with unit one of Y, M, W, D."""
    pattern: str = ""
    """Name of the :class:`Pattern` that matched. Several patterns may share one ``rule`` (every
    date label reports ``label_date``); the pattern name tells them apart."""


@dataclass(frozen=True, slots=True)
class Line:
    """One line of overlay text in the forms recognizers read, each computed once."""

    text: str
    """The text as OCR gave it; spans of every hit index into it."""
    digits: str
    """``text`` after :func:`~.normalize.digitize`, the same length, so spans carry over."""

    @classmethod
    def of(cls, text: str) -> Line:
        return cls(text, normalize.digitize(text))

    def form(self, name: Literal["text", "digits"]) -> str:
        return self.digits if name == "digits" else self.text


@dataclass(frozen=True, slots=True)
class Candidate:
    """A regex match a validator judges, with what it may need to decide."""

    pattern: Pattern
    match: re.Match[str]
    line: Line
    found: Sequence[Hit]
    """Hits the recognizer accepted earlier on this line (for "unless already covered" rules)."""

    @property
    def form(self) -> str:
        """The form of the line the pattern's regex ran on."""
        return self.line.form(self.pattern.form)

    def hit(self, **changes: Any) -> Hit:
        """The hit this match makes by the pattern's defaults, with ``changes`` applied."""
        p, m = self.pattern, self.match
        h = Hit(p.category, m.start(), m.end(), p.score, p.rule or p.name, pattern=p.name)
        return replace(h, **changes) if changes else h


Validator = Callable[[Candidate], Hit | None]
"""Accepts a candidate by returning its hit (``candidate.hit(...)``), or rejects it with None."""


@dataclass(frozen=True, slots=True)
class Pattern:
    """One named rule of a recognizer's table."""

    name: str
    """Unique within its recognizer; reported as :attr:`Hit.pattern`."""
    regex: re.Pattern[str]
    score: float
    """Base score; a validator may report another."""
    category: str
    """A key of :data:`phibench.categories.PHI_CATEGORIES`."""
    validator: Validator | None = None
    form: Literal["text", "digits"] = "text"
    """Which form of the :class:`Line` the regex runs on."""
    rule: str | None = None
    """:attr:`Hit.rule` when it differs from ``name`` (patterns grouped under one rule)."""


def keep_all(hits: list[Hit]) -> list[Hit]:
    return hits


@dataclass(frozen=True)
class Recognizer:
    """A kind of PHI: a table of patterns run in order over one :class:`Line`."""

    name: str
    patterns: tuple[Pattern, ...]
    finish: Callable[[list[Hit]], list[Hit]] = keep_all
    """Applied to the accepted hits, e.g. :func:`dedupe`."""

    @property
    def categories(self) -> frozenset[str]:
        return frozenset(p.category for p in self.patterns)

    def find(self, line: Line) -> list[Hit]:
        """Every accepted match, pattern by pattern in table order, then :attr:`finish`.

        A validator sees the hits accepted before it, so a later, looser rule can yield to an
        earlier one (``date_mon_y`` keeps out of a full date's span).
        """
        hits: list[Hit] = []
        for p in self.patterns:
            for m in p.regex.finditer(line.form(p.form)):
                c = Candidate(p, m, line, hits)
                h = p.validator(c) if p.validator else c.hit()
                if h is not None:
                    hits.append(h)
        return self.finish(hits)


def overlaps(hits: Sequence[Hit], start: int, end: int) -> bool:
    return any(h.start < end and start < h.end for h in hits)


def dedupe(hits: list[Hit]) -> list[Hit]:
    """Drop hits contained in a higher-or-equal scoring hit of the same category."""
    keep: list[Hit] = []
    for h in sorted(hits, key=lambda h: (-h.score, h.start - h.end)):
        if any(k.category == h.category and k.start <= h.start and h.end <= k.end for k in keep):
            continue
        keep.append(h)
    return sorted(keep, key=lambda h: h.start)
