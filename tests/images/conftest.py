"""Image fixtures made in the test: PNG/JPEG/TIFF files with text burned in, and an SVS."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.images.svs import font, make_svs

TEXT = "JOHN SMITH 1957"


def text_frame(size: tuple[int, int] = (320, 120), text: str = TEXT, px: int = 28) -> tuple[np.ndarray, list[int]]:
    """A dark grey frame with white text; the text's box ``[x, y, w, h]``."""
    img = Image.new("L", size, 20)
    draw = ImageDraw.Draw(img)
    left, top, right, bottom = draw.textbbox((12, 30), text, font=font(px))
    draw.text((12, 30), text, fill=235, font=font(px))
    return np.asarray(img), [left, top, right - left, bottom - top]


@pytest.fixture(scope="session")
def svs_file(tmp_path_factory) -> tuple[Path, dict]:
    path = tmp_path_factory.mktemp("svs") / "slide.svs"
    regions = make_svs(path)
    return path, regions


def save(arr: np.ndarray, path: Path, **kw) -> Path:
    Image.fromarray(arr).save(path, **kw)
    return path
