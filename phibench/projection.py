"""A model of cost at scale: from per-image figures, the wall time and cost of F frames on N workers.

The figures per image come from a measurement (a pilot of a few frames run now, or a finished
run's ``results.parquet``) or, for remote models, from the provider's token rule
(:mod:`phibench.estimate`). The model is the simplest one that the pipeline obeys:

- each worker is one process on one core: its CPU work per image (render + detect) is serial,
  so CPU-bound wall time is ``frames x cpu_s / workers``;
- a remote detector keeps ``in_flight`` requests busy per worker, so latency-bound wall time is
  ``frames x latency_s / (workers x in_flight)``; a client-side request limit bounds it again;
- the run takes the longest of these, plus one model load (workers load theirs at once) and the
  executor's start-up when it was measured.

It ignores what it cannot know here: the endpoint's own rate limits, a cluster's scheduling and
storage, and images unlike the ones measured. ``bound`` says which term decided the wall time.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class PerImage:
    """What one image costs, and where that figure came from."""

    source: str
    """``pilot of 3 frames``, ``run DIR (n frames)`` or ``token rule``: what was measured."""
    cpu_s: float | None = None
    """CPU seconds per image, rendering included; None: not measured."""
    latency_s: float | None = None
    """Wall seconds per request of a remote detector (median); None: not remote or unknown."""
    input_tokens: float = 0.0
    output_tokens: float = 0.0
    usd: float | None = None
    """Mean cost per image as the scorecard prices it (tokens, or CPU at the core-hour price)."""
    setup_s: float | None = None
    """One model load (``setup()``) in a worker, measured; None: not measured."""
    errors: int = 0
    """Measured images that failed (their figures are left out)."""


@dataclass(frozen=True)
class Projection:
    """The projected run: ``frames`` on ``workers``."""

    frames: int
    workers: int
    in_flight: int
    wall_s: float | None
    """None when neither CPU time nor latency is known."""
    bound: str
    """``cpu``, ``latency``, ``request limit`` or ``unknown``: the term that set ``wall_s``."""
    cpu_hours: float | None
    usd: float | None


def project(per: PerImage, *, frames: int, workers: int, in_flight: int = 1,
            requests_per_minute: float = 0.0, startup_s: float = 0.0) -> Projection:
    """The projection of ``per`` to ``frames`` on ``workers`` (see the module docstring)."""
    if workers < 1 or frames < 0:
        raise ValueError("workers must be >= 1 and frames >= 0")
    terms: dict[str, float] = {}
    if per.cpu_s is not None:
        terms["cpu"] = frames * per.cpu_s / workers
    if per.latency_s is not None:
        terms["latency"] = frames * per.latency_s / (workers * max(1, in_flight))
    if requests_per_minute > 0 and per.latency_s is not None:
        terms["request limit"] = frames / (workers * requests_per_minute / 60.0)
    if not terms:
        wall, bound = None, "unknown"
    else:
        bound = max(terms, key=lambda k: terms[k])
        wall = terms[bound] + (per.setup_s or 0.0) + startup_s
    cpu_hours = frames * per.cpu_s / 3600.0 if per.cpu_s is not None else None
    usd = frames * per.usd if per.usd is not None else None
    return Projection(frames, workers, in_flight, wall, bound, cpu_hours, usd)


def as_dict(per: PerImage, projection: Projection) -> dict[str, Any]:
    return {"per_image": asdict(per), "projection": asdict(projection)}


def duration(seconds: float | None) -> str:
    """``4.2 s``, ``12 min``, ``3.5 h``, ``2.1 days``."""
    if seconds is None:
        return "unknown"
    if seconds < 90:
        return f"{seconds:.1f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
