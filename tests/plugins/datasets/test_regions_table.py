"""dataset=regions_table: a COCO-style JSON or a regions CSV from an annotation tool."""

from __future__ import annotations

import json
import shutil

import pytest

from phibench.exceptions import DatasetError
from phibench.registry import default_registry
from tests.plugins.datasets.test_presidio import burned_dicom


def regions_table(root, labels, **kw):
    params = {"root": str(root), "labels": None if labels is None else str(labels), **kw}
    return {s.sample_id: t for s, t in default_registry().build("dataset", "regions_table", params).plan()}


@pytest.fixture
def root(tmp_path, pydicom_test_dir):
    boxes = burned_dicom(tmp_path / "us" / "a.dcm", [("DOE^JANE", (4, 4)), ("L", (200, 60))])
    shutil.copy(pydicom_test_dir / "SC_rgb_rle_2frame.dcm", tmp_path / "mf.dcm")
    shutil.copy(pydicom_test_dir / "CT_small.dcm", tmp_path / "ct.dcm")
    return tmp_path, boxes


def coco(boxes) -> dict:
    """What CVAT's COCO 1.0 export looks like: float boxes, attributes under ``attributes``."""
    (x, y, w, h), (lx, ly, lw, lh) = boxes
    return {
        "info": {"description": "export"},
        "categories": [{"id": 1, "name": "NAME", "supercategory": ""},
                       {"id": 2, "name": "LATERALITY", "supercategory": ""},
                       {"id": 3, "name": "burned text", "is_phi": False}],
        "images": [{"id": 1, "file_name": "us/a.dcm", "width": 320, "height": 96},
                   {"id": 2, "file_name": "mf.dcm", "frame": 1},
                   {"id": 3, "file_name": "ct.dcm"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [x + 0.4, y + 0.6, w - 0.5, h - 0.9],
             "area": w * h, "iscrowd": 0, "attributes": {"text": "DOE^JANE"}},
            {"id": 2, "image_id": 1, "category_id": 2, "bbox": [lx, ly, lw, lh], "text": "L"},
            {"id": 3, "image_id": 2, "category_id": 3, "bbox": [0, 0, 10, 10]},
            {"id": 4, "image_id": 2, "category_id": 1, "bbox": [5, 5, 10, 10],
             "attributes": {"is_phi": "false"}},
        ],
    }


def test_coco_images_annotations_and_categories(root):
    tmp, boxes = root
    (labels := tmp / "regions.json").write_text(json.dumps(coco(boxes), indent=2))
    planned = regions_table(tmp, labels)
    assert sorted(planned) == ["ct.dcm#0", "mf.dcm#1", "us/a.dcm#0"]
    a = planned["us/a.dcm#0"]
    assert a.has_phi is True
    assert [(r.box, r.text, r.category, r.is_phi) for r in a.regions] == [
        (boxes[0], "DOE^JANE", "NAME", True),  # float box widened to whole pixels
        (boxes[1], "L", "LATERALITY", False)]  # a harmless category is not PHI
    mf = planned["mf.dcm#1"]
    assert mf.has_phi is False and [r.is_phi for r in mf.regions] == [False, False]
    assert planned["ct.dcm#0"].has_phi is False and planned["ct.dcm#0"].regions == ()


def test_csv_rows_add_up_per_file_and_frame(root):
    tmp, boxes = root
    (x, y, w, h) = boxes[0]
    (labels := tmp / "regions.csv").write_text(
        "path,frame,left,top,width,height,text,category,is_phi,has_phi\n"
        f"us/a.dcm,0,{x},{y},{w},{h},DOE^JANE,NAME,,\n"
        f'us/a.dcm,0,200,60,8,12,"L, left",LATERALITY,,\n'
        "mf.dcm,,0,0,10,10,ACME,INSTITUTION,false,\n"
        "mf.dcm,1,5,5,10,10.0,1970-01-02,DATE,true,\n"
        "ct.dcm,,,,,,,,,false\n"
    )
    planned = regions_table(tmp, labels)
    assert sorted(planned) == ["ct.dcm#0", "mf.dcm#0", "mf.dcm#1", "us/a.dcm#0"]
    assert [(r.category, r.is_phi) for r in planned["us/a.dcm#0"].regions] == [("NAME", True), ("LATERALITY", False)]
    assert planned["us/a.dcm#0"].regions[1].text == "L, left"
    assert planned["mf.dcm#0"].has_phi is False and len(planned["mf.dcm#0"].regions) == 1
    assert planned["mf.dcm#1"].has_phi is True and len(planned["mf.dcm#1"].regions) == 2  # file + frame
    assert planned["ct.dcm#0"].has_phi is False


