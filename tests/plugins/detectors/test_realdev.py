"""Reading and detection on real DICOM files: the realdev set (``../shared/realdev``).

The set holds real files from open-source projects' test data with hand-checked labels of the
text burned into frame 0 (its README describes it). These tests run the real EasyOCR engine and
the local detector on the files' own rendering, with the header hidden from the detector: real
files often carry a burned-in banner whose header was anonymised, so the pixels must suffice.
They skip, saying why, where the set is absent. Nothing here prints what OCR read.

Fast tests at the end check the geometry of the small-text re-read on plain boxes.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from rapidfuzz.distance import Levenshtein

from phibench import ocr
from phibench.dicom import read_dataset, render_frame
from phibench.frame import Frame
from phibench.records import Sample
from phibench_plugins.detectors.local import LocalDetector
from phibench_plugins.ocr.easyocr_engine import EasyOcrEngine
from phibench_plugins.ocr.small_text import Band, inside, small_text_bands

REALDEV = Path(__file__).resolve().parents[3].parent / "shared" / "realdev"
"""``../shared/realdev`` from the repository root."""

needs_realdev = pytest.mark.skipif(
    not (REALDEV / "labels.csv").is_file(),
    reason=f"the realdev set is not at {REALDEV} (CI has it at ../shared/realdev)",
)


@dataclass
class Labelled:
    name: str
    frame: Frame
    has_phi: bool
    regions: list[dict]


def _rows(kind: str) -> list[dict[str, str]]:
    with open(REALDEV / "labels.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if kind == "phi":
        return [r for r in rows if r["has_phi"] == "1"]
    return [r for r in rows if r["has_phi"] == "0" and r["has_text"] == "1"]


def _load(kind: str) -> list[Labelled]:
    out = []
    for r in _rows(kind):
        image = render_frame(read_dataset(REALDEV / r["path"]), 0)
        # header=None: the detector must decide from the pixels alone
        frame = Frame(Sample(r["path"], str(REALDEV / r["path"])), image, None)
        out.append(Labelled(r["path"], frame, r["has_phi"] == "1", json.loads(r["regions"])))
    return out


@pytest.fixture(scope="module", autouse=True)
def _torch_threads_restored():
    """The engine here runs torch on one thread; later tests in this process must get torch's
    own setting back (the Spark tests check that workers, not this process, limit it)."""
    import torch

    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def engine() -> EasyOcrEngine:
    eng = EasyOcrEngine(EasyOcrEngine.Params(torch_threads=1))
    eng.setup()
    return eng


@pytest.fixture(scope="module")
def phi_frames() -> list[Labelled]:
    return _load("phi")


@pytest.fixture(scope="module")
def text_only_frames() -> list[Labelled]:
    return _load("text_only")


def _overlap(a, b) -> bool:
    ix = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    iy = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return ix > 0 and iy > 0 and ix * iy >= 0.5 * min(a[2] * a[3], b[2] * b[3])


def _read(region: dict, boxes: list[ocr.TextBox]) -> bool:
    """Some OCR box over the region reads its text with a character error rate <= 0.2."""
    ref = "".join(region["text"].upper().split())
    return any(
        Levenshtein.normalized_distance(ref, "".join(b.text.upper().split())) <= 0.2
        for b in boxes if _overlap(tuple(region["box"]), b.box)
    )


@needs_realdev
@pytest.mark.slow
def test_ocr_reads_the_exam_date_of_every_real_phi_ultrasound_frame(engine, phi_frames) -> None:
    assert len(phi_frames) >= 8
    unread = []
    for item in phi_frames:
        boxes = ocr.read_frame(engine, item.frame)
        for region in item.regions:
            if region["is_phi"] and region["category"] == "DATE" and not _read(region, boxes):
                unread.append(item.name)
    assert not unread, f"exam dates not read in {unread}"


@needs_realdev
@pytest.mark.slow
def test_local_detector_flags_every_real_phi_frame_without_the_header(engine, phi_frames) -> None:
    det = LocalDetector.with_engine(engine)
    missed = []
    for item in phi_frames:
        got = det.detect(item.frame)
        assert got.error is None
        if not got.has_phi:
            missed.append(item.name)
        else:
            # what made it PHI lies on a labelled PHI region (a date or a name), not elsewhere
            phi_boxes = [tuple(r["box"]) for r in item.regions if r["is_phi"]]
            decisive = [e for e in got.entities if det.decisive(e)]
            assert any(e.box and any(_overlap(e.box, b) for b in phi_boxes) for e in decisive), \
                item.name
    assert not missed, f"PHI frames not flagged: {missed}"


@needs_realdev
@pytest.mark.slow
def test_local_detector_leaves_real_harmless_text_frames_unflagged(engine,
                                                                    text_only_frames) -> None:
    assert len(text_only_frames) >= 5
    det = LocalDetector.with_engine(engine)
    flagged = [item.name for item in text_only_frames if det.detect(item.frame).has_phi]
    assert not flagged, f"harmless-text frames flagged as PHI: {flagged}"


REDACTED_SUBSET = (
    # single-frame files, so every frame of the run is a labelled one: three vendors' banners
    "dcm4che__dcm4che-test-data_src_main_resources_YBR_FULL-RLE.dcm",
    "ljdata__ljdata_ds_JPEGExtended_JPEGExtended_3s_1f_u_08_08.dcm",
    "grailgo__examples_I_000034.dcm",
    "grailgo__examples_I_000039.dcm",
    # no text at all: must come out pixel for pixel as they went in
    "dcm4che__dcm4che-assembly_src_etc_testdata_dicom_MR01.dcm",
    "dcm4che__dcm4che-test-data_src_main_resources_CT-JPEGLosslessSV1.dcm",
)


@needs_realdev
@pytest.mark.slow
def test_the_box_redactor_hides_every_phi_region_of_real_banners(tmp_path) -> None:
    """A whole run (folder dataset, EasyOCR box redactor on every image, re-OCR check of the
    written files): every labelled PHI region is covered and unreadable, text-free images are
    left untouched, and the written files decode."""
    from phibench.run import execute
    from tests.helpers import compose_run

    with open(REALDEV / "labels.csv", newline="", encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if r["path"] in REDACTED_SUBSET]
    assert len(rows) == len(REDACTED_SUBSET)
    labels = tmp_path / "labels.csv"
    with open(labels, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=["path", "has_phi", "frame", "regions"])
        writer.writeheader()
        writer.writerows({k: r[k] for k in ("path", "has_phi", "frame", "regions")} for r in rows)
    cfg = compose_run("detector=local", "dataset=folder",
                      f"dataset.root={REALDEV}", f"dataset.labels={labels}",
                      "dataset.expand_frames=false", "executor=inline", "redactor=easyocr",
                      "redactor.redact_even_if_undetected=true", "run.progress=false",
                      "reporters=[json]")
    sc = execute(cfg, tmp_path / "run")
    red = sc["redaction"]
    hidden = red["metrics"]["phi_regions_hidden"]
    labelled = sum(g["is_phi"] for r in rows for g in json.loads(r["regions"]))  # 4 dates, 3 names
    assert hidden["n"] == labelled and hidden["k"] == labelled, red["per_category_hidden"]
    assert red["files_failed"] == 0
    retained = red["metrics"]["negatives_retained"]
    assert (retained["k"], retained["n"]) == (2, 2)
    # every image right, and its confidence ranks every PHI image above every PHI-free one
    assert sc["threshold_free"]["n"] == len(rows) and sc["threshold_free"]["auroc"]["value"] == 1.0
    for path in (tmp_path / "run" / "redacted").rglob("*.dcm"):
        render_frame(read_dataset(path), 0)  # every written file decodes


# -- fast: small-text re-read geometry --------------------------------------------------------


def test_small_boxes_make_a_band_enlarged_to_the_target_height() -> None:
    (band,) = small_text_bands([(500, 4, 70, 12), (10, 200, 300, 40)], 600, 20, 32, 3.0)
    assert band.top < 4 and band.bottom > 16 and band.scale == pytest.approx(32 / 12, abs=0.01)


def test_bands_of_nearby_rows_merge_and_tall_text_makes_none() -> None:
    bands = small_text_bands([(0, 10, 50, 12), (0, 24, 50, 12), (0, 300, 50, 12)], 600, 20, 32,
                             3.0)
    assert [(b.top < 10, b.bottom > 36) for b in bands[:1]] == [(True, True)]
    assert len(bands) == 2
    assert small_text_bands([(0, 10, 200, 30)], 600, 20, 32, 3.0) == []


def test_a_box_over_two_small_lines_joins_their_band() -> None:
    # the first pass drew one 30 px box over a 12 px line and the line under it
    bands = small_text_bands([(600, 2, 80, 13), (20, 0, 270, 30)], 480, 20, 32, 3.0)
    (band,) = bands
    assert band.top == 0 and band.bottom >= 30
    assert inside((20, 0, 270, 30), band) and not inside((20, 0, 270, 60), band)


def test_enlargement_is_capped() -> None:
    (band,) = small_text_bands([(0, 50, 20, 5)], 600, 20, 32, 3.0)
    assert band == Band(band.top, band.bottom, 3.0)


@pytest.mark.slow
def test_reread_boxes_map_back_to_the_frame(engine) -> None:
    """Text drawn 10 px tall is found where it was drawn after the enlarged re-read."""
    from PIL import Image, ImageDraw, ImageFont
    import matplotlib
    import os

    font = ImageFont.truetype(os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data",
                                           "fonts", "ttf", "DejaVuSans.ttf"), 11)
    img = Image.new("L", (400, 200), 0)
    ImageDraw.Draw(img).text((250, 6), "12/03/2004", fill=255, font=font)
    reread = EasyOcrEngine(EasyOcrEngine.Params(torch_threads=1, min_text_height=20))
    reread._reader = engine._reader  # same model, second pass on
    boxes = reread.read(np.asarray(img))
    hits = [b for b in boxes if "2004" in b.text]
    assert hits, "the small date was not read"
    x, y, w, h = hits[0].box
    assert 240 <= x <= 262 and y <= 10 and 40 <= w <= 90 and h <= 24
