"""TesseractEngine and RapidOcrEngine: the OCR contract, on drawn text and on synthetic DICOMs.

The real engines (the Debian ``tesseract`` binary, RapidOCR's ONNX models from its wheel) are set
up once for the module; each reads in well under a second, so nothing here is marked slow.
"""

from __future__ import annotations

import logging
import os
import stat
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont
from rapidfuzz import fuzz

from phibench.dicom import read_dataset, render_frame
from phibench.exceptions import ConfigError
from phibench.ocr import OcrEngine, TextBox
from phibench.plugin import validate_params
from phibench.registry import default_registry
from phibench_plugins.datasets.synthetic import SyntheticDataset
from phibench_plugins.ocr import tesseract_engine
from phibench_plugins.ocr.rapidocr_engine import RapidOcrEngine
from phibench_plugins.ocr.tesseract_engine import INSTALL, TesseractEngine

FONT = os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data", "fonts", "ttf",
                    "DejaVuSans.ttf")
ENGINES = {"tesseract": TesseractEngine, "rapidocr": RapidOcrEngine}
WORDS = "SMITH 40512773"


def build(name: str, **params) -> OcrEngine:
    cls = ENGINES[name]
    return cls(validate_params(cls, params, where="test"))


def drawn(text: str = WORDS, *, px: int = 40, size: tuple[int, int] = (640, 200),
          at: tuple[int, int] = (60, 70)) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Light text on a dark background, ``uint8 (H, W)``, and the text's (left, top, w, h)."""
    img = Image.new("L", size, 20)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, px)
    draw.text(at, text, fill=230, font=font)
    x0, y0, x1, y1 = draw.textbbox(at, text, font=font)
    return np.array(img), (x0, y0, x1 - x0, y1 - y0)


def norm(text: str) -> str:
    return "".join(text.upper().split())


