"""Reading a labels table (``path,has_phi[,frame][,regions]``) into planned samples.

This is the layout of Pixels' balanced evaluation table, extended with optional per-frame rows
and ground-truth text regions (a JSON list of ``{"box": [left, top, width, height], "text",
"is_phi", "category"}``). Both the ``folder`` dataset and generated datasets read it, so real
and synthetic data are planned the same way.

Every problem with the table itself is a :class:`~phibench.exceptions.DatasetError` that names
the labels file and the line, raised while planning, before any sample runs. Problems with the
files the table names (missing, unreadable, a FIFO, a symbolic-link loop) are not: those files are
planned all the same and become that sample's ``read`` error, like any other unreadable input.
Messages never quote a path or a region's text, which may hold PHI.
"""

from __future__ import annotations

import csv
import logging
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

from phibench.exceptions import DatasetError
from phibench.records import GroundTruth, Sample
from phibench.records.ground_truth import parse_bool

__all__ = ["parse_has_phi", "read_labels", "resolve_in_root"]

log = logging.getLogger(__name__)

MAX_FRAME = 2**31 - 1
"""Frame indices travel as int32 (the Spark task schema); no real file comes near this."""

_FIELD_LIMIT = 64 * 1024**2
"""Largest CSV field (a frame's ``regions`` JSON); the csv module's default, 128 KiB, is less
than a busy frame's regions can take. Raised process-wide, once: it only ever admits more."""
csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))

_FRAME = re.compile(r"[0-9]+(\.0*)?")
"""A frame index: a non-negative integer, also as ``2.0`` (what pandas writes for a column
that has blanks)."""


