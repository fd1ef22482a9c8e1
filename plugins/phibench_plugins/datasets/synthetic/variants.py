"""The file formats the dataset is made of, and which file gets which (the schedule).

Each :class:`Variant` fixes modality, SOP class, bit depth, photometric interpretation and
transfer syntax. The 25 variants give the five transfer syntaxes five each. The schedule deals
variants out in blocks, each variant once with and once without PHI per block, so that
``n >= 25`` files cover every variant, PHI is exactly balanced (``ceil(n/2)`` PHI files) and no
format predicts the label; then it shuffles file order so the index predicts nothing either.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydicom.uid import UID, CTImageStorage, MRImageStorage
from pydicom.uid import ComputedRadiographyImageStorage as CR
from pydicom.uid import DigitalXRayImageStorageForPresentation as DX
from pydicom.uid import NuclearMedicineImageStorage as NM
from pydicom.uid import SecondaryCaptureImageStorage as SC
from pydicom.uid import UltrasoundImageStorage as US
from pydicom.uid import UltrasoundMultiFrameImageStorage as USMF
from pydicom.uid import XRayAngiographicImageStorage as XA


@dataclass(frozen=True)
class Variant:
    key: str
    modality: str
    sop_class: UID
    background: str
    bits: int
    signed: bool
    photometric: str
    ts: str
    frames: tuple[int, int] = (1, 1)


M2, M1, RGB, YBR, PAL = "MONOCHROME2", "MONOCHROME1", "RGB", "YBR_FULL_422", "PALETTE COLOR"

VARIANTS: tuple[Variant, ...] = (
    Variant("ct-s16-explicit", "CT", CTImageStorage, "ct", 16, True, M2, "explicit"),
    Variant("ct-s16-implicit", "CT", CTImageStorage, "ct", 16, True, M2, "implicit"),
    Variant("ct-u12-rle", "CT", CTImageStorage, "ct", 12, False, M2, "rle"),
    Variant("ct-s16-j2k", "CT", CTImageStorage, "ct", 16, True, M2, "j2k"),
    Variant("mr-u12-explicit", "MR", MRImageStorage, "mr", 12, False, M2, "explicit"),
    Variant("mr-u16-rle", "MR", MRImageStorage, "mr", 16, False, M2, "rle"),
    Variant("mr-u12-j2k", "MR", MRImageStorage, "mr", 12, False, M2, "j2k"),
    Variant("mr-u16-implicit", "MR", MRImageStorage, "mr", 16, False, M2, "implicit"),
    Variant("cr-u12-mono1-explicit", "CR", CR, "xray", 12, False, M1, "explicit"),
    Variant("dx-u12-j2k", "DX", DX, "xray", 12, False, M2, "j2k"),
    Variant("dx-u12-mono1-rle", "DX", DX, "xray", 12, False, M1, "rle"),
    Variant("cr-u12-implicit", "CR", CR, "xray", 12, False, M2, "implicit"),
    Variant("cr-u8-jpeg", "CR", CR, "xray", 8, False, M2, "jpeg"),
    Variant("us-rgb-explicit", "US", US, "us", 8, False, RGB, "explicit"),
    Variant("us-ybr-jpeg", "US", US, "us", 8, False, YBR, "jpeg"),
    Variant("us-rgb-mf-rle", "US", USMF, "us", 8, False, RGB, "rle", (2, 3)),
    Variant("us-rgb-j2k", "US", US, "us", 8, False, RGB, "j2k"),
    Variant("us-u8-implicit", "US", US, "us", 8, False, M2, "implicit"),
    Variant("sc-u8-jpeg", "OT", SC, "sc", 8, False, M2, "jpeg"),
    Variant("sc-rgb-implicit", "OT", SC, "sc", 8, False, RGB, "implicit"),
    Variant("xa-u8-mf-jpeg", "XA", XA, "xa", 8, False, M2, "jpeg", (2, 4)),
    Variant("xa-u8-mf-rle", "XA", XA, "xa", 8, False, M2, "rle", (2, 4)),
    Variant("nm-u16-mf-j2k", "NM", NM, "nm", 16, False, M2, "j2k", (2, 4)),
    Variant("nm-pal-mf-explicit", "NM", NM, "nm", 8, False, PAL, "explicit", (2, 3)),
    Variant("sc-ybr-jpeg", "OT", SC, "sc", 8, False, YBR, "jpeg"),
)

BY_KEY = {v.key: v for v in VARIANTS}


@dataclass(frozen=True)
class Planned:
    """What file ``index`` will be."""

    index: int
    variant: Variant
    has_phi: bool
    header: str
    """``same`` (header = burned identity), ``other`` (a different patient), ``blank`` (PHI
    fields empty) for PHI files; ``full`` (complete header, nothing burned) or ``blank`` for
    files without PHI. ``blank`` is dealt at the same rate (1 in 8) in both classes, so an empty
    header predicts nothing."""


def schedule(n: int, seed: int) -> list[Planned]:
    """Formats, labels and header kinds of files ``0 .. n-1`` for ``seed``."""
    rng = np.random.default_rng([seed, 0x5C4ED])
    entries: list[tuple[Variant, bool]] = []
    while len(entries) < n:
        order = [VARIANTS[i] for i in rng.permutation(len(VARIANTS))]
        entries += [(v, i % 2 == 0) for i, v in enumerate(order)]
        entries += [(v, i % 2 == 1) for i, v in enumerate(order)]
    entries = entries[:n]
    headers, seen = [], {True: 0, False: 0}
    for _, has_phi in entries:
        k = seen[has_phi] % 8
        seen[has_phi] += 1
        if has_phi:
            headers.append({3: "other", 7: "blank"}.get(k, "same"))
        else:
            headers.append("blank" if k == 7 else "full")
    perm = rng.permutation(n)
    return [Planned(i, entries[j][0], entries[j][1], headers[j]) for i, j in enumerate(perm)]
