"""Matching that tolerates OCR noise: case, punctuation, spacing and look-alike characters.

Everything works on a *canonical* form of the text: accents stripped, case folded, only letters
and digits kept, and characters OCR engines confuse folded onto one representative
(``O``/``0``/``Q``, ``I``/``l``/``1``/``|``, ``S``/``5``, ``B``/``8``, ``Z``/``2``, ``G``/``9``).
Both sides of every comparison go through the same folding, so it is symmetric. Every canonical
character remembers its index in the original string, so a match maps back to the OCR text (and
from there to the OCR box).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

_CONFUSIONS = {
    "o": "0",
    "q": "0",
    "i": "1",
    "l": "1",
    "|": "1",
    "!": "1",
    "s": "5",
    "b": "8",
    "z": "2",
    "g": "9",
}


def _fold_char(ch: str) -> str:
    """One original character → its canonical form: '' (dropped) or one character."""
    decomposed = unicodedata.normalize("NFKD", ch)
    base = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    if len(base) != 1:
        base = base[:1]
    if base in _CONFUSIONS:
        return _CONFUSIONS[base]
    if base.isascii() and base.isalnum():
        return base
    if base.isalnum():  # non-ASCII letter that did not decompose (ß, ø, ...): keep it
        return base
    return ""


def canon(text: str) -> str:
    """Canonical form: alphanumerics only, folded case and look-alikes."""
    return "".join(_fold_char(c) for c in text)


def canon_map(text: str) -> tuple[str, list[int]]:
    """Canonical form and, for each of its characters, the index in ``text`` it came from."""
    chars: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        f = _fold_char(ch)
        if f:
            chars.append(f)
            where.append(i)
    return "".join(chars), where


@dataclass(frozen=True, slots=True)
class Token:
    """A word of the original text, with its canonical form and character span."""

    canon: str
    start: int
    end: int
    raw: str


def tokens(text: str) -> list[Token]:
    """Words of ``text`` (split on anything that is not a letter, digit or look-alike)."""
    out: list[Token] = []
    start = None
    buf: list[str] = []
    for i, ch in enumerate(text + " "):
        f = _fold_char(ch) if i < len(text) else ""
        if f:
            if start is None:
                start = i
            buf.append(f)
        elif start is not None:
            out.append(Token("".join(buf), start, i, text[start:i]))
            start, buf = None, []
    return out


def max_edits(n: int) -> int:
    """Edits (insert/delete/substitute) tolerated in a canonical string of length ``n``."""
    if n <= 3:
        return 0
    if n <= 6:
        return 1
    if n <= 10:
        return 2
    return 3


def similarity(a: str, b: str) -> float:
    """Normalised Levenshtein similarity, 0..1."""
    return float(Levenshtein.normalized_similarity(a, b))


def close(a: str, b: str, edits: int | None = None) -> tuple[bool, int]:
    """Whether canonical ``a`` and ``b`` are within the tolerated distance, and the distance."""
    limit = max_edits(len(a)) if edits is None else edits
    d = Levenshtein.distance(a, b, score_cutoff=limit + 1)
    return d <= limit, d


@dataclass(frozen=True, slots=True)
class Match:
    """An approximate occurrence of a needle in a text: original span and edit distance."""

    start: int
    end: int
    edits: int

    @property
    def span(self) -> tuple[int, int]:
        return self.start, self.end


def find_approx(
    needle: str,
    text: str,
    *,
    edits: int | None = None,
    digit_boundaries: bool = True,
    _cmap: tuple[str, list[int]] | None = None,
) -> Match | None:
    """Best approximate occurrence of canonical ``needle`` inside ``text`` (original string).

    ``edits`` defaults to :func:`max_edits` of the needle. With ``digit_boundaries``, a needle
    that starts (ends) with a digit may not continue a digit run of the original text, so the
    ID ``12345`` is not found inside ``9123456``.
    """
    if not needle:
        return None
    hay, where = _cmap if _cmap is not None else canon_map(text)
    if len(hay) < max(1, len(needle) - (edits if edits is not None else max_edits(len(needle)))):
        return None
    limit = max_edits(len(needle)) if edits is None else edits
    best: Match | None = None
    # Exact occurrences first (fast, and most OCR of clean overlays is exact).
    pos = hay.find(needle)
    while pos >= 0:
        m = _to_match(text, where, pos, pos + len(needle), 0, needle, digit_boundaries)
        if m is not None:
            return m
        pos = hay.find(needle, pos + 1)
    if limit == 0:
        return None
    cutoff = 100.0 * (1.0 - (limit + 0.5) / max(len(needle), 1))
    if len(hay) >= len(needle):
        al = fuzz.partial_ratio_alignment(needle, hay, score_cutoff=max(cutoff, 0.0))
        if al is None:
            return None
        lo, hi = al.dest_start, al.dest_end
        # Refine: allow the window to grow or shrink by the tolerated edits (insertions/deletions).
        for s in range(max(0, lo - limit), min(len(hay), lo + limit) + 1):
            for e in range(max(s + 1, hi - limit), min(len(hay), hi + limit) + 1):
                d = Levenshtein.distance(needle, hay[s:e], score_cutoff=limit + 1)
                if d <= limit and (best is None or d < best.edits):
                    m = _to_match(text, where, s, e, d, needle, digit_boundaries)
                    if m is not None:
                        best = m
    else:
        d = Levenshtein.distance(needle, hay, score_cutoff=limit + 1)
        if d <= limit:
            best = _to_match(text, where, 0, len(hay), d, needle, digit_boundaries)
    return best


def _to_match(
    text: str, where: list[int], s: int, e: int, d: int, needle: str, digit_boundaries: bool
) -> Match | None:
    start, end = where[s], where[e - 1] + 1
    if digit_boundaries:
        if needle[0].isdigit() and start > 0 and text[start - 1].isdigit():
            return None
        if needle[-1].isdigit() and end < len(text) and text[end].isdigit():
            return None
    return Match(start, end, d)


def digits_map(text: str) -> tuple[str, list[int]]:
    """The digits of ``text`` (after folding look-alikes in numeric tokens) and their indices."""
    from phibench_plugins.detectors.recognizers.normalize import digitize

    fixed = digitize(text)
    chars: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(fixed):
        if ch.isdigit() and ch.isascii():
            chars.append(ch)
            where.append(i)
    return "".join(chars), where


def hamming_find(needle: str, hay: str, max_mismatch: int) -> tuple[int, int] | None:
    """First window of ``hay`` of the needle's length with at most ``max_mismatch`` differences."""
    n = len(needle)
    best: tuple[int, int] | None = None
    for s in range(0, len(hay) - n + 1):
        mism = sum(1 for a, b in zip(needle, hay[s : s + n]) if a != b)
        if mism <= max_mismatch and (best is None or mism < best[1]):
            best = (s, mism)
            if mism == 0:
                break
    return best
