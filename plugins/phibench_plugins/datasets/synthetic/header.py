"""DICOM headers: patient, study, series, equipment and image modules, with deterministic UIDs.

The header's identity is the burned-in one (``same``), another patient's (``other``), or empty
(``blank``). Images without burned-in PHI get a complete identity (``full``) or a blank one at the
same rate as PHI images do, so whether the header holds PHI says nothing about the pixels.
``BurnedInAnnotation`` is drawn apart from the label (mostly absent, sometimes ``NO``, rarely
``YES``, as on real files) unless the dataset is made with ``leaky_tags``; see
:func:`burned_in_annotation`.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pydicom
from pydicom.dataset import FileMetaDataset
from pydicom.uid import generate_uid

from phibench_plugins.datasets.synthetic.annotations import DEVICES
from phibench_plugins.datasets.synthetic.backgrounds import Scene
from phibench_plugins.datasets.synthetic.content import Identity, pick
from phibench_plugins.datasets.synthetic.variants import Variant

MANUFACTURERS = {"CT": ["SIEMENS", "GE MEDICAL SYSTEMS", "TOSHIBA", "Philips"],
                 "MR": ["SIEMENS", "GE MEDICAL SYSTEMS", "Philips Medical Systems"],
                 "CR": ["FUJIFILM Corporation", "Carestream Health", "AGFA"],
                 "DX": ["Carestream Health", "SIEMENS", "Philips Medical Systems", "GE Healthcare"],
                 "US": ["GE Healthcare", "Philips", "SIEMENS", "Canon Medical Systems"],
                 "XA": ["SIEMENS", "Philips Medical Systems", "GE Healthcare"],
                 "NM": ["SIEMENS NM", "GE MEDICAL SYSTEMS", "Philips"],
                 "OT": ["", "PACS", "Screen Capture"]}
IMAGE_TYPES = {"CT": ["ORIGINAL", "PRIMARY", "AXIAL"], "MR": ["ORIGINAL", "PRIMARY", "M", "ND"],
               "CR": ["ORIGINAL", "PRIMARY"], "DX": ["ORIGINAL", "PRIMARY"],
               "US": ["ORIGINAL", "PRIMARY", "ABDOMINAL"],
               "XA": ["ORIGINAL", "PRIMARY", "SINGLE PLANE"],
               "NM": ["ORIGINAL", "PRIMARY", "STATIC", "EMISSION"], "OT": ["DERIVED", "SECONDARY"]}


def uid(seed: int, index: int, what: str, version: str) -> str:
    return generate_uid(entropy_srcs=["phibench-synthetic", version, str(seed), str(index), what])


def _charset(texts: list[str]) -> str | None:
    joined = "".join(texts)
    if joined.isascii():
        return None
    try:
        joined.encode("latin-1")
        return "ISO_IR 100"
    except UnicodeEncodeError:
        return "ISO_IR 192"


BURNED_IN_SHARES = {None: 0.7, "NO": 0.25, "YES": 0.05}
"""``BurnedInAnnotation`` on every file alike: absent, ``NO`` or ``YES`` (like real archives,
where the tag is mostly missing and, when present, rarely reflects the pixels)."""


def burned_in_annotation(has_phi: bool, leaky: bool, rng: np.random.Generator) -> str | None:
    """The tag's value (None: absent). ``leaky`` gives the old, label-revealing ``YES``/``NO``.

    ``rng`` must be a generator used for nothing else and seeded without the label, so that the
    value is independent of whether the file has PHI.
    """
    if leaky:
        return "YES" if has_phi else "NO"
    values, shares = list(BURNED_IN_SHARES), list(BURNED_IN_SHARES.values())
    return values[int(rng.choice(len(values), p=shares))]


def build(variant: Variant, scene: Scene, ident: Identity | None, rng: np.random.Generator, *,
          seed: int, index: int, version: str, burned_in: str | None) -> pydicom.Dataset:
    """Everything but the pixel data; ``ident`` None gives blank patient and study fields;
    ``burned_in`` is the BurnedInAnnotation value, None to leave it out."""
    ds = pydicom.Dataset()
    ds.file_meta = FileMetaDataset()
    sop = uid(seed, index, "sop", version)
    ds.file_meta.MediaStorageSOPClassUID = variant.sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = sop
    mod = variant.modality
    p = ident.patient if ident else None
    names = [p.family, p.given, ident.institution, ident.referring.family] if ident and p else []
    charset = _charset(names)
    if charset:
        ds.SpecificCharacterSet = charset
    ds.ImageType = IMAGE_TYPES[mod]
    ds.SOPClassUID, ds.SOPInstanceUID = variant.sop_class, sop
    day = f"{ident.study:%Y%m%d}" if ident else ""
    time = f"{int(rng.integers(7, 20)):02d}{int(rng.integers(60)):02d}{int(rng.integers(60)):02d}"
    ds.StudyDate = ds.SeriesDate = ds.ContentDate = day
    ds.StudyTime = ds.SeriesTime = ds.ContentTime = time if ident else ""
    ds.AccessionNumber = ident.accession if ident else ""
    ds.Modality = mod
    if mod == "OT":
        ds.ConversionType = "WSD"
    ds.Manufacturer = pick(rng, MANUFACTURERS[mod])
    if ident:
        ds.InstitutionName = ident.institution
    r = ident.referring if ident else None
    ds.ReferringPhysicianName = f"{r.family}^{r.given}" if r else ""
    ds.StationName = f"{mod}{int(rng.integers(1, 20)):02d}"
    ds.StudyDescription = scene.description if mod != "OT" else "SCREEN SAVE"
    ds.SeriesDescription = scene.description
    ds.ManufacturerModelName = pick(rng, DEVICES[{"CR": "XR", "DX": "XR"}.get(mod, mod)])
    ds.PatientName = "^".join(x for x in (p.family, p.given, p.middle) if x) if p else ""
    ds.PatientID = ident.mrn if ident else ""
    ds.PatientBirthDate = f"{ident.birth:%Y%m%d}" if ident else ""
    ds.PatientSex = p.sex if p else ""
    ds.PatientAge = f"{ident.age:03d}Y" if ident else ""
    ds.BodyPartExamined = scene.body_part
    ds.SoftwareVersions = pick(rng, ["VB20A", "VA48A", "DV26.0", "5.1.2", "R11.2", "E11C"])
    for key, value in _acquisition(mod, scene).items():
        setattr(ds, key, value)
    ds.StudyInstanceUID = uid(seed, index, "study", version)
    ds.SeriesInstanceUID = uid(seed, index, "series", version)
    ds.StudyID = str(int(rng.integers(1, 99999)))
    ds.SeriesNumber = int(rng.integers(1, 12))
    ds.InstanceNumber = int(rng.integers(1, 240))
    if mod in ("CT", "MR"):
        ds.FrameOfReferenceUID = uid(seed, index, "frame-of-reference", version)
        rows, cols = scene.shape
        ds.ImagePositionPatient = [-(cols * scene.spacing_mm) / 2, -(rows * scene.spacing_mm) / 2,
                                   round(float(rng.uniform(-400, 200)), 1)]
        ds.ImageOrientationPatient = [1, 0, 0, 0, 1, 0]
        ds.PixelSpacing = [round(scene.spacing_mm, 6)] * 2
    else:
        ds.PatientOrientation = ["L", "F"] if mod in ("CR", "DX", "NM") else ""
    if burned_in is not None:
        ds.BurnedInAnnotation = burned_in
    tone = scene.tone
    if tone.kind == "grey":
        ds.WindowCenter, ds.WindowWidth = round(tone.center, 1), round(tone.width, 1)
        if mod == "CT":
            ds.RescaleIntercept, ds.RescaleSlope = tone.intercept, tone.slope
    for key, value in scene.header.items():
        setattr(ds, key, value)
    return ds


def _acquisition(mod: str, scene: Scene) -> dict[str, Any]:
    f = scene.facts
    if mod == "CT":
        return {"KVP": f["kvp"], "SliceThickness": f["thickness"], "ConvolutionKernel": f["kernel"],
                "ExposureTime": 500, "XRayTubeCurrent": f["mas"]}
    if mod == "MR":
        return {"RepetitionTime": f["tr"], "EchoTime": f["te"], "SliceThickness": f["thickness"],
                "FlipAngle": f["fa"],
                "MagneticFieldStrength": 3.0 if f["field"].startswith("3") else 1.5,
                "ScanningSequence": "SE", "SequenceVariant": "SK", "ScanOptions": "",
                "MRAcquisitionType": "2D"}
    if mod in ("CR", "DX"):
        extra = {"PresentationIntentType": "FOR PRESENTATION"} if mod == "DX" else {}
        return {"KVP": f["kvp"], "Exposure": int(round(f["mas"])), **extra}
    if mod == "NM":
        return {"RadiopharmaceuticalInformationSequence": []}
    return {}