def parse_has_phi(value: object, where: str) -> bool | None:
    """The image-level label: ``None`` when blank (unlabeled), else a strict boolean."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return parse_bool(value)
    except ValueError:
        raise DatasetError(
            f"{where}: has_phi must be true/false (or 1/0, yes/no), got {str(value)[:20]!r}"
        ) from None


def resolve_in_root(root: Path, rel: str) -> tuple[Path, str | None]:
    """``(path, id_path)``: where ``rel`` under the resolved ``root`` leads, and the normalised
    relative path that names it (``a.dcm``, ``./a.dcm`` and ``sub/../a.dcm`` all give ``a.dcm``).

    ``id_path`` is ``None`` when the resolved path is outside ``root``. A path whose resolution
    loops through symbolic links cannot be resolved: it is normalised lexically instead (opening
    it fails with ELOOP, so it will be that sample's read error).
    """
    # os.path on strings, not pathlib: the same answers at a fraction of the cost, and this runs
    # once per labelled file of every plan (100k files: seconds).
    joined = os.path.join(root, rel)
    try:
        # strict=False: a missing file resolves as far as it exists, as Path.resolve() does;
        # ".." after a link means what the OS would make of it.
        text = os.path.realpath(joined, strict=False)
    except (RuntimeError, OSError):
        text = os.path.normpath(joined)
    base = str(root).rstrip(os.sep)
    if text == str(root):
        return Path(text), "."
    if not text.startswith(base + os.sep):
        return Path(text), None
    return Path(text), Path(text[len(base) + 1:]).as_posix()


def read_labels(
    root: Path,
    labels: Path,
    *,
    dataset: str,
    id_of: Callable[[str, int], str],
    frames_of: Callable[[Path], int] | None = None,
) -> Iterator[tuple[Sample, GroundTruth]]:
    """Samples and ground truth from a labels CSV, sorted by path then frame.

    Rows without a ``frame`` value stand for every frame of their file; ``frames_of`` counts
    them (reading the header; it must never hang or raise). ``id_of(relative_path, frame)``
    makes the stable sample id from the normalised path relative to ``root``. Two rows naming
    the same file and frame are an error that names both lines.
    """
    root = root.resolve()
    planned: list[tuple[Sample, GroundTruth]] = []
    first_line: dict[tuple[str, int], int] = {}
    resolved: dict[str, tuple[Path, str | None]] = {}  # a multi-frame file has a row a frame
    for line, row in _rows(labels):
        where = f"labels file {labels} line {line}"
        rel = row["path"].strip()
        if not rel or "\x00" in rel:
            raise DatasetError(f"{where}: path is empty or not a file name")
        if rel not in resolved:
            resolved[rel] = resolve_in_root(root, rel)
        path, id_path = resolved[rel]
        if id_path is None or id_path == ".":
            raise DatasetError(f"{where}: path must be relative to the dataset root and inside it")
        has_phi = parse_has_phi(row["has_phi"], where)
        try:
            regions = GroundTruth.regions_from_json(row.get("regions", "").strip() or None)
        except ValueError as exc:
            raise DatasetError(f"{where}: regions is not a JSON list of boxes: {exc}") from None
        frame_text = row.get("frame", "").strip()
        if frame_text:
            frames: list[int] | range = [_frame(frame_text, where)]
        else:
            frames = range(frames_of(path) if frames_of else 1)
        for frame in frames:
            earlier = first_line.setdefault((id_path, frame), line)
            if earlier != line:
                raise DatasetError(
                    f"labels file {labels} lines {earlier} and {line} name the same file and "
                    f"frame (frame {frame}); keep one of them"
                )
            sample = Sample(id_of(id_path, frame), str(path), frame, dataset)
            planned.append((sample, GroundTruth(has_phi, regions)))
    if not planned:
        raise DatasetError(f"labels file {labels} has a header but no rows: nothing to plan")
    planned.sort(key=lambda st: (st[0].path, st[0].frame))
    yield from planned


def _rows(labels: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """``(first line number, row)`` for each non-blank record of a labels file."""

    def check(header: list[str] | None) -> None:
        if header is None:
            raise DatasetError(
                f"labels file {labels} is empty: it needs a header line path,has_phi "
                f"(optional: frame, regions) and one row per file or frame"
            )
        _check_header(labels, header)

    return csv_records(labels, "labels file", check, " (quote a regions value that holds commas)")


def csv_records(
    path: Path, what: str, check_header: Callable[[list[str] | None], None], too_many_hint: str = ""
) -> Iterator[tuple[int, dict[str, str]]]:
    """``(first line number, row)`` for each non-blank record of the CSV ``path``; a row is
    padded to the header, which ``check_header`` vets first (None: the file is empty). Errors
    name ``what`` (e.g. "labels file"), the file and the line.

    The ``csv`` module rather than pandas: it reports where each record starts, which a quoted
    field with a line break in it (a pretty-printed ``regions``) would otherwise shift.
    """
    end = 0  # physical lines read so far
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.reader(fh)
            first = next(reader, None)
            header = None if first is None else [h.strip() for h in first]
            check_header(header)
            assert header is not None
            end = reader.line_num
            for record in reader:
                line, end = end + 1, reader.line_num
                if not record or all(not v.strip() for v in record):
                    continue
                if len(record) > len(header):
                    raise DatasetError(
                        f"{what} {path} line {line}: {len(record)} fields, but the header "
                        f"has {len(header)}{too_many_hint}"
                    )
                yield line, dict(zip(header, record + [""] * (len(header) - len(record))))
    except csv.Error as exc:
        raise DatasetError(f"{what} {path} line {end + 1}: {exc}") from None
    except UnicodeDecodeError:
        raise DatasetError(f"{what} {path} is not UTF-8 text") from None
    except OSError as exc:
        raise DatasetError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def _check_header(labels: Path, header: list[str]) -> None:
    if "path" not in header or "has_phi" not in header:
        raise DatasetError(
            f"labels file {labels} needs columns path,has_phi (optional: frame, regions); "
            f"it has {', '.join(header)}"
        )
    dupes = sorted({h for h in header if header.count(h) > 1 and h})
    if dupes:
        raise DatasetError(f"labels file {labels} has the column(s) {', '.join(dupes)} twice")


def _frame(text: str, where: str) -> int:
    if not _FRAME.fullmatch(text) or int(text.split(".")[0]) > MAX_FRAME:
        raise DatasetError(
            f"{where}: frame must be a whole number from 0 to {MAX_FRAME} (0 is the first frame) "
            f"or empty for every frame"
        )
    return int(text.split(".")[0])
