"""Frame selection, decode failures, and what render_frame must leave alone (the dataset, PHI)."""

from __future__ import annotations

import copy

import numpy as np
import pydicom
import pytest
from pydicom.encaps import encapsulate
from pydicom.pixels import pixel_array

from phibench.dicom import frame_count, read_dataset, read_header, render_frame
from phibench.exceptions import SampleFailure
from tests.dicom.corpus import corpus_file

SECRET = "DOE^JOHN^SECRET"


def _decode_failure(ds: pydicom.Dataset, index: int = 0) -> str:
    with pytest.raises(SampleFailure) as info:
        render_frame(ds, index)
    assert info.value.stage == "decode"
    assert str(info.value).strip() and SECRET not in str(info.value)
    return str(info.value)


def test_each_frame_of_a_multiframe_object(write_image) -> None:
    frames = np.stack([np.arange(12, dtype=np.uint16).reshape(3, 4) * (k + 1) for k in range(4)])
    frames[2] = frames[2][::-1]  # frame 2 upside down: frames really differ
    ds = read_dataset(write_image(frames))
    assert frame_count(ds) == 4
    for k in range(4):
        image = render_frame(ds, k)
        expected = np.rint(frames[k] / frames[k].max() * 255).astype(np.uint8)
        np.testing.assert_array_equal(image, expected)


def test_compressed_multiframe_frames_differ() -> None:
    ds = read_dataset(corpus_file("SC_rgb_rle_2frame.dcm"))
    first, second = render_frame(ds, 0), render_frame(ds, 1)
    np.testing.assert_array_equal(second, 255 - first)  # frame 2 is the inverse of frame 1
    ybr = read_dataset(corpus_file("examples_ybr_color.dcm"))
    assert not np.array_equal(render_frame(ybr, 0), render_frame(ybr, 29))


@pytest.mark.parametrize("index", [-1, 2, 10_000])
def test_frame_index_out_of_range(index: int) -> None:
    message = _decode_failure(read_dataset(corpus_file("SC_rgb_rle_2frame.dcm")), index)
    assert "out of range" in message and "2 frame" in message


def test_single_frame_index_one_is_out_of_range() -> None:
    assert "out of range" in _decode_failure(read_dataset(corpus_file("CT_small.dcm")), 1)


def test_render_caches_nothing_and_leaves_the_dataset_alone() -> None:
    ds = read_dataset(corpus_file("dicomdirtests/77654033/CR1/6154"))  # window + rescale
    before = copy.deepcopy(ds)
    render_frame(ds, 0)
    assert ds == before
    assert getattr(ds, "_pixel_array", None) is None  # no ds.pixel_array-style cache
    bad = read_dataset(corpus_file("badVR.dcm"))  # Number of Frames '1A': repaired, not rewritten
    render_frame(bad, 0)
    assert bad["NumberOfFrames"].value == "1A"


def test_no_pixel_data_is_a_decode_failure() -> None:
    assert _decode_failure(read_dataset(corpus_file("rtplan.dcm"))) == "no pixel data"
    assert _decode_failure(read_header(corpus_file("CT_small.dcm"))) == "no pixel data"


def test_in_memory_dataset_without_file_meta() -> None:
    ds = pydicom.Dataset()
    ds.Rows, ds.Columns, ds.SamplesPerPixel = 1, 3, 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.PixelData = bytes([10, 20, 30])
    assert render_frame(ds, 0).tolist() == [[0, 128, 255]]


def test_compressed_without_transfer_syntax_is_a_decode_failure() -> None:
    ds = read_dataset(corpus_file("SC_rgb_small_odd_jpeg.dcm"))
    del ds.file_meta.TransferSyntaxUID
    assert "transfer syntax" in _decode_failure(ds)


def test_corrupt_codestream_message_names_syntax_not_phi() -> None:
    ds = read_dataset(corpus_file("SC_rgb_small_odd_jpeg.dcm"))
    ds.PatientName = SECRET
    ds.PixelData = encapsulate([b"\xff\xd8\xff\xdb" + b"\x00" * 64])
    assert "JPEG Baseline" in _decode_failure(ds)


def test_unsupported_transfer_syntax() -> None:
    ds = read_dataset(corpus_file("SC_rgb_small_odd_jpeg.dcm"))
    ds.file_meta.TransferSyntaxUID = pydicom.uid.MPEG2MPML
    assert "MPEG2" in _decode_failure(ds)


def test_known_undecodable_corpus_files_fail_at_decode() -> None:
    _decode_failure(read_dataset(corpus_file("MR_truncated.dcm")))  # pixel data cut short
    _decode_failure(read_dataset(corpus_file("JPEG2000-embedded-sequence-delimiter.dcm")))


def test_frame_matches_pydicom_full_decode_for_native_multiframe() -> None:
    ds = read_dataset(corpus_file("rtdose.dcm"))
    full = pixel_array(ds)  # all 15 frames, as a reference for which frame is which
    for k in (0, 7, 14):
        image = render_frame(ds, k).astype(int)
        ref = full[k].astype(float)
        expected = (ref - ref.min()) / (ref.max() - ref.min()) * 255
        assert np.abs(image - expected).max() <= 0.5 + 1e-9, k  # rounding only


def test_pixel_view_holds_copies_of_the_pixel_groups_only() -> None:
    from phibench.dicom.decode import decode_frame

    ds = read_dataset(corpus_file("dicomdirtests/77654033/CR1/6154"))  # window + rescale
    ds.PatientName = SECRET
    view = decode_frame(ds, 0).view
    expected = sorted(t for t in ds.keys() if t.group in (0x0028, 0x7FE0))
    assert "NumberOfFrames" not in ds and view.NumberOfFrames == 1  # the view states it always
    assert sorted(view.keys()) == sorted([*expected, pydicom.tag.Tag("NumberOfFrames")])
    assert "PatientName" not in view
    for tag in expected:
        assert view[tag] is not ds[tag] and view[tag].value == ds[tag].value
    view.WindowCenter = 1  # pydicom's LUT helpers write to the view: never to the caller's dataset
    assert ds.WindowCenter != 1
    assert decode_frame(ds, 0).view.WindowCenter == ds.WindowCenter
