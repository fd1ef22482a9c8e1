"""``dataset=regions_table``: your DICOM files with a table of boxed text from an annotation tool.

``dataset.root=DIR dataset.labels=regions.json`` (COCO-style, :mod:`.regions_coco`) or
``dataset.labels=regions.csv`` (a row per region, :mod:`.regions_csv`); the suffix says which.
Only the files the table names are planned, one sample per frame.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import ClassVar, Optional

from phibench.dataset import Dataset
from phibench.dataset_card import DatasetCard
from phibench.exceptions import DatasetError
from phibench.limits import DEFAULT_LIMITS
from phibench.records import GroundTruth, Sample
from phibench_plugins.datasets.folder import count_frames
from phibench_plugins.datasets.formats.common import Collector, require_file, require_root
from phibench_plugins.datasets.formats.json_lines import Document
from phibench_plugins.datasets.formats.regions_coco import read_coco
from phibench_plugins.datasets.formats.regions_csv import read_csv

GET_IT = ("Export the boxes from your annotation tool as COCO JSON or as a CSV with columns "
          "path,frame,left,top,width,height,text,category,is_phi (see datasets/regions_table.md).")

CARD = DatasetCard(
    summary="DICOM files of your own with their burned-in text boxed by an annotation tool "
            "(CVAT, Label Studio, an in-house one), exported as COCO JSON or a regions CSV.",
    label_rules="Each box is a region with its category and text; is_phi is the annotation's, "
                "else its category's, else false for phibench's harmless categories "
                "(LATERALITY, VIEW, TECHNIQUE, SEQUENCE, SCALE, DEVICE, OTHER_TEXT) and true "
                "otherwise. An image is PHI when it says so (has_phi) or, if it does not, when "
                "a PHI region is boxed; a named image without boxes is a negative.",
    source="Your own files and annotations; nothing is downloaded.",
    licence="That of your files.",
    format="COCO: images{id,file_name[,frame][,has_phi]}, annotations{image_id,bbox[x,y,w,h],"
           "category_id[,text][,is_phi][,attributes{text,is_phi}]}, categories{id,name"
           "[,is_phi]}. CSV: path[,frame][,left,top,width,height][,text][,category][,is_phi]"
           "[,has_phi], a row per region. Paths relative to dataset.root; a blank frame is "
           "every frame; float boxes are widened to whole pixels.",
)


class RegionsTableDataset(Dataset):
    card: ClassVar[DatasetCard] = CARD

    @dataclass
    class Params:
        root: str = ""
        """Folder the table's file names are relative to."""
        labels: Optional[str] = None  # noqa: UP007 - OmegaConf needs Optional
        """The regions table: ``.json`` (COCO-style) or ``.csv``; relative: tried under root."""
        expand_frames: bool = True
        """Plan every frame of a file named without a frame; off: frame 0 only."""

    def plan(self) -> Iterator[tuple[Sample, GroundTruth]]:
        root = require_root(self.params.root, "regions_table", GET_IT)
        labels = require_file(self.params.labels, root, "labels", "regions_table", GET_IT)
        collector = Collector(root, f"regions file {labels}", "regions_table")
        suffix = labels.suffix.lower()
        if suffix == ".json":
            read_coco(Document(labels, "regions file"), collector)
        elif suffix == ".csv":
            read_csv(labels, collector)
        else:
            raise DatasetError(f"dataset.labels {labels}: name a .json (COCO-style) or .csv "
                               f"regions table")
        limits = self.context.limits if self.context is not None else DEFAULT_LIMITS
        yield from collector.plan(
            lambda p: count_frames(p, limits) if self.params.expand_frames else 1
        )