def joined(boxes: list[TextBox]) -> str:
    return norm(" ".join(b.text for b in sorted(boxes, key=lambda b: (b.box[1] // 20, b.box[0]))))


# -- fast: no model --------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_the_registry_builds_the_engine(name) -> None:
    engine = default_registry().build("ocr", name, {})
    assert isinstance(engine, ENGINES[name]) and engine.kind == "ocr"
    with pytest.raises(ConfigError, match="Parameters it takes"):
        default_registry().build("ocr", name, {"no_such_option": 1})


def test_tesseract_params_and_defaults() -> None:
    p = validate_params(TesseractEngine, {"psm": 11, "scale": 1.5}, where="ocr")
    assert (p.psm, p.scale, p.lang, p.omp_thread_limit) == (11, 1.5, "eng", 1)
    assert TesseractEngine().params.psm == 6  # measured best (see the module docstring)


def test_missing_tesseract_binary_says_how_to_install() -> None:
    engine = build("tesseract", tesseract_cmd="/nonexistent")
    engine.describe()  # no set-up needed
    with pytest.raises(ConfigError) as err:
        engine.setup()
    assert INSTALL in str(err.value) and "/nonexistent" in str(err.value)


def test_no_tesseract_on_path_says_how_to_install(monkeypatch) -> None:
    monkeypatch.setattr(tesseract_engine.shutil, "which", lambda *_: None)
    with pytest.raises(ConfigError, match="apt-get install -y tesseract-ocr tesseract-ocr-eng"):
        TesseractEngine().setup()


def test_missing_tesseract_language_names_the_package() -> None:
    with pytest.raises(ConfigError, match="tesseract-ocr-xyz"):
        build("tesseract", lang="eng+xyz").setup()


def test_missing_rapidocr_models_are_named(tmp_path) -> None:
    with pytest.raises(ConfigError) as err:
        build("rapidocr", model_dir=str(tmp_path)).setup()
    assert "ch_PP-OCRv4_det_infer.onnx" in str(err.value)
    assert "never downloads" in str(err.value)


def test_describe_names_models_and_versions_not_paths() -> None:
    for name, cls in ENGINES.items():
        d = cls().describe()
        assert d["engine"] == name and d["version"] and d["device"] == "cpu"
        assert not any(os.sep in str(v) for v in d.values()), d


def test_tesseract_input_layouts() -> None:
    to_pil = tesseract_engine._as_pil
    assert to_pil(np.zeros((4, 5), np.uint8), 1.0, False).mode == "L"
    assert to_pil(np.zeros((4, 5, 1), np.uint8), 1.0, False).mode == "L"
    assert to_pil(np.zeros((4, 5, 3), np.uint8), 1.0, False).mode == "RGB"
    assert to_pil(np.zeros((4, 5, 4), np.uint8), 1.0, False).mode == "RGB"
    assert to_pil(np.zeros((4, 5), np.uint8), 2.0, False).size == (10, 8)
    assert np.array(to_pil(np.zeros((4, 5), np.uint8), 1.0, True)).min() == 255
    with pytest.raises(ValueError):
        to_pil(np.zeros((4, 5), np.uint16), 1.0, False)
    with pytest.raises(ValueError):
        to_pil(np.zeros((4, 5, 2), np.uint8), 1.0, False)


def test_tesseract_boxes_map_back_from_the_upsampled_image() -> None:
    unscale = tesseract_engine._unscaled_box
    assert unscale(20, 40, 100, 30, 2.0, 500, 500) == (10, 20, 50, 15)
    assert unscale(21, 41, 3, 3, 2.0, 500, 500) == (10, 20, 2, 2)
    assert unscale(990, 10, 40, 10, 2.0, 500, 500) == (495, 5, 5, 5)  # clipped
    assert unscale(5, 5, 0, 4, 1.0, 500, 500) is None




FAKE_TESSERACT = """#!/bin/sh
case "$1" in
  --version) echo "tesseract 9.9.9"; exit 0;;
  --list-langs) echo 'List of available languages in "/x" (1):'; echo eng; exit 0;;
esac
echo "${OMP_THREAD_LIMIT:-unset}" > "%(log)s"
printf 'level\\tpage_num\\tblock_num\\tpar_num\\tline_num\\tword_num\\tleft\\ttop\\twidth\\theight\\tconf\\ttext\\n' > "$2.tsv"
printf '1\\t1\\t0\\t0\\t0\\t0\\t0\\t0\\t200\\t100\\t-1\\t\\n' >> "$2.tsv"
printf '5\\t1\\t1\\t1\\t1\\t1\\t20\\t40\\t60\\t20\\t91.5\\tWORD\\n' >> "$2.tsv"
printf '5\\t1\\t1\\t1\\t1\\t2\\t90\\t40\\t10\\t20\\t12\\t \\n' >> "$2.tsv"
"""


def test_tesseract_cmd_thread_limit_and_tsv_parsing(tmp_path) -> None:
    """A stand-in binary: the configured path is used, OMP_THREAD_LIMIT reaches the child only."""
    log = tmp_path / "omp.txt"
    fake = tmp_path / "tesseract"
    fake.write_text(FAKE_TESSERACT % {"log": log})
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    engine = build("tesseract", tesseract_cmd=str(fake), omp_thread_limit=1, scale=2.0)
    before = os.environ.get("OMP_THREAD_LIMIT")
    boxes = engine.read(np.zeros((50, 100), np.uint8))
    assert [(b.box, b.text) for b in boxes] == [((10, 20, 30, 10), "WORD")]  # word level 5 only
    assert boxes[0].confidence == pytest.approx(0.915, abs=0.01)
    assert log.read_text().strip() == "1"
    assert os.environ.get("OMP_THREAD_LIMIT") == before
    assert engine.describe()["version"] == "9.9.9"


def test_importing_the_modules_imports_no_engine() -> None:
    import subprocess

    code = ("import sys, phibench_plugins.ocr.tesseract_engine, "
            "phibench_plugins.ocr.rapidocr_engine; "
            "print(*(m in sys.modules for m in ('pytesseract', 'rapidocr_onnxruntime', "
            "'onnxruntime', 'cv2')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.stdout.split() == ["False"] * 4, out.stderr


# -- the real engines ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def engines() -> dict[str, OcrEngine]:
    """Both engines, set up once; set-up is idempotent."""
    found = {}
    for name in ENGINES:
        engine = default_registry().build("ocr", name, {})
        engine.setup()
        engine.setup()
        found[name] = engine
    return found


@pytest.fixture(scope="module")
def text_image() -> tuple[np.ndarray, tuple[int, int, int, int]]:
    return drawn()


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_reads_drawn_text_where_it_was_drawn(engines, text_image, name) -> None:
    image, (x, y, w, h) = text_image
    boxes = engines[name].read(image)
    assert boxes and all(isinstance(b, TextBox) for b in boxes)
    assert fuzz.ratio(joined(boxes), norm(WORDS)) >= 90
    for b in boxes:
        bx, by, bw, bh = b.box
        assert 0 <= bx and 0 <= by and bw > 0 and bh > 0
        assert bx + bw <= image.shape[1] and by + bh <= image.shape[0]
        assert 0.0 <= b.confidence <= 1.0
        # every box lies on the drawn text (a little slack for the engines' padding)
        assert bx >= x - 12 and by >= y - 12 and bx + bw <= x + w + 12 and by + bh <= y + h + 12


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_blank_image_gives_no_boxes(engines, name) -> None:
    assert engines[name].read(np.zeros((256, 256), np.uint8)) == []
    assert engines[name].read(np.full((128, 300, 3), 200, np.uint8)) == []


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_grey_rgb_and_single_channel_read_the_same(engines, text_image, name) -> None:
    grey, _ = text_image
    reads = [engines[name].read(img) for img in
             (grey, np.repeat(grey[:, :, None], 3, axis=2), grey[:, :, None])]
    assert reads[0]
    assert [(b.text, b.box) for b in reads[1]] == [(b.text, b.box) for b in reads[0]]
    assert [(b.text, b.box) for b in reads[2]] == [(b.text, b.box) for b in reads[0]]


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_min_confidence_filters(text_image, name) -> None:
    strict = build(name, min_confidence=1.01)
    assert strict.read(text_image[0]) == []


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_logs_never_contain_ocr_text(engines, name, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    image, _ = drawn("ZQXWV 918273")
    boxes = engines[name].read(image)
    assert boxes
    assert "918273" not in caplog.text
    for b in boxes:
        assert b.text not in caplog.text


@pytest.fixture(scope="module")
def synthetic_phi_frames(tmp_path_factory) -> list[tuple[np.ndarray, list]]:
    """Rendered frames with burned-in PHI (one per file) from a small synthetic dataset: n=24
    gives ~37 PHI regions (n=10 gave 16, where one region moved a rate by 6 points)."""
    out = tmp_path_factory.mktemp("synthetic") / "n24"
    dataset = SyntheticDataset(validate_params(SyntheticDataset,
                                               {"n": 24, "seed": 0, "out": str(out)}, where="t"))
    frames, seen = [], set()
    for sample, truth in dataset.plan():
        phi = [r for r in truth.regions if r.is_phi]
        if phi and sample.path not in seen:
            seen.add(sample.path)
            frames.append((render_frame(read_dataset(Path(sample.path)), sample.frame), phi))
    assert len(frames) >= 4
    return frames


@pytest.mark.parametrize("name, share", [("tesseract", 0.6), ("rapidocr", 0.8)])
def test_finds_most_phi_text_in_synthetic_frames(engines, synthetic_phi_frames, name,
                                                 share) -> None:
    found = total = 0
    for image, regions in synthetic_phi_frames:
        boxes = engines[name].read(image)
        text = joined(boxes)
        for region in regions:
            total += 1
            found += fuzz.partial_ratio(norm(region.text), text) >= 80
    assert total >= 8
    assert found / total >= share, f"{name} read {found} of {total} PHI regions"


# -- RapidOCR's detector scale and its no-candidate skip -------------------------------------


@pytest.mark.parametrize("bad", [-0.1, 1.5])
def test_rapidocr_det_scale_outside_0_1_is_refused_on_the_driver(bad) -> None:
    with pytest.raises(ConfigError, match="det_scale"):
        validate_params(RapidOcrEngine, {"det_scale": bad}, where="ocr")
    p = RapidOcrEngine.Params()
    assert (p.det_scale, p.det_max_side) == (1.0, 1024)  # native scale, large frames bounded


def test_rapidocr_det_scale_sets_the_detector_input_size() -> None:
    """The detector sees the frame at det_scale (multiples of 32), never enlarged."""
    engine = build("rapidocr", det_scale=0.5)
    engine.setup()
    det = engine._ocr.text_det
    frame = np.zeros((480, 640, 3), np.uint8)
    assert det.get_preprocess(640)(frame).shape[2:] == (256, 320)  # 240 x 320, to 32s
    native = build("rapidocr", det_scale=1.0)
    native.setup()
    assert native._ocr.text_det.get_preprocess(640)(frame).shape[2:] == (480, 640)
    own = build("rapidocr", det_scale=0.0)  # RapidOCR's own limits
    own.setup()
    assert own._ocr.text_det.get_preprocess(640)(frame).shape[2:] == (736, 992)  # enlarged
    default = build("rapidocr")
    default.setup()
    assert default._ocr.text_det.get_preprocess(640)(frame).shape[2:] == (480, 640)  # native
    bounded = build("rapidocr", det_scale=1.0, det_max_side=1024)
    bounded.setup()
    large = np.zeros((1536, 2048, 3), np.uint8)
    assert bounded._ocr.text_det.get_preprocess(2048)(large).shape[2:] == (768, 1024)
    assert default._ocr.text_det.get_preprocess(2048)(large).shape[2:] == (768, 1024)  # bounded
    with pytest.raises(ConfigError, match="det_max_side"):
        validate_params(RapidOcrEngine, {"det_max_side": -1}, where="ocr")


def test_rapidocr_native_scale_boxes_stay_on_the_drawn_text() -> None:
    image, (x, y, w, h) = drawn(px=36, size=(1024, 400), at=(500, 250))
    engine = build("rapidocr", det_scale=1.0)
    boxes = engine.read(image)
    assert fuzz.ratio(joined(boxes), norm(WORDS)) >= 90
    for b in boxes:
        bx, by, bw, bh = b.box
        assert bx >= x - 12 and by >= y - 12 and bx + bw <= x + w + 12 and by + bh <= y + h + 12


def test_rapidocr_recognises_nothing_on_a_frame_without_candidates(engines, text_image,
                                                                  monkeypatch) -> None:
    rapid = engines["rapidocr"]._ocr
    calls = {"det": 0, "rec": 0}

    class Counted:
        def __init__(self, inner, key):
            self.inner, self.key = inner, key

        def __call__(self, *args, **kwargs):
            calls[self.key] += 1
            return self.inner(*args, **kwargs)

        def __getattr__(self, name):
            return getattr(self.inner, name)

    monkeypatch.setattr(rapid, "text_det", Counted(rapid.text_det, "det"))
    monkeypatch.setattr(rapid, "text_rec", Counted(rapid.text_rec, "rec"))
    assert engines["rapidocr"].read(np.zeros((300, 400), np.uint8)) == []
    assert calls == {"det": 1, "rec": 0}
    assert engines["rapidocr"].read(text_image[0])
    assert calls == {"det": 2, "rec": 1}


# -- RapidOCR's CPU settings: recogniser width and batches, classifier, ONNX Runtime options -----


@pytest.mark.parametrize("bad", [{"rec_batch_num": 0}, {"rec_min_width": -1}])
def test_rapidocr_recogniser_settings_out_of_range_are_refused_on_the_driver(bad) -> None:
    with pytest.raises(ConfigError, match=next(iter(bad))):
        validate_params(RapidOcrEngine, bad, where="ocr")


def test_rapidocr_defaults_read_each_line_at_its_own_width_without_the_classifier() -> None:
    p = RapidOcrEngine.Params()
    assert (p.rec_batch_num, p.rec_min_width, p.use_cls) == (1, 0, False)
    assert (p.cpu_mem_arena, p.allow_spinning) == (True, False)
    engine = build("rapidocr")
    engine.setup()
    rec = engine._ocr.text_rec
    assert rec.rec_batch_num == 1 and rec.rec_image_shape == [3, 48, 0]
    # a 2:1 line goes in 96 px wide, not padded to RapidOCR's 320
    assert rec.resize_norm_img(np.zeros((20, 40, 3), np.uint8), 40 / 20).shape == (3, 48, 96)
    paddle = build("rapidocr", rec_batch_num=6, rec_min_width=320)
    paddle.setup()
    assert paddle._ocr.text_rec.rec_batch_num == 6
    assert paddle._ocr.text_rec.rec_image_shape == [3, 48, 320]
    assert engine.describe()["rec_min_width"] == 0 and engine.describe()["classifier_model"] == "(off)"


def test_rapidocr_session_options_reach_every_session_and_are_not_left_patched() -> None:
    from rapidocr_onnxruntime.utils.infer_engine import OrtInferSession

    before = OrtInferSession.__dict__["_init_sess_opts"]
    for arena, spin in ((True, False), (False, True)):
        engine = build("rapidocr", cpu_mem_arena=arena, allow_spinning=spin, use_cls=True)
        engine.setup()
        rapid = engine._ocr
        for session in (rapid.text_det.infer.session, rapid.text_cls.infer.session,
                        rapid.text_rec.session.session):
            opts = session.get_session_options()
            assert opts.enable_cpu_mem_arena is arena
            assert opts.intra_op_num_threads == 1
            for key in ("session.intra_op.allow_spinning", "session.inter_op.allow_spinning"):
                assert opts.get_session_config_entry(key) == ("1" if spin else "0")
    assert OrtInferSession.__dict__["_init_sess_opts"] is before


def test_rapidocr_detector_input_is_rapidocrs_normalisation_in_float32() -> None:
    from rapidocr_onnxruntime.ch_ppocr_det.utils import DetPreProcess

    engine = build("rapidocr", det_scale=1.0)
    engine.setup()
    det = engine._ocr.text_det
    frame = np.random.default_rng(0).integers(0, 256, (96, 128, 3), dtype=np.uint8)
    got = det.get_preprocess(128)(frame)
    want = DetPreProcess(128, "max", det.mean, det.std)(frame)
    assert got.dtype == np.float32 and got.shape == want.shape == (1, 3, 96, 128)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)


def test_rapidocr_reads_short_and_long_lines_alike_in_one_frame() -> None:
    """Lines of very different widths on one frame (each read at its own width) all read."""
    img = Image.new("L", (900, 300), 20)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, 28)
    lines = ["R", "12/03/2024", "DOE^JOHN 40512773 ST MARY HOSPITAL"]
    for i, text in enumerate(lines):
        draw.text((40, 30 + 90 * i), text, fill=230, font=font)
    boxes = build("rapidocr").read(np.array(img))
    read = joined(boxes)
    for text in lines[1:]:
        assert fuzz.partial_ratio(norm(text), read) >= 90, (text, read)
