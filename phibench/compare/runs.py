"""The runs a comparison reads, and the labels they are shown under.

A run is a run directory (``scorecard.json``, ``results.parquet``, ``plan.json``) or a lone
``scorecard.json`` (a committed baseline): the first allows paired tests on shared samples, the
second only tests of two independent proportions. A sweep folder stands for the runs inside it.
Rows are read as ``phibench score`` reads them (the latest row per sample, planned samples only),
so a comparison counts exactly the samples each scorecard counts.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from phibench.exceptions import ConfigError
from phibench.plan import planned_ids, read_plan
from phibench.records import Scorecard
from phibench.results import ResultStore

SCORECARD = "scorecard.json"
RESULT_COLUMNS = ("sample_id", "has_phi_true", "has_phi_pred", "error", "confidence")
ANSWER_GROUPS = ("detector", "redactor", "dataset")
"""Config groups whose parameters can change an answer, searched for the differences that
tell two runs of one detector apart (``run.limits`` and the core-hour price are added)."""


@dataclass(frozen=True)
class Run:
    """One run to compare."""

    path: Path
    """The run directory, or the scorecard file given on its own."""
    scorecard: Scorecard
    """Its ``scorecard.json``, read (any 1.x version)."""
    results: pd.DataFrame | None
    """The planned samples' rows (:data:`RESULT_COLUMNS`); None for a lone scorecard."""
    plan: dict[str, Any] | None
    """``plan.json`` (fingerprint and its components); None when absent."""
    label: str = ""

    @property
    def paired(self) -> bool:
        """Whether per-sample results are available (paired tests need them on both sides)."""
        return self.results is not None


def read_scorecard(path: Path) -> Scorecard:
    """The scorecard in the file ``path``; a :class:`ConfigError` when it cannot be read or is
    not a phibench scorecard (no ``metrics``, or a section of the wrong shape)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise ConfigError(f"{path} cannot be read as a scorecard ({type(exc).__name__})") from None
    if not isinstance(data, dict) or "metrics" not in data:
        raise ConfigError(f"{path} is not a phibench scorecard (no 'metrics')")
    try:
        return Scorecard.from_dict(data)
    except (TypeError, ValueError, AttributeError) as exc:
        raise ConfigError(f"{path} is not a phibench scorecard ({exc})") from None


def load(path: str | Path) -> Run:
    """A run directory or a ``scorecard.json``; a :class:`ConfigError` saying what to pass if
    ``path`` is neither."""
    path = Path(path)
    if path.is_file():
        return Run(path, read_scorecard(path), None, None)
    if not path.is_dir():
        raise ConfigError(f"{path} does not exist: pass a run directory or a scorecard.json")
    if not (path / SCORECARD).is_file():
        raise ConfigError(
            f"{path} has no {SCORECARD}: pass a phibench run directory (re-score one with "
            f"`phibench score {path}` if its scorecard is missing)"
        )
    scorecard = read_scorecard(path / SCORECARD)
    results = None
    if (path / "results.parquet").exists():
        df = ResultStore(path).read()
        planned = planned_ids(path)
        if planned is not None:
            df = df[df["sample_id"].isin(planned)]
        results = df[[c for c in RESULT_COLUMNS if c in df]].reset_index(drop=True)
    return Run(path, scorecard, results, read_plan(path))


def discover(paths: list[str | Path]) -> list[Path]:
    """Each path that is a run (or a scorecard file), else the runs one level inside it (a
    sweep), in the sweep's job order."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_file() or (p / SCORECARD).is_file() or not p.is_dir():
            found.append(p)  # a missing path fails in load(), with its own message
            continue
        inside = sorted((c.parent for c in p.glob(f"*/{SCORECARD}")), key=_job_order)
        if not inside:
            raise ConfigError(f"{p} holds no phibench run (no {SCORECARD} in it or its sub-folders)")
        found.extend(inside)
    return found


def _job_order(path: Path) -> tuple[int, str]:
    head = path.name.split("_", 1)[0]
    return (int(head) if head.isdigit() else 1 << 30, path.name)


def load_all(paths: list[str | Path]) -> list[Run]:
    """Every run in ``paths`` (sweeps expanded), labelled (:func:`labels`)."""
    runs = [load(p) for p in discover(paths)]
    return [replace(r, label=lab) for r, lab in zip(runs, labels([r.scorecard for r in runs]))]


def solution(sc: Scorecard | Mapping[str, Any]) -> str:
    """A run's name: detector, its model or OCR engine, and a mark for a simulated endpoint."""
    sc = Scorecard.of(sc)
    d = sc.detector or {}
    name = str(d.get("name", "?"))
    extra = d.get("model") or d.get("ocr")
    label = f"{name} ({extra})" if extra else name
    if sc.simulated:
        label += " [SIMULATED endpoint]"
    return label


def answer_params(sc: Scorecard | Mapping[str, Any]) -> dict[str, Any]:
    """The configured parameters that can change a run's answers, flattened (``detector.x``)."""
    config = Scorecard.of(sc).config or {}
    out: dict[str, Any] = {}
    for group in ANSWER_GROUPS:
        node = config.get(group)
        if isinstance(node, dict):
            _flatten(node, group, out)
        else:
            out[group] = node
    run = config.get("run", {}) or {}
    _flatten({k: run.get(k) for k in ("limits", "price_per_core_hour_usd")}, "run", out)
    out.pop("detector.name", None)  # part of the base label already
    return out


def _flatten(node: dict[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for k, v in node.items():
        key = f"{prefix}.{k}"
        if isinstance(v, dict) and v:
            _flatten(v, key, out)
        else:
            out[key] = v


def labels(cards: Sequence[Scorecard | Mapping[str, Any]]) -> list[str]:
    """One distinct label per scorecard (a record, or its dict): :func:`solution`, and for runs
    that share it, the parameters in which they differ (``local (easyocr) [detector.min_score=0.7]``);
    runs that still collide get their folder name."""
    cards = [Scorecard.of(sc) for sc in cards]
    base = [solution(sc) for sc in cards]
    out = list(base)
    for name, n in Counter(base).items():
        if n < 2:
            continue
        idx = [i for i, b in enumerate(base) if b == name]
        flat = [answer_params(cards[i]) for i in idx]
        keys = sorted(k for k in set().union(*flat) if len({_show(f.get(k)) for f in flat}) > 1)
        for i, f in zip(idx, flat):
            if keys:
                out[i] = f"{name} [{', '.join(f'{k}={_show(f.get(k))}' for k in keys)}]"
    for lab, n in Counter(out).items():
        if n > 1:
            for k, i in enumerate([i for i, o in enumerate(out) if o == lab]):
                where = Path(str(cards[i].run_dir or "")).name
                out[i] = f"{lab} ({where or '#'}{'' if where else k + 1})"
    seen: Counter[str] = Counter()
    for i, lab in enumerate(out):  # folder names can collide too (two sweeps' 0_local)
        seen[lab] += 1
        if seen[lab] > 1:
            out[i] = f"{lab} #{seen[lab]}"
    return out


def _show(v: Any) -> str:
    return v if isinstance(v, str) else json.dumps(v, default=str)
