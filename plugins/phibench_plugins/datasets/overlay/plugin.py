"""The ``overlay`` dataset plugin: burn once into a cache folder, plan from its manifest."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Optional

from phibench.dataset import Dataset
from phibench.dataset_card import DatasetCard
from phibench.exceptions import DatasetError
from phibench.labels import read_labels
from phibench.records import GroundTruth, Sample
from phibench_plugins.datasets.overlay.generate import (
    MANIFEST,
    OVERLAY_VERSION,
    generate,
    generation_info,
    is_complete,
    sample_id,
)
from phibench_plugins.datasets.overlay.sources import Source, bundled, from_folder
from phibench_plugins.datasets.synthetic.plugin import default_root

CARD = DatasetCard(
    summary="Semi-synthetic DICOM: real images that carry no burned-in text (pydicom's bundled "
            "test files, or text-free files of your own) with realistic overlays burned into "
            "their stored pixels -- corner blocks, top banners, edge markers, fonts down to 7 px "
            "-- and exact ground truth. Half the files show PHI. It measures how far results on "
            "fully synthetic backgrounds carry over to real anatomy, noise and bit depths.",
    label_rules="Every burned line is boxed (left, top, width, height; frame pixels) with its "
                "category and is_phi, measured from the ink. PHI: patient names, dates (birth, "
                "study), MRNs, accession numbers, phone/address, referring physicians, ages over "
                "89. Boxed but not PHI: institution names, ages of 89 or less, technique (kVp, "
                "mAs, slice thickness, TR/TE, WL/WW), laterality and view markers, devices, "
                "times of day. A file is PHI when a PHI box is on it. Everything outside the "
                "boxes is the source's pixels, unchanged.",
    source="Generated locally by `phibench datasets make overlay` (or on first use). Default "
           "backgrounds: six pydicom test files shipped in the pydicom wheel (CT, MR, NM; no "
           "download). With dataset.sources=DIR dataset.source_labels=FILE.csv, the text-free "
           "rows (has_text=0) of your own labelled set, read at run time and never copied into "
           "phibench (e.g. a local development set such as realdev).",
    licence="Text and layout generated (no licence needed); the pixels keep their source's "
            "licence: pydicom's test files are distributed with pydicom under its MIT-style "
            "licence (pydicom/LICENSE); files of your own keep theirs.",
    citation="The idea of inserting synthetic PHI into real, de-identified DICOM follows "
             "Rutherford M, Mun SK, Levine B, et al. A DICOM dataset for evaluation of medical "
             "image de-identification. Sci Data 8, 183 (2021), doi:10.1038/s41597-021-00967-y "
             "(TCIA collection Pseudo-PHI-DICOM-Data), which does so in header attributes; "
             "here the PHI is burned into the pixels.",
    format="generation.json, dicom/NNNNN.dcm (Explicit VR Little Endian, the source's bits, "
           "signedness and photometric; YBR written as RGB), manifest.csv with phibench's labels "
           "columns (path, frame, has_phi, regions as JSON [{box, text, is_phi, category}]) then "
           "source, modality, photometric, bits.",
    details="See datasets/overlay.md. The text, fonts, looks and placement are the synthetic "
            "generator's (phibench_plugins.datasets.synthetic); burned values come from the "
            "source's own window (MONOCHROME1 inverted), in stored-value space.",
)


class OverlayDataset(Dataset):
    """Real text-free frames with synthetic overlays burned in, boxes as ground truth."""

    card: ClassVar[DatasetCard] = CARD

    @dataclass
    class Params:
        n: int = 24
        """Number of files (one frame each); sources are used in turn."""
        seed: int = 0
        """Same seed and sources, same bytes."""
        sources: Optional[str] = None  # noqa: UP007 - OmegaConf needs Optional
        """Folder of real DICOM files to burn into; default: pydicom's bundled test files."""
        source_labels: Optional[str] = None  # noqa: UP007 - OmegaConf needs Optional
        """Labels CSV of ``sources`` (path, has_phi[, has_text, frame, regions]); only rows
        with has_text 0 (or has_phi 0 and no regions) are used."""
        out: Optional[str] = None  # noqa: UP007 - OmegaConf needs Optional
        """Folder to generate into; default: $PHIBENCH_DATA_DIR or ~/.cache/phibench/datasets,
        then overlay-v{version}-n{n}-seed{seed}[-src{hash}]."""

    def sources(self) -> list[Source]:
        p = self.params
        if p.sources:
            return from_folder(p.sources, p.source_labels)
        if p.source_labels:
            raise DatasetError("dataset.source_labels needs dataset.sources=DIR")
        return bundled()

    def folder(self) -> Path:
        p = self.params
        if p.out:
            return Path(p.out).expanduser()
        tag = ""
        if p.sources:
            key = f"{Path(p.sources).expanduser().resolve()}|{p.source_labels}"
            tag = "-src" + hashlib.sha256(key.encode()).hexdigest()[:10]
        return default_root() / f"overlay-v{OVERLAY_VERSION}-n{p.n}-seed{p.seed}{tag}"

    def make(self) -> Path:
        p, out = self.params, self.folder()
        if p.n < 1:
            raise DatasetError(f"dataset=overlay: n must be at least 1, got {p.n}")
        sources = self.sources()
        if not is_complete(out, p.n, p.seed, sources):
            generate(out, p.n, p.seed, sources)
        return out

    def plan(self) -> Iterator[tuple[Sample, GroundTruth]]:
        out, seed = self.make(), self.params.seed

        def id_of(rel: str, frame: int) -> str:
            return sample_id(seed, int(Path(rel).stem))

        yield from read_labels(out, out / MANIFEST, dataset="overlay", id_of=id_of)

    def describe(self) -> dict[str, object]:
        p = self.params
        info = generation_info(p.n, p.seed, self.sources())
        return {"overlay_version": OVERLAY_VERSION, "n": p.n, "seed": p.seed,
                "sources": info["sources"]}
