"""A real frame as a synthetic :class:`Scene`: its stored values, its display model, its facts.

The synthetic generator burns text into a ``Scene`` of modality values through a ``Tone`` (its
model of phibench's renderer). Here the scene's pixels are a real frame's stored values put
through the file's own rescale, and the tone is built from the file's own window (or, with none,
from the frame's range, which is what the renderer then scales to), so burned text displays with
the wanted contrast and converts back to stored values of the file's own type and bit depth.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pydicom
from pydicom.pixels import convert_color_space

from phibench.dicom import read_dataset
from phibench.dicom.pixels_io import Pixels, decode_pixels
from phibench.dicom.render import window_edges
from phibench.exceptions import DatasetError, SampleFailure
from phibench_plugins.datasets.overlay.sources import MIN_SIDE, Source
from phibench_plugins.datasets.synthetic.backgrounds import Scene
from phibench_plugins.datasets.synthetic.content import pick
from phibench_plugins.datasets.synthetic.tone import Tone

MODALITIES = {"CT": "CT", "MR": "MR", "CR": "CR", "DX": "DX", "MG": "DX", "US": "US", "XA": "XA",
              "RF": "XA", "NM": "NM", "PT": "NM"}
"""Source modality -> the synthetic annotation set used; anything else prints as ``OT``."""


@dataclass
class RealFrame:
    """A decoded source frame and what is needed to write it back."""

    ds: pydicom.Dataset
    pixels: Pixels
    """All of the source's frames as stored values (the chosen one is taken from it)."""
    stored: np.ndarray
    """The chosen frame's stored values, ``(H, W)`` or ``(H, W, 3)``."""
    photometric: str
    modality: str
    """The annotation set (see :data:`MODALITIES`)."""


class Unusable(Exception):
    """A source whose pixels the overlay cannot burn into (palette, float, 1-bit, too small)."""


def load(source: Source) -> RealFrame:
    try:
        ds = read_dataset(source.path)
        px = decode_pixels(ds)
    except (SampleFailure, OSError) as exc:
        raise DatasetError(f"overlay source {source.name} cannot be decoded: {exc}") from exc
    if px.is_float or px.bits_allocated == 1 or px.photometric == "PALETTE COLOR":
        raise Unusable("float, 1-bit or palette pixels")
    if not 0 <= source.frame < px.frames.shape[0]:
        raise Unusable(f"no frame {source.frame}")
    stored, pi = px.frames[source.frame], px.photometric
    if stored.ndim == 3:
        if px.bits_allocated != 8:
            raise Unusable("colour deeper than 8 bits")
        if pi == "YBR_FULL":  # raw YBR samples: written back as RGB
            stored, pi = convert_color_space(stored, "YBR_FULL", "RGB"), "RGB"
    if min(stored.shape[:2]) < MIN_SIDE:
        raise Unusable("smaller than MIN_SIDE")
    modality = MODALITIES.get(str(ds.get("Modality", "")).strip().upper(), "OT")
    return RealFrame(ds, px, stored, pi, modality)


def tone_of(real: RealFrame) -> Tone:
    """The display model of the source frame, as phibench's renderer shows it."""
    if real.stored.ndim == 3:
        return Tone("rgb", 8)
    view, arr = real.pixels.view, real.stored
    slope = float(view.get("RescaleSlope", 1) or 1)
    intercept = float(view.get("RescaleIntercept", 0) or 0)
    values = arr.astype(np.float64) * slope + intercept
    lo, hi = float(values.min()), float(values.max())
    edges = None
    try:
        edges = window_edges(view)
    except Exception:  # a malformed window: the renderer falls back to the range too
        edges = None
    w_lo, w_hi = edges if edges is not None else (lo, hi)
    if w_hi <= w_lo:
        w_hi = w_lo + 1.0
    bits = real.pixels.bits_stored or arr.dtype.itemsize * 8
    return Tone("grey", bits, arr.dtype.kind == "i", slope, intercept,
                center=(w_lo + w_hi) / 2 + 0.5, width=w_hi - w_lo + 1.0,
                mono1=real.photometric == "MONOCHROME1", burn_hi=hi, burn_lo=lo)


