"""LocalDetector: header values and generic patterns found in OCR text, technique text left alone.

Fast tests exercise the text rules, the fuzzy matching and the detector plumbing with a fake OCR
engine. Slow tests render overlay text with a real TrueType font into real DICOM files (written
with ``dcmwrite`` and read back) and run the real EasyOCR engine, obtained through
``phibench.worker.instance`` exactly as a worker would, loaded once for the module.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
import pydicom
import pytest
from PIL import Image, ImageDraw, ImageFont
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

import phibench.worker as worker
from phibench.exceptions import SampleFailure
from phibench.frame import Frame
from phibench.ocr import OcrEngine, OcrSettings, TextBox
from phibench.plugin import validate_params
from phibench.records import Sample
from phibench.registry import Register, Registry
from phibench_plugins.detectors import fuzzy, header_phi, recognizers
from phibench_plugins.detectors.local import LocalDetector, build_lines
from phibench_plugins.ocr.easyocr_engine import EasyOcrEngine

FONT = os.path.join(os.path.dirname(matplotlib.__file__), "mpl-data", "fonts", "ttf",
                    "DejaVuSans.ttf")

# =============================================================================================
# Fast: generic text patterns (no header, no OCR)
# =============================================================================================

PHI_TEXT = [
    # (text, category)
    ("DOE^JOHN", "NAME"),
    ("GARCIA^LUIS^M", "NAME"),
    ("DOE, JOHN", "NAME"),
    ("Garcia, Luis A.", "NAME"),
    ("Name: Maria Garcia", "NAME"),
    ("Patient: O'Brien Kate", "NAME"),
    ("Pat: Lopez", "NAME"),
    ("Mrs. Jane Roe", "NAME"),
    ("DOB 03/17/1945", "DATE"),
    ("03/17/1945", "DATE"),
    ("17.03.1945", "DATE"),
    ("1945-03-17", "DATE"),
    ("2023/04/12 10:12:33", "DATE"),
    ("20230412", "DATE"),
    ("17-MAR-1945", "DATE"),
    ("17 March 1945", "DATE"),
    ("Mar 17, 1945", "DATE"),
    ("2021 Mar 04", "DATE"),
    ("12/03/21", "DATE"),
    ("O3/l7/1945", "DATE"),  # OCR read 0 as O and 1 as l
    ("Birth: 17.03.1945", "DATE"),
    ("Study Date: 04.12.2023", "DATE"),
    ("MRN: 1234567", "ID"),
    ("MRN AB123456", "ID"),
    ("ID: 40512773", "ID"),
    ("Patient ID 0012-3456", "ID"),
    ("40512773", "ID"),
    ("H123456", "ID"),
    ("123-45-6789", "ID"),
    ("Acc# 8812390", "ACCESSION"),
    ("Accession: A20230412", "ACCESSION"),
    ("Order No. 55123", "ACCESSION"),
    ("045Y", "AGE"),
    ("045Y F", "AGE"),
    ("F 45Y", "AGE"),
    ("67 M", "AGE"),
    ("M/67", "AGE"),
    ("Age: 45", "AGE"),
    ("62 yrs", "AGE"),
    ("006M", "AGE"),
    ("Ref Phys: Dr. Smith", "PROVIDER"),
    ("Dr. Jones", "PROVIDER"),
    ("Referring: Robert Jones", "PROVIDER"),
    ("John Smith, MD", "PROVIDER"),
    ("Operator: AB", "PROVIDER"),
    ("St. Mary Hospital", "INSTITUTION"),
    ("SAINT LUKE'S MEDICAL CENTER", "INSTITUTION"),
    ("University of Somewhere", "INSTITUTION"),
    ("Klinikum Nord", "INSTITUTION"),
    ("Institution: Northside Imaging", "INSTITUTION"),
    ("Tel: (555) 123-4567", "CONTACT"),
    ("555-123-4567", "CONTACT"),
    ("jdoe@example.org", "CONTACT"),
    ("123 Main Street", "CONTACT"),
]

NON_PHI_TEXT = [
    # laterality, views, positions
    "L", "R", "RT", "LT", "AP", "PA", "LAT", "MLO", "R CC", "L MLO", "HFS", "PORTABLE",
    "UPRIGHT", "Axial", "SAG T2", "Cor", "Prone",
    # CT / MR / XR / US technique
    "120 kVp 250 mAs", "kV 120 mA 250", "kV:120 mAs:250", "mA 300 Noise Index 11.5",
    "DFOV 25.0 cm", "SFOV Large", "Thk 5.0 mm", "Slice 5.0 mm", "ST 2.5mm", "Tilt: 0.0",
    "Pitch 0.984:1", "Rot 0.5s", "Kernel: B30f", "STND", "DLP 1234.56 mGy*cm",
    "CTDIvol 12.3 mGy", "TR 4000 TE 90", "TR: 500.0 TE: 14.0", "TI 2500", "FA 90",
    "FOV 240*240", "256x256", "512x512", "1024 x 1024", "NEX 2.0", "BW 31.2kHz", "ETL 16",
    "TA: 03:21", "3.5MHz", "G 50 DR 60", "FR 25Hz", "MI 1.2 TIS 0.4", "PRF 1000 Hz",
    "PSV 85.2 cm/s", "RI 0.65", "EI: 1523", "DI: -0.5", "S: 200 L: 2.0", "DAP 0.123",
    # window, counters, scale, zoom, time
    "W 400 L 40", "WL: 40 WW: 400", "C 40 W 400", "W400 L 40", "ww 1500 wl 450",
    "Se: 4 Im: 17", "Se:3 Im:42", "Ser 3 Img 150", "Image 12 of 240", "Im: 3/120",
    "Frame 45/120", "Page 1 of 2", "Phase 3/20", "10 cm", "5 mm", "Zoom 1.5", "Mag 2.0x",
    "x1.5", "1:1", "12:34:56", "10:12", "12.34.56", "Acq Tm: 10:12:33", "-123.5 mm",
    "Table 1234.5", "HR 72 bpm",
    # vendor / software
    "GE MEDICAL SYSTEMS", "SIEMENS Healthineers", "SOMATOM Definition AS+", "syngo MR E11",
    "VB17A", "Version 2.1.10", "LightSpeed VCT", "1.2.840.113619.2.55.3",
    # words that look like fields but are technique
    "Patient Position HFS", "Protocol Name HEAD ROUTINE", "Axial, Contrast", "Head, Neck",
    "Patient: ANONYMOUS", "Date: 12:30", "Study 1", "Series 203", "Ex: 1234", "Radiology",
]


def _categories(text: str, min_score: float = 0.5) -> set[str]:
    return {h.category for h in recognizers.find_hits(text) if h.score >= min_score}


@pytest.mark.parametrize("text,category", PHI_TEXT)
def test_generic_pattern_finds_phi(text: str, category: str) -> None:
    assert category in _categories(text), text


@pytest.mark.parametrize("text", NON_PHI_TEXT)
def test_generic_patterns_leave_overlay_text_alone(text: str) -> None:
    assert _categories(text) == set(), text


def test_date_hit_carries_readings() -> None:
    (hit,) = recognizers.find_dates("DOB: 03/04/1945")
    assert set(hit.dates) == {(1945, 3, 4), (1945, 4, 3)}
    (hit,) = recognizers.find_dates("17-MAR-1945")
    assert hit.dates == ((1945, 3, 17),)
    assert recognizers.find_dates("13/13/2020") == []  # no valid reading
    assert recognizers.find_dates("31/02/2020") == []


def test_time_read_with_dots_is_not_a_confident_date() -> None:
    # OCR often reads "12:04:56" as "12.04.56", which would also be 12 April 1956
    assert all(h.score < 0.5 for h in recognizers.find_dates("12.04.56"))


def test_digitize_fixes_only_numeric_tokens() -> None:
    assert recognizers.digitize("O3/l7/1945") == "03/17/1945"
    assert recognizers.digitize("ID:4O5l2773") == "ID:40512773"  # the label stays a label
    assert recognizers.digitize("4O5l2773") == "40512773"
    assert recognizers.digitize("SOLIS 5s") == "SOLIS 5s"
    for s in ("Se 4 Im 17", "120kVp", "Smith"):
        assert recognizers.digitize(s) == s


def test_spans_point_at_the_value() -> None:
    text = "MRN: 1234567  W 400"
    (hit,) = [h for h in recognizers.find_hits(text) if h.category == "ID"]
    assert text[hit.start:hit.end] == "1234567"


def test_number_context_guard() -> None:
    t = "W 400 L 40"
    assert recognizers.number_context(t, 2, 5)
    t = "250 mAs"
    assert recognizers.number_context(t, 0, 3)
    t = "ID 400"
    assert not recognizers.number_context(t, 3, 6)


# =============================================================================================
# Fast: fuzzy matching
# =============================================================================================


def test_canon_folds_case_accents_punctuation_and_lookalikes() -> None:
    assert fuzzy.canon("O'Brien-Sánchez") == fuzzy.canon("0BRIENSANCHEZ")
    assert fuzzy.canon("ID: 4O5l2773") == fuzzy.canon("1d 40512773")
    assert fuzzy.canon("S5 B8 Z2") == "558822"


@pytest.mark.parametrize(
    "needle,text,found",
    [
        ("40512773", "ID: 40512773", "40512773"),
        ("40512773", "ID:4O5l2773", "4O5l2773"),  # look-alikes
        ("40512773", "ID 40512778", "40512778"),  # one OCR error in 8 characters
        ("40512773", "ID 4051277", "4051277"),  # a dropped digit
        ("12345", "9123456", None),  # not inside a longer number
        ("12345", "A12345", "12345"),
        ("40512773", "Se 4 Im 17", None),
        ("smithmary", "SMITH  MARY", "SMITH  MARY"),
    ],
)
def test_find_approx(needle: str, text: str, found: str | None) -> None:
    m = fuzzy.find_approx(fuzzy.canon(needle), text)
    assert (text[m.start:m.end] if m else None) == found


def test_max_edits_grow_with_length() -> None:
    assert [fuzzy.max_edits(n) for n in (2, 3, 4, 6, 7, 10, 11)] == [0, 0, 1, 1, 2, 2, 3]


# =============================================================================================
# Fast: header values and matching them in text
# =============================================================================================


def _header(**kw: Any) -> Dataset:
    ds = Dataset()
    for k, v in kw.items():
        setattr(ds, k, v)
    return ds


H1 = dict(
    PatientName="SMITH^MARY^ANN",
    PatientID="40512773",
    PatientBirthDate="19610702",
    StudyDate="20231011",
    AccessionNumber="8812390",
    InstitutionName="Saint Luke's Medical Center",
    PatientAge="062Y",
    ReferringPhysicianName="JONES^ROBERT",
    OperatorsName=["NGUYEN^THI", "BROWN^B"],
    PatientTelephoneNumbers="555-123-4567",
)


def test_header_values_cover_the_phi_elements() -> None:
    vals = header_phi.header_values(_header(**H1))
    kws = Counter(v.keyword for v in vals)
    for kw in ("PatientName", "PatientID", "PatientBirthDate", "StudyDate", "AccessionNumber",
               "InstitutionName", "PatientAge", "ReferringPhysicianName",
               "PatientTelephoneNumbers"):
        assert kws[kw] >= 1, kw
    assert kws["OperatorsName"] == 2  # multi-valued PN: each person
    name = next(v for v in vals if v.keyword == "PatientName")
    assert set(name.parts) >= {fuzzy.canon("smith"), fuzzy.canon("mary"), fuzzy.canon("ann")}


def test_header_placeholders_and_short_values_are_skipped() -> None:
    vals = header_phi.header_values(_header(PatientName="ANONYMOUS", PatientID="12",
                                            AccessionNumber="", StudyID="1",
                                            InstitutionName="Radiology"))
    assert [v.keyword for v in vals] == []


def test_header_age_computed_from_dates_when_missing() -> None:
    vals = header_phi.header_values(_header(PatientBirthDate="19610702", StudyDate="20231011"))
    (age,) = [v for v in vals if v.kind == "age"]
    assert age.age == (62, "Y")


def test_header_ids_in_sequences() -> None:
    item = Dataset()
    item.PatientID = "ALT998877"
    ds = _header(OtherPatientIDsSequence=[item])
    assert any(v.forms == (fuzzy.canon("ALT998877"),) for v in header_phi.header_values(ds))


HEADER_MATCHES = [
    # (OCR line, expected category or None)
    ("SMITH MARY", "NAME"),
    ("SMITH^MARY^ANN", "NAME"),
    ("Smith, Mary A", "NAME"),
    ("MARY ANN SMITH", "NAME"),
    ("SMITH  M", "NAME"),  # initials form
    ("M. SMYTH", "NAME"),  # OCR error plus an initial
    ("SMITHMARY", "NAME"),  # caret dropped with no space
    ("MAPY ANN", "NAME"),
    ("ID:4O512773", "ID"),
    ("40512778", "ID"),  # one digit misread
    ("1961-07-02", "DATE"),
    ("07/02/1961", "DATE"),
    ("02.07.1961", "DATE"),
    ("2 Jul 1961", "DATE"),
    ("07021961", "DATE"),
    ("O7O2l96l", "DATE"),
    ("11.10.23", "DATE"),
    ("Acc 881239O", "ACCESSION"),
    ("062Y", "AGE"),
    ("F 062", "AGE"),
    ("62 yrs", "AGE"),
    ("Saint Luke's", "INSTITUTION"),
    ("ST LUKES MEDICAL CTR", "INSTITUTION"),
    ("Dr. Jones", "PROVIDER"),
    ("R JONES", "PROVIDER"),
    ("NGUYEN", "PROVIDER"),
    ("Tel 555 123 4567", "CONTACT"),
    # things that must not match this header
    ("MEDICAL CENTER", None),
    ("W 400 L 40", None),
    ("Se: 4 Im: 17", None),
    ("120 kVp 250 mAs", None),
    ("12:34:56", None),
    ("Im 62", None),
    ("SMOOTH", None),
    ("ANN ARBOR", "NAME"),  # a name part alone still counts: the header says it is PHI
]


@pytest.mark.parametrize("line,category", HEADER_MATCHES)
def test_header_match(line: str, category: str | None) -> None:
    vals = header_phi.header_values(_header(**H1))
    hits = header_phi.match_line(vals, line, recognizers.find_dates(line),
                                 recognizers.find_ages(line))
    cats = {h.category for h in hits if h.score >= 0.5}
    if category is None:
        assert cats == set(), line
    else:
        assert category in cats, line


def test_adversarial_short_header_values_do_not_match_technique() -> None:
    vals = header_phi.header_values(_header(PatientID="400", AccessionNumber="250",
                                            PatientAge="040Y", StudyID="17",
                                            PatientName="LONG^AXIAL"))
    for line in ("W 400 L 40", "120 kVp 250 mAs", "Se: 4 Im: 17", "LONG", "AXIAL", "L 40"):
        hits = header_phi.match_line(vals, line, recognizers.find_dates(line),
                                     recognizers.find_ages(line))
        assert hits == [], line
    # the same short ID on its own, labelled, is found
    line = "ID: 400"
    assert header_phi.match_line(vals, line, [], [])


# =============================================================================================
# Fast: detector plumbing with a fake OCR engine
# =============================================================================================


@dataclass(frozen=True)
class FakeParams:
    min_confidence: float = 0.0


class FakeEngine(OcrEngine):
    """Returns the boxes it was given; counts set-ups."""

    Params = FakeParams
    setups = 0

    def __init__(self, params: Any = None, boxes: list[TextBox] | None = None) -> None:
        super().__init__(params)
        self.boxes = boxes or []

    def setup(self) -> None:
        type(self).setups += 1

    def read(self, image: np.ndarray) -> list[TextBox]:
        return list(self.boxes)


class BrokenEngine(OcrEngine):
    def read(self, image: np.ndarray) -> list[TextBox]:
        raise RuntimeError("model exploded")


def _frame(header: Dataset | None = None, image: np.ndarray | None = None) -> Frame:
    img = image if image is not None else np.zeros((64, 64), np.uint8)
    return Frame(Sample("s1", "/data/x.dcm"), img, header)


def _tb(text: str, x: int, y: int, w: int = 0, h: int = 20, conf: float = 0.9) -> TextBox:
    return TextBox((x, y, w or 10 * len(text), h), text, conf)


def test_lines_join_nearby_boxes_on_one_row_only() -> None:
    boxes = [_tb("Name:", 10, 10), _tb("DOE JOHN", 70, 12), _tb("120 kVp", 400, 10),
             _tb("ID", 10, 40), _tb("1234567", 40, 41)]
    lines = sorted(build_lines(boxes), key=lambda ln: ln.pieces[0][2].box[1::-1])
    assert [ln.text for ln in lines] == ["Name:  DOE JOHN", "120 kVp", "ID  1234567"]
    name_line = lines[0]
    assert name_line.box_of(7, 15) == (70, 12, 80, 20)


def test_detect_reports_entities_with_boxes() -> None:
    engine = FakeEngine(boxes=[_tb("Name:", 10, 10), _tb("DOE JOHN", 70, 12),
                               _tb("W 400 L 40", 10, 200)])
    det = LocalDetector.with_engine(engine)
    got = det.detect(_frame(_header(PatientName="DOE^JOHN")))
    assert got.has_phi is True and got.error is None
    assert {e.category for e in got.entities} == {"NAME"}
    assert all(e.box == (70, 12, 80, 20) for e in got.entities)
    assert got.confidence == max(e.score for e in got.entities)


def test_detect_no_phi_on_technique_text_even_with_full_header() -> None:
    engine = FakeEngine(boxes=[_tb(t, 10, 10 + 30 * i) for i, t in enumerate(
        ["L", "AP", "120 kVp 250 mAs", "Se: 4 Im: 17", "10 cm", "12:34:56", "W 400 L 40"])])
    det = LocalDetector.with_engine(engine)
    got = det.detect(_frame(_header(**H1)))
    assert got.has_phi is False and got.entities == ()
    assert 0.5 < got.confidence < 1.0


def test_detect_without_header_and_with_switches() -> None:
    boxes = [_tb("SMITH MARY", 10, 10), _tb("DOB 07/02/1961", 10, 50)]
    det = LocalDetector.with_engine(FakeEngine(boxes=boxes))
    # no header: the date pattern still finds the birth date, the bare name is not findable
    got = det.detect(_frame(None))
    assert {e.category for e in got.entities} == {"DATE"}
    p = validate_params(LocalDetector, {"use_patterns": False}, where="detector")
    got = LocalDetector.with_engine(FakeEngine(boxes=boxes), p).detect(_frame(_header(**H1)))
    assert {e.category for e in got.entities} == {"NAME", "DATE"}
    p = validate_params(LocalDetector, {"use_header": False}, where="detector")
    got = LocalDetector.with_engine(FakeEngine(boxes=boxes), p).detect(_frame(_header(**H1)))
    assert {e.category for e in got.entities} == {"DATE"}


def test_low_confidence_ocr_boxes_are_ignored() -> None:
    det = LocalDetector.with_engine(FakeEngine(boxes=[_tb("MRN 1234567", 0, 0, conf=0.01)]))
    assert det.detect(_frame()).has_phi is False


def test_ocr_failure_is_an_error_never_no_phi() -> None:
    det = LocalDetector.with_engine(BrokenEngine())
    with pytest.raises(SampleFailure) as err:
        det.detect(_frame())
    assert err.value.stage == "ocr"
    (got,) = det.detect_many([_frame()])
    assert got.has_phi is None and got.error is not None and got.error.stage == "ocr"


def test_bad_engine_output_is_an_error() -> None:
    class Bad(OcrEngine):
        def read(self, image):
            return [("text", 1.0)]

    with pytest.raises(SampleFailure):
        LocalDetector.with_engine(Bad()).detect(_frame())


def test_detector_params_schema() -> None:
    p = validate_params(LocalDetector, {"ocr": {"params": {"det_scale": 0.75}}, "min_score": 0.6},
                        where="detector")
    assert p.ocr == OcrSettings("rapidocr", {"det_scale": 0.75}) and p.min_score == 0.6
    assert LocalDetector.needs_header is True


@pytest.fixture
def fake_registry(monkeypatch):
    """Registry with the fake engine under 'rapidocr' (the default) and a fresh plugin cache."""
    reg = Registry()
    Register(reg, "ocr", "tests", "(tests)").add("rapidocr", FakeEngine)
    Register(reg, "detector", "tests", "(tests)").add("local", LocalDetector)
    monkeypatch.setattr(worker, "default_registry", lambda: reg)
    monkeypatch.setattr(worker, "_instances", {})
    monkeypatch.setattr(worker, "_loads", Counter())
    FakeEngine.setups = 0
    return reg


def test_engine_comes_from_the_worker_cache_once(fake_registry) -> None:
    a, b = LocalDetector(), LocalDetector()
    a.setup()
    b.setup()
    assert a.engine is b.engine
    assert FakeEngine.setups == 1
    assert worker.load_counts() == {"ocr:rapidocr": 1}
    # the detector itself through the cache, as a worker builds it
    d1 = worker.instance(worker.PluginSpec.of("detector", "local", {}))
    d2 = worker.instance(worker.PluginSpec.of("detector", "local", {}))
    assert d1 is d2 and d1.engine is a.engine and FakeEngine.setups == 1
    # different OCR parameters are a different engine
    c = LocalDetector(validate_params(LocalDetector, {"ocr": {"params": {"min_confidence": 0.2}}},
                                      where="detector"))
    c.setup()
    assert c.engine is not a.engine and FakeEngine.setups == 2


def test_detector_built_by_the_worker_cache_does_not_deadlock(fake_registry) -> None:
    """worker.instance holds its (re-entrant) lock while setup() asks it for the OCR engine."""
    import threading

    box: dict[str, Any] = {}

    def build() -> None:
        box["det"] = worker.instance(worker.PluginSpec.of("detector", "local", {}))

    t = threading.Thread(target=build, daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), "worker.instance(detector) deadlocked"
    det = box["det"]
    assert det.detect(_frame()).has_phi is False
    assert FakeEngine.setups == 1
    assert worker.load_counts() == {"detector:local": 1, "ocr:rapidocr": 1}
    assert LocalDetector().engine is det.engine


def test_describe_is_phi_free() -> None:
    det = LocalDetector.with_engine(FakeEngine())
    d = det.describe()
    assert d["detector"] == "local" and d["ocr"] == "rapidocr"


# =============================================================================================
# Slow: real EasyOCR on rendered text in real DICOM files
# =============================================================================================

STEP, PX, TOP = 44, 22, 10

IMAGES: dict[str, tuple[dict[str, Any], list[tuple[str, bool, str | None]]]] = {
    # header with PHI; the burned text shows it in various renderings and with OCR-ish noise
    "header": (H1, [
        ("SMITH^MARY", True, "NAME"),
        ("Smlth, Mary", True, "NAME"),
        ("M. SMYTH", True, "NAME"),
        ("ID: 4O512773", True, "ID"),
        ("DOB: 07/02/1961", True, "DATE"),
        ("2 Jul 1961", True, "DATE"),
        ("Study 2023-10-11", True, "DATE"),
        ("Acc# 8812390", True, "ACCESSION"),
        ("F 062Y", True, "AGE"),
        ("Saint Luke's Medical Center", True, "INSTITUTION"),
        ("Ref: Dr. Robert Jones", True, "PROVIDER"),
    ]),
    # a header with no PHI: only the generic patterns can find it
    "no_header_phi": ({"Modality": "OT"}, [
        ("MRN 1234567", True, "ID"),
        ("DOE^JOHN", True, "NAME"),
        ("GARCIA, LUIS", True, "NAME"),
        ("DOB 03/17/1945", True, "DATE"),
        ("17-MAR-1945", True, "DATE"),
        ("Mar 17, 1945", True, "DATE"),
        ("45Y F", True, "AGE"),
        ("Patient: Jane Roe", True, "NAME"),
        ("St. Mary Hospital", True, "INSTITUTION"),
        ("Acc A20230412", True, "ACCESSION"),
        ("Ref Phys: Dr. Adams", True, "PROVIDER"),
    ]),
    # technique text under an adversarial header whose short values look like technique numbers
    "negatives": (dict(PatientName="CHEN^WEI", PatientID="400", AccessionNumber="250",
                       PatientAge="040Y", StudyID="17", PatientBirthDate="19700101",
                       StudyDate="20240105", InstitutionName="General Hospital"), [
        ("L", False, None),
        ("AP", False, None),
        ("120 kVp 250 mAs", False, None),
        ("Se: 4 Im: 17", False, None),
        ("10 cm", False, None),
        ("12:34:56", False, None),
        ("W 400 L 40", False, None),
        ("DFOV 25.0 cm", False, None),
        ("SOMATOM Definition", False, None),
        ("Thk 5.0 mm", False, None),
        ("Zoom 1.5", False, None),
    ]),
}


def _render(rows: list[str], seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = Image.fromarray(np.clip(rng.normal(35, 12, (512, 512)), 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, PX)
    for i, text in enumerate(rows):
        draw.text((16, TOP + i * STEP), text, fill=235, font=font)
    return np.array(img)


def _write_dicom(path, image: np.ndarray, header: dict[str, Any]) -> pydicom.Dataset:
    """A real Secondary Capture file with ``image`` as pixels and ``header`` elements; read back."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = generate_uid()
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID
    ds.Modality = "OT"
    ds.Rows, ds.Columns = image.shape[:2]
    ds.SamplesPerPixel = 1 if image.ndim == 2 else 3
    ds.PhotometricInterpretation = "MONOCHROME2" if image.ndim == 2 else "RGB"
    if image.ndim == 3:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = np.ascontiguousarray(image).tobytes()
    for k, v in header.items():
        setattr(ds, k, v)
    pydicom.dcmwrite(path, ds, enforce_file_format=True)
    return pydicom.dcmread(path)


