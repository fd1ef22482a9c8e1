"""dataset=overlay: burned text on real pixels, boxes that hold every change, source kept."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.data import get_testdata_file

from phibench.dicom import read_dataset
from phibench.dicom.pixels_io import decode_pixels
from phibench.dicom.render import render_frame
from phibench.exceptions import DatasetError
from phibench.registry import default_registry
from phibench_plugins.datasets.overlay import BUNDLED, generate
from phibench_plugins.datasets.overlay.sources import Source, bundled, from_folder


def _rows(out: Path) -> list[dict[str, str]]:
    with (out / "manifest.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _source_stored(name: str, folder: Path | None = None) -> np.ndarray:
    path = folder / name if folder else get_testdata_file(name)
    return decode_pixels(read_dataset(path)).frames[0]


def _inside(shape: tuple[int, ...], regions: list[dict]) -> np.ndarray:
    mask = np.zeros(shape[:2], dtype=bool)
    for r in regions:
        left, top, w, h = r["box"]
        mask[top:top + h, left:left + w] = True
    return mask


def _check_file(out: Path, row: dict[str, str], source: np.ndarray) -> None:
    ds = read_dataset(out / row["path"])
    assert ds.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    burned = decode_pixels(ds).frames[0]
    assert burned.dtype == source.dtype and burned.shape == source.shape
    regions = json.loads(row["regions"])
    inside = _inside(source.shape, regions)
    changed = burned != source
    if changed.ndim == 3:
        changed = changed.any(axis=2)
    assert not (changed & ~inside).any(), "a pixel outside every box changed"
    for r in regions:  # and every box holds burned ink
        left, top, w, h = r["box"]
        assert changed[top:top + h, left:left + w].any(), r["category"]
    assert (row["has_phi"] == "true") == any(r["is_phi"] for r in regions)


@pytest.fixture(scope="module")
def bundled_set(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("overlay")
    generate(out, 8, 3, bundled())
    return out


def test_bundled_sources_are_installed():
    assert [s.name for s in bundled()] == list(BUNDLED)


def test_changed_pixels_lie_inside_the_boxes_and_sources_keep_their_type(bundled_set):
    rows = _rows(bundled_set)
    assert len(rows) == 8 and sum(r["has_phi"] == "true" for r in rows) == 4
    for row in rows:
        source = _source_stored(row["source"])
        _check_file(bundled_set, row, source)
        ds = read_dataset(bundled_set / row["path"])
        src = pydicom.dcmread(get_testdata_file(row["source"]), stop_before_pixels=True)
        assert ds.BitsAllocated == src.BitsAllocated == 16  # never wrapped to 8 bits
        assert ds.PatientName == ""


def test_sixteen_bit_values_beyond_eight_bits_are_kept(bundled_set):
    row = next(r for r in _rows(bundled_set) if r["source"] == "CT_small.dcm")
    burned = decode_pixels(read_dataset(bundled_set / row["path"])).frames[0]
    assert burned.dtype == np.int16 and burned.max() > 255


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path, bundled_set):
    generate(tmp_path / "again", 8, 3, bundled())
    for row in _rows(bundled_set):
        assert (tmp_path / "again" / row["path"]).read_bytes() == \
            (bundled_set / row["path"]).read_bytes()
    assert (tmp_path / "again" / "manifest.csv").read_bytes() == \
        (bundled_set / "manifest.csv").read_bytes()
    generate(tmp_path / "other", 8, 4, bundled())
    assert (tmp_path / "other" / "manifest.csv").read_bytes() != \
        (bundled_set / "manifest.csv").read_bytes()


def _user_folder(tmp: Path) -> Path:
    """A MONOCHROME1 12-bit source, a plain one, and a row with text (to be skipped)."""
    folder = tmp / "mine"
    folder.mkdir()
    arr = decode_pixels(read_dataset(get_testdata_file("J2K_pixelrep_mismatch.dcm"))).frames[0]
    mono1 = pydicom.Dataset()
    mono1.update(pydicom.dcmread(get_testdata_file("CT_small.dcm"), stop_before_pixels=True))
    mono1.file_meta = pydicom.dcmread(get_testdata_file("CT_small.dcm")).file_meta
    values = np.clip(arr.astype(np.int32), 0, 4095).astype(np.uint16)
    mono1.Rows, mono1.Columns = values.shape
    mono1.BitsAllocated, mono1.BitsStored, mono1.HighBit, mono1.PixelRepresentation = 16, 12, 11, 0
    mono1.PhotometricInterpretation = "MONOCHROME1"
    mono1.RescaleIntercept, mono1.RescaleSlope = 0, 1
    mono1.WindowCenter, mono1.WindowWidth = 1100, 800
    mono1.Modality = "CR"
    mono1.PixelData = values.tobytes()
    mono1.save_as(folder / "mono1.dcm", enforce_file_format=True)
    pydicom.dcmread(get_testdata_file("examples_overlay.dcm")).save_as(folder / "mr.dcm")
    (folder / "labels.csv").write_text(
        "path,has_phi,has_text,frame,regions\nmono1.dcm,0,0,0,\nmr.dcm,0,0,,\n"
        "texty.dcm,0,1,0,\"[{\"\"box\"\": [1, 1, 5, 5], \"\"is_phi\"\": false}]\"\n",
        encoding="utf-8")
    return folder


def test_a_users_folder_monochrome1_and_rows_with_text_skipped(tmp_path):
    folder = _user_folder(tmp_path)
    sources = from_folder(str(folder), "labels.csv")
    assert [s.name for s in sources] == ["mono1.dcm", "mr.dcm"]
    out = tmp_path / "out"
    generate(out, 6, 0, sources)
    rows = _rows(out)
    mono = [r for r in rows if r["source"] == "mono1.dcm"]
    assert mono and all(r["photometric"] == "MONOCHROME1" for r in mono)
    for row in rows:
        _check_file(out, row, _source_stored(row["source"], folder))
    for row in mono:  # bits kept, inverted display: ink contrasts with what is under it
        ds = read_dataset(out / row["path"])
        assert (ds.BitsStored, ds.PhotometricInterpretation) == (12, "MONOCHROME1")
        before = render_frame(read_dataset(folder / "mono1.dcm"), 0).astype(int)
        after = render_frame(ds, 0).astype(int)
        for r in json.loads(row["regions"]):
            left, top, w, h = r["box"]
            diff = np.abs(after - before)[top:top + h, left:left + w]
            assert diff.max() >= 60, r["category"]


def test_folder_without_labels_or_text_free_rows_is_refused(tmp_path):
    with pytest.raises(DatasetError, match="source_labels"):
        from_folder(str(tmp_path), None)
    (tmp_path / "l.csv").write_text("path,has_phi,has_text\na.dcm,1,1\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="no text-free"):
        from_folder(str(tmp_path), "l.csv")


def test_plugin_plans_the_manifest(tmp_path):
    dataset = default_registry().build("dataset", "overlay", {"n": 4, "out": str(tmp_path)})
    planned = list(dataset.plan())
    assert len(planned) == 4 and {s.dataset for s, _ in planned} == {"overlay"}
    assert sum(bool(t.has_phi) for _, t in planned) == 2
    assert all(t.regions for _, t in planned if t.has_phi)
    assert dataset.describe()["sources"][0].startswith("pydicom:")


def test_plugin_source_labels_need_sources():
    dataset = default_registry().build("dataset", "overlay", {"source_labels": "x.csv"})
    with pytest.raises(DatasetError, match="dataset.sources"):
        dataset.sources()


def test_source_is_a_frozen_record():
    s = Source("/x.dcm", 0, "x.dcm", "folder")
    with pytest.raises(AttributeError):
        s.frame = 1  # type: ignore[misc]


@pytest.mark.slow
def test_run_presidio_on_overlay_end_to_end(tmp_path):
    pytest.importorskip("presidio_image_redactor")
    from tests.helpers import phibench

    env = {"PHIBENCH_DATA_DIR": str(tmp_path / "data"), "SPARK_LOCAL_IP": "127.0.0.1"}
    run = phibench("run", "dataset=overlay", "dataset.n=4", "detector=presidio",
                   "executor=inline", f"hydra.run.dir={tmp_path}/run", env=env)
    assert run.returncode == 0, run.stderr[-2000:]
    card = json.loads((tmp_path / "run" / "scorecard.json").read_text(encoding="utf-8"))
    assert '"dataset_fingerprint"' in (tmp_path / "run" / "scorecard.json").read_text()
    shown = phibench("datasets", "show", "overlay", "dataset.n=4", env=env)
    assert shown.returncode == 0
    fingerprint = json.dumps(card).split('"dataset_fingerprint": "')[1][:64]
    assert f"dataset fingerprint: {fingerprint}" in shown.stdout  # what the run recorded


def test_a_big_endian_source_is_written_little_endian(tmp_path, monkeypatch):
    from phibench_plugins.datasets.overlay import real

    monkeypatch.setattr(real, "MIN_SIDE", 32)  # pydicom's big-endian MR is 64 px a side
    folder = tmp_path / "be"
    folder.mkdir()
    (folder / "be.dcm").write_bytes(Path(get_testdata_file("MR_small_bigendian.dcm")).read_bytes())
    (folder / "labels.csv").write_text("path,has_phi\nbe.dcm,0\n", encoding="utf-8")
    out = tmp_path / "out"
    generate(out, 2, 1, from_folder(str(folder), "labels.csv"))
    for row in _rows(out):
        _check_file(out, row, _source_stored("be.dcm", folder))
