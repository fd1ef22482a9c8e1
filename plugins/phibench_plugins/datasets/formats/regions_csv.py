"""A regions CSV: one row per boxed piece of text, the flat table in-house tools write.

Columns: ``path`` (relative to the root), and optionally ``frame``, ``left``, ``top``, ``width``,
``height``, ``text``, ``category``, ``is_phi``, ``has_phi``. A row with a box is a region; a row
whose four box cells are blank only names the file (a negative: ``has_phi`` false, or no PHI
region). Rows of one file and frame add up; a blank ``frame`` stands for every frame of the file.
``is_phi`` and ``has_phi`` follow the COCO reader's rules (:mod:`.regions_coco`).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from phibench.exceptions import DatasetError
from phibench.labels import csv_records
from phibench.records import TextRegion
from phibench_plugins.datasets.formats.common import (
    DERIVE,
    Collector,
    is_phi_by_category,
    parse_frame,
    parse_label,
)

BOX = ("left", "top", "width", "height")
COLUMNS = ("path", "frame", *BOX, "text", "category", "is_phi", "has_phi")


def read_csv(path: Path, collector: Collector) -> None:
    """Collect every row of the regions CSV at ``path``."""
    for line, row in _rows(path):
        where = f"regions file {path} line {line}"
        regions: list[TextRegion] = []
        cells = [row.get(k, "").strip() for k in BOX]
        if any(cells):
            if not all(cells):
                raise DatasetError(f"{where}: give all of left, top, width, height, or none")
            regions.append(_region(row, cells, where))
        label = parse_label(row.get("has_phi"), where)
        collector.add(row["path"], parse_frame(row.get("frame"), where), f"line {line}",
                      label=DERIVE if label is None else label, regions=regions, merge=True)


def _region(row: dict[str, str], cells: list[str], where: str) -> TextRegion:
    try:
        box = [_number(c) for c in cells]
    except ValueError:
        raise DatasetError(f"{where}: left, top, width, height must be whole numbers") from None
    category = row.get("category", "").strip()
    is_phi = parse_label(row.get("is_phi"), where, "is_phi")
    try:
        return TextRegion.from_dict({
            "box": box, "text": row.get("text", ""), "category": category,
            "is_phi": is_phi_by_category(category) if is_phi is None else is_phi,
        })
    except ValueError as exc:
        raise DatasetError(f"{where}: {exc}") from None


def _number(cell: str) -> int | float:
    return int(cell) if cell.lstrip("+-").isdigit() else float(cell)  # 12.0: pandas' blanks


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """``(first line, row)`` of each non-blank record (:func:`phibench.labels.csv_records`)."""

    def check(header: list[str] | None) -> None:
        header = header or []
        if "path" not in header:
            raise DatasetError(f"regions file {path} needs a header with a path column "
                               f"(and {', '.join(COLUMNS[1:])})")
        unknown = sorted(set(header) - set(COLUMNS) - {""})
        if unknown or len(set(header)) != len(header):
            raise DatasetError(f"regions file {path}: columns must be distinct and among "
                               f"{', '.join(COLUMNS)}; got {', '.join(header)}")

    return csv_records(path, "regions file", check)
