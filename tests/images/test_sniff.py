"""The kind of a file comes from its bytes: names lie, DICOM beats a TIFF preamble, odd files are None."""

from __future__ import annotations

import os
import shutil

import numpy as np
import pydicom
import pytest
import tifffile
from PIL import Image

from phibench.images import sniff
from phibench.sources import count_frames, open_source


def test_formats_are_known_by_content_not_by_name(tmp_path):
    arr = np.zeros((16, 16), np.uint8)
    Image.fromarray(arr).save(tmp_path / "a.png")
    Image.fromarray(arr).save(tmp_path / "b.jpg")
    tifffile.imwrite(tmp_path / "c.tif", arr)
    tifffile.imwrite(tmp_path / "d.tif", arr, bigtiff=True)
    tifffile.imwrite(tmp_path / "e.tif", np.zeros((2, 16, 16), np.uint8), byteorder=">")
    names = {"a.png": "png", "b.jpg": "jpeg", "c.tif": "tiff", "d.tif": "tiff", "e.tif": "tiff"}
    for name, kind in names.items():
        disguised = tmp_path / f"{name}.dcm"  # an export that calls everything .dcm
        shutil.copyfile(tmp_path / name, disguised)
        assert sniff(tmp_path / name) == kind == sniff(disguised), name


def test_a_tiled_pyramid_or_an_aperio_page_is_a_slide_a_single_tiled_page_is_not(tmp_path, svs_file):
    assert sniff(svs_file[0]) == "slide"
    with tifffile.TiffWriter(tmp_path / "pyr.tif") as tif:
        tif.write(np.zeros((512, 512), np.uint8), tile=(256, 256))
        tif.write(np.zeros((256, 256), np.uint8), tile=(256, 256))
    assert sniff(tmp_path / "pyr.tif") == "slide"
    tifffile.imwrite(tmp_path / "one.tif", np.zeros((512, 512), np.uint8), tile=(256, 256))
    assert sniff(tmp_path / "one.tif") == "tiff"
    tifffile.imwrite(tmp_path / "aperio.tif", np.zeros((512, 512), np.uint8), tile=(256, 256),
                     description="Aperio Image Library v12", metadata=None)
    assert sniff(tmp_path / "aperio.tif") == "slide"


def test_a_dicom_file_with_a_tiff_preamble_is_dicom(tmp_path, pydicom_test_dir):
    ds = pydicom.dcmread(pydicom_test_dir / "CT_small.dcm")
    tifffile.imwrite(tmp_path / "t.tif", np.zeros((8, 8), np.uint8))
    ds.preamble = (tmp_path / "t.tif").read_bytes()[:128].ljust(128, b"\0")  # dual-personality
    ds.save_as(tmp_path / "dual.dcm")
    assert (tmp_path / "dual.dcm").read_bytes()[:4] == b"II*\x00"
    assert sniff(tmp_path / "dual.dcm") is None
    assert open_source(tmp_path / "dual.dcm").kind == "dicom"
    assert count_frames(tmp_path / "dual.dcm") == 1


def test_fifos_folders_missing_and_empty_files_are_not_images_and_never_hang(tmp_path):
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "short").write_bytes(b"\x89PN")
    (tmp_path / "dir").mkdir()
    for name in ("fifo", "empty.png", "short", "dir", "missing.png"):
        assert sniff(tmp_path / name) is None, name


@pytest.mark.parametrize("head", [b"II*\x00\xff\xff\xff\x7f", b"MM\x00*\x00\x00\x00\x08\xff\xff", b"II+\x00"])
def test_a_tiff_header_that_points_nowhere_is_a_tiff_whose_read_fails_cleanly(tmp_path, head):
    (tmp_path / "bad.tif").write_bytes(head + b"\0" * 8)
    assert sniff(tmp_path / "bad.tif") == "tiff"
    from phibench.exceptions import SampleFailure

    with pytest.raises(SampleFailure) as info:
        count_frames(tmp_path / "bad.tif")
    assert info.value.stage == "read" and str(tmp_path) not in str(info.value)
