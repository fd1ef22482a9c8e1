"""``ocr.name=ensemble``: the union of real engines' boxes (Tesseract and RapidOCR: each reads a
drawn image in well under a second), checked configuration, and fail-closed reads."""

from __future__ import annotations

import numpy as np
import pytest

from phibench.exceptions import ConfigError, SampleFailure
from phibench.frame import Frame
from phibench.ocr import engine, read_frame
from phibench.plugin import validate_params
from phibench.records.sample import Sample
from phibench.registry import default_registry
from phibench_plugins.ocr.ensemble_engine import EnsembleEngine, _covered
from tests.plugins.ocr.test_engines import drawn

MEMBERS = [{"name": "rapidocr"}, {"name": "tesseract"}]


def build(**params) -> EnsembleEngine:
    return EnsembleEngine(validate_params(EnsembleEngine, params, where="test"))


@pytest.fixture(scope="module")
def image() -> np.ndarray:
    """Two lines of text on one frame."""
    top, _ = drawn("SMITH 40512773", px=36, size=(700, 260), at=(40, 40))
    low, _ = drawn("17.03.1945", px=36, size=(700, 260), at=(40, 150))
    return np.maximum(top, low)


def test_keep_is_every_members_reading_in_member_order(image) -> None:
    ens = build(engines=MEMBERS)
    got = ens.read(image)
    rapid = engine("rapidocr").read(image)
    tess = engine("tesseract").read(image)
    assert rapid and tess  # both engines read something here: the union is not one of them
    assert got == rapid + tess


def test_drop_adds_only_areas_earlier_members_did_not_cover(image) -> None:
    ens = build(engines=MEMBERS, duplicates="drop", cover=0.6)
    got = ens.read(image)
    rapid = engine("rapidocr").read(image)
    assert got[:len(rapid)] == rapid
    for extra in got[len(rapid):]:
        assert _covered(extra.box, [b.box for b in rapid]) < 0.6
    assert len(got) < len(rapid) + len(engine("tesseract").read(image))  # the same words dropped


def test_covered_share_counts_overlaps_once() -> None:
    assert _covered((0, 0, 10, 10), []) == 0.0
    assert _covered((0, 0, 10, 10), [(0, 0, 5, 10)]) == 0.5
    assert _covered((0, 0, 10, 10), [(0, 0, 5, 10), (0, 0, 5, 10), (5, 0, 5, 5)]) == 0.75
    assert _covered((0, 0, 10, 10), [(-5, -5, 30, 30)]) == 1.0


@pytest.mark.parametrize("params, message", [
    ({"engines": [{"name": "rapidocr"}]}, "at least two"),
    ({"engines": [{"name": "rapidocr"}, {"name": "nope"}]}, "'nope', not an OCR engine"),
    ({"engines": [{"name": "rapidocr"}, {"name": "ensemble"}]}, "cannot hold an ensemble"),
    ({"engines": [{"name": "rapidocr"}, {"name": "tesseract", "params": {"psm": "six"}}]},
     "engines\\[1\\] 'tesseract'"),
    ({"engines": [{"name": "rapidocr"}, {"nme": "tesseract"}]}, "needs a name"),
    ({"engines": MEMBERS, "duplicates": "merge"}, "keep or drop"),
])
def test_bad_members_are_refused_when_the_config_is_checked(params, message) -> None:
    with pytest.raises(ConfigError, match=message):
        default_registry().build("ocr", "ensemble", params)


def test_a_failing_member_fails_the_read_closed(image) -> None:
    ens = build(engines=[{"name": "rapidocr"},
                         {"name": "tesseract", "params": {"tesseract_cmd": "/nonexistent/tesseract"}}])
    frame = Frame(Sample("x#0", "x", 0), image, None)
    with pytest.raises(SampleFailure) as info:
        read_frame(ens, frame)
    assert info.value.stage == "ocr"
    assert not frame.ocr_cache  # nothing cached as "the text of this frame"


def test_members_are_the_workers_shared_engines_and_the_cache_key_names_them() -> None:
    ens = build(engines=MEMBERS)
    ens.setup()
    assert ens._members[0] is engine("rapidocr")  # loaded once per worker, shared
    other = build(engines=[{"name": "tesseract"}, {"name": "rapidocr"}])
    assert ens.cache_key != other.cache_key  # member order changes the reading
    described = ens.describe()
    assert [m["engine"] for m in described["members"]] == ["rapidocr", "tesseract"]
