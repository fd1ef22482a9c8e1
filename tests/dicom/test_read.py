"""read_dataset / read_header / frame_count: every unreadable input is a PHI-free read failure."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.tag import Tag

from phibench.dicom import frame_count, read_dataset, read_header, render_frame
from phibench.exceptions import SampleFailure
from tests.dicom.corpus import corpus_file

SECRET = "DOE_JOHN_1970"  # stands in for PHI in a path: it must never reach a message


def _read_failure(path: Path) -> SampleFailure:
    with pytest.raises(SampleFailure) as info:
        read_dataset(path)
    assert info.value.stage == "read"
    assert str(info.value).strip()
    assert SECRET not in str(info.value) and str(path) not in str(info.value)
    return info.value


def test_reads_pixels_and_header_stops_before_them() -> None:
    full = read_dataset(corpus_file("CT_small.dcm"))
    header = read_header(corpus_file("CT_small.dcm"))
    assert "PixelData" in full and "PixelData" not in header
    assert header.Rows == full.Rows == 128


def test_missing_file_and_directory_fail_at_read(tmp_path: Path) -> None:
    assert "not found" in str(_read_failure(tmp_path / SECRET / "x.dcm"))
    folder = tmp_path / SECRET
    folder.mkdir()
    assert "directory" in str(_read_failure(folder))
    with pytest.raises(SampleFailure, match="directory"):
        read_header(folder)


def test_text_file_is_not_a_silently_empty_dataset(tmp_path: Path) -> None:
    path = tmp_path / f"{SECRET}.dcm"
    path.write_text("Patient: John Doe, born 1970.\n" * 40)
    assert "not a DICOM file" in str(_read_failure(path))
    with pytest.raises(SampleFailure):
        read_header(path)
    empty = tmp_path / "empty.dcm"
    empty.write_bytes(b"")
    _read_failure(empty)


@pytest.mark.parametrize("name", ["README.txt", "zipMR.gz", "crayons.icc", "test1.json"])
def test_non_dicom_corpus_files_fail_at_read(name: str) -> None:
    _read_failure(corpus_file(name))


def test_dataset_without_meta_and_without_image_is_rejected() -> None:
    # A bare dataset (no preamble/meta) is only taken when it is an image.
    _read_failure(corpus_file("no_meta.dcm"))


def test_truncated_header_fails(tmp_path: Path) -> None:
    data = corpus_file("CT_small.dcm").read_bytes()
    path = tmp_path / "cut.dcm"
    path.write_bytes(data[:300])
    with pytest.raises(SampleFailure) as info:
        render_frame(read_dataset(path), 0)
    assert info.value.stage in {"read", "decode"}


def test_truncated_pixel_data_fails_at_decode(tmp_path: Path) -> None:
    data = corpus_file("CT_small.dcm").read_bytes()
    path = tmp_path / "cut.dcm"
    path.write_bytes(data[: len(data) - 16_000])  # half of the 32 KiB of pixel data is gone
    ds = read_dataset(path)
    with pytest.raises(SampleFailure) as info:
        render_frame(ds, 0)
    assert info.value.stage == "decode"
    assert "Explicit VR Little Endian" in str(info.value)


def test_bare_dataset_image_is_accepted_and_renders(tmp_path: Path) -> None:
    ds = Dataset()
    ds.SOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    ds.Rows, ds.Columns = 2, 3
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 12, 11, 0
    ds.PixelData = np.array([[0, 100, 256], [1000, 2000, 4095]], dtype="<u2").tobytes()
    path = tmp_path / "bare.dcm"
    pydicom.dcmwrite(path, ds, implicit_vr=True, little_endian=True, enforce_file_format=False)
    assert path.read_bytes()[128:132] != b"DICM"
    image = render_frame(read_dataset(path), 0)  # transfer syntax inferred from the encoding
    assert image.tolist() == [[0, 6, 16], [62, 125, 255]]
    assert read_header(path).Rows == 2


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, 1), ("", 1), ("0", 1), ("-3", 1), ("1A", 1), ("7", 7), (12, 12), ("2.0", 2)],
)
def test_frame_count_is_at_least_one(value: object, expected: int) -> None:
    ds = Dataset()
    if value is not None:  # raw, as read from a file: converted (or not) on access
        raw = str(value).encode()
        ds[0x00280008] = RawDataElement(Tag(0x00280008), "IS", len(raw), raw, 0, False, True)
    assert frame_count(ds) == expected


def test_frame_count_of_real_files() -> None:
    assert frame_count(read_header(corpus_file("examples_ybr_color.dcm"))) == 30
    assert frame_count(read_header(corpus_file("rtdose.dcm"))) == 15
    assert frame_count(read_header(corpus_file("CT_small.dcm"))) == 1
    assert frame_count(read_header(corpus_file("badVR.dcm"))) == 1  # Number of Frames '1A'