def scene_of(real: RealFrame, tone: Tone, rng: np.random.Generator) -> Scene:
    """A scene holding the frame in modality values, with acquisition facts for the overlay."""
    frame = real.stored.astype(np.float32)
    if tone.kind == "grey":
        frame = frame * np.float32(tone.slope) + np.float32(tone.intercept)
    h, w = frame.shape[:2]
    spacing = _spacing(real.ds, w)
    facts = _facts(real.ds, real.modality, tone, rng, (h, w))
    return Scene([frame], tone, str(real.ds.get("BodyPartExamined", "") or ""), "", spacing,
                 facts, {})


def _number(ds: pydicom.Dataset, keyword: str, default: Any) -> Any:
    try:
        value = ds.get(keyword)
        value = value[0] if isinstance(value, (list, pydicom.multival.MultiValue)) else value
        return default if value in (None, "") else type(default)(float(value))
    except (TypeError, ValueError):
        return default


def _spacing(ds: pydicom.Dataset, width: int) -> float:
    try:
        return float(ds.PixelSpacing[1])
    except (AttributeError, IndexError, TypeError, ValueError, KeyError):
        return 350.0 / width


def _facts(ds: pydicom.Dataset, modality: str, tone: Tone, rng: np.random.Generator,
           shape: tuple[int, int]) -> dict[str, Any]:
    """What the technique text repeats: the file's own values where it has them, else likely
    ones (the keys are those :func:`~..synthetic.annotations.annotations` reads)."""
    h, w = shape
    window = (round(tone.center), round(tone.width)) if tone.kind == "grey" else (128, 256)
    return {
        "window": window,
        "kvp": _number(ds, "KVP", int(pick(rng, [80, 100, 120, 140]))),
        "mas": _number(ds, "Exposure", int(rng.integers(80, 400))),
        "ma": _number(ds, "XRayTubeCurrent", int(rng.integers(200, 800))),
        "thickness": _number(ds, "SliceThickness", float(pick(rng, [1.0, 2.5, 3.0, 5.0]))),
        "kernel": str(ds.get("ConvolutionKernel", "") or pick(rng, ["B30f", "STANDARD", "FC13"])),
        "fov": int(round(_spacing(ds, w) * w)),
        "tr": _number(ds, "RepetitionTime", int(pick(rng, [500, 3000, 4500]))),
        "te": _number(ds, "EchoTime", int(pick(rng, [12, 95, 120]))),
        "fa": _number(ds, "FlipAngle", int(pick(rng, [70, 90, 150]))),
        "weight": pick(rng, ["T1", "T2", "FLAIR"]),
        "field": pick(rng, ["1.5T", "3T"]),
        "matrix": f"{ds.get('Columns', w)}x{ds.get('Rows', h)}",
        "view": str(ds.get("ViewPosition", "") or pick(rng, ["PA", "AP", "LAT"])),
        "ei": int(rng.integers(180, 2200)),
        "probe": pick(rng, ["C5-1", "L12-5", "C1-6"]),
        "fps": int(rng.integers(18, 45)), "depth_cm": 16, "px_per_cm": h / 17.0,
        "apex": (w // 2, 0), "tick_x": max(0, w - 60),
        "preset": pick(rng, ["Abd", "Renal", "Thyroid", "Vasc"]),
        "angles": (pick(rng, ["LAO", "RAO"]), int(rng.integers(0, 45)),
                   pick(rng, ["CRA", "CAU"]), int(rng.integers(0, 30))),
        "fd": pick(rng, [20, 25, 32]),
        "isotope": pick(rng, ["Tc-99m MDP", "Tc99m", "F-18 FDG"]),
        "collimator": pick(rng, ["LEHR", "LEGP"]), "duration": pick(rng, [30, 60, 120]),
        "views": ["ANT"], "ruler": "PixelSpacing" in ds,
    }
