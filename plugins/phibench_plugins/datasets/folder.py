"""``dataset=folder``: files no one on the team made (DICOM, PNG, JPEG, TIFF, slides), with a labels table.

``dataset.root=DIR dataset.labels=FILE.csv`` with columns ``path,has_phi`` (paths relative to
root; the layout of Pixels' balanced evaluation table); ``frame`` and ``regions`` are optional.
Without ``labels``, every file under root is planned unlabeled (predictions only). A file that is
missing or unreadable (a FIFO, a device, a symbolic-link loop, a header that claims too much) is
still planned, as one sample: it becomes a per-sample error, not a crash or a hang.

PNG, JPEG and TIFF files and whole-slide images are recognised by their first bytes
(:mod:`phibench.images`), never their names: a TIFF has one sample per page, a slide one per
associated image (label, macro, thumbnail), and their frames have no header.

Planning opens regular files only, and only their headers, within the run's limits
(:mod:`phibench.limits`); the walk follows symbolic links to folders but never into a folder it
has already walked, so a link loop under root ends the walk instead of the run.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Optional

from phibench.dataset import Dataset
from phibench.dataset_card import DatasetCard
from phibench.exceptions import DatasetError
from phibench.labels import read_labels, resolve_in_root
from phibench.limits import DEFAULT_LIMITS, Limits
from phibench.records import GroundTruth, Sample
from phibench.sources import count_frames as frames_in

log = logging.getLogger(__name__)


def count_frames(path: Path, limits: Limits = DEFAULT_LIMITS) -> int:
    """Frames in ``path`` from its header; 1 when it can't be read (the error surfaces later).

    Only a regular file is opened: opening a FIFO blocks until someone writes to it. A claim
    above ``limits.max_frames`` plans one sample too; the read stage refuses the file then.
    """
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return 1
    except (OSError, ValueError):  # missing, no permission, link loop, NUL in the name
        return 1
    try:
        count = frames_in(path, limits)  # DICOM header, or an image's pages (by content)
    except Exception as exc:  # SampleFailure by contract; whatever else, the read stage reports
        log.debug("planning one sample for a file whose header fails: %s", type(exc).__name__)
        return 1
    return count if 1 <= count <= limits.max_frames else 1


def folder_sample_id(rel: str, frame: int) -> str:
    return f"{rel}#{frame}"


class FolderDataset(Dataset):
    card: ClassVar[DatasetCard] = DatasetCard(
        summary="Files of your own under dataset.root (DICOM; PNG, JPEG, TIFF and whole-slide "
                "images by content), labelled by a CSV table (dataset.labels), or planned "
                "unlabeled (predictions only) without one.",
        label_rules="Yours: has_phi per file (or per frame with a frame column); optional regions "
                    "as JSON boxes [{box: [left, top, width, height], is_phi, category}]. Rows "
                    "without a frame stand for every frame of the file: every page of a TIFF; "
                    "a slide's label, macro, thumbnail are frames 0, 1, 2 (those it has).",
        source="Your own files, read where they are; nothing is downloaded or copied.",
        licence="That of your files.",
        format="CSV with columns path,has_phi[,frame][,regions]; paths relative to dataset.root "
               "(the layout of Pixels' balanced evaluation table, and of synthetic's manifest).",
    )

    @dataclass
    class Params:
        root: str = ""
        """Folder holding the files (DICOM, or PNG/JPEG/TIFF/slides, told apart by content)."""
        labels: Optional[str] = None  # noqa: UP007 - OmegaConf needs Optional
        """CSV with path,has_phi[,frame][,regions]; relative paths resolve against root."""
        expand_frames: bool = True
        """Plan every frame of multi-frame files (reads each header); off: frame 0 only."""

    def _root(self) -> Path:
        if not self.params.root:
            raise DatasetError(
                "dataset=folder needs dataset.root=DIR (and usually dataset.labels=FILE.csv)"
            )
        root = Path(self.params.root).expanduser()
        if not root.is_dir():
            raise DatasetError(f"dataset.root {root} is not a folder")
        return root.resolve()

    def _limits(self) -> Limits:
        return self.context.limits if self.context is not None else DEFAULT_LIMITS

    def _frames_of(self, path: Path) -> int:
        return count_frames(path, self._limits()) if self.params.expand_frames else 1

    def plan(self) -> Iterator[tuple[Sample, GroundTruth]]:
        root = self._root()
        if self.params.labels:
            labels = Path(self.params.labels).expanduser()
            if not labels.is_absolute() and not labels.exists():
                labels = root / labels
            if not labels.is_file():
                raise DatasetError(f"dataset.labels {labels} does not exist or is not a file")
            yield from read_labels(
                root, labels, dataset="folder", id_of=folder_sample_id, frames_of=self._frames_of
            )
            return
        seen: set[str] = set()
        for rel in sorted(walk(root), key=lambda r: r.split("/")):
            path, id_path = resolve_in_root(root, rel)
            if str(path) in seen:  # two links to one file, or a folder reached twice
                continue
            seen.add(str(path))
            id_path = id_path or rel  # a link to a file outside root keeps its own name
            for frame in range(self._frames_of(path)):
                sample = Sample(folder_sample_id(id_path, frame), str(path), frame, "folder")
                yield sample, GroundTruth(None)


def walk(root: Path) -> Iterator[str]:
    """Paths relative to ``root`` of everything under it that is not a folder.

    Symbolic links to folders are followed, but a folder already walked (by its device and
    inode) is not walked again, so a link back to an ancestor ends there. Names starting with a
    dot are skipped; other non-regular entries (FIFOs, broken links) are yielded so they show up
    as read errors rather than vanish. Folders that cannot be listed are skipped with a warning.
    """
    walked: set[tuple[int, int]] = set()
    unlisted: list[OSError] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True, onerror=unlisted.append):
        try:
            st = os.stat(dirpath)
        except OSError:
            dirnames.clear()
            continue
        if (st.st_dev, st.st_ino) in walked:
            dirnames.clear()
            continue
        walked.add((st.st_dev, st.st_ino))
        dirnames.sort()
        here = Path(dirpath).relative_to(root)
        for name in sorted(filenames):
            if not name.startswith("."):
                yield (here / name).as_posix()
    if unlisted:
        log.warning("dataset.root: skipped %d folder(s) that could not be listed", len(unlisted))
