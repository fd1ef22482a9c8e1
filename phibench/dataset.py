"""Base class of datasets: which samples a run covers, and their ground truth."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

from phibench.dataset_card import DatasetCard
from phibench.exceptions import DatasetError
from phibench.plugin import Plugin
from phibench.records import GroundTruth, Sample


class Dataset(Plugin):
    """Plans a run's samples: one ``(Sample, GroundTruth)`` per frame, sorted by path then frame.

    Planning runs on the driver and may read headers (to count frames) but never pixels.
    """

    kind: ClassVar[str] = "dataset"

    card: ClassVar[DatasetCard | None] = None
    """What the set is, its label rules, source, licence and citation (``phibench datasets show``)."""

    def plan(self) -> Iterator[tuple[Sample, GroundTruth]]:
        raise NotImplementedError

    def make(self) -> Path:
        """Write the dataset's files (generated datasets only) and return their folder."""
        raise DatasetError(f"dataset {type(self).__name__} cannot be generated; it reads files")
