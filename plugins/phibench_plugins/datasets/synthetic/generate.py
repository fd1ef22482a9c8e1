"""Orchestration: the schedule, one file at a time, and the manifest.

Layout of a generated folder::

    generation.json   version, n, seed, leaky_tags: what this folder was made for (written first)
    dicom/00000.dcm   the files, one per schedule entry
    manifest.csv      one row per frame (written last, atomically: its presence means complete)

``manifest.csv`` has the columns of phibench's labels tables (``path, frame, has_phi, regions``),
so the generic ``folder`` dataset reads it too, followed by descriptive extra columns.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import numpy as np

from phibench.exceptions import DatasetError
from phibench_plugins.datasets.synthetic import header
from phibench_plugins.datasets.synthetic.annotations import annotations
from phibench_plugins.datasets.synthetic.backgrounds import make_scene
from phibench_plugins.datasets.synthetic.compose import compose
from phibench_plugins.datasets.synthetic.content import institution_line, make_identity, phi_fields
from phibench_plugins.datasets.synthetic.encode import (
    TRANSFER_SYNTAXES,
    set_pixels,
    stored_frames,
    write,
)
from phibench_plugins.datasets.synthetic.variants import Planned, schedule

GENERATOR_VERSION = "3"
"""Bump whenever the output for a given (n, seed) changes: cached folders are keyed on it."""

MANIFEST, GENERATION, FILES = "manifest.csv", "generation.json", "dicom"
COLUMNS = ["path", "frame", "has_phi", "regions", "sample_id", "file_index", "variant", "modality",
           "sop_class", "transfer_syntax", "photometric", "bits_allocated", "bits_stored", "signed",
           "rows", "columns", "frames", "header_phi", "header_consistent", "phi_categories"]
TEXT_FREE_SHARE = 0.04
"""Share of no-PHI images left without any text."""
SITE_LINE_SHARE = 0.15
"""Share of no-PHI images with text that also show a site line (an institution alone is not PHI)."""
BANNER_SHARE = {"US": 0.6, "XA": 0.3, "NM": 0.3, "OT": 0.3, "CT": 0.15, "MR": 0.15, "CR": 0.1,
                "DX": 0.1}
"""Share of images, per modality and whatever the label, with a top banner row of small text."""
_FILE = re.compile(r"^\d{5}\.dcm$")


def sample_id(seed: int, index: int, frame: int) -> str:
    return f"synthetic-s{seed}-{index:05d}-f{frame}"


def file_name(index: int) -> str:
    return f"{FILES}/{index:05d}.dcm"


def make_file(root: Path, plan: Planned, seed: int, leaky_tags: bool = False
              ) -> list[dict[str, str]]:
    """Write the file of ``plan`` under ``root``; return its manifest rows (one per frame)."""
    v = plan.variant
    rng = np.random.default_rng([seed, plan.index, 0xD1C0])
    frames = int(rng.integers(v.frames[0], v.frames[1] + 1))
    scene = make_scene(v.background, rng, bits=v.bits, signed=v.signed, photometric=v.photometric,
                       frames=frames)
    ident = make_identity(rng)
    banner = rng.random() < BANNER_SHARE[v.modality]
    fields = phi_fields(ident, rng, banner) if plan.has_phi else []
    if plan.has_phi or rng.random() >= TEXT_FREE_SHARE:
        fields += annotations(v.modality, scene.facts, rng, frames, banner)
        if not plan.has_phi and rng.random() < SITE_LINE_SHARE:
            fields.append(institution_line(ident))
    regions = compose(scene, fields, rng)
    if plan.has_phi and not any(r.is_phi for r in regions):
        raise RuntimeError(f"synthetic file {plan.index}: no PHI could be placed")  # a bug
    if plan.header == "other":  # the header describes somebody else
        header_ident = make_identity(rng)
    else:
        header_ident = None if plan.header == "blank" else ident
    # A stream of its own, seeded without the label: the tag cannot depend on it.
    tag_rng = np.random.default_rng([seed, plan.index, 0xB1A])
    burned_in = header.burned_in_annotation(plan.has_phi, leaky_tags, tag_rng)
    ds = header.build(v, scene, header_ident, rng, seed=seed, index=plan.index,
                      version=GENERATOR_VERSION, burned_in=burned_in)
    arr = stored_frames(scene, v.bits, v.signed)
    set_pixels(ds, arr, v.photometric, v.bits, v.ts, scene, quality=int(rng.integers(85, 96)))
    rel = file_name(plan.index)
    tmp = root / f"{rel}.tmp"
    write(ds, tmp)
    os.replace(tmp, root / rel)
    rows = []
    for k in range(frames):
        here = [r for r in regions if r.frame is None or r.frame == k]
        has_phi = any(r.is_phi for r in here)
        assert has_phi == plan.has_phi, "PHI must be on every frame of a PHI file"
        rows.append({
            "path": rel, "frame": str(k), "has_phi": "true" if has_phi else "false",
            "regions": json.dumps([{"box": list(r.box), "text": r.text, "is_phi": r.is_phi,
                                    "category": r.category} for r in here], ensure_ascii=False),
            "sample_id": sample_id(seed, plan.index, k), "file_index": str(plan.index),
            "variant": v.key, "modality": v.modality, "sop_class": v.sop_class.name,
            "transfer_syntax": TRANSFER_SYNTAXES[v.ts].name,
            "photometric": str(ds.PhotometricInterpretation),
            "bits_allocated": str(ds.BitsAllocated),
            "bits_stored": str(ds.BitsStored), "signed": "true" if v.signed else "false",
            "rows": str(ds.Rows), "columns": str(ds.Columns), "frames": str(frames),
            "header_phi": plan.header,
            "header_consistent": "false" if plan.header in ("other", "blank") else "true",
            "phi_categories": "|".join(sorted({r.category for r in here if r.is_phi})),
        })
    return rows


def write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, path)


def write_manifest(out: Path, rows: list[dict[str, object]], columns: list[str]) -> Path:
    """Write a generator's ``manifest.csv`` (the labels table phibench plans from) atomically."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(out / MANIFEST, buf.getvalue())
    return out / MANIFEST


