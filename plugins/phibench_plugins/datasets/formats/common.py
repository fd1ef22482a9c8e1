"""What the public-format loaders share: the root and label-file checks, and a collector that
turns ground truth keyed by file and frame into planned samples.

Each loader reads its own format into a :class:`Collector` (file paths relative to the root,
an optional frame, regions, an optional image-level label, and the label file's line or row
that said so); :meth:`Collector.plan` then plans them as ``folder`` does: one sample per frame,
ids ``PATH#FRAME``, sorted by path then frame. Messages name the label file and the line, never
a path inside it or a region's text (either may hold PHI).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from phibench.categories import NON_PHI_CATEGORIES, PHI_CATEGORIES
from phibench.exceptions import DatasetError
from phibench.labels import MAX_FRAME, resolve_in_root
from phibench.records import GroundTruth, Sample, TextRegion
from phibench.records.ground_truth import parse_bool
from phibench_plugins.datasets.folder import folder_sample_id

DERIVE: Literal["derive"] = "derive"
"""An image-level label to be derived from the regions: PHI exactly when a PHI region is boxed."""

Label = bool | None | Literal["derive"]
"""An image-level label as a format states it: true/false, unknown (``None``), or :data:`DERIVE`."""

_FRAME = re.compile(r"[0-9]+(\.0*)?")


def require_root(root: str, dataset: str, get_it: str) -> Path:
    """The resolved dataset root, or a :class:`DatasetError` that says where to get the data."""
    if not root:
        raise DatasetError(f"dataset={dataset} needs dataset.root=DIR: the folder of its DICOM "
                           f"files. {get_it}")
    path = Path(root).expanduser()
    if not path.is_dir():
        raise DatasetError(f"dataset.root {path} is not a folder. {get_it}")
    return path.resolve()


def require_file(value: str | None, root: Path, option: str, dataset: str, get_it: str) -> Path:
    """A label file named by ``option``; a relative path that is not found here is tried under
    ``root`` (where public sets keep theirs)."""
    if not value:
        raise DatasetError(f"dataset={dataset} needs dataset.{option}=FILE. {get_it}")
    path = Path(value).expanduser()
    if not path.is_absolute() and not path.exists():
        path = root / path
    if not path.is_file():
        raise DatasetError(f"dataset.{option} {path} does not exist or is not a file. {get_it}")
    return path


def parse_frame(value: object, where: str) -> int | None:
    """A frame index (``2``, ``"2"``, ``"2.0"``); ``None`` when blank: every frame of the file."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    text = str(value).strip()
    if isinstance(value, bool) or not _FRAME.fullmatch(text) or int(text.split(".")[0]) > MAX_FRAME:
        raise DatasetError(f"{where}: frame must be a whole number from 0 to {MAX_FRAME} "
                           f"(0 is the first frame) or empty for every frame")
    return int(text.split(".")[0])


