"""What is really in a sample: the labels a detector is scored against."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Box = tuple[int, int, int, int]
"""An axis-aligned box in pixel coordinates of the rendered frame: (left, top, width, height)."""

TRUE = frozenset({"true", "t", "yes", "y", "1", "1.0"})
FALSE = frozenset({"false", "f", "no", "n", "0", "0.0"})

COORD_LIMIT = 2**31 - 1
"""Largest box coordinate accepted: beyond any image, and within the int32 columns of scoring."""

BOX_KEYS = ("left", "top", "width", "height")


def parse_bool(value: object) -> bool:
    """A label's truth value, read strictly: a real bool, 1/0, or true/false, yes/no (t/f, y/n).

    ``bool("false")`` is ``True``; a benchmark that reads labels that way scores against the wrong
    answer, so anything else is a :class:`ValueError` (whose message never quotes the value).
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
    raise ValueError(f"must be true/false (or 1/0, yes/no), got a {_kind(value)}")


def _coordinate(value: object, name: str) -> int:
    """One box number: an int or an integral float (JSON writers differ), never a bool or text."""
    if type(value) is int and -COORD_LIMIT <= value <= COORD_LIMIT:  # the usual case, first
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"box {name} must be an integer number, got a {_kind(value)}")
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        raise ValueError(f"box {name} must be an integer number, got a fraction or NaN/inf")
    number = int(value)
    if abs(number) > COORD_LIMIT:
        raise ValueError(f"box {name} is out of range (at most {COORD_LIMIT} in magnitude)")
    return number


def _kind(value: object) -> str:
    """What a bad value is, for error messages that must not quote it (labels text is PHI)."""
    return "string" if isinstance(value, str) else "null" if value is None else type(value).__name__


@dataclass(frozen=True, slots=True)
class TextRegion:
    """One piece of text burned into the pixels."""

    box: Box
    """(left, top, width, height) in pixels of the frame, covering the whole (possibly rotated) text."""

    text: str
    """The text as burned in. This is PHI when ``is_phi``: never log it."""

    is_phi: bool
    """Whether this text identifies the patient (HIPAA identifiers) or is harmless annotation."""

    category: str = ""
    """PHI category (``NAME``, ``DATE``, ``ID``, ``AGE``, ...) or the kind of non-PHI text."""

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "TextRegion":
        """A region from a labels dict, validated in full; :class:`ValueError` says what is wrong.

        The box is ``"box": [left, top, width, height]`` or Presidio's ``left/top/width/height``
        keys: four integer numbers (integral floats accepted), width and height at least 0.
        ``text`` and ``category`` are strings when given; ``is_phi`` is read by :func:`parse_bool`
        and defaults to true (an unmarked region counts as PHI: fail closed). Messages never quote
        a value, since ``text`` is PHI.
        """
        if type(d) is dict:  # what phibench writes, checked the short way (labels and rows)
            fast = cls._plain(d)
            if fast is not None:
                return fast
        if not isinstance(d, Mapping):
            raise ValueError(f"a region must be a JSON object, got a {_kind(d)}")
        if "box" in d:
            raw = d["box"]
            if not isinstance(raw, (list, tuple)) or len(raw) != 4:
                got = f"{len(raw)} values" if isinstance(raw, list | tuple) else f"a {_kind(raw)}"
                raise ValueError(f"box must be 4 numbers [left, top, width, height], got {got}")
        elif all(k in d for k in BOX_KEYS):
            raw = [d[k] for k in BOX_KEYS]
        else:
            raise ValueError(
                'a region needs "box": [left, top, width, height] (or left, top, width, height)'
            )
        left, top = _coordinate(raw[0], "left"), _coordinate(raw[1], "top")
        width, height = _coordinate(raw[2], "width"), _coordinate(raw[3], "height")
        if width < 0 or height < 0:
            raise ValueError("box width and height must be at least 0")
        text, category = d.get("text", ""), d.get("category", "")
        if not isinstance(text, str):
            raise ValueError(f"region text must be a string, got a {_kind(text)}")
        if category is None:
            category = ""
        if not isinstance(category, str):
            raise ValueError(f"region category must be a string, got a {_kind(category)}")
        try:
            is_phi = parse_bool(d["is_phi"]) if "is_phi" in d else True
        except ValueError as exc:
            raise ValueError(f"region is_phi {exc}") from None
        return cls(box=(left, top, width, height), text=text, is_phi=is_phi, category=category)

    @classmethod
    def _plain(cls, d: dict[str, Any]) -> "TextRegion | None":
        """The region when ``d`` is in the canonical form (a list box of four in-range ints,
        width and height >= 0, string text and category, boolean or absent ``is_phi``), the
        same value :meth:`from_dict` builds; None for anything else, which takes the full
        checks. Most regions are read back from phibench's own JSON, so this is the hot path
        of planning and scoring."""
        box = d.get("box")
        if type(box) is not list or len(box) != 4:
            return None
        left, top, width, height = box
        if not (type(left) is int and type(top) is int and type(width) is int and type(height) is int):
            return None
        if not (-COORD_LIMIT <= left <= COORD_LIMIT and -COORD_LIMIT <= top <= COORD_LIMIT
                and 0 <= width <= COORD_LIMIT and 0 <= height <= COORD_LIMIT):
            return None
        text, category, is_phi = d.get("text", ""), d.get("category", ""), d.get("is_phi", True)
        if type(text) is not str or type(category) is not str or type(is_phi) is not bool:
            return None
        return cls(box=(left, top, width, height), text=text, is_phi=is_phi, category=category)

    @staticmethod
    def list_to_json(regions: Iterable["TextRegion"]) -> str:
        """Regions as a JSON array, the form stored in ``results.parquet`` (``truth_regions``)."""
        return json.dumps([{k: getattr(r, k) for k in r.__dataclass_fields__} for r in regions])

    @classmethod
    def list_from_json(cls, text: str | None) -> tuple["TextRegion", ...]:
        """Regions from a JSON array of region objects, each validated by :meth:`from_dict`;
        :class:`ValueError` names the bad one. Null or empty text is no region."""
        if not text:
            return ()
        value = json.loads(text)  # JSONDecodeError is a ValueError; its message quotes nothing
        if not isinstance(value, list):
            raise ValueError(f"regions must be a JSON list of region objects, got a {_kind(value)}")
        regions = []
        for k, d in enumerate(value, start=1):
            try:
                regions.append(cls.from_dict(d))
            except ValueError as exc:
                raise ValueError(f"region {k}: {exc}") from None
        return tuple(regions)


@dataclass(frozen=True, slots=True)
class GroundTruth:
    """Labels of one sample: the image-level answer and, where known, the text regions."""

    has_phi: bool | None
    """Whether any PHI is burned into this frame; ``None`` when the dataset has no label."""

    regions: tuple[TextRegion, ...] = field(default_factory=tuple)
    """Text regions with boxes, where the dataset provides them (synthetic data always does)."""

    def phi_categories(self) -> list[str]:
        """Sorted distinct categories of the PHI regions."""
        return sorted({r.category for r in self.regions if r.is_phi and r.category})

    def regions_json(self) -> str:
        """Regions as a JSON array, the form stored in ``results.parquet``."""
        return TextRegion.list_to_json(self.regions)

    @staticmethod
    def regions_from_json(text: str | None) -> tuple[TextRegion, ...]:
        """Regions from a JSON array of region objects; :class:`ValueError` names the bad one."""
        return TextRegion.list_from_json(text)
