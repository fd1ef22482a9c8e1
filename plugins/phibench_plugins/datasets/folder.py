"""``dataset=folder``: DICOM files no one on the team made, with a labels table.

``dataset.root=DIR dataset.labels=FILE.csv`` with columns ``path,has_phi`` (paths relative to
root; the layout of Pixels' balanced evaluation table); ``frame`` and ``regions`` are optional.
Without ``labels``, every file under root is planned unlabeled (predictions only). A labelled
file that is missing or unreadable is still planned: it becomes a per-sample error, not a crash.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from phibench.dataset import Dataset
from phibench.dicom import frame_count, read_header
from phibench.exceptions import DatasetError, SampleFailure
from phibench.labels import read_labels
from phibench.records import GroundTruth, Sample


def count_frames(path: Path) -> int:
    """Frames in ``path`` from its header; 1 when it can't be read (the error surfaces later)."""
    try:
        return frame_count(read_header(path))
    except SampleFailure:
        return 1


def folder_sample_id(rel: str, frame: int) -> str:
    return f"{rel}#{frame}"


class FolderDataset(Dataset):
    @dataclass
    class Params:
        root: str = ""
        """Folder holding the DICOM files."""
        labels: Optional[str] = None  # noqa: UP007 - OmegaConf needs Optional
        """CSV with path,has_phi[,frame][,regions]; relative paths resolve against root."""
        expand_frames: bool = True
        """Plan every frame of multi-frame files (reads each header); off: frame 0 only."""

    def _root(self) -> Path:
        if not self.params.root:
            raise DatasetError("dataset=folder needs dataset.root=DIR (and usually dataset.labels=FILE.csv)")
        root = Path(self.params.root).expanduser()
        if not root.is_dir():
            raise DatasetError(f"dataset.root {root} is not a folder")
        return root

    def plan(self) -> Iterator[tuple[Sample, GroundTruth]]:
        root = self._root()
        frames_of = count_frames if self.params.expand_frames else None
        if self.params.labels:
            labels = Path(self.params.labels).expanduser()
            if not labels.is_absolute() and not labels.exists():
                labels = root / labels
            if not labels.is_file():
                raise DatasetError(f"dataset.labels {labels} does not exist")
            yield from read_labels(root, labels, dataset="folder", id_of=folder_sample_id, frames_of=frames_of)
            return
        files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
        for path in files:
            rel = path.relative_to(root).as_posix()
            for frame in range(frames_of(path) if frames_of else 1):
                yield Sample(folder_sample_id(rel, frame), str(path.resolve()), frame, "folder"), GroundTruth(None)
