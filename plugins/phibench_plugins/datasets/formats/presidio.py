"""``dataset=presidio``: DICOM files with the ground-truth JSON of Presidio's DICOM evaluator.

``dataset.root=DIR dataset.labels=ground_truth.json``. The JSON is the one
``DicomImagePiiVerifyEngine.eval_dicom_instance`` reads (presidio-image-redactor,
``docs/image-redactor/evaluating_dicom_redaction.md``)::

    {"dir/file_0.dcm": [{"label": "DAVIDSON", "left": 25, "top": 25, "width": 241, "height": 37},
                        ...],
     "dir/file_1.dcm": {"0": {"label": ...}, "1": {...}}}

A file's entities are a list, or an object keyed ``"0"``, ``"1"``, ... (what ``pandas.to_json``
writes; Presidio's own ``tests/integration/resources/ground_truth.json`` is laid out so).
``label`` is the burned-in **text**, not an entity type; an entity may also carry Presidio's
``entity_type`` (``PERSON``, ``DATE_TIME``, ...), which becomes the phibench category
(``NAME``, ``DATE``, ...; :func:`phibench_plugins.detectors.presidio.params.category_of`).
Other keys (``score``, ``conf``) are ignored.

**Padding.** Presidio pads every frame by ``padding_width`` pixels (25 by default) before OCR, and
its ground truth is drawn on the padded image: a word at the frame's corner is at (25, 25).
phibench boxes are in frame pixels, so ``dataset.padding`` (default 25) is subtracted from
``left`` and ``top``, clamped at 0, as Presidio's ``BboxProcessor.remove_bbox_padding`` does; set
``dataset.padding=0`` for a file drawn on the unpadded frame. Width and height are kept.

Every entity is PHI (the evaluator labels nothing else); a file is PHI when it has an entity, and
a file listed with none is a labelled negative. Only the files the JSON names are planned.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Optional

from phibench.dataset import Dataset
from phibench.dataset_card import DatasetCard
from phibench.exceptions import DatasetError
from phibench.limits import DEFAULT_LIMITS
from phibench.records import GroundTruth, Sample, TextRegion
from phibench_plugins.datasets.folder import count_frames
from phibench_plugins.datasets.formats.common import Collector, require_file, require_root
from phibench_plugins.datasets.formats.json_lines import Document, Member
from phibench_plugins.detectors.presidio.params import category_of

GET_IT = ("Presidio ships no image set: point dataset.root at your DICOM files and "
          "dataset.labels at their ground-truth JSON (see datasets/presidio.md; Presidio's "
          "sample is presidio-image-redactor/tests/integration/resources/ in "
          "github.com/microsoft/presidio).")

PRESIDIO_PADDING = 25
"""``padding_width`` of ``DicomImagePiiVerifyEngine.verify_dicom_instance`` / ``eval_dicom_instance``."""

CARD = DatasetCard(
    summary="DICOM files of your own (or Presidio's four sample files) with the ground-truth JSON "
            "of Presidio's DICOM evaluator (DicomImagePiiVerifyEngine): the burned-in PHI words "
            "of each file, boxed.",
    label_rules="Every entry is a PHI word (its text in `label`), boxed in pixels of the padded "
                "frame; phibench removes the padding (dataset.padding, default 25). A file is "
                "PHI when it has an entry; a file listed with none has no PHI. No harmless text "
                "is boxed, so harmless-text figures are empty.",
    source="Your own files; nothing is downloaded. Presidio's sample ground truth is "
           "presidio-image-redactor/tests/integration/resources/ground_truth.json in "
           "github.com/microsoft/presidio (its DICOM files are in the same repository).",
    licence="That of your files; Presidio's samples are MIT-licensed with the repository.",
    citation="Microsoft Presidio, https://github.com/microsoft/presidio",
    format="`{file name: [{label, left, top, width, height[, entity_type]}, ...]}` or a file's "
           "entries as `{\"0\": {...}, ...}`; names relative to dataset.root.",
)


class PresidioDataset(Dataset):
    card: ClassVar[DatasetCard] = CARD

    @dataclass
    class Params:
        root: str = ""
        """Folder the JSON's file names are relative to."""
        labels: Optional[str] = None  # noqa: UP007 - OmegaConf needs Optional
        """The ground-truth JSON; a relative path not found here is tried under root."""
        padding: int = PRESIDIO_PADDING
        """Pixels Presidio padded the frame by when the boxes were drawn; subtracted from left
        and top (clamped at 0). 0: the boxes are in frame pixels already."""
        expand_frames: bool = True
        """Plan every frame of multi-frame files (the boxes apply to each); off: frame 0 only."""

    def plan(self) -> Iterator[tuple[Sample, GroundTruth]]:
        if self.params.padding < 0:
            raise DatasetError("dataset.padding must be 0 or more (Presidio's padding_width)")
        root = require_root(self.params.root, "presidio", GET_IT)
        labels = require_file(self.params.labels, root, "labels", "presidio", GET_IT)
        doc = Document(labels, "ground-truth JSON")
        if not isinstance(doc.value, dict):
            raise DatasetError(f"ground-truth JSON {labels} must be an object of file names, "
                               f"each with a list of entities")
        collector = Collector(root, f"ground-truth JSON {labels}", "presidio")
        for file in doc.members():
            where = f"line {file.line}"
            regions = [self._region(labels, doc, e) for e in self._entities(labels, doc, file)]
            collector.add(str(file.key), None, where, regions=regions)
        limits = self.context.limits if self.context is not None else DEFAULT_LIMITS
        yield from collector.plan(
            lambda p: count_frames(p, limits) if self.params.expand_frames else 1
        )

    @staticmethod
    def _entities(labels: Path, doc: Document, file: Member) -> list[Member]:
        if not isinstance(file.value, (list, dict)):
            raise DatasetError(f"ground-truth JSON {labels} line {file.line}: a file's entities "
                               f"must be a list (or an object keyed 0, 1, ...)")
        return list(doc.members(file.offset))

    def _region(self, labels: Path, doc: Document, entity: Member) -> TextRegion:
        where = f"ground-truth JSON {labels} line {entity.line}"
        d: Any = entity.value
        if not isinstance(d, dict):
            raise DatasetError(f"{where}: an entity must be an object with label, left, top, "
                               f"width, height")
        entity_type = d.get("entity_type") or ""
        if not isinstance(entity_type, str):
            raise DatasetError(f"{where}: entity_type must be a string")
        try:
            region = TextRegion.from_dict({
                **{k: d[k] for k in ("left", "top", "width", "height") if k in d},
                "text": "" if d.get("label") is None else d["label"],
                "category": category_of(entity_type) if entity_type else "",
                "is_phi": True,
            })
        except ValueError as exc:
            raise DatasetError(f"{where}: {exc}") from None
        left, top, width, height = region.box
        pad = self.params.padding
        return dataclasses.replace(region, box=(max(0, left - pad), max(0, top - pad), width, height))