def parse_label(value: object, where: str, name: str = "has_phi") -> bool | None:
    """A strict true/false (:func:`parse_bool`); ``None`` when blank or absent."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return parse_bool(value)
    except ValueError as exc:
        raise DatasetError(f"{where}: {name} {exc}") from None


def is_phi_by_category(category: str) -> bool:
    """Whether an unmarked region of ``category`` is PHI: false for phibench's harmless
    categories (``LATERALITY``, ``TECHNIQUE``, ...), true otherwise (fail closed)."""
    upper = category.strip().upper()
    return not (upper in NON_PHI_CATEGORIES and upper not in PHI_CATEGORIES)


@dataclass
class _Entry:
    line: str
    label: Label
    regions: list[TextRegion] = field(default_factory=list)


class Collector:
    """Ground truth of one label file, by ``(relative path, frame)``; frame ``None`` is every
    frame of the file (its regions are on each)."""

    def __init__(self, root: Path, labels: Path | str, dataset: str) -> None:
        self.root, self.labels, self.dataset = root, labels, dataset
        self._entries: dict[tuple[str, int | None], _Entry] = {}
        self._paths: dict[str, Path] = {}
        self._resolved: dict[str, tuple[Path, str | None]] = {}

    def add(self, rel: str, frame: int | None, where: str, *, label: Label = DERIVE,
            regions: Iterable[TextRegion] = (), merge: bool = False) -> tuple[str, int | None]:
        """Record what ``where`` (``"line 12"``) says of one file and frame; returns its key.

        ``merge``: further statements about the same file and frame add to it (a CSV has a row
        per region); otherwise a second one is an error naming both lines. Explicit labels of
        one file and frame must agree.
        """
        if not isinstance(rel, str) or not rel.strip() or "\x00" in rel:
            raise DatasetError(f"{self._at(where)}: the file name is empty or not a file name")
        rel = rel.strip()
        if rel not in self._resolved:
            self._resolved[rel] = resolve_in_root(self.root, rel)
        path, id_path = self._resolved[rel]
        if id_path is None or id_path == ".":
            raise DatasetError(f"{self._at(where)}: the file name must be relative to the "
                               f"dataset root (or an absolute path inside it)")
        key = (id_path, frame)
        entry = self._entries.get(key)
        if entry is None:
            self._entries[key] = entry = _Entry(where, label)
            self._paths[id_path] = path
        elif not merge:
            raise DatasetError(f"{self.labels}: {entry.line} and {where} name the same file and "
                               f"frame; keep one of them")
        else:
            entry.label = self._agree(entry, label, where)
        entry.regions.extend(regions)
        return key

    def extend(self, key: tuple[str, int | None], regions: Iterable[TextRegion]) -> None:
        """Add regions to what :meth:`add` recorded under ``key``."""
        self._entries[key].regions.extend(regions)

    def __len__(self) -> int:
        return len(self._entries)

    def plan(self, frames_of: Callable[[Path], int]) -> Iterator[tuple[Sample, GroundTruth]]:
        """One sample per frame, sorted by path then frame; raises when nothing was collected."""
        if not self._entries:
            raise DatasetError(f"{self.labels} names no file: nothing to plan")
        by_file: dict[str, dict[int | None, _Entry]] = {}
        for (rel, frame), entry in self._entries.items():
            by_file.setdefault(rel, {})[frame] = entry
        planned: list[tuple[Sample, GroundTruth]] = []
        for rel, frames in by_file.items():
            path = self._paths[rel]
            every = frames.get(None)
            chosen = set(range(frames_of(path))) if every else set()
            for frame in sorted(chosen | {f for f in frames if f is not None}):
                parts = [e for e in (every, frames.get(frame)) if e is not None]
                truth = self._truth(parts)
                planned.append((Sample(folder_sample_id(rel, frame), str(path), frame,
                                       self.dataset), truth))
        planned.sort(key=lambda st: (st[0].path, st[0].frame))
        yield from planned

    def _truth(self, parts: list[_Entry]) -> GroundTruth:
        regions = tuple(r for e in parts for r in e.regions)
        label: Label = DERIVE
        for e in parts[::-1]:  # the frame's own statement wins over the file's
            if e.label != DERIVE:
                label = e.label
                break
        has_phi = any(r.is_phi for r in regions)
        if label is False and has_phi:
            lines = " and ".join(e.line for e in parts)
            raise DatasetError(f"{self.labels} {lines}: has_phi is false but a PHI region is "
                               f"boxed; fix the label or mark the region is_phi=false")
        return GroundTruth(has_phi if label == DERIVE else label, regions)

    def _agree(self, entry: _Entry, label: Label, where: str) -> Label:
        if label == DERIVE or label == entry.label:
            return entry.label
        if entry.label == DERIVE:
            return label
        raise DatasetError(f"{self.labels}: {entry.line} and {where} give the same file and "
                           f"frame different has_phi values")

    def _at(self, where: str) -> str:
        return f"{self.labels} {where}"