@pytest.fixture(scope="module")
def real_engine():
    """The real EasyOCR engine, built through ``phibench.worker.instance`` like in a worker.

    The registry is a test one (the built-in registration is wired separately); the test
    checks the model is built once however many detectors ask for it.
    """
    reg = Registry()
    Register(reg, "ocr", "tests", "(tests)").add("easyocr", EasyOcrEngine)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(worker, "default_registry", lambda: reg)
        mp.setattr(worker, "_instances", {})
        mp.setattr(worker, "_loads", Counter())
        t0 = time.perf_counter()
        easy = {"ocr": {"name": "easyocr"}}  # these tests are of EasyOCR's reading
        d1, d2 = (LocalDetector(validate_params(LocalDetector, easy, where="detector")) for _ in "ab")
        d1.setup()
        d2.setup()
        print(f"\nengine setup via worker.instance: {time.perf_counter() - t0:.1f}s")
        assert d1.engine is d2.engine
        assert worker.load_counts() == {"ocr:easyocr": 1}
        yield d1.engine


@pytest.fixture(scope="module")
def detections(real_engine, tmp_path_factory):
    """Each test image rendered, stored as DICOM, read back and run through the detector once."""
    det = LocalDetector.with_engine(real_engine)
    out = {}
    tmp = tmp_path_factory.mktemp("dicom")
    for seed, (name, (header, rows)) in enumerate(IMAGES.items()):
        ds = _write_dicom(tmp / f"{name}.dcm", _render([r[0] for r in rows], seed), header)
        frame = Frame(Sample(name, str(tmp / f"{name}.dcm")), ds.pixel_array, ds)
        t0 = time.perf_counter()
        out[name] = det.detect(frame)
        print(f"\n{name}: detect {time.perf_counter() - t0:.2f}s")
    return out


