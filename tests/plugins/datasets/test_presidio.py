"""dataset=presidio: the ground-truth JSON of Presidio's DICOM evaluator, padding removed.

Fixtures follow the layout of presidio-image-redactor's ``docs/image-redactor/
evaluating_dicom_redaction.md`` (a list per file) and its ``tests/integration/resources/
ground_truth.json`` (an object keyed "0", "1", ... per file), over real DICOM files: pydicom's
bundled ones, and files with text burned in by :func:`burned_dicom`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image, ImageDraw, ImageFont
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

from phibench.exceptions import DatasetError
from phibench.registry import default_registry

PAD = 25


def burned_dicom(path: Path, words: list[tuple[str, tuple[int, int]]], *, size=(96, 320),
                 sop_uid: str | None = None, series_uid: str | None = None) -> list[tuple[int, int, int, int]]:
    """Write a one-frame 8-bit DICOM with each word burned in white at its (x, y); return the
    words' boxes (left, top, width, height) in frame pixels, as PIL measured them."""
    image = Image.new("L", (size[1], size[0]), 0)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    boxes = []
    for text, xy in words:
        draw.text(xy, text, fill=255, font=font)
        left, top, right, bottom = draw.textbbox(xy, text, font=font)
        boxes.append((left, top, right - left, bottom - top))
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = sop_uid or generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID, ds.SOPInstanceUID = SecondaryCaptureImageStorage, meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID, ds.SeriesInstanceUID = generate_uid(), series_uid or generate_uid()
    ds.Modality, ds.PatientName = "OT", "DOE^JANE"
    ds.Rows, ds.Columns = size
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = np.asarray(image, dtype=np.uint8).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return boxes


def presidio_entry(label: str, box, pad: int = PAD, **extra) -> dict:
    """A ground-truth entity as Presidio draws it: on the frame padded by ``pad`` pixels."""
    left, top, width, height = box
    return {"label": label, "left": left + pad, "top": top + pad, "width": width, "height": height, **extra}


def presidio(root, labels, **kw):
    params = {"root": str(root), "labels": None if labels is None else str(labels), **kw}
    return list(default_registry().build("dataset", "presidio", params).plan())


@pytest.fixture
def burned(tmp_path):
    root = tmp_path / "data"
    boxes = burned_dicom(root / "dicom" / "file_0.dcm", [("DAVIDSON", (4, 6)), ("01.09.2012", (120, 40))])
    return root, boxes


def test_the_documented_layout_gives_frame_pixel_boxes(burned):
    root, boxes = burned
    gt = {"dicom/file_0.dcm": [presidio_entry("DAVIDSON", boxes[0], entity_type="PERSON"),
                               presidio_entry("01.09.2012", boxes[1])]}
    (labels := root / "ground_truth.json").write_text(json.dumps(gt, indent=4))
    [(sample, truth)] = presidio(root, labels)
    assert sample.sample_id == "dicom/file_0.dcm#0" and sample.dataset == "presidio"
    assert Path(sample.path) == (root / "dicom" / "file_0.dcm").resolve()
    assert truth.has_phi is True
    assert [r.box for r in truth.regions] == boxes  # padding taken off: where the ink is
    assert [(r.text, r.category, r.is_phi) for r in truth.regions] == [
        ("DAVIDSON", "NAME", True), ("01.09.2012", "", True)]
    pixels = pydicom.dcmread(sample.path).pixel_array
    left, top, width, height = truth.regions[0].box
    assert pixels[top:top + height, left:left + width].max() > 128  # the box holds the text
    assert pixels[:top, :].max() == 0 and pixels[:, :left].max() == 0


