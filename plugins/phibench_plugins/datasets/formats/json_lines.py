"""JSON with line numbers: the members of an object or array, each with the line it starts on.

The standard ``json`` module reports where a *syntax* error is, but not where a well-formed value
that breaks a format's rules sits; a label file's errors must name the line (the value itself may
be PHI, so it cannot be quoted instead). :func:`members` walks one level of an already valid
document with the decoder's own scanner, so it agrees with ``json.loads`` on every value.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from json.decoder import scanstring
from pathlib import Path
from typing import Any

from phibench.exceptions import DatasetError

_DECODER = json.JSONDecoder()
_SPACE = re.compile(r"[ \t\n\r]*")


@dataclass(frozen=True)
class Member:
    """One member of a JSON object (``key`` its name) or array (``key`` its index)."""

    key: str | int
    value: Any
    line: int
    """The line (from 1) where the member's value starts."""
    offset: int
    """Where the value starts in the text, for :func:`members` of a nested value."""


class Document:
    """A JSON label file's text, checked, with a line index."""

    def __init__(self, path: Path, what: str) -> None:
        self.path = path
        try:
            self.text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            raise DatasetError(f"{what} {path} is not UTF-8 text") from None
        except OSError as exc:
            raise DatasetError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
        try:
            self.value = json.loads(self.text)
        except json.JSONDecodeError as exc:  # its message quotes no content, only positions
            raise DatasetError(f"{what} {path} line {exc.lineno}: not valid JSON ({exc.msg})") from None
        except RecursionError:
            raise DatasetError(f"{what} {path}: nested too deeply to read") from None
        self._newlines = [m.start() for m in re.finditer("\n", self.text)]
        self.offset = _SPACE.match(self.text, 0).end()  # type: ignore[union-attr]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self._newlines, offset - 1) + 1

    def members(self, offset: int | None = None) -> Iterator[Member]:
        """The members of the object or array starting at ``offset`` (default: the document)."""
        text = self.text
        pos = self.offset if offset is None else offset
        opening = text[pos]
        if opening not in "{[":
            return
        close = "}" if opening == "{" else "]"
        pos = _skip(text, pos + 1)
        index = 0
        while text[pos] != close:
            key: str | int = index
            if opening == "{":
                key, pos = scanstring(text, pos + 1)
                pos = _skip(text, _skip(text, pos) + 1)  # past the colon
            value, end = _DECODER.raw_decode(text, pos)
            yield Member(key, value, self.line_of(pos), pos)
            index += 1
            pos = _skip(text, end)
            if text[pos] == ",":
                pos = _skip(text, pos + 1)


def _skip(text: str, pos: int) -> int:
    return _SPACE.match(text, pos).end()  # type: ignore[union-attr]
