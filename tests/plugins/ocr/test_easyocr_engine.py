"""EasyOcrEngine: offline weights, no downloads, boxes in frame pixels, greyscale and RGB.

The slow tests run the real EasyOCR model (loaded once for the module) on text rendered with a
real TrueType font (DejaVu Sans, shipped with matplotlib).
"""

from __future__ import annotations

import logging
import os
import sys
import time

import matplotlib
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from phibench.exceptions import ConfigError
from phibench.ocr import TextBox, as_grey_or_bgr, box_around
from phibench.plugin import validate_params
from phibench_plugins.ocr.easyocr_engine import (
    MODELS_PACKAGE,
    EasyOcrEngine,
)

FONT = os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data", "fonts", "ttf",
                    "DejaVuSans.ttf")


def render(rows: list[str], *, px: int = 24, step: int = 48, size: int = 512,
           seed: int = 0) -> np.ndarray:
    """White text, one row per entry, on a dark noisy background; ``uint8 (size, size)``."""
    rng = np.random.default_rng(seed)
    img = Image.fromarray(np.clip(rng.normal(35, 12, (size, size)), 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, px)
    for i, text in enumerate(rows):
        draw.text((16, 10 + i * step), text, fill=235, font=font)
    return np.array(img)


# -- fast: no model --------------------------------------------------------------------------


def test_params_validate_through_the_plugin_schema() -> None:
    p = validate_params(EasyOcrEngine, {"mag_ratio": 1.5, "languages": ["en"]}, where="ocr")
    assert p.mag_ratio == 1.5 and p.languages == ["en"] and p.model_dir is None
    with pytest.raises(ConfigError, match="Parameters it takes"):
        validate_params(EasyOcrEngine, {"no_such_option": 1}, where="ocr")


@pytest.mark.parametrize("bad", [0.0, -0.5, 1.5])
def test_det_scale_outside_0_1_is_refused_on_the_driver(bad) -> None:
    with pytest.raises(ConfigError, match="det_scale"):
        validate_params(EasyOcrEngine, {"det_scale": bad}, where="ocr")
    assert validate_params(EasyOcrEngine, {"det_scale": 0.5}, where="ocr").det_scale == 0.5
    assert EasyOcrEngine.Params().det_scale == 1.0  # full-resolution detection by default


def test_shrunk_horizontal_boxes_widen_outward_and_clip() -> None:
    from phibench_plugins.ocr.easyocr_engine import scale_horizontal

    assert scale_horizontal([10, 60.4, 5, 20], 2.0, 2.0, 1000, 1000) == [20, 121, 10, 40]
    assert scale_horizontal([-3, 520, 0, 300], 2.0, 2.0, 1000, 500) == [0, 1000, 0, 500]


def test_missing_weights_folder_names_the_package(tmp_path) -> None:
    engine = EasyOcrEngine(validate_params(EasyOcrEngine, {"model_dir": str(tmp_path)}, where="x"))
    with pytest.raises(ConfigError) as err:
        engine.setup()
    assert MODELS_PACKAGE in str(err.value)
    assert "craft_mlt_25k.pth" in str(err.value)


def test_missing_weights_package_names_the_package(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "easyocr_en_models", None)  # import fails
    with pytest.raises(ConfigError, match=MODELS_PACKAGE):
        EasyOcrEngine().setup()


def test_describe_names_models_not_paths() -> None:
    d = EasyOcrEngine().describe()
    assert d["engine"] == "easyocr"
    assert d["detector_model"] == "craft_mlt_25k.pth"
    assert d["recognizer_model"] == "english_g2.pth"
    assert d["version"]
    assert not any(os.sep in str(v) for v in d.values())


def test_quadrilateral_becomes_clipped_axis_aligned_box() -> None:
    quad = [[10.2, 20.7], [50.9, 18.0], [52.0, 40.1], [9.0, 42.0]]
    assert box_around(quad, 100, 100) == (9, 18, 43, 24)
    assert box_around([[-5, -5], [30, -5], [30, 10], [-5, 10]], 20, 20) == (0, 0, 20, 10)
    assert box_around([[5, 5], [5, 5], [5, 5], [5, 5]], 20, 20) is None


def test_input_layout() -> None:
    grey = np.zeros((4, 5), np.uint8)
    assert as_grey_or_bgr(grey).shape == (4, 5)
    rgb = np.zeros((4, 5, 3), np.uint8)
    rgb[..., 0] = 200  # red
    bgr = as_grey_or_bgr(rgb)
    assert bgr.shape == (4, 5, 3) and bgr[0, 0, 2] == 200 and bgr[0, 0, 0] == 0
    assert as_grey_or_bgr(np.zeros((4, 5, 1), np.uint8)).shape == (4, 5)
    with pytest.raises(ValueError):
        as_grey_or_bgr(np.zeros((4, 5), np.uint16))
    with pytest.raises(ValueError):
        as_grey_or_bgr(np.zeros((4, 5, 2), np.uint8))


def test_importing_the_module_does_not_import_easyocr() -> None:
    import subprocess

    code = ("import sys, phibench_plugins.ocr.easyocr_engine as m; "
            "print('easyocr' in sys.modules, 'torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.split() == ["False", "False"], out.stderr


# -- slow: the real model --------------------------------------------------------------------


@pytest.fixture(scope="module")
def engine():
    """The real engine, set up once; any download attempt fails the test."""
    import easyocr.easyocr

    def no_download(*args, **kwargs):  # pragma: no cover - must never run
        raise AssertionError("EasyOCR tried to download a model")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(easyocr.easyocr, "download_and_unzip", no_download)
        eng = EasyOcrEngine()
        t0 = time.perf_counter()
        eng.setup()
        eng.setup()  # idempotent: the reader is built once
        print(f"\neasyocr setup: {time.perf_counter() - t0:.1f}s")
        yield eng


ROWS = ["DOE JOHN", "ID: 40512773", "DOB 03/17/1945", "120 kVp 250 mAs"]


@pytest.mark.slow
def test_reads_greyscale_text_with_boxes(engine) -> None:
    img = render(ROWS)
    t0 = time.perf_counter()
    boxes = engine.read(img)
    print(f"\neasyocr read 512x512: {time.perf_counter() - t0:.2f}s")
    assert boxes and all(isinstance(b, TextBox) for b in boxes)
    text = " ".join(b.text for b in boxes)
    for expected in ("40512773", "03/17/1945", "kVp"):
        assert expected in text
    for b in boxes:
        x, y, w, h = b.box
        assert 0 <= x and 0 <= y and w > 0 and h > 0 and x + w <= 512 and y + h <= 512
        assert 0.0 <= b.confidence <= 1.0
    # each row's box lies on that row
    id_box = next(b for b in boxes if "40512773" in b.text).box
    assert abs((id_box[1] + id_box[3] / 2) - (10 + 48 + 14)) < 16


@pytest.mark.slow
def test_rgb_input_reads_the_same(engine) -> None:
    grey = render(ROWS[:2], seed=1)
    rgb = np.repeat(grey[:, :, None], 3, axis=2)
    a = sorted(b.text for b in engine.read(grey))
    b = sorted(b.text for b in engine.read(rgb))
    assert a == b


@pytest.mark.slow
def test_blank_image_gives_no_boxes(engine) -> None:
    assert engine.read(np.zeros((256, 256), np.uint8)) == []


@pytest.mark.slow
def test_min_confidence_filters(engine) -> None:
    strict = EasyOcrEngine(validate_params(EasyOcrEngine, {"min_confidence": 1.01}, where="x"))
    strict._reader = engine._reader  # share the loaded model
    assert strict.read(render(ROWS[:1])) == []


@pytest.mark.slow
def test_logs_never_contain_ocr_text(engine, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    boxes = engine.read(render(["ZQXWV 918273"], seed=2))
    assert boxes
    for b in boxes:
        assert b.text not in caplog.text
    assert "918273" not in caplog.text


@pytest.mark.slow
def test_describe_after_setup(engine) -> None:
    d = engine.describe()
    assert d["recognizer_model"] == "english_g2.pth" and d["device"] == "cpu"


class Counted:
    """Counts the calls of one method of the real reader, then runs it."""

    def __init__(self, reader, name: str) -> None:
        self.calls = 0
        self._fn = getattr(reader, name)

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self._fn(*args, **kwargs)


@pytest.mark.slow
def test_a_frame_without_text_candidates_is_never_recognised(engine, monkeypatch) -> None:
    reader = engine._reader
    detect, recognize = Counted(reader, "detect"), Counted(reader, "recognize")
    monkeypatch.setattr(reader, "detect", detect)
    monkeypatch.setattr(reader, "recognize", recognize)
    blank = np.clip(np.random.default_rng(3).normal(35, 4, (300, 400)), 0, 255).astype(np.uint8)
    assert engine.read(blank) == []
    assert (detect.calls, recognize.calls) == (1, 0)
    assert engine.read(render(ROWS[:1], size=256))  # text: detected, then recognised
    assert (detect.calls, recognize.calls) == (2, 1)


@pytest.mark.slow
def test_reduced_scale_detection_maps_boxes_back_to_the_full_frame(engine) -> None:
    """Text drawn at known places of a 1024 x 768 frame, detected at half scale: each box is
    where the text was drawn, in full-resolution pixels, and read from the full-resolution crop."""
    img = Image.fromarray(np.full((768, 1024), 25, np.uint8))
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 28)
    drawn = {"40512773": (700, 40), "03/17/1945": (60, 650)}
    where = {}
    for text, at in drawn.items():
        draw.text(at, text, fill=230, font=font)
        x0, y0, x1, y1 = draw.textbbox(at, text, font=font)
        where[text] = (x0, y0, x1 - x0, y1 - y0)
    half = EasyOcrEngine(validate_params(EasyOcrEngine, {"det_scale": 0.5}, where="x"))
    half._reader = engine._reader  # same model
    frame = np.asarray(img)
    full_boxes, half_boxes = engine.read(frame), half.read(frame)
    for text, (x, y, w, h) in where.items():
        hit = next(b for b in half_boxes if text in b.text.replace(" ", ""))
        bx, by, bw, bh = hit.box
        # around the drawn text, within EasyOCR's own margin (a tenth of the box, and more)
        assert bx <= x + 2 and by <= y + 2 and bx + bw >= x + w - 2 and by + bh >= y + h - 2, \
            (hit.box, (x, y, w, h))
        assert x - bx <= 14 and y - by <= 14 and bx + bw - (x + w) <= 14 and by + bh - (y + h) <= 14
        full = next(b for b in full_boxes if text in b.text.replace(" ", ""))
        assert max(abs(a - b) for a, b in zip(hit.box, full.box)) <= 6
