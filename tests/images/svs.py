"""An Aperio-like SVS, made with tifffile: a tiled pyramid, then thumbnail, label and macro pages.

The layout openslide and tiffslide expect of Aperio files: page 0 is the tiled full-resolution
level with an ``Aperio ...`` ImageDescription, page 1 the stripped thumbnail, then the other tiled
levels, then the label (LZW, as Aperio writes it) and the macro (JPEG), whose descriptions end in
``label ...`` / ``macro ...``. Burned text is drawn with DejaVu from matplotlib.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import font_manager
from PIL import Image, ImageDraw, ImageFont

LABEL_TEXT = ("JANE DOE", "MRN 48213377")
MACRO_TEXT = ("S24-01234 JANE DOE",)


def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(font_manager.findfont("DejaVu Sans"), size)


def text_image(size: tuple[int, int], lines: tuple[str, ...], px: int) -> tuple[np.ndarray, list[dict]]:
    """A white RGB image with ``lines`` in black, and their ground-truth regions."""
    img = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(img)
    regions, y = [], 20
    for line in lines:
        left, top, right, bottom = draw.textbbox((20, y), line, font=font(px))
        draw.text((20, y), line, fill="black", font=font(px))
        regions.append({"box": [left, top, right - left, bottom - top], "text": line, "is_phi": True})
        y = bottom + px // 2
    return np.asarray(img), regions


def tissue(h: int, w: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    base = np.full((h, w, 3), (230, 200, 220), np.uint8)
    blobs = rng.integers(0, 60, (h // 16 + 1, w // 16 + 1, 3), dtype=np.uint8)
    return base - np.kron(blobs, np.ones((16, 16, 1), np.uint8))[:h, :w]


def make_svs(path: Path, size: tuple[int, int] = (2048, 1536)) -> dict[str, list[dict]]:
    """Write the SVS; return the ground-truth regions of its label and macro."""
    import tifffile

    w, h = size
    desc = (f"Aperio Image Library v12.0.15 \r\n{w}x{h} [0,0 {w}x{h}] (256x256) JPEG/RGB Q=70"
            "|AppMag = 20|MPP = 0.4990")
    level0 = tissue(h, w)
    levels = [level0[::4, ::4].copy(), level0[::16, ::16].copy()]
    thumb = level0[::8, ::8].copy()
    label, label_regions = text_image((420, 420), LABEL_TEXT, 40)
    macro, macro_regions = text_image((1280, 430), MACRO_TEXT, 56)
    with tifffile.TiffWriter(path) as tif:  # metadata=None: no second (JSON) description
        tif.write(level0, tile=(256, 256), compression="jpeg", photometric="rgb", metadata=None, description=desc,
                  subfiletype=0)
        tif.write(thumb, compression="jpeg", photometric="rgb", metadata=None, rowsperstrip=16,
                  description=f"Aperio Image Library v12.0.15 \r\n{w}x{h} -> {w // 8}x{h // 8} - ")
        for lv in levels:
            tif.write(lv, tile=(256, 256), compression="jpeg", photometric="rgb", metadata=None,
                      description=f"Aperio Image Library v12.0.15 \r\n{w}x{h} -> {lv.shape[1]}x{lv.shape[0]}")
        tif.write(label, compression="lzw", photometric="rgb", metadata=None, rowsperstrip=64, subfiletype=1,
                  description="Aperio Image Library v12.0.15 \nlabel 420x420")
        tif.write(macro, compression="jpeg", photometric="rgb", metadata=None, rowsperstrip=16, subfiletype=9,
                  description="Aperio Image Library v12.0.15 \nmacro 1280x430")
    return {"label": label_regions, "macro": macro_regions}
