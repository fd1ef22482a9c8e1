"""Reading a labels table (``path,has_phi[,frame][,regions]``) into planned samples.

This is the layout of Pixels' balanced evaluation table, extended with optional per-frame rows
and ground-truth text regions (a JSON list of ``{"box": [left, top, width, height], "text",
"is_phi", "category"}``). Both the ``folder`` dataset and generated datasets read it, so real
and synthetic data are planned the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd

from phibench.exceptions import DatasetError
from phibench.records import GroundTruth, Sample

log = logging.getLogger(__name__)

TRUE = {"true", "t", "yes", "y", "1", "1.0"}
FALSE = {"false", "f", "no", "n", "0", "0.0"}


def parse_has_phi(value: object, where: str) -> bool | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip().lower()
    if text == "":
        return None
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise DatasetError(f"{where}: has_phi must be true/false (or 1/0, yes/no), got {value!r}")


def read_labels(
    root: Path,
    labels: Path,
    *,
    dataset: str,
    id_of: Callable[[str, int], str],
    frames_of: Callable[[Path], int] | None = None,
) -> Iterator[tuple[Sample, GroundTruth]]:
    """Samples and ground truth from a labels CSV, sorted by path then frame.

    Rows without a ``frame`` column stand for every frame of their file; ``frames_of`` counts
    them (reading the header). ``id_of(relative_path, frame)`` makes the stable sample id.
    """
    try:
        table = pd.read_csv(labels, dtype=str, keep_default_na=False)
    except (OSError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DatasetError(f"cannot read labels file {labels}: {exc}") from None
    if "path" not in table.columns or "has_phi" not in table.columns:
        raise DatasetError(
            f"labels file {labels} needs columns path,has_phi (optional: frame, regions); "
            f"it has {', '.join(table.columns)}"
        )
    root = root.resolve()
    planned: list[tuple[Sample, GroundTruth]] = []
    for i, row in enumerate(table.to_dict("records"), start=2):
        where = f"{labels.name} line {i}"
        rel = str(row["path"]).strip()
        path = (root / rel).resolve()
        if not rel or not path.is_relative_to(root):
            raise DatasetError(f"{where}: path must be relative to the dataset root and inside it")
        has_phi = parse_has_phi(row["has_phi"], where)
        try:
            regions = GroundTruth.regions_from_json(row.get("regions") or None)
        except (ValueError, KeyError, TypeError) as exc:
            raise DatasetError(f"{where}: regions is not a JSON list of boxes: {exc}") from None
        if str(row.get("frame", "")).strip():
            frames = [int(row["frame"])]
        else:
            frames = list(range(frames_of(path) if frames_of else 1))
        for frame in frames:
            sample = Sample(id_of(rel, frame), str(path), frame, dataset)
            planned.append((sample, GroundTruth(has_phi, regions)))
    planned.sort(key=lambda st: (st[0].path, st[0].frame))
    yield from planned