def test_missing_root_or_labels_say_what_to_export(tmp_path):
    with pytest.raises(DatasetError, match="needs dataset.root=DIR.*COCO JSON or as a CSV"):
        regions_table("", None)
    with pytest.raises(DatasetError, match="needs dataset.labels=FILE"):
        regions_table(tmp_path, None)
    (other := tmp_path / "r.xml").write_text("<x/>")
    with pytest.raises(DatasetError, match="name a .json"):
        regions_table(tmp_path, other)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"images": [\n{"id": 1, "file_name": "a.dcm"}],\n"annotations": [\n{"image_id": 2, "bbox": [0, 0, 1, 1]}]}',
         "line 4: image_id names no image"),
        ('{"images": [\n{"id": 1, "file_name": "a.dcm"}],\n"annotations": [\n{"image_id": 1, "bbox": [0, 0, 1]}]}',
         "line 4: bbox must be 4 numbers"),
        ('{"images": [\n{"id": 1, "file_name": "a.dcm"}],\n"annotations": [\n{"image_id": 1, "category_id": 9, "bbox": [0, 0, 1, 1]}]}',
         "line 4: category_id names no category"),
        ('{"images": [\n{"id": 1, "file_name": "a.dcm"},\n{"id": 1, "file_name": "b.dcm"}]}',
         "lines 2 and 3: two images have the same id"),
        ('{"images": [\n{"id": 1, "file_name": "a.dcm", "has_phi": false}],\n"annotations": [\n'
         '{"image_id": 1, "bbox": [0, 0, 1, 1], "text": "SECRET"}]}', "line 2: has_phi is false but a PHI region"),
        ('{"images": [\n{"id": 1, "file_name": "a.dcm", "frame": -1}]}', "line 2: frame must be a whole number"),
        ('{"annotations": []}', "must be a COCO object with an images list"),
    ],
)
def test_coco_errors_name_the_line(tmp_path, text, message):
    (labels := tmp_path / "r.json").write_text(text)
    with pytest.raises(DatasetError, match=message) as info:
        regions_table(tmp_path, labels)
    assert "SECRET" not in str(info.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("path,left,top,width,height\na.dcm,1,2,3\n", "line 2: give all of left, top, width, height"),
        ("path,left,top,width,height\na.dcm,1,2,3,x\n", "line 2: left, top, width, height must be whole numbers"),
        ("path,left,top,width,height\na.dcm,1,2,3,4.5\n", "line 2: box height must be an integer"),
        ("path,is_phi,left,top,width,height\n\na.dcm,perhaps,1,2,3,4\n", "line 3: is_phi must be true/false"),
        ("path,has_phi\na.dcm,1\na.dcm,0\n", "line 2 and line 3 give the same file and frame different has_phi"),
        ("file,box\na.dcm,1\n", "needs a header with a path column"),
        ("path,colour\na.dcm,red\n", "columns must be distinct and among"),
        ("path,text\n../a.dcm,SECRET\n", "line 2: the file name must be relative"),
        ("path,has_phi\n", "names no file"),
    ],
)
def test_csv_errors_name_the_line_but_no_text(tmp_path, text, message):
    (labels := tmp_path / "r.csv").write_text(text)
    with pytest.raises(DatasetError, match=message) as info:
        regions_table(tmp_path, labels)
    assert "SECRET" not in str(info.value)