def test_presidio_sample_layout_indexed_objects_and_clamped_padding(tmp_path, pydicom_test_dir):
    """Presidio's own ground_truth.json: entities keyed "0", "1"; a word at the padded corner
    (25, 25) is at the frame's corner, and padding is clamped at 0 as remove_bbox_padding does."""
    root = tmp_path / "repo"
    (root / "sample_dicom").mkdir(parents=True)
    shutil.copy(pydicom_test_dir / "CT_small.dcm", root / "sample_dicom" / "0_ORIGINAL.dcm")
    shutil.copy(pydicom_test_dir / "MR_small.dcm", root / "sample_dicom" / "2_ORIGINAL.dcm")
    gt = {
        "sample_dicom/0_ORIGINAL.dcm": {
            "0": {"label": "DAVIDSON", "left": 25, "top": 25, "width": 241, "height": 37},
            "1": {"label": "[M]", "left": 535, "top": 25, "width": 60, "height": 45},
        },
        "sample_dicom/2_ORIGINAL.dcm": {
            "0": {"label": "KAUFMAN", "left": 26, "top": 25, "width": 72, "height": 11},
            "1": {"label": "X", "left": 10, "top": 3, "width": 5, "height": 5},
        },
    }
    (labels := root / "ground_truth.json").write_text(json.dumps(gt, indent=4))
    planned = presidio(root, "ground_truth.json")  # relative: found under root
    assert [s.sample_id for s, _ in planned] == ["sample_dicom/0_ORIGINAL.dcm#0", "sample_dicom/2_ORIGINAL.dcm#0"]
    assert [r.box for r in planned[0][1].regions] == [(0, 0, 241, 37), (510, 0, 60, 45)]
    assert [r.box for r in planned[1][1].regions] == [(1, 0, 72, 11), (0, 0, 5, 5)]
    unpadded = presidio(root, labels, padding=0)
    assert unpadded[0][1].regions[0].box == (25, 25, 241, 37)


def test_a_file_listed_without_entities_is_a_negative_and_frames_expand(tmp_path, pydicom_test_dir):
    shutil.copy(pydicom_test_dir / "SC_rgb_rle_2frame.dcm", tmp_path / "mf.dcm")
    (labels := tmp_path / "gt.json").write_text(json.dumps({"mf.dcm": []}))
    planned = presidio(tmp_path, labels)
    assert [(s.sample_id, t.has_phi, t.regions) for s, t in planned] == [
        ("mf.dcm#0", False, ()), ("mf.dcm#1", False, ())]
    assert len(presidio(tmp_path, labels, expand_frames=False)) == 1


def test_missing_root_or_labels_say_where_to_get_the_data(tmp_path):
    with pytest.raises(DatasetError, match="needs dataset.root=DIR.*Presidio ships no image set"):
        presidio("", None)
    with pytest.raises(DatasetError, match="is not a folder.*ground-truth JSON"):
        presidio(tmp_path / "nope", None)
    with pytest.raises(DatasetError, match="needs dataset.labels=FILE"):
        presidio(tmp_path, None)
    with pytest.raises(DatasetError, match="does not exist"):
        presidio(tmp_path, tmp_path / "gt.json")
    with pytest.raises(DatasetError, match="padding must be 0 or more"):
        presidio(tmp_path, tmp_path / "gt.json", padding=-1)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{\n "a.dcm": [\n  {"label": "X", "left": 1}\n ]\n}', r"line 3: a region needs"),
        ('{\n "a.dcm": [\n  {"label": "X", "left": 1, "top": 2, "width": -3, "height": 4}]}',
         r"line 3: box width and height"),
        ('{\n "a.dcm": [],\n "b.dcm": 7\n}', r"line 3: a file's entities must be a list"),
        ('{\n "a.dcm": [\n 1]}', r"line 3: an entity must be an object"),
        ('{\n "a.dcm": [\n  {"label": 5, "left": 1, "top": 2, "width": 3, "height": 4}]}',
         r"line 3: region text must be a string"),
        ('{\n "a.dcm": [],\n "./a.dcm": []\n}', r"line 2 and line 3 name the same file"),
        ('{\n "../a.dcm": []\n}', r"line 2: the file name must be relative"),
        ('{\n "a.dcm": [,]\n}', r"line 2: not valid JSON"),
        ('["a.dcm"]', r"must be an object of file names"),
        ("{}", r"names no file"),
    ],
)
def test_label_errors_name_the_file_and_line_but_no_text(tmp_path, text, message):
    (labels := tmp_path / "gt.json").write_text(text)
    with pytest.raises(DatasetError, match=message) as info:
        presidio(tmp_path, labels)
    assert str(labels) in str(info.value)
    assert "X" not in str(info.value).replace(str(tmp_path), "")
