"""An OCR engine that is the union of other engines' boxes (``ocr.name=ensemble``).

Engines miss different text: on real overlays one reads a banner date that another splits into
fragments, one finds a thin coloured line another does not see at all. Reading a frame with
several and keeping every box they found gives the detector each engine's reading of a region
(its date and name rules match whichever reading is right) and gives the redactor the union of
their areas to mask. What it costs is the sum of the members' CPU: ``benchmarks/README.md``
measures whether it pays.

Each member is built through :func:`phibench.ocr.engine`, so its model loads once per worker and
is shared with any detector or redactor naming the same engine and parameters; each member's
reading of a frame is what :func:`phibench.ocr.read_frame` would cache for it. Any member's
failure fails the read (fail closed: a partial union is not "no more text").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from phibench.exceptions import ConfigError
from phibench.ocr import OcrEngine, TextBox, engine
from phibench.records.ground_truth import Box


WHERE = "OCR engine 'ensemble'"
"""How its configuration errors begin."""


def _default_members() -> list[dict[str, Any]]:
    return [{"name": "easyocr"}, {"name": "rapidocr"}]


@dataclass(frozen=True)
class EnsembleParams:
    """Parameters of :class:`EnsembleEngine`."""

    engines: list[dict[str, Any]] = field(default_factory=_default_members)
    """Members in order, each ``{name: <registered OCR engine>, params: {...}}`` (the shape of a
    plugin's :class:`phibench.ocr.OcrSettings`)."""

    duplicates: str = "keep"
    """``keep``: every member's boxes, even where they read the same text (each reading reaches
    the detector's rules); ``drop``: a later member's box is left out when an earlier member's
    box covers at least ``cover`` of its area (fewer, cleaner lines, only new areas added)."""

    cover: float = 0.6
    """Share of a box's area that earlier boxes must cover for ``duplicates=drop`` to drop it."""

    def __post_init__(self) -> None:
        members(self)  # a bad member is a configuration error on the driver, before any run


def members(p: EnsembleParams) -> list[tuple[str, dict[str, Any]]]:
    """``(name, params)`` of each member, checked: registered engines, valid parameters."""
    from phibench.plugin import validate_params
    from phibench.registry import default_registry

    if p.duplicates not in ("keep", "drop"):
        raise ConfigError(f"{WHERE}: duplicates must be keep or drop, got {p.duplicates!r}")
    if not 0.0 < p.cover <= 1.0:
        raise ConfigError(f"{WHERE}: cover must be in (0, 1], got {p.cover}")
    registry = default_registry()
    out = []
    for i, member in enumerate(p.engines):
        if not isinstance(member, dict) or not member.get("name"):
            raise ConfigError(f"{WHERE}: engines[{i}] needs a name, e.g. {{name: rapidocr}}")
        unknown = set(member) - {"name", "params"}
        if unknown:
            raise ConfigError(f"{WHERE}: engines[{i}] has unknown keys {sorted(unknown)}")
        name, params = str(member["name"]), dict(member.get("params") or {})
        if name == "ensemble":
            raise ConfigError(f"{WHERE}: an ensemble cannot hold an ensemble")
        if name not in registry.names("ocr"):
            raise ConfigError(f"{WHERE}: engines[{i}] names {name!r}, not an OCR engine; "
                              f"installed: {', '.join(sorted(registry.names('ocr')))}")
        validate_params(registry.get("ocr", name).cls, params, where=f"{WHERE}: engines[{i}] {name!r}")
        out.append((name, params))
    if len(out) < 2:
        raise ConfigError(f"{WHERE}: name at least two engines")
    return out


def _covered(box: Box, others: list[Box]) -> float:
    """Share of ``box``'s area inside the union of ``others`` (on a small local raster)."""
    x, y, w, h = box
    if w <= 0 or h <= 0:
        return 1.0
    mask = np.zeros((h, w), dtype=bool)
    for ox, oy, ow, oh in others:
        x0, y0 = max(ox - x, 0), max(oy - y, 0)
        x1, y1 = min(ox + ow - x, w), min(oy + oh - y, h)
        if x1 > x0 and y1 > y0:
            mask[y0:y1, x0:x1] = True
    return float(mask.mean())


class EnsembleEngine(OcrEngine):
    """Reads with every member engine and returns the union of their boxes, members in order."""

    Params = EnsembleParams

    @classmethod
    def extras_needed(cls, params: EnsembleParams) -> dict[str, tuple[str, ...]]:
        from phibench.registry import default_registry

        registry = default_registry()
        out: dict[str, tuple[str, ...]] = {}
        for name, _ in members(params):
            out |= registry.get("ocr", name).cls.requires
        return out

    def __init__(self, params: EnsembleParams | None = None) -> None:
        super().__init__(params)
        self._members: list[OcrEngine] | None = None

    def _specs(self) -> list[tuple[str, dict[str, Any]]]:
        return members(self.params)

    def setup(self) -> None:
        if self._members is None:
            self._members = [engine(name, params) for name, params in self._specs()]

    def read(self, image: np.ndarray) -> list[TextBox]:
        if self._members is None:
            self.setup()
        assert self._members is not None
        p: EnsembleParams = self.params
        out: list[TextBox] = []
        for member in self._members:
            found = member.read(image)
            if p.duplicates == "drop" and out:
                earlier = [b.box for b in out]
                found = [b for b in found if _covered(b.box, earlier) < p.cover]
            out.extend(found)
        return out

    def describe(self) -> dict[str, Any]:
        if self._members is None:
            return {"engine": "ensemble", "members": [name for name, _ in self._specs()]}
        return {"engine": "ensemble", "members": [m.describe() for m in self._members],
                "duplicates": self.params.duplicates}
