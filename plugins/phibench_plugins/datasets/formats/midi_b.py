"""``dataset=midi_b``: the MIDI-B challenge's images, scored against its answer key's pixel actions.

``dataset.root=DIR dataset.answer_db=answer_key.db``. The answer key is the SQLite database the
MICCAI 2024 MIDI-B validation script reads (github.com/CBIIT/MIDI_validation_script,
``modules/validation_helper.py``, ``curation_validator.py``): a table ``answer_data`` with a row
per instance (or series/study: ``scope``), its original ``SOPInstanceUID``, ``SeriesInstanceUID``,
``StudyInstanceUID``, and ``AnswerData``, a JSON object of actions. Two are about pixels:

* ``<pixels_hidden>``: PHI burned into the image. ``action_text`` is ``<{"text": ...,
  "top_left": [x, y], "bottom_right": [x, y]}>``; the box becomes a PHI region (``is_phi`` true,
  no category: the key gives none) and the image is PHI.
* ``<pixels_retained>``: an image without burned-in PHI, whose PixelData must keep its MD5
  (``action_text`` is the digest). It has no box: the image is a labelled negative.

Files are matched to the key by the ``SOPInstanceUID`` of their header (a series- or study-scoped
row, by ``SeriesInstanceUID`` / ``StudyInstanceUID``), as the script does. Files whose UIDs were
replaced (a de-identified copy) are matched through ``dataset.uid_mapping``, the script's
``uid_mapping_file`` (CSV ``id_old,id_new``). Every file under root is planned; one the key does
not cover, or covers with no pixel action, is unlabeled; one whose header cannot be read becomes
that sample's read error. The boxes apply to every frame (the script crops frame 0's geometry).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Optional

from phibench.dataset import Dataset
from phibench.dataset_card import DatasetCard
from phibench.dicom import frame_count, read_header
from phibench.exceptions import DatasetError
from phibench.labels import resolve_in_root
from phibench.limits import DEFAULT_LIMITS, Limits
from phibench.records import GroundTruth, Sample
from phibench_plugins.datasets.folder import walk
from phibench_plugins.datasets.formats.common import Collector, require_file, require_root
from phibench_plugins.datasets.formats.midi_b_key import (
    UID_COLUMNS,
    read_answer_key,
    read_uid_mapping,
)

log = logging.getLogger(__name__)

GET_IT = ("The MIDI-B images, answer keys and UID mapping files are published on The Cancer "
          "Imaging Archive (www.cancerimagingarchive.net, search MIDI-B) under its data-use "
          "terms; download them yourself: nothing is downloaded at run time.")

CARD = DatasetCard(
    summary="Real TCIA images of the MICCAI 2024 MIDI-B de-identification challenge, with "
            "synthetic PHI written into headers and burned into some images' pixels; scored "
            "against the challenge answer key's pixel actions.",
    label_rules="An image is PHI when its answer key has a pixels_hidden action, each with a "
                "box around the burned-in text (is_phi true, no category); an image with a "
                "pixels_retained action and none hidden is a labelled negative (its pixels must "
                "stay byte-identical). Images with neither are unlabeled. Header actions are "
                "not scored here.",
    source=GET_IT,
    licence="The TCIA data-use terms stated on the MIDI-B collection page.",
    citation="Medical Image De-Identification Benchmark Challenge (MIDI-B), arXiv:2507.23608; "
             "Rutherford M. W. et al., Medical Image De-Identification Resources: Synthetic DICOM "
             "Data and Tools for Validation, arXiv:2508.01889; validation script "
             "github.com/CBIIT/MIDI_validation_script.",
    format="SQLite table answer_data(SOPInstanceUID, [scope, SeriesInstanceUID, "
           "StudyInstanceUID,] AnswerData JSON); pixels_hidden boxes are top_left/bottom_right "
           "corners in frame pixels.",
    details="Over-redaction of a PHI image is not penalised by the challenge; phibench's "
            "harmless-text figures are empty here, since the key boxes no harmless text.",
)


@dataclass(frozen=True)
class _Header:
    rel: str
    path: str
    frames: int
    uids: tuple[str, str, str] | None
    """(SOPInstanceUID, SeriesInstanceUID, StudyInstanceUID) as the key knows them; None when the
    header cannot be read."""


class MidiBDataset(Dataset):
    card: ClassVar[DatasetCard] = CARD

    @dataclass
    class Params:
        root: str = ""
        """Folder of the challenge's DICOM files (any layout; matched by UID, not path)."""
        answer_db: Optional[str] = None  # noqa: UP007 - OmegaConf needs Optional
        """The answer key (SQLite, table answer_data); relative: tried under root too."""
        uid_mapping: Optional[str] = None  # noqa: UP007
        """CSV id_old,id_new mapping the key's UIDs to those in the files (a de-identified
        copy); unset: the files carry the key's own UIDs."""
        expand_frames: bool = True
        """Plan every frame of multi-frame files (the boxes apply to each); off: frame 0 only."""

    def _limits(self) -> Limits:
        return self.context.limits if self.context is not None else DEFAULT_LIMITS

    def plan(self) -> Iterator[tuple[Sample, GroundTruth]]:
        root = require_root(self.params.root, "midi_b", GET_IT)
        db = require_file(self.params.answer_db, root, "answer_db", "midi_b", GET_IT)
        key = read_answer_key(db)
        mapping, skip = None, {str(db.resolve())}  # a key kept under root is not an image
        if self.params.uid_mapping:
            uid_file = require_file(self.params.uid_mapping, root, "uid_mapping", "midi_b", GET_IT)
            mapping = read_uid_mapping(uid_file)
            skip.add(str(uid_file.resolve()))
        headers = list(self._headers(root, mapping, skip))
        collector = Collector(root, f"answer key {db}", "midi_b")
        matched: set[str] = set()
        for header in headers:
            found = key.lookup(*header.uids) if header.uids else None
            if found is None:
                collector.add(header.rel, None, "(a file it does not answer for)", label=None)
                continue
            matched.add(header.uids[0])  # type: ignore[index]
            collector.add(header.rel, None, f"rowid {found.rows}", label=found.has_phi,
                          regions=found.regions)
        if not matched:
            raise DatasetError(
                f"no file under dataset.root matches answer key {db} by UID: is root the images "
                f"this key answers for? Files de-identified with new UIDs need "
                f"dataset.uid_mapping=FILE.csv (id_old,id_new)"
            )
        missing = len(key.pixel_instances - matched)
        if missing:
            log.warning("midi_b: %d image(s) with a pixel action in the answer key have no file "
                        "under dataset.root", missing)
        frames = {h.path: h.frames for h in headers}
        yield from collector.plan(lambda p: frames.get(str(p), 1))

    def _headers(self, root: Path, mapping: dict[str, str] | None,
                 skip: set[str]) -> Iterator[_Header]:
        """Each file under root with its frame count and UIDs (mapped back to the key's)."""
        limits = self._limits()
        seen = set(skip)
        for rel in sorted(walk(root), key=lambda r: r.split("/")):
            path, id_path = resolve_in_root(root, rel)
            if id_path is None or str(path) in seen:  # a link out of root, or a second link
                continue
            seen.add(str(path))
            rel = id_path
            try:
                ds = read_header(path, limits)
            except Exception as exc:  # SampleFailure by contract; the read stage reports it
                log.debug("midi_b: a header could not be read: %s", type(exc).__name__)
                yield _Header(rel, str(path), 1, None)
                continue
            count = frame_count(ds) if self.params.expand_frames else 1
            sop, series, study = (str(ds.get(k, "") or "") for k in UID_COLUMNS)
            if mapping is not None:
                sop, series, study = (mapping.get(u, u) for u in (sop, series, study))
            frames = count if 1 <= count <= limits.max_frames else 1
            yield _Header(rel, str(path), frames, (sop, series, study))
