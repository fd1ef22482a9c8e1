"""Which frames are redacted, which boxes are masked, and the box arithmetic behind coverage."""

from __future__ import annotations

import numpy as np
import pytest

from phibench.ocr import TextBox
from phibench.records import Detection, Entity, SampleError
from phibench.redaction import geometry, policy
from phibench.redaction.verify import still_readable
from phibench.records.ground_truth import TextRegion
from phibench.redactor import RedactorParams

ERR = SampleError("f.dcm", "detect", "RuntimeError", "boom")


@pytest.mark.parametrize(
    ("detection", "params", "redact", "why"),
    [
        (Detection(True), RedactorParams(), True, "flagged"),
        (Detection(False), RedactorParams(), False, "not flagged"),
        (Detection(False), RedactorParams(redact_even_if_undetected=True), True, "every image"),
        (Detection.failed(ERR), RedactorParams(), True, "fail closed"),
        (Detection.failed(ERR), RedactorParams(redact_on_error=False), False, "redact_on_error=false"),
    ],
)
def test_policy_decides_per_frame_and_fails_closed(detection, params, redact, why):
    got, reason = policy.decide(detection, params)
    assert got is redact and why in reason


def _tb(text: str, x: int, y: int = 10, w: int = 80, h: int = 20) -> TextBox:
    return TextBox((x, y, w, h), text, 0.9)


BOXES = [_tb("DOE^JOHN", 10), _tb("ID 483920", 200), _tb("120 kVp", 400), _tb("L", 600, w=15)]


@pytest.mark.parametrize(
    ("entities", "kept"),
    [
        # by location: the entity's box holds the OCR box
        ((Entity("NAME", "", (5, 5, 100, 30)),), {"DOE^JOHN"}),
        # by text, despite OCR noise and punctuation, with no box
        ((Entity("NAME", "DOE JOHN"),), {"DOE^JOHN"}),
        ((Entity("ID", "483920"),), {"ID 483920"}),
        ((Entity("ID", "4B3920"),), {"ID 483920"}),
        # an entity elsewhere with different text masks nothing
        ((Entity("DATE", "03/14/1962", (700, 300, 50, 20)),), set()),
    ],
)
def test_entity_mode_masks_only_boxes_matching_the_entities(entities, kept):
    got = policy.select(BOXES, Detection(True, entities), RedactorParams(mode="entities"))
    assert {b.text for b in got} == kept


def test_entity_mode_masks_everything_when_the_detector_cannot_say_where():
    p = RedactorParams(mode="entities")
    assert policy.select(BOXES, Detection(True), p) == BOXES  # flagged without entities
    assert policy.select(BOXES, Detection.failed(ERR), p) == BOXES  # failed: fail closed
    assert policy.select(BOXES, Detection(True, (Entity("ID", "483920"),)), RedactorParams()) == BOXES


def test_pad_clip_raster_and_coverage():
    assert geometry.pad((10, 10, 5, 5), 2, 100, 100) == (8, 8, 9, 9)
    assert geometry.pad((0, 0, 5, 5), 3, 6, 6) == (0, 0, 6, 6)
    assert geometry.clip((200, 0, 5, 5), 100, 100) is None
    mask = geometry.raster([(0, 0, 10, 10), (5, 5, 10, 10)], 20, 20)
    assert mask.sum() == 100 + 100 - 25 and mask.dtype == np.bool_
    assert geometry.coverage((0, 0, 10, 10), mask) == 1.0
    assert geometry.coverage((10, 0, 10, 10), mask) == pytest.approx(25 / 100)
    assert geometry.coverage((50, 50, 10, 10), mask) == 0.0
    assert geometry.inside_share((0, 0, 10, 10), (5, 0, 10, 10)) == 0.5


def test_a_region_is_readable_only_where_its_text_is_read_again():
    region = TextRegion((100, 50, 120, 20), "DOE^JOHN", True, "NAME")
    assert still_readable(region, [TextBox((102, 52, 110, 18), "DOEJOHN", 0.8)])
    assert still_readable(region, [TextBox((98, 50, 60, 20), "DOE", 0.8), TextBox((160, 50, 60, 20), "JOHN", 0.8)])
    assert not still_readable(region, [TextBox((400, 52, 110, 18), "DOE^JOHN", 0.8)])  # elsewhere
    assert not still_readable(region, [TextBox((102, 52, 110, 18), "###", 0.2)])  # mask noise
    assert not still_readable(region, [])


def test_impossible_settings_are_rejected():
    from phibench.exceptions import ConfigError

    policy.check(RedactorParams())
    with pytest.raises(ConfigError, match="fill"):
        policy.check(RedactorParams(fill="pink"))
