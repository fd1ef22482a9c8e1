"""The cases that matter, read from ``results.parquet``: misses, false alarms, errors, residual PHI.

Shared by the Markdown and HTML reporters. A :class:`Case` carries what is safe to show anywhere
(file, frame, categories, stage, the already-scrubbed error message) and, separately, the boxes
to draw; the PHI in a row (region text, entity text) is never copied into a case. Entities and
ground-truth regions are decoded by the result row's own codecs (:meth:`ResultRow.decode`).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, overload
from pathlib import Path

import pandas as pd

from phibench.plan import planned_rows
from phibench.records import ResultRow

Box = tuple[int, int, int, int]

SECTIONS = (
    ("fn", "False negatives (PHI missed)"),
    ("fp", "False positives (flagged, no PHI)"),
    ("error", "Errors"),
    ("residual", "Redacted frames with residual PHI"),
)


@dataclass(frozen=True)
class Case:
    """One sample worth a look, PHI-free apart from the pixels its paths point to."""

    kind: str
    """``fn``, ``fp``, ``error`` (a detection error or a failed redaction) or ``residual``."""
    sample_id: str
    file: str
    """The file's path relative to the files' common folder (file names are not PHI)."""
    path: str
    """The file's full path, to read its pixels; never written into a report."""
    frame: int
    categories: str
    """Categories of the ground-truth PHI regions (``fp``: of the harmless ones)."""
    stage: str = ""
    message: str = ""
    redacted_path: str | None = None
    truth_boxes: list[Box] = field(default_factory=list)
    """Ground-truth PHI boxes (residual cases: the still-readable ones first)."""
    found_boxes: list[Box] = field(default_factory=list)
    """Boxes of the entities the detector found."""


def load_rows(run_dir: Path) -> pd.DataFrame:
    """The run's rows, restricted to its planned samples (as the scorecard counts them); read
    once per report (:func:`phibench.plan.shared_rows`)."""
    return planned_rows(run_dir)[0]


def _indices(text: object) -> set[int]:
    """The indices in ``residual_regions`` (a JSON array; null: not checked)."""
    if not isinstance(text, str) or not text:
        return set()
    try:
        value = json.loads(text)
    except ValueError:
        return set()
    return {i for i in value if isinstance(i, int)} if isinstance(value, list) else set()


def _box(raw: object) -> Box | None:
    if isinstance(raw, (list, tuple)) and len(raw) == 4:
        try:
            return tuple(int(v) for v in raw)  # type: ignore[return-value]
        except (TypeError, ValueError):
            return None
    return None


def _root(paths: pd.Series) -> str:
    """The files' common folder. The common prefix of all strings is that of the smallest and
    the largest (in sorted order), so two paths suffice at 100k files."""
    present = paths.dropna().astype(str)
    if present.empty:
        return ""
    try:
        return os.path.commonpath([os.path.dirname(present.min()), os.path.dirname(present.max())])
    except ValueError:
        return ""


def _case(kind: str, row: Mapping[str, Any], root: str) -> Case:
    regions = ResultRow.decode("truth_regions", row["truth_regions"])
    want_phi = kind != "fp"
    cats = sorted({r.category or "?" for r in regions if r.is_phi == want_phi})
    truth = [b for r in regions if r.is_phi and (b := _box(r.box))]
    if kind == "residual":
        left = _indices(row["residual_regions"])
        truth = [b for i, r in enumerate(regions) if i in left and (b := _box(r.box))]
    found = [b for e in ResultRow.decode("entities", row["entities"]) if (b := _box(e.box))]
    path = str(row["path"])
    is_error = kind == "error"
    return Case(
        kind=kind,
        sample_id=str(row["sample_id"]),
        file=os.path.relpath(path, root) if root else path,
        path=path,
        frame=int(row["frame"]) if pd.notna(row["frame"]) else 0,
        categories=", ".join(cats),
        stage=_stage(row) if is_error else ("redaction" if kind == "residual" else ""),
        message=_message(row) if is_error else "",
        redacted_path=row["redacted_path"] if isinstance(row["redacted_path"], str) else None,
        truth_boxes=truth,
        found_boxes=found,
    )


def _stage(row: Mapping[str, Any]) -> str:
    if isinstance(row["error"], str):
        return str(row["error_stage"] or "unknown")
    return f"redaction: {row['redact_error_stage'] or 'unknown'}"


def _message(row: Mapping[str, Any]) -> str:
    """The error (messages are PHI-free by contract: :class:`~phibench.records.SampleError`)."""
    if isinstance(row["error"], str):
        return row["error"]
    return str(row["redact_error"] or row["redaction_reason"] or "redaction failed")


def select(df: pd.DataFrame) -> dict[str, "CaseList"]:
    """Every case of the run by kind, in sample-id order (built as they are read)."""
    root = _root(df["path"])
    ok = df["error"].isna()
    labeled = df["has_phi_true"].notna()
    pred = df["has_phi_pred"].eq(True)
    truth = df["has_phi_true"].eq(True)
    residual = df["residual_regions"].map(lambda t: bool(_indices(t)))
    masks = {
        "fn": ok & labeled & truth & ~pred,
        "fp": ok & labeled & ~truth & pred,
        "error": ~ok | (df["redaction"].fillna("") == "failed"),
        "residual": residual,
    }
    return {kind: CaseList(kind, df[m], root) for kind, m in masks.items()}


class CaseList(Sequence[Case]):
    """The cases of one kind, each built only when read: a 100k-frame run of a detector that
    flags nothing has 50,000 misses to count and 50 to list (``benchmarks/scale.py``)."""

    def __init__(self, kind: str, rows: pd.DataFrame, root: str) -> None:
        self.kind, self.rows, self.root = kind, rows, root

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, i: int) -> Case: ...
    @overload
    def __getitem__(self, i: slice) -> list[Case]: ...
    def __getitem__(self, i: int | slice) -> Case | list[Case]:
        if isinstance(i, slice):  # rows as plain dicts: a pandas row per case costs ~50 us
            records = self.rows.iloc[i].to_dict("records")
            return [_case(self.kind, row, self.root) for row in records]
        return _case(self.kind, self.rows.iloc[i], self.root)
