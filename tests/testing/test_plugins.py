"""The plugin-author helpers (``phibench.testing.plugins``): a frame from a real DICOM file, and
the contract check, which passes the built-ins and catches each way a detector can break it."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from phibench.detector import Detector
from phibench.records import Detection, Entity
from phibench.registry import default_registry
from phibench.testing.plugins import ContractError, check_detector, frame_from_dicom


@pytest.fixture(scope="module")
def frames(pydicom_test_dir):
    names = ("CT_small.dcm", "MR_small.dcm", "SC_rgb_jpeg_dcmtk.dcm")
    return [frame_from_dicom(pydicom_test_dir / n) for n in names]


def test_a_frame_is_rendered_as_a_run_renders_it(pydicom_test_dir, frames):
    from phibench.dicom import read_dataset, render_frame

    ds = read_dataset(pydicom_test_dir / "CT_small.dcm")
    assert np.array_equal(frames[0].image, render_frame(ds, 0)) and frames[0].image.dtype == np.uint8
    assert frames[0].header is not None and frame_from_dicom(pydicom_test_dir / "CT_small.dcm", header=False).header is None
    assert frames[2].image.ndim == 3  # colour, decoded from baseline JPEG


@pytest.mark.parametrize("name", ["flag_all", "flag_none"])
def test_the_built_in_baselines_keep_the_contract(frames, name):
    dets = check_detector(default_registry().build("detector", name), frames)
    assert [d.has_phi for d in dets] == [name == "flag_all"] * len(frames)


class Broken(Detector):
    @dataclass
    class Params:
        how: str = ""

    def detect(self, frame):
        how = self.params.how
        if how == "none":
            return None
        if how == "confidence":
            return Detection(True, confidence=1.5)
        if how == "box":
            return Detection(True, (Entity("NAME", "x", (0, 0, 10_000, 5)),))
        if how == "pixels":
            frame.image[0, 0] = 255 - frame.image[0, 0]
            return Detection(False)
        raise RuntimeError("an honest failure")  # fine: becomes that frame's error

    def detect_many(self, frames):
        if self.params.how == "raise":
            raise RuntimeError("boom")
        return super().detect_many(frames)


@pytest.mark.parametrize(("how", "says"), [
    ("confidence", "outside 0..1"),
    ("box", "is not inside the"),
    ("pixels", "modified the frame's pixels"),
    ("raise", "detect_many raised RuntimeError"),
])
def test_each_broken_rule_is_named(frames, how, says):
    with pytest.raises(ContractError, match=says):
        check_detector(Broken(Broken.Params(how)), frames)


def test_an_exception_in_detect_is_an_error_row_not_a_contract_breach(frames):
    dets = check_detector(Broken(Broken.Params("fails")), frames)
    assert all(d.has_phi is None and d.error.stage == "detect" for d in dets)


def test_a_detect_that_returns_no_detection_is_that_frames_error(frames):
    """The core's own ``detect_many`` turns it into a per-frame error naming the breach: a
    plugin's bug fails closed, it never answers "no PHI"."""
    dets = check_detector(Broken(Broken.Params("none")), frames)
    assert all(d.has_phi is None and "returned NoneType, not a phibench.records.Detection" in str(d.error)
               for d in dets)
