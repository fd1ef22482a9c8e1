"""The folder dataset: Pixels' path,has_phi labels layout over real files."""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest

from phibench.exceptions import DatasetError
from phibench.registry import default_registry


def folder(root, labels=None, **kw):
    params = {"root": str(root), "labels": str(labels) if labels else None, **kw}
    return list(default_registry().build("dataset", "folder", params).plan())


@pytest.fixture
def root(tmp_path, pydicom_test_dir):
    (tmp_path / "a").mkdir()
    shutil.copy(pydicom_test_dir / "CT_small.dcm", tmp_path / "a" / "ct.dcm")
    shutil.copy(pydicom_test_dir / "SC_rgb_rle_2frame.dcm", tmp_path / "mf.dcm")  # 2 frames
    return tmp_path


def write(path, text):
    path.write_text(text)
    return path


def test_labels_plan_every_frame_with_stable_ids_and_truth(root):
    region = json.dumps([{"box": [1, 2, 3, 4], "text": "x", "is_phi": True, "category": "NAME"}])
    table = pd.DataFrame({"path": ["a/ct.dcm", "mf.dcm"], "has_phi": ["true", "0"], "regions": [region, ""]})
    table.to_csv(labels := root / "labels.csv", index=False)
    planned = folder(root, labels)
    ids = [s.sample_id for s, _ in planned]
    assert ids == ["a/ct.dcm#0", "mf.dcm#0", "mf.dcm#1"]
    assert planned[0][1].has_phi is True and planned[0][1].regions[0].category == "NAME"
    assert all(t.has_phi is False for _, t in planned[1:])
    assert ids == [s.sample_id for s, _ in folder(root, labels)]


def test_frame_column_and_unlabeled_rows(root):
    labels = write(root / "l.csv", "path,has_phi,frame\nmf.dcm,,1\n")
    [(sample, truth)] = folder(root, labels)
    assert sample.frame == 1 and truth.has_phi is None


def test_without_labels_every_file_is_planned_unlabeled(root):
    planned = folder(root, expand_frames=False)
    assert [s.sample_id for s, _ in planned] == ["a/ct.dcm#0", "mf.dcm#0"]


def test_missing_file_is_planned_so_it_becomes_an_error_row(root):
    labels = write(root / "l.csv", "path,has_phi\ngone.dcm,yes\n")
    [(sample, truth)] = folder(root, labels)
    assert sample.path.endswith("gone.dcm") and truth.has_phi is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("path,has_phi\na/ct.dcm,maybe\n", "line 2: has_phi must be true/false"),
        ("path,has_phi\n../etc/passwd,1\n", "inside it"),
        ("file,label\na/ct.dcm,1\n", "needs columns path,has_phi"),
        ("path,has_phi,regions\na/ct.dcm,1,not json\n", "regions is not a JSON list"),
        ("path,has_phi\na/ct.dcm,1\na/ct.dcm,0\n", None),
    ],
)
def test_bad_labels_fail_before_the_run_with_the_line(root, text, message):
    labels = write(root / "l.csv", text)
    if message is None:  # a file listed twice: duplicate sample ids are caught by the run's plan
        assert len(folder(root, labels, expand_frames=False)) == 2
        return
    with pytest.raises(DatasetError, match=message):
        folder(root, labels)


def test_root_is_required_and_must_exist(tmp_path):
    with pytest.raises(DatasetError, match="dataset.root"):
        folder("")
    with pytest.raises(DatasetError, match="not a folder"):
        folder(tmp_path / "nope")
