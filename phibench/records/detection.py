"""What a detector says about one sample."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from phibench.records.ground_truth import Box
from phibench.records.sample_error import SampleError


@dataclass(frozen=True, slots=True)
class Entity:
    """One piece of PHI a detector found."""

    category: str
    """PHI category, e.g. ``NAME``, ``DATE``, ``ID``, ``AGE``, ``INSTITUTION``."""

    text: str = ""
    """The text the detector read. PHI: never log it."""

    box: Box | None = None
    """(left, top, width, height) in frame pixels, when the detector locates the text."""

    score: float | None = None
    """The detector's confidence in this entity, 0..1, when it has one."""

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Entity":
        """An entity from its stored form (:meth:`list_to_json`); missing keys take the defaults
        and extra keys (``frame`` in a Spark answer) are ignored. Values are kept as stored."""
        box = d.get("box")
        return cls(
            category=d.get("category") or "",
            text=d.get("text") or "",
            box=tuple(box) if box else None,  # type: ignore[arg-type]
            score=d.get("score"),
        )

    @staticmethod
    def list_to_json(entities: Iterable["Entity"]) -> str:
        """Entities as a JSON array, the form stored in ``results.parquet`` (``entities``)."""
        return json.dumps([{k: getattr(e, k) for k in e.__dataclass_fields__} for e in entities])

    @classmethod
    def list_from_json(cls, text: str | None) -> tuple["Entity", ...]:
        """Entities back from :meth:`list_to_json`'s form; null or empty text is none."""
        return tuple(cls.from_dict(d) for d in json.loads(text)) if text else ()


@dataclass(frozen=True, slots=True)
class TokenUsage:
    """Tokens a model call consumed; zero for local detectors."""

    input_tokens: int = 0
    output_tokens: int = 0

    def __add__(self, other: "TokenUsage") -> "TokenUsage":
        return TokenUsage(
            self.input_tokens + other.input_tokens, self.output_tokens + other.output_tokens
        )


@dataclass(frozen=True, slots=True)
class Detection:
    """A detector's answer for one sample, or the error that stopped it.

    ``has_phi is None`` exactly when ``error`` is set: an error is never "no PHI".
    """

    has_phi: bool | None
    """True: PHI found. False: the detector looked and found none. None: no answer (see error)."""

    entities: tuple[Entity, ...] = field(default_factory=tuple)
    """The PHI found, with category and, where known, box."""

    confidence: float | None = None
    """Confidence in ``has_phi``, 0..1, when the detector has one."""

    usage: TokenUsage = field(default_factory=TokenUsage)
    """Tokens consumed (remote models)."""

    latency_s: float = 0.0
    """Wall time of the detection call for this sample, seconds."""

    cpu_s: float = 0.0
    """CPU time of the process during the call (all threads), seconds; prices local compute."""

    error: SampleError | None = None
    """Why there is no answer, when there is none."""

    endpoint: str = ""
    """Which endpoint answered (remote models); empty for local detectors."""

    attempts: int = 0
    """Requests sent for this sample, retries included; 0 for local detectors and cache hits."""

    def __post_init__(self) -> None:
        if self.error is not None and self.has_phi is not None:
            raise ValueError("a Detection with an error has has_phi=None (fail closed, never negative)")

    @classmethod
    def failed(cls, error: SampleError, **kw: object) -> "Detection":
        return cls(has_phi=None, error=error, **kw)  # type: ignore[arg-type]

    def timed(self, latency_s: float, cpu_s: float) -> "Detection":
        """A copy with the measured wall and CPU time, unless the detector set them itself."""
        return replace(
            self, latency_s=self.latency_s or latency_s, cpu_s=self.cpu_s or cpu_s
        )

    def entities_json(self) -> str:
        """The entities in their stored form (:meth:`Entity.list_to_json`)."""
        return Entity.list_to_json(self.entities)
