"""Procedural, medical-looking images for each modality, in modality values with a display model.

``make_scene(kind, rng, bits, signed, photometric, frames)`` returns a :class:`Scene`: the frames
(float32 modality values, before text), the :class:`Tone` a viewer applies, and facts (window,
kVp, view ...) that the annotations and the header repeat so they agree with the image.
CT, MR and projection X-ray live here; ultrasound, angiography, nuclear medicine and screen
captures in :mod:`.cine`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from phibench_plugins.datasets.synthetic.anatomy import body_slice, chest_projection, head_slice
from phibench_plugins.datasets.synthetic.shapes import grid, smooth_noise
from phibench_plugins.datasets.synthetic.tone import Tone


@dataclass
class Scene:
    """One image before any text is burned in."""

    frames: list[np.ndarray]
    """Modality values, float32, ``(H, W)`` or ``(H, W, 3)`` per frame."""
    tone: Tone
    body_part: str
    description: str
    """Series description, e.g. ``CHEST W/ CONTRAST``."""
    spacing_mm: float
    facts: dict[str, Any] = field(default_factory=dict)
    """Acquisition facts the annotations repeat (window, kvp, view, probe ...)."""
    header: dict[str, Any] = field(default_factory=dict)
    """Extra header attributes by keyword (PixelPaddingValue, ViewPosition ...)."""
    palette: np.ndarray | None = None
    """PALETTE COLOR: ``(256, 3)`` uint16 table."""
    noise: float = 0.0
    """Noise (modality units) added after the text is drawn, like acquisition noise would be."""

    @property
    def shape(self) -> tuple[int, int]:
        return self.frames[0].shape[:2]


def pick(rng: np.random.Generator, options: list[Any] | tuple[Any, ...]) -> Any:
    return options[int(rng.integers(len(options)))]


CT_BODY = dict(air=-1000, fat=-100, soft=40, tex=12, lung=-850, vessel_in_lung=450, heart=45,
               liver=60, kidney=160, gas=-950, vessel=220, cortex=950, marrow=260, table=-250)
CT_HEAD = dict(air=-1000, scalp=30, skull=1300, csf=8, grey=42, white=29, tex=2.5)


def ct(rng: np.random.Generator, bits: int, signed: bool) -> Scene:
    h = w = 512 if rng.random() < 0.85 else 384
    region = pick(rng, ["chest", "abdomen", "head", "head"])
    if region == "head":
        img = head_slice(rng, h, w, CT_HEAD)
        center, width = pick(rng, [(40, 80), (35, 100), (40, 120), (600, 2800)])
        part, desc = "HEAD", pick(rng, ["HEAD W/O", "BRAIN AXIAL", "HEAD ROUTINE"])
    else:
        img = body_slice(rng, h, w, CT_BODY, chest=region == "chest")
        if region == "chest":
            center, width = pick(rng, [(40, 400), (-600, 1500), (40, 350)])
            part, desc = "CHEST", pick(rng, ["CHEST W/ CONTRAST", "THORAX", "CTA CHEST"])
        else:
            center, width = pick(rng, [(40, 400), (50, 350), (60, 360)])
            part, desc = "ABDOMEN", pick(rng, ["ABD/PELVIS", "ABDOMEN PV", "ABD W/ CONTRAST"])
    sigma = float(rng.uniform(6, 18))
    img = img + rng.standard_normal((h, w), dtype=np.float32) * sigma
    y, x = grid(h, w)
    outside = (x**2 + y**2) > 0.985
    header: dict[str, Any] = {"RescaleType": "HU"}
    if signed:
        img[outside] = -3024.0  # stored -2000 with intercept -1024: the usual padding value
        header["PixelPaddingValue"] = -2000
    else:
        img[outside] = -1024.0
    tone = Tone("grey", bits, signed, 1.0, -1024.0, float(center), float(width),
                burn_hi=3071.0, burn_lo=-1024.0)
    facts = {
        "window": (center, width), "kvp": pick(rng, [100, 120, 120, 140]),
        "mas": int(rng.integers(80, 400)),
        "thickness": pick(rng, [0.625, 1.0, 1.25, 2.5, 3.0, 5.0]),
        "kernel": pick(rng, ["B30f", "B70f", "STANDARD", "BONE", "FC13", "Br40"]),
        "fov": pick(rng, [250, 320, 350, 400, 500]), "ruler": True,
    }
    return Scene([img], tone, part, desc, facts["fov"] / w, facts, header, noise=sigma * 0.3)


MR_BRAIN = {
    "T1": dict(air=0, scalp=700, skull=60, csf=180, grey=450, white=620, tex=22),
    "T2": dict(air=0, scalp=520, skull=40, csf=1400, grey=820, white=600, tex=30),
    "FLAIR": dict(air=0, scalp=420, skull=30, csf=90, grey=720, white=540, tex=28),
}
MR_BODY = dict(air=0, fat=900, soft=330, tex=25, lung=30, vessel_in_lung=40, heart=280,
               liver=260, kidney=620, gas=20, vessel=40, cortex=40, marrow=520, table=0)


def mr(rng: np.random.Generator, bits: int) -> Scene:
    h = w = pick(rng, [256, 320, 384, 512, 512, 512])
    weight = pick(rng, ["T1", "T2", "FLAIR"])
    if rng.random() < 0.7:
        img, part = head_slice(rng, h, w, MR_BRAIN[weight]), "BRAIN"
        desc = pick(rng, [f"AX {weight}", f"{weight} TSE AX", f"AX {weight} FS",
                          f"{weight}W AXIAL"])
    else:
        weight = "T2"
        img, part = body_slice(rng, h, w, MR_BODY, chest=False), "ABDOMEN"
        desc = pick(rng, ["AX T2 HASTE", "T2 SSFSE AX", "AX T2 FS"])
    img = img * (1.0 + 0.12 * smooth_noise(rng, h, w, h // 3))  # coil bias field
    top = float(rng.uniform(1800, 3300)) if bits == 12 else float(rng.uniform(9000, 26000))
    img = img * (top / float(np.percentile(img, 99.5) + 1e-3))
    sigma = top * float(rng.uniform(0.008, 0.02))
    n1 = rng.standard_normal((h, w), dtype=np.float32) * sigma
    n2 = rng.standard_normal((h, w), dtype=np.float32) * sigma
    img = np.sqrt((img + n1) ** 2 + n2**2)  # Rician magnitude noise
    center = round(top * float(rng.uniform(0.4, 0.5)))
    width = round(top * float(rng.uniform(0.85, 1.0)))
    tone = Tone("grey", bits, False, 1.0, 0.0, float(center), float(width),
                burn_hi=min(2**bits - 1, top * 1.4), burn_lo=0.0)
    tr, te = {"T1": (pick(rng, [450, 500, 600]), pick(rng, [9, 12, 15])),
              "T2": (pick(rng, [3000, 4000, 4500]), pick(rng, [85, 95, 100])),
              "FLAIR": (pick(rng, [9000, 9500]), pick(rng, [120, 140]))}[weight]
    facts = {"window": (center, width), "tr": tr, "te": te, "weight": weight,
             "thickness": pick(rng, [3, 4, 5, 5, 6]), "field": pick(rng, ["1.5T", "3T", "3.0T"]),
             "fa": pick(rng, [90, 150, 160, 180]) if weight != "T1" else pick(rng, [70, 90]),
             "matrix": pick(rng, ["256x256", "320x256", "384x288", "512x512"]),
             "ruler": True}
    return Scene([img.astype(np.float32)], tone, part, desc, 230.0 / w, facts, {},
                 noise=sigma * 0.4)


def xray(rng: np.random.Generator, bits: int, mono1: bool) -> Scene:
    if bits == 8:
        h, w = pick(rng, [(512, 512), (640, 512)])
    else:
        h, w = pick(rng, [(768, 640), (640, 512), (768, 768), (512, 512), (512, 512)])
    att = chest_projection(rng, h, w)
    if rng.random() < 0.35:  # collimator shutters: unexposed, so fully attenuated
        m = int(rng.integers(8, max(9, h // 12)))
        att[:m], att[-m:], att[:, :m], att[:, -m:] = 1.0, 1.0, 1.0, 1.0
    full = 2**bits - 1
    lo_v, span = full * 0.06, full * 0.86
    img = lo_v + att * span
    sigma = full * float(rng.uniform(0.004, 0.012))
    img = img + rng.standard_normal((h, w), dtype=np.float32) * sigma
    center = lo_v + span * float(rng.uniform(0.32, 0.4))
    width = span * float(rng.uniform(0.7, 0.9))
    if bits == 8:  # an 8-bit export: the window is already applied to the pixels
        img = np.clip((img - (center - width / 2)) / width * 255.0, 0, 255)
        center, width, sigma = 128.0, 256.0, sigma * 255.0 / width
    if mono1:  # stored inverted: a MONOCHROME1 viewer shows high attenuation bright again
        img, center = full - img, full - center
    tone = Tone("grey", bits, False, 1.0, 0.0, round(float(center)), round(float(width)),
                mono1=mono1, burn_hi=float(full), burn_lo=0.0)
    view = pick(rng, ["PA", "PA", "AP", "AP"])
    facts = {"window": (round(float(center)), round(float(width))), "view": view,
             "kvp": pick(rng, [90, 110, 115, 120, 125]),
             "mas": pick(rng, [1.6, 2.0, 2.5, 3.2, 4.0]),
             "ei": int(rng.integers(180, 2200)), "portable": view == "AP" and rng.random() < 0.6,
             "ruler": True}
    header = {"ViewPosition": view, "ImagerPixelSpacing": [0.175 * 2048 / h] * 2}
    return Scene([img.astype(np.float32)], tone, "CHEST", f"CHEST {view}", 0.175 * 2048 / h,
                 facts, header, noise=sigma * 0.3)


def make_scene(kind: str, rng: np.random.Generator, *, bits: int, signed: bool,
               photometric: str, frames: int) -> Scene:
    """The background of one file; ``kind`` is a variant's background name."""
    from phibench_plugins.datasets.synthetic import cine

    if kind == "ct":
        return ct(rng, bits, signed)
    if kind == "mr":
        return mr(rng, bits)
    if kind == "xray":
        return xray(rng, bits, photometric == "MONOCHROME1")
    if kind == "us":
        return cine.ultrasound(rng, frames, colour=photometric != "MONOCHROME2")
    if kind == "xa":
        return cine.angio(rng, frames)
    if kind == "nm":
        return cine.nuclear(rng, frames, bits, palette=photometric == "PALETTE COLOR")
    if kind == "sc":
        return cine.screen_capture(rng, colour=photometric != "MONOCHROME2")
    raise ValueError(f"unknown background kind {kind!r}")
