"""What a gate holds a run to: ``--min``, ``--max`` and ``--max-drop`` thresholds, from flags or
a YAML/JSON file, and the test settings (``alpha``, ``strict``, ``correction``).

A thresholds file (``--thresholds FILE``) looks like::

    min: {recall: 0.95}
    max: {error_rate: 0}
    max_drop: {recall: 0.02, specificity: 0.05}
    alpha: 0.05        # optional, as are strict and correction
    strict: false
    correction: holm

Flags add to the file; a flag for a metric the file also sets wins. Checks run in the order
``min``, ``max``, ``max_drop``, each in the order given.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from phibench.compare.comparison import check_correction
from phibench.compare.metrics import LOWER_IS_BETTER, METRICS
from phibench.exceptions import ConfigError

KINDS = ("min", "max", "max_drop")
FIGURES = {"cost_per_100k_usd": False, "throughput_images_per_s": True, "auroc": True}
"""Scorecard figures that are not rates, with whether higher is better. They have no test: a
``max_drop`` on one compares the two values as they are."""
NAMES = (*METRICS, *FIGURES)


def higher_is_better(metric: str) -> bool:
    return FIGURES[metric] if metric in FIGURES else metric not in LOWER_IS_BETTER


@dataclass(frozen=True)
class Threshold:
    kind: str
    """``min``, ``max`` or ``max_drop``."""
    metric: str
    value: float

    @property
    def name(self) -> str:
        op = {"min": ">=", "max": "<=", "max_drop": "drop <="}[self.kind]
        return f"{self.metric} {op} {self.value:g}"


@dataclass(frozen=True)
class Settings:
    thresholds: tuple[Threshold, ...] = ()
    alpha: float = 0.05
    strict: bool = False
    """Fail any drop beyond ``max_drop``, significant or not."""
    correction: str = "holm"
    """Multiple-comparison correction over the gate's drop tests (``none`` for none)."""
    notes: tuple[str, ...] = field(default_factory=tuple)


def parse_assignment(text: str) -> tuple[str, float]:
    """``metric=value`` of a flag; :class:`ValueError` with what is wrong."""
    metric, sep, value = text.partition("=")
    if not sep or not metric.strip():
        raise ValueError(f"expected METRIC=VALUE, e.g. recall=0.95; got {text!r}")
    try:
        return metric.strip(), float(value)
    except ValueError:
        raise ValueError(f"{value!r} in {text!r} is not a number") from None


def _threshold(kind: str, metric: str, value: Any, where: str) -> Threshold:
    if metric not in NAMES:
        raise ConfigError(f"{where}: unknown metric {metric!r}. Metrics: {', '.join(NAMES)}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {kind} {metric}: {value!r} is not a number") from None
    if kind == "max_drop" and v < 0:
        raise ConfigError(f"{where}: max_drop {metric}={v:g}: a drop allowance cannot be negative")
    return Threshold(kind, metric, v)


def read_file(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text()) if path.suffix != ".json" else json.loads(path.read_text())
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise ConfigError(f"thresholds file {path} cannot be read ({type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"thresholds file {path}: expected a mapping with min, max, max_drop")
    unknown = sorted(set(data) - {*KINDS, "max-drop", "alpha", "strict", "correction"})
    if unknown:
        raise ConfigError(f"thresholds file {path}: unknown key {unknown[0]!r}. Keys: min, max, max_drop, alpha, strict, correction")
    return data


def settings(
    *, file: Path | None = None, flags: dict[str, list[tuple[str, float]]] | None = None,
    alpha: float | None = None, strict: bool | None = None, correction: str | None = None,
) -> Settings:
    """The gate's settings: the file's, then the flags' (which win)."""
    data = read_file(file) if file else {}
    found: dict[tuple[str, str], Threshold] = {}
    for kind in KINDS:
        section = data.get(kind, data.get(kind.replace("_", "-"))) or {}
        if not isinstance(section, dict):
            raise ConfigError(f"thresholds file {file}: {kind} must map metric names to numbers")
        for metric, value in section.items():
            found[(kind, str(metric))] = _threshold(kind, str(metric), value, str(file))
    for kind, pairs in (flags or {}).items():
        for metric, value in pairs:
            found[(kind, metric)] = _threshold(kind, metric, value, f"--{kind.replace('_', '-')}")
    s = Settings(
        tuple(sorted(found.values(), key=lambda t: KINDS.index(t.kind))),
        alpha=float(alpha if alpha is not None else data.get("alpha", 0.05)),
        strict=bool(strict if strict else data.get("strict", False)),
        correction=check_correction(str(correction or data.get("correction", "holm"))),
    )
    if not 0 < s.alpha < 1:
        raise ConfigError(f"alpha {s.alpha:g} must be between 0 and 1")
    return s


def default_drops(s: Settings) -> Settings:
    """Without any threshold, a gate against a baseline holds recall and specificity: no
    significant drop at all (``max_drop`` 0)."""
    if s.thresholds:
        return s
    return replace(
        s, thresholds=(Threshold("max_drop", "recall", 0.0), Threshold("max_drop", "specificity", 0.0)),
        notes=("no thresholds given: holding recall and specificity to no significant drop",),
    )
