"""The ``synthetic`` dataset plugin: generate once into a cache folder, plan from its manifest."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Optional

from phibench.dataset import Dataset
from phibench.dataset_card import DatasetCard
from phibench.exceptions import DatasetError
from phibench.labels import read_labels
from phibench.records import GroundTruth, Sample
from phibench_plugins.datasets.synthetic.generate import (
    GENERATOR_VERSION,
    MANIFEST,
    generate,
    is_complete,
    sample_id,
)


def default_root() -> Path:
    """``$PHIBENCH_DATA_DIR``, else ``~/.cache/phibench/datasets``."""
    env = os.environ.get("PHIBENCH_DATA_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "phibench" / "datasets"


class SyntheticDataset(Dataset):
    """Balanced synthetic DICOM (half the files with burned-in PHI), text boxes as ground truth."""

    card: ClassVar[DatasetCard] = DatasetCard(
        summary="Generated DICOM files with text burned into the pixels and exact ground truth "
                "for every line: half carry burned-in PHI, half none. Drawn backgrounds (CT, MR, "
                "CR/DX, US cines, XA, NM, secondary capture) in many encodings and bit depths; "
                "nothing comes from a real patient.",
        label_rules="Every burned line is boxed (left, top, width, height; frame pixels) from its "
                    "ink, with its text, category and is_phi. PHI: names, dates, MRNs, accession "
                    "numbers, contacts, referring physicians, ages over 89. Boxed, not PHI: "
                    "institution names, ages of 89 or less, technique, markers, devices, times. "
                    "A frame is PHI when a PHI box is on it (the rules of realdev's README).",
        source="Generated locally (`phibench datasets make synthetic`, or on first use) into "
               "$PHIBENCH_DATA_DIR or ~/.cache/phibench/datasets; same version, n and seed, same "
               "bytes. Nothing is downloaded.",
        licence="Generated; free to use and share under the project's licence (Apache-2.0). "
                "Fonts: DejaVu (Bitstream Vera licence), STIX (SIL OFL 1.1), shipped by "
                "matplotlib; Faker (MIT) supplies fictitious names.",
        format="generation.json, dicom/NNNNN.dcm, manifest.csv (path, frame, has_phi, regions "
               "as JSON [{box, text, is_phi, category}], then descriptive columns).",
        details="See datasets/synthetic.md (what changed per generator version, the layout "
                "rules, known limits).",
    )

    @dataclass
    class Params:
        n: int = 200
        """Number of files (a multi-frame file gives one sample per frame)."""
        seed: int = 0
        """Same seed, same bytes."""
        leaky_tags: bool = False
        """Write BurnedInAnnotation YES exactly on PHI files (NO otherwise), giving the label
        away in the header on purpose; by default no header element correlates with it."""
        out: Optional[str] = None  # noqa: UP007 - OmegaConf needs Optional
        """Folder to generate into; default: $PHIBENCH_DATA_DIR or ~/.cache/phibench/datasets,
        then synthetic-v{version}-n{n}-seed{seed} (``-leaky`` appended with leaky_tags)."""

    def folder(self) -> Path:
        p = self.params
        if p.out:
            return Path(p.out).expanduser()
        leaky = "-leaky" if p.leaky_tags else ""
        return default_root() / f"synthetic-v{GENERATOR_VERSION}-n{p.n}-seed{p.seed}{leaky}"

    def make(self) -> Path:
        """Generate unless a complete generation for the same version, n and seed is there."""
        p, out = self.params, self.folder()
        if p.n < 1:
            raise DatasetError(f"dataset=synthetic: n must be at least 1, got {p.n}")
        if not is_complete(out, p.n, p.seed, p.leaky_tags):
            generate(out, p.n, p.seed, leaky_tags=p.leaky_tags)
        return out

    def plan(self) -> Iterator[tuple[Sample, GroundTruth]]:
        out, seed = self.make(), self.params.seed

        def id_of(rel: str, frame: int) -> str:
            return sample_id(seed, int(Path(rel).stem), frame)

        yield from read_labels(out, out / MANIFEST, dataset="synthetic", id_of=id_of)

    def describe(self) -> dict[str, object]:
        p = self.params
        return {"generator_version": GENERATOR_VERSION, "n": p.n, "seed": p.seed,
                "leaky_tags": p.leaky_tags}
