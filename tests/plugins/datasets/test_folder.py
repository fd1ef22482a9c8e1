"""The folder dataset: Pixels' path,has_phi labels layout over real files."""

from __future__ import annotations

import json
import os
import shutil

import numpy as np
import pandas as pd
import pydicom
import pytest
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

from phibench.context import RunContext
from phibench.exceptions import DatasetError
from phibench.limits import Limits
from phibench.registry import default_registry
from phibench.results import ResultStore
from phibench.run import execute
from tests.helpers import compose_run


def folder(root, labels=None, context=None, **kw):
    params = {"root": str(root), "labels": str(labels) if labels else None, **kw}
    dataset = default_registry().build("dataset", "folder", params)
    dataset.context = context
    return list(dataset.plan())


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
        ('path,has_phi,regions\na/ct.dcm,1,"[{""box"": [1, 2, 3]}]"\n', "line 2: .*4 numbers"),
        ("path,has_phi\na/ct.dcm,1\n./a/ct.dcm,0\n", "lines 2 and 3 name the same file"),
        ("path,has_phi\nmf.dcm,1\na/../mf.dcm,0\n", "lines 2 and 3 name the same file"),
        ("path,has_phi,frame\nmf.dcm,1,x\n", "line 2: frame must be a whole number"),
        ("", "is empty"),
        ("path,has_phi\n", "no rows"),
    ],
)
def test_bad_labels_fail_before_the_run_with_the_line(root, text, message):
    labels = write(root / "l.csv", text)
    with pytest.raises(DatasetError, match=message):
        folder(root, labels)


def test_root_is_required_and_must_exist(tmp_path):
    with pytest.raises(DatasetError, match="dataset.root"):
        folder("")
    with pytest.raises(DatasetError, match="not a folder"):
        folder(tmp_path / "nope")


def ids(planned):
    return [s.sample_id for s, _ in planned]


@pytest.mark.timeout(20)
def test_a_fifo_named_in_the_labels_is_planned_once_without_being_opened(root):
    os.mkfifo(root / "pipe.dcm")  # opening it for reading would block until a writer comes
    labels = write(root / "l.csv", "path,has_phi\npipe.dcm,1\nmf.dcm,0\n")
    planned = folder(root, labels)
    assert ids(planned) == ["mf.dcm#0", "mf.dcm#1", "pipe.dcm#0"]
    assert planned[2][0].frame == 0 and planned[2][1].has_phi is True


@pytest.mark.timeout(20)
def test_a_fifo_under_root_is_planned_once_without_being_opened(root):
    os.mkfifo(root / "pipe.dcm")
    assert ids(folder(root)) == ["a/ct.dcm#0", "mf.dcm#0", "mf.dcm#1", "pipe.dcm#0"]


@pytest.mark.timeout(20)
def test_a_folder_link_loop_under_root_ends_the_walk_not_the_run(root):
    (root / "a" / "up").symlink_to(root, target_is_directory=True)  # a/up/a/up/... forever
    (root / "self").symlink_to(root / "self")  # a link to itself: neither file nor folder
    planned = folder(root)
    assert ids(planned) == ["a/ct.dcm#0", "mf.dcm#0", "mf.dcm#1", "self#0"]


@pytest.mark.timeout(20)
def test_a_linked_folder_is_walked_and_each_file_is_planned_once(root):
    (root / "0link").symlink_to(root / "a", target_is_directory=True)
    (root / "ct-link.dcm").symlink_to(root / "a" / "ct.dcm")
    planned = folder(root, expand_frames=False)
    assert ids(planned) == ["a/ct.dcm#0", "mf.dcm#0"]
    assert planned[0][0].path == str((root / "a" / "ct.dcm").resolve())


@pytest.mark.timeout(20)
def test_a_file_link_loop_is_planned_so_it_fails_at_read(root):
    (root / "x.dcm").symlink_to(root / "y.dcm")
    (root / "y.dcm").symlink_to(root / "x.dcm")
    assert ids(folder(root)) == ["a/ct.dcm#0", "mf.dcm#0", "mf.dcm#1", "x.dcm#0", "y.dcm#0"]
    labels = write(root / "l.csv", "path,has_phi\nx.dcm,1\n")
    [(sample, truth)] = folder(root, labels)
    assert sample.sample_id == "x.dcm#0" and sample.path == str(root.resolve() / "x.dcm")
    assert truth.has_phi is True


def liar(path, frames=2**31 - 1):
    """A real 100 x 100 8-bit image (10 KB of pixels) that claims ``frames`` frames."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = pydicom.Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.Rows, ds.Columns, ds.NumberOfFrames = "OT", 100, 100, frames
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = np.zeros((100, 100), np.uint8).tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path


@pytest.mark.timeout(20)
def test_a_file_claiming_two_billion_frames_plans_one_sample(tmp_path):
    liar(tmp_path / "liar.dcm")
    assert ids(folder(tmp_path)) == ["liar.dcm#0"]
    labels = write(tmp_path / "l.csv", "path,has_phi\nliar.dcm,0\n")
    assert ids(folder(tmp_path, labels)) == ["liar.dcm#0"]


def test_frame_counting_uses_the_run_limits(root, tmp_path):
    strict = RunContext(run_dir=str(tmp_path), limits=Limits(max_frames=1))
    assert ids(folder(root, context=strict)) == ["a/ct.dcm#0", "mf.dcm#0"]
    assert ids(folder(root)) == ["a/ct.dcm#0", "mf.dcm#0", "mf.dcm#1"]


@pytest.mark.timeout(120)
def test_a_fifo_and_a_link_loop_become_read_errors_of_their_samples(root, tmp_path):
    """End to end: planned, then refused by the read stage; the run goes on (fail closed)."""
    os.mkfifo(root / "pipe.dcm")
    (root / "x.dcm").symlink_to(root / "y.dcm")
    (root / "y.dcm").symlink_to(root / "x.dcm")
    labels = write(tmp_path.parent / f"{tmp_path.name}-labels.csv",
                   "path,has_phi\na/ct.dcm,0\npipe.dcm,1\nx.dcm,1\n")
    cfg = compose_run("detector=flag_all", "executor=inline", "dataset=folder",
                      f"dataset.root={root}", f"dataset.labels={labels}",
                      "run.progress=false", "reporters=[json]")
    execute(cfg, run_dir := tmp_path / "run")
    df = ResultStore(run_dir).read().set_index("sample_id")
    assert df.loc["a/ct.dcm#0", "error"] is None or pd.isna(df.loc["a/ct.dcm#0", "error"])
    for sid, reason in [("pipe.dcm#0", "not a regular file"), ("x.dcm#0", "symlink loop")]:
        assert df.loc[sid, "error_stage"] == "read" and reason in df.loc[sid, "error"]
        assert pd.isna(df.loc[sid, "has_phi_pred"])


def test_a_three_number_box_stops_the_run_before_any_sample_runs(root, tmp_path):
    labels = write(tmp_path.parent / f"{tmp_path.name}-labels.csv",
                   'path,has_phi,regions\na/ct.dcm,1,"[{""box"": [1, 2, 3]}]"\n')
    cfg = compose_run("detector=flag_all", "executor=inline", "dataset=folder",
                      f"dataset.root={root}", f"dataset.labels={labels}",
                      "run.progress=false", "reporters=[json]")
    with pytest.raises(DatasetError, match="line 2: regions .*box must be 4 numbers"):
        execute(cfg, run_dir := tmp_path / "run")
    assert not (run_dir / "results.parquet").exists()
