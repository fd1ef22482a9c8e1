"""Text normalisation shared by every recognizer: OCR digit repair and ASCII folding.

:class:`~.base.Line` applies :func:`digitize` once per line of overlay text, so recognizers read
the repaired form instead of each recomputing it.
"""

from __future__ import annotations

import re
import unicodedata

_TO_DIGIT = {"O": "0", "o": "0", "Q": "0", "D": "0", "I": "1", "l": "1", "|": "1", "!": "1",
             "S": "5", "s": "5", "B": "8", "Z": "2", "z": "2"}
_INNER_ONLY = {"S", "s", "B", "Z", "z", "D"}


def digitize(text: str) -> str:
    """Fix letters OCR put in numbers (``O3/l7/1945`` → ``03/17/1945``); same length as input.

    Only tokens (split on spaces and ``: = # , ;`` brackets) with at least two digits and no
    more look-alike letters than digits, all of whose letters are look-alikes, are touched;
    ``S``, ``B``, ``Z``, ``D`` only between two digit-ish characters.
    """
    out = list(text)
    for m in re.finditer(r"[^\s:=#,;()\[\]]+", text):
        tok = m.group(0)
        n_digits = sum(c.isdigit() for c in tok)
        letters = [c for c in tok if c.isalpha() or c in "|!"]
        if n_digits < 2 or not letters or any(c not in _TO_DIGIT for c in letters):
            continue
        if len(letters) > n_digits:
            continue
        for k, c in enumerate(tok):
            if c not in _TO_DIGIT:
                continue
            if c in _INNER_ONLY:
                prev_ok = k > 0 and (tok[k - 1].isdigit() or tok[k - 1] in _TO_DIGIT)
                next_ok = k + 1 < len(tok) and (tok[k + 1].isdigit() or tok[k + 1] in _TO_DIGIT)
                if not (prev_ok and next_ok):
                    continue
            out[m.start() + k] = _TO_DIGIT[c]
    return "".join(out)


def fold(word: str) -> str:
    """``word`` in upper case with accents dropped (``Hélène`` → ``HELENE``)."""
    return unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().upper()