def generation_info(n: int, seed: int, leaky_tags: bool = False) -> dict[str, object]:
    return {"generator": "phibench synthetic", "version": GENERATOR_VERSION, "n": n, "seed": seed,
            "leaky_tags": leaky_tags}


def is_complete(out: Path, n: int, seed: int, leaky_tags: bool = False) -> bool:
    """Whether ``out`` holds a finished generation for this version, ``n``, ``seed`` and
    ``leaky_tags``."""
    try:
        info = json.loads((out / GENERATION).read_text(encoding="utf-8"))
        with (out / MANIFEST).open(encoding="utf-8", newline="") as fh:
            paths = {row["path"] for row in csv.DictReader(fh)}
    except (OSError, ValueError, KeyError):
        return False
    if info != generation_info(n, seed, leaky_tags) or len(paths) != n:
        return False
    return all((out / p).is_file() for p in paths)


def output_folder(out: Path, what: str) -> Path:
    """``out``, expanded; refused when it holds files but no ``what`` generation of ours (a
    generator never writes into, or deletes from, a folder it did not make)."""
    out = Path(out).expanduser()
    if out.exists() and any(out.iterdir()) and not (out / GENERATION).exists():
        raise DatasetError(f"{out} is not empty and holds no {what} generation; "
                           f"choose an empty or new folder")
    return out


def generate(out: Path, n: int, seed: int, *, leaky_tags: bool = False) -> Path:
    """Write ``n`` files for ``seed`` into ``out`` and return the manifest's path.

    ``leaky_tags`` writes ``BurnedInAnnotation`` as ``YES`` exactly on PHI files and ``NO`` on
    the others (the label given away on purpose, e.g. to test a header-reading detector);
    by default no header element correlates with the label.
    """
    if n < 1:
        raise DatasetError(f"synthetic dataset: n must be at least 1, got {n}")
    out = output_folder(out, "synthetic")
    (out / FILES).mkdir(parents=True, exist_ok=True)
    (out / MANIFEST).unlink(missing_ok=True)
    info = generation_info(n, seed, leaky_tags)
    write_text_atomic(out / GENERATION, json.dumps(info, indent=2) + "\n")
    rows: list[dict[str, str]] = []
    for plan in schedule(n, seed):
        rows += make_file(out, plan, seed, leaky_tags)
    keep = {Path(file_name(i)).name for i in range(n)}
    for stale in (out / FILES).iterdir():
        if _FILE.match(stale.name) and stale.name not in keep or stale.name.endswith(".tmp"):
            stale.unlink()
    rows.sort(key=lambda r: (r["path"], int(r["frame"])))
    return write_manifest(out, rows, COLUMNS)
