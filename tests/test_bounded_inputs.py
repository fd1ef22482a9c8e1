"""One file never stops or starves a run: end to end, a hostile file beside a valid one gives an
error row for the hostile file and an answer for the valid one."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pydicom
import pytest
from pydicom.dataset import FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from phibench.results import ResultStore
from phibench.run import execute
from tests.helpers import compose_run

QUIET = ["run.progress=false", "reporters=[json]", "executor=inline", "detector=flag_all"]


def claims_frames(path, frames: int) -> None:
    """A 10 KB file whose header says it holds ``frames`` frames of 100 x 100."""
    ds = pydicom.Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
    ds.Rows = ds.Columns = 100
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated = ds.BitsStored = 8
    ds.HighBit, ds.PixelRepresentation = 7, 0
    ds.NumberOfFrames = frames
    ds.PixelData = np.zeros((100, 100), np.uint8).tobytes()
    ds.save_as(path, enforce_file_format=True)


@pytest.mark.timeout(120)
def test_hostile_files_beside_a_valid_one(tmp_path, pydicom_test_dir):
    root = tmp_path / "data"
    root.mkdir()
    shutil.copy(pydicom_test_dir / "CT_small.dcm", root / "valid.dcm")
    claims_frames(root / "frames.dcm", 2**31 - 1)
    os.mkfifo(root / "fifo.dcm")
    os.symlink(root / "loop.dcm", root / "loop.dcm")
    # Header values that reach a decoder's message must not reach the error column.
    ds = pydicom.dcmread(pydicom_test_dir / "CT_small.dcm")
    ds.PhotometricInterpretation = "SMITH^JOHN"
    ds.save_as(root / "named.dcm")
    sc = execute(compose_run(*QUIET, "dataset=folder", f"dataset.root={root}"), tmp_path / "run")
    df = ResultStore(tmp_path / "run").read().set_index("path")
    by_name = {os.path.basename(p): row for p, row in df.iterrows()}
    assert set(by_name) == {"valid.dcm", "frames.dcm", "fifo.dcm", "loop.dcm", "named.dcm"}
    assert by_name["valid.dcm"]["error"] is None and bool(by_name["valid.dcm"]["has_phi_pred"])
    for name in ("frames.dcm", "fifo.dcm", "loop.dcm", "named.dcm"):
        assert by_name[name]["error"] is not None and by_name[name]["has_phi_pred"] is None
    assert "run.limits.max_frames" in by_name["frames.dcm"]["error"]
    assert "not a regular file" in by_name["fifo.dcm"]["error"]
    assert "symlink loop" in by_name["loop.dcm"]["error"]
    assert "SMITH" not in by_name["named.dcm"]["error"]
    assert sc["samples"] == 5 and sc["confusion"]["errors"] == 4
