"""Burning overlays onto real frames, one file at a time, and the manifest.

Layout of a generated folder (as the synthetic one, so the same labels reader plans it)::

    generation.json   version, n, seed and the sources: what this folder was made for
    dicom/00000.dcm   one file per image: a real frame with text burned in
    manifest.csv      one row per file (written last, atomically: its presence means complete)

The text, its look and its placement are the synthetic generator's (fields from
:mod:`~..synthetic.content` and :mod:`~..synthetic.annotations`, painting by
:func:`~..synthetic.compose.compose`); only the background is real. After composing, every
pixel outside the ground-truth boxes is put back to the source's stored value, so the boxes hold
all that changed and the rest of the frame is the source, bit for bit.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import numpy as np
import pydicom
from pydicom.uid import UID, ExplicitVRBigEndian, ExplicitVRLittleEndian, generate_uid

from phibench.dicom.decode import syntax_of
from phibench.dicom.pixels_io import Pixels, convert_elements, encode_pixels
from phibench.exceptions import DatasetError
from phibench_plugins.datasets.overlay.real import RealFrame, Unusable, load, scene_of, tone_of
from phibench_plugins.datasets.overlay.sources import Source
from phibench_plugins.datasets.synthetic import header
from phibench_plugins.datasets.synthetic.annotations import annotations
from phibench_plugins.datasets.synthetic.compose import compose
from phibench_plugins.datasets.synthetic.content import institution_line, make_identity, phi_fields
from phibench_plugins.datasets.synthetic.generate import (
    BANNER_SHARE,
    SITE_LINE_SHARE,
    TEXT_FREE_SHARE,
    write_text_atomic,
    output_folder,
    write_manifest,
)
from phibench_plugins.datasets.synthetic.layout import Region

OVERLAY_VERSION = "1"
"""Bump whenever the output for given sources, n and seed changes: cached folders key on it."""

MANIFEST, GENERATION, FILES = "manifest.csv", "generation.json", "dicom"
COLUMNS = ["path", "frame", "has_phi", "regions", "sample_id", "file_index", "source",
           "source_origin", "source_frame", "modality", "photometric", "bits_allocated",
           "bits_stored", "signed", "rows", "columns", "phi_categories"]
ATTEMPTS = 6
"""Fresh layouts tried before a PHI image whose identifiers would not fit is given up."""
PATIENT_KEYWORDS = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "PatientAge",
                    "OtherPatientIDs", "AccessionNumber", "InstitutionName", "InstitutionAddress",
                    "ReferringPhysicianName", "OperatorsName", "PerformingPhysicianName",
                    "StudyID", "StationName")
"""Blanked in every output: the header says nothing about the burned text, either way."""


def sample_id(seed: int, index: int) -> str:
    return f"overlay-s{seed}-{index:05d}-f0"


def file_name(index: int) -> str:
    return f"{FILES}/{index:05d}.dcm"


def usable(sources: list[Source]) -> list[tuple[Source, RealFrame]]:
    """The sources that decode to a frame the overlay can burn into, each decoded once."""
    out = []
    for src in sources:
        try:
            out.append((src, load(src)))
        except Unusable:
            continue
    if not out:
        raise DatasetError("dataset=overlay: no source has pixels an overlay can be burned into "
                           "(greyscale or 8-bit RGB, at least 96 px a side)")
    return out


def schedule(n: int, seed: int, count: int) -> list[tuple[int, bool]]:
    """``(source index, has_phi)`` per file: half PHI, sources taken in turn, both shuffled."""
    rng = np.random.default_rng([seed, 0x0E7A])
    phi = rng.permutation(np.arange(n) < (n + 1) // 2)
    order = rng.permutation(count)
    return [(int(order[i % count]), bool(phi[i])) for i in range(n)]


def burn(real: RealFrame, has_phi: bool, rng: np.random.Generator
         ) -> tuple[np.ndarray, list[Region]]:
    """The source frame with an overlay burned in (stored values, source dtype), and its regions."""
    tone = tone_of(real)
    scene = scene_of(real, tone, rng)
    ident = make_identity(rng)
    banner = rng.random() < BANNER_SHARE.get(real.modality, 0.3)
    fields = phi_fields(ident, rng, banner) if has_phi else []
    if has_phi or rng.random() >= TEXT_FREE_SHARE:
        fields += annotations(real.modality, scene.facts, rng, 1, banner)
        if not has_phi and rng.random() < SITE_LINE_SHARE:
            fields.append(institution_line(ident))
    regions = [r for r in compose(scene, fields, rng) if r.frame in (None, 0)]
    painted = scene.frames[0]
    if tone.kind == "grey":
        new = tone.quantize(painted, real.stored.dtype)
    else:
        new = np.clip(np.rint(painted), 0, 255).astype(real.stored.dtype)
    inside = np.zeros(real.stored.shape[:2], dtype=bool)
    for r in regions:
        left, top, w, h = r.box
        inside[max(0, top):top + h, max(0, left):left + w] = True
    if new.ndim == 3:
        inside = inside[..., None]
    return np.where(inside, new, real.stored), regions


def _dataset(real: RealFrame, frame: np.ndarray, seed: int, index: int, has_phi: bool):
    ds = real.ds.copy()
    px = real.pixels
    big_endian = syntax_of(ds) == ExplicitVRBigEndian
    convert_elements(ds, big_endian=big_endian)
    for kw in ("PerFrameFunctionalGroupsSequence", "IconImageSequence", "NumberOfFrames"):
        if kw in ds:
            delattr(ds, kw)
    syntax = encode_pixels(ds, Pixels(frame[None], real.photometric, px.bits_allocated,
                                      px.bits_stored, px.keyword, px.view), lossless=False)
    for kw in PATIENT_KEYWORDS:
        if kw in ds:
            ds[kw].value = ""
    tag_rng = np.random.default_rng([seed, index, 0xB1A])  # seeded without the label
    burned_in = header.burned_in_annotation(has_phi, False, tag_rng)
    if burned_in is None:
        ds.pop("BurnedInAnnotation", None)
    else:
        ds.BurnedInAnnotation = burned_in
    entropy = [f"phibench-overlay-v{OVERLAY_VERSION}", str(seed), str(index)]
    for kw in ("StudyInstanceUID", "SeriesInstanceUID", "SOPInstanceUID"):
        setattr(ds, kw, generate_uid(entropy_srcs=[*entropy, kw]))
    meta = ds.file_meta
    meta.TransferSyntaxUID = UID(syntax)
    meta.MediaStorageSOPClassUID = ds.get("SOPClassUID") or "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    for kw in ("ImplementationClassUID", "ImplementationVersionName",
               "SourceApplicationEntityTitle"):
        if kw in meta:
            delattr(meta, kw)
    ds.preamble = b"\x00" * 128
    assert syntax == ExplicitVRLittleEndian
    return ds


def make_file(root: Path, src: Source, real: RealFrame, has_phi: bool, seed: int, index: int
              ) -> dict[str, str]:
    """Write file ``index`` under ``root``; return its manifest row."""
    for attempt in range(ATTEMPTS):
        rng = np.random.default_rng([seed, index, attempt, 0x0E71])
        frame, regions = burn(real, has_phi, rng)
        if any(r.is_phi for r in regions) == has_phi:
            break
    else:
        raise DatasetError(f"dataset=overlay: no PHI fits on source {src.name} "
                           f"(file {index}); leave such small images out of the sources")
    ds = _dataset(real, frame, seed, index, has_phi)
    rel = file_name(index)
    tmp = root / f"{rel}.tmp"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    # dcmwrite, not save_as: save_as refuses big-endian input written little endian (whose
    # byte-order-dependent values convert_elements has already swapped).
    pydicom.dcmwrite(tmp, ds, enforce_file_format=True)
    os.replace(tmp, root / rel)
    return {
        "path": rel, "frame": "0", "has_phi": "true" if has_phi else "false",
        "regions": json.dumps([{"box": list(r.box), "text": r.text, "is_phi": r.is_phi,
                                "category": r.category} for r in regions], ensure_ascii=False),
        "sample_id": sample_id(seed, index), "file_index": str(index), "source": src.name,
        "source_origin": src.origin, "source_frame": str(src.frame), "modality": real.modality,
        "photometric": real.photometric, "bits_allocated": str(ds.BitsAllocated),
        "bits_stored": str(ds.BitsStored), "signed": "true" if frame.dtype.kind == "i" else "false",
        "rows": str(ds.Rows), "columns": str(ds.Columns),
        "phi_categories": "|".join(sorted({r.category for r in regions if r.is_phi})),
    }


def generation_info(n: int, seed: int, sources: list[Source]) -> dict[str, object]:
    return {"generator": "phibench overlay", "version": OVERLAY_VERSION, "n": n, "seed": seed,
            "sources": [f"{s.origin}:{s.name}#{s.frame}" for s in sources]}


def is_complete(out: Path, n: int, seed: int, sources: list[Source]) -> bool:
    try:
        info = json.loads((out / GENERATION).read_text(encoding="utf-8"))
        with (out / MANIFEST).open(encoding="utf-8", newline="") as fh:
            paths = [row["path"] for row in csv.DictReader(fh)]
    except (OSError, ValueError, KeyError):
        return False
    if info != generation_info(n, seed, sources) or len(paths) != n:
        return False
    return all((out / p).is_file() for p in paths)


def generate(out: Path, n: int, seed: int, sources: list[Source]) -> Path:
    """Write ``n`` overlay files for ``seed`` over ``sources`` into ``out``; the manifest's path."""
    if n < 1:
        raise DatasetError(f"dataset=overlay: n must be at least 1, got {n}")
    out = output_folder(out, "overlay")
    decoded = usable(sources)
    (out / FILES).mkdir(parents=True, exist_ok=True)
    (out / MANIFEST).unlink(missing_ok=True)
    for stale in (out / FILES).iterdir():
        stale.unlink()
    write_text_atomic(out / GENERATION, json.dumps(generation_info(n, seed, sources), indent=2) + "\n")
    rows = []
    for index, (k, has_phi) in enumerate(schedule(n, seed, len(decoded))):
        src, real = decoded[k]
        rows.append(make_file(out, src, real, has_phi, seed, index))
    return write_manifest(out, rows, COLUMNS)