def _row_of(box) -> int:
    cy = box[1] + box[3] / 2
    return int(round((cy - TOP - PX * 0.6) / STEP))


CASES = [(name, i, text, phi, cat)
         for name, (_, rows) in IMAGES.items() for i, (text, phi, cat) in enumerate(rows)]


@pytest.mark.slow
@pytest.mark.parametrize("image,row,text,has_phi,category", CASES,
                         ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_burned_in_text(detections, image, row, text, has_phi, category) -> None:
    det = detections[image]
    assert det.error is None
    found = [e for e in det.entities if _row_of(e.box) == row]
    assert bool(found) == has_phi, (text, [(e.category, e.score) for e in found])
    if category:
        assert category in {e.category for e in found}, (text, [e.category for e in found])


@pytest.mark.slow
def test_technique_only_image_has_no_phi(detections) -> None:
    det = detections["negatives"]
    assert det.has_phi is False and det.entities == ()
    assert detections["header"].has_phi is True
    assert detections["no_header_phi"].has_phi is True


@pytest.mark.slow
def test_rgb_frame_and_entity_box(real_engine, tmp_path) -> None:
    grey = _render(["", "", "", "", "", "", "Patient ID: A7730215"], seed=7)
    rgb = np.stack([grey, grey, (grey * 0.8).astype(np.uint8)], axis=2)
    ds = _write_dicom(tmp_path / "rgb.dcm", rgb, {"PatientID": "A7730215"})
    frame = Frame(Sample("rgb", str(tmp_path / "rgb.dcm")), ds.pixel_array, ds)
    got = LocalDetector.with_engine(real_engine).detect(frame)
    assert got.has_phi is True
    (ent,) = [e for e in got.entities if e.category == "ID"][:1]
    x, y, w, h = ent.box
    assert _row_of(ent.box) == 6 and x < 300 and w > 40


# =============================================================================================
# Fast: how real scanners print dates, names and numbers (strings written for these tests)
# =============================================================================================

SCANNER_DATES = [
    # (text, one valid (year, month, day) reading the hit must carry)
    ("07.09.2011", (2011, 9, 7)),            # day-first with dots (European CT/MR banners)
    ("11-JUN-98", (98, 6, 11)),              # DICOM-viewer style, two-digit year
    ("05 FEB 97", (97, 2, 5)),               # ultrasound banner
    ("2 Nov 19", (19, 11, 2)),
    ("DOB:11/3/62", (62, 11, 3)),            # label glued to the value
    ("19990812", (1999, 8, 12)),             # DICOM DA printed raw
    ("10/31/2004", (2004, 10, 31)),          # US month-first
    ("9,14/2003", (2003, 9, 14)),            # OCR read the first thin '/' as ','
    ("3/8.2012", (2012, 3, 8)),              # ... or as '.'
    ("2008/07/19 14:02", (2008, 7, 19)),
    ("Exam: 12-Jan-2015", (2015, 1, 12)),
]


@pytest.mark.parametrize("text,reading", SCANNER_DATES)
def test_dates_as_scanners_print_them(text: str, reading: tuple[int, int, int]) -> None:
    hits = [h for h in recognizers.find_hits(text) if h.category == "DATE" and h.score >= 0.5]
    assert hits, text
    readings = {d for h in recognizers.find_dates(text) for d in h.dates}
    assert reading in readings, (text, readings)


NOT_DATES = [
    "10:42:17 am",      # a time of day
    "4.05.33 PM",       # a time whose colons OCR read as dots, with its meridiem
    "10.42.17 AM",
    "2011",             # a bare year identifies no one
    "1998",
    "062bpm",           # heart rate with a leading zero
    "o62bpm",           # ... and with the zero read as a letter
    "12:04",
    "Frame 12/64",
    "T1/+2/3/1",        # ultrasound processing codes
    "Gain= 6dB",
    "3.5/7.0 MHz",
    "25.3 fps",
    "9.28.50",          # dotted, so day-first: there is no 28th month (a time read with dots)
]


@pytest.mark.parametrize("text", NOT_DATES)
def test_times_years_and_readouts_are_not_dates(text: str) -> None:
    assert not [h for h in recognizers.find_hits(text)
                if h.category == "DATE" and h.score >= 0.5], text


def test_dotted_dates_are_read_day_first_only() -> None:
    (hit,) = recognizers.find_dates("04.05.2013")
    assert hit.dates == ((2013, 5, 4),)
    (hit,) = recognizers.find_dates("04/05/2013")
    assert set(hit.dates) == {(2013, 4, 5), (2013, 5, 4)}


BANNER_NAMES = ["LOPEZ, MARIA", "WEBER: ANNA", "KOWALSKI; PIOTR", "NGUYEN^THI", "Dupont, Claire",
                "MARTIN:LUCAS", "OKAFOR^CHIDI^N"]


@pytest.mark.parametrize("text", BANNER_NAMES)
def test_names_in_banners(text: str) -> None:
    assert "NAME" in _categories(text), text


NOT_BANNER_NAMES = ["Mode: Color", "Preset: Abdomen", "Store: Ready", "Gain: High",
                    "Probe: Linear", "Depth: 16cm", "Map: B", "Focus: 2", "Zoom: Off",
                    "Status: Frozen", "Thyroid: Left"]


@pytest.mark.parametrize("text", NOT_BANNER_NAMES)
def test_ui_labels_with_a_colon_are_not_names(text: str) -> None:
    assert "NAME" not in _categories(text), text


def test_given_name_gazetteer_ignores_case_and_accents() -> None:
    assert recognizers.is_given_name("Hélène") and recognizers.is_given_name("HELENE")
    assert not recognizers.is_given_name("Abdomen")
    assert not recognizers.is_given_name("LEFT")


SCANNER_IDS = [("MRN: 00482913", "ID"), ("Acc# RX20110915", "ACCESSION"),
               ("Accession 7731902", "ACCESSION"), ("Exam No: 45123", "ACCESSION"),
               ("ID 5512-0093", "ID"), ("Pat ID: KL0048812", "ID")]


@pytest.mark.parametrize("text,category", SCANNER_IDS)
def test_ids_and_accession_numbers(text: str, category: str) -> None:
    assert category in _categories(text), text


@pytest.mark.parametrize("lines,has_phi", [
    (["GENERAL HOSPITAL RADIOLOGY"], False),      # an institution alone identifies no patient
    (["045Y F"], False),                          # nor an age under 90
    (["093Y F"], True),                           # ages over 89 do
    (["GENERAL HOSPITAL RADIOLOGY", "11-JUN-98"], True),
])
def test_institutions_and_young_ages_are_reported_but_not_decisive(lines, has_phi) -> None:
    boxes = [_tb(t, 10, 10 + 40 * i) for i, t in enumerate(lines)]
    got = LocalDetector.with_engine(FakeEngine(boxes=boxes)).detect(_frame())
    assert got.has_phi is has_phi
    assert got.entities, "the institution / age is still reported (entities mode masks it)"


def test_a_description_in_the_name_field_is_not_matched_word_by_word() -> None:
    # real test files put case descriptions in PatientName; the overlay shows the exam word alone
    hdr = _header(PatientName="Popliteal bypass^Case report:")
    vals = header_phi.header_values(hdr)
    assert not header_phi.match_line(vals, "Popliteal", [], [])
    got = LocalDetector.with_engine(FakeEngine(boxes=[_tb("Popliteal", 10, 10)])).detect(
        _frame(hdr))
    assert got.has_phi is False
    # a real name in the same field is still found word by word
    vals = header_phi.header_values(_header(PatientName="Popliteal^Maria"))
    assert header_phi.match_line(vals, "POPLITEAL", [], [])
