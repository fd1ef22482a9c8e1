"""What is really in a sample: the labels a detector is scored against."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

Box = tuple[int, int, int, int]
"""An axis-aligned box in pixel coordinates of the rendered frame: (left, top, width, height)."""


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
    def from_dict(cls, d: dict[str, Any]) -> "TextRegion":
        box = d.get("box") or (d["left"], d["top"], d["width"], d["height"])
        return cls(
            box=tuple(int(v) for v in box),  # type: ignore[arg-type]
            text=str(d.get("text", "")),
            is_phi=bool(d.get("is_phi", True)),
            category=str(d.get("category", "") or ""),
        )


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
        return json.dumps([asdict(r) for r in self.regions])

    @staticmethod
    def regions_from_json(text: str | None) -> tuple[TextRegion, ...]:
        if not text:
            return ()
        return tuple(TextRegion.from_dict(d) for d in json.loads(text))
