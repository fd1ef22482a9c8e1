"""Header claims are bounded before anything is expanded, allocated or inflated.

Each test is an attack on one claim a header (or the file system) makes: a frame count no file
could hold, pixels no memory could hold, a deflated dataset that inflates a thousandfold, a path
that is a FIFO or a symlink loop. Every one must be a PHI-free ``read`` failure naming the limit
to raise, found from the header alone: the memory peak of a refused read stays small.
"""

from __future__ import annotations

import os
import struct
import threading
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.uid import DeflatedExplicitVRLittleEndian, RLELossless, generate_uid

from phibench.dicom import frame_count, read_dataset, read_header, render_frame
from phibench.exceptions import SampleFailure
from phibench.limits import DEFAULT_LIMITS, Limits
from tests.dicom.corpus import corpus_file

SECRET = "DOE_JOHN_1970"  # stands in for PHI in a path: it must never reach a message
MiB = 1024**2


def _refused(read: Callable[..., object], path: Path, limits: Limits = DEFAULT_LIMITS) -> str:
    with pytest.raises(SampleFailure) as info:
        read(path, limits)
    assert info.value.stage == "read"
    message = str(info.value)
    assert SECRET not in message and str(path) not in message
    return message


def _both_refuse(path: Path, limits: Limits = DEFAULT_LIMITS) -> str:
    header = _refused(read_header, path, limits)
    assert _refused(read_dataset, path, limits) == header
    return header


def _peak_bytes(func: Callable[[], object]) -> int:
    """Peak traced Python/numpy allocation while ``func`` runs (its SampleFailure swallowed)."""
    tracemalloc.start()
    try:
        func()
    except SampleFailure:
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def _save(ds: pydicom.Dataset, path: Path) -> Path:
    ds.save_as(path, enforce_file_format=True)
    return path


def _rle_image(tmp_path: Path, *, rows: int, cols: int, frames: int = 1, samples: int = 1,
               bits: int = 8) -> Path:
    """A small real RLE file whose header claims ``frames`` frames of ``rows`` x ``cols``."""
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = RLELossless
    path = tmp_path / f"{SECRET}_rle.dcm"
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Modality, ds.PatientName = "OT", SECRET
    ds.Rows, ds.Columns, ds.SamplesPerPixel = rows, cols, samples
    ds.PhotometricInterpretation = "RGB" if samples == 3 else "MONOCHROME2"
    if samples == 3:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = bits, bits, bits - 1, 0
    if frames > 1:
        ds.NumberOfFrames = frames
    segments = samples * bits // 8
    header = struct.pack("<16L", segments, *(64 + 2 * i for i in range(segments)),
                         *([0] * (15 - segments)))
    fragment = header + b"\x81\x00" * segments  # each segment: one replicate run
    ds.PixelData = encapsulate([fragment] * frames, has_bot=False)
    ds["PixelData"].VR = "OB"
    return _save(ds, path)


# -- frame counts ------------------------------------------------------------------------------


def test_frame_count_above_max_frames_is_refused_before_planning(write_image) -> None:
    path = write_image(np.zeros((64, 64), np.uint16), NumberOfFrames=2**31 - 1)
    assert path.stat().st_size < 10_000
    message = _both_refuse(path)
    assert "2147483647" in message and "run.limits.max_frames=100000" in message


def test_frame_count_the_file_cannot_hold_is_refused_whatever_the_limit(write_image) -> None:
    path = write_image(np.zeros((64, 64), np.uint16), NumberOfFrames=2**31 - 1)
    message = _both_refuse(path, Limits(max_frames=2**40))
    assert "2147483647" in message and "at most 1 frame(s) of 8192 bytes" in message


def test_native_frames_larger_than_the_data_fail_the_whole_file_at_read(write_image) -> None:
    pixels = np.arange(3 * 16 * 16, dtype=np.uint16).reshape(3, 16, 16)
    whole = write_image(pixels)
    assert frame_count(read_header(whole)) == 3
    assert render_frame(read_dataset(whole), 2).shape == (16, 16)
    claims_more = write_image(pixels, NumberOfFrames=4)
    # The header-only read sees it too: the pixel data's length comes from its element header.
    assert "Number of Frames is 4 but the pixel data can hold at most 3 frame(s)" in _both_refuse(
        claims_more
    )


def test_one_bit_frames_are_counted_packed_across_frame_boundaries(write_image) -> None:
    # Three 5 x 5 one-bit frames are 75 bits: 10 bytes, not 3 x 4.
    bits = np.packbits(np.ones(75, np.uint8), bitorder="little").tobytes()
    path = write_image(np.zeros((5, 5), np.uint8), NumberOfFrames=3, BitsAllocated=1,
                       BitsStored=1, HighBit=0)
    ds = pydicom.dcmread(path)
    ds.PixelData = bits + b"\0"  # even length
    _save(ds, path)
    assert frame_count(read_header(path)) == 3
    assert render_frame(read_dataset(path), 2).shape == (5, 5)
    ds.NumberOfFrames = 9  # 225 bits do not fit in 88
    _save(ds, path)
    assert "at most 3 frame(s)" in _both_refuse(path)


def test_encapsulated_frames_need_one_fragment_each(tmp_path: Path) -> None:
    ds = pydicom.dcmread(corpus_file("SC_rgb_rle_2frame.dcm"))
    assert frame_count(read_header(corpus_file("SC_rgb_rle_2frame.dcm"))) == 2
    ds.NumberOfFrames = 3
    path = _save(ds, tmp_path / f"{SECRET}.dcm")
    # The header-only read counts the items too, skipping from item header to item header.
    message = _both_refuse(path)
    assert "Number of Frames is 3 but the pixel data can hold at most 2 fragment item(s)" in message


def test_real_multiframe_files_keep_their_frame_counts() -> None:
    for name, frames in [("examples_ybr_color.dcm", 30), ("rtdose.dcm", 15),
                         ("rtdose_rle.dcm", 15), ("SC_rgb_rle_16bit_2frame.dcm", 2)]:
        assert frame_count(read_header(corpus_file(name))) == frames
        assert frame_count(read_dataset(corpus_file(name))) == frames


# -- pixels and decoded bytes ------------------------------------------------------------------


def test_huge_frame_in_a_tiny_rle_file_is_refused_before_any_decoder(tmp_path: Path) -> None:
    path = _rle_image(tmp_path, rows=60_000, cols=60_000)
    assert path.stat().st_size < 1_000

    def attack() -> None:
        render_frame(read_dataset(path), 0)

    message = _both_refuse(path)
    assert "60000 x 60000" in message and "run.limits.max_pixels_per_frame=200000000" in message
    assert _peak_bytes(attack) < 8 * MiB  # a decoder would allocate 3.6 GB for this frame


def test_frames_that_decode_past_max_decoded_bytes_are_refused(tmp_path: Path) -> None:
    path = _rle_image(tmp_path, rows=10_000, cols=10_000, frames=100, samples=3, bits=16)
    message = _both_refuse(path)
    assert "decode to 60000000000 bytes" in message
    assert "run.limits.max_decoded_bytes=4294967296" in message
    assert _peak_bytes(lambda: render_frame(read_dataset(path), 0)) < 8 * MiB


def test_limits_are_the_callers(write_image) -> None:
    path = write_image(np.zeros((2, 64, 64), np.uint8))
    assert frame_count(read_dataset(path)) == 2
    assert "run.limits.max_frames=1" in _both_refuse(path, Limits(max_frames=1))
    assert "max_pixels_per_frame=4095" in _both_refuse(path, Limits(max_pixels_per_frame=4095))
    assert "max_decoded_bytes=8191" in _both_refuse(path, Limits(max_decoded_bytes=8191))


# -- deflate -----------------------------------------------------------------------------------


def _deflate_bomb(tmp_path: Path, inflated: int) -> Path:
    """A real deflated image whose dataset carries ``inflated`` bytes of zeros (private OB)."""
    ds = pydicom.dcmread(corpus_file("CT_small.dcm"))
    ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    ds.add_new(0x00091010, "LO", "PHIBENCH")
    ds.add_new(0x00091011, "OB", bytes(inflated))  # before the pixels: read by header reads
    path = tmp_path / f"{SECRET}_deflated.dcm"
    ds.save_as(path, enforce_file_format=True)
    return path


def test_deflated_file_is_refused_when_it_inflates_past_the_cap(tmp_path: Path) -> None:
    path = _deflate_bomb(tmp_path, 48 * MiB)
    assert path.stat().st_size < 200_000  # about 300:1
    limits = Limits(max_decoded_bytes=8 * MiB)
    message = _both_refuse(path, limits)
    assert "inflates to more than 8388608 bytes" in message
    assert "run.limits.max_decoded_bytes=8388608" in message
    # Counted in bounded chunks: the 48 MiB are never held (pydicom alone would hold them all).
    assert _peak_bytes(lambda: read_header(path, limits)) < 8 * MiB


def test_deflated_files_within_the_cap_still_read(tmp_path: Path) -> None:
    image = render_frame(read_dataset(corpus_file("image_dfl.dcm")), 0)
    assert image.dtype == np.uint8 and image.size > 0
    path = _deflate_bomb(tmp_path, 1 * MiB)
    ds = read_dataset(path, Limits(max_decoded_bytes=8 * MiB))
    assert len(ds[0x00091011].value) == 1 * MiB
    assert render_frame(ds, 0).shape == (128, 128)


def test_corrupt_deflate_stream_is_a_read_failure(tmp_path: Path) -> None:
    data = bytearray(corpus_file("image_dfl.dcm").read_bytes())
    data[400:480] = b"\xff" * 80  # inside the deflate stream, after the file meta
    path = tmp_path / f"{SECRET}.dcm"
    path.write_bytes(bytes(data))
    _refused(read_dataset, path)


# -- what is a file ----------------------------------------------------------------------------


def test_fifo_is_refused_without_hanging(tmp_path: Path) -> None:
    fifo = tmp_path / f"{SECRET}.dcm"
    os.mkfifo(fifo)
    outcome: list[BaseException | None] = []

    def read() -> None:
        try:
            read_header(fifo)
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(60)  # a hang guard, not a timing: the read must not block on the FIFO at all
    if reader.is_alive():
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))  # release the blocked reader
        reader.join(10)
        pytest.fail("reading a FIFO blocked")
    assert isinstance(outcome[0], SampleFailure) and outcome[0].stage == "read"
    assert "not a regular file" in str(outcome[0]) and SECRET not in str(outcome[0])


def test_device_file_is_refused() -> None:
    with pytest.raises(SampleFailure, match="not a regular file"):
        read_dataset(Path(os.devnull))


def test_symlinks_are_followed_and_a_loop_is_a_clear_error(tmp_path: Path) -> None:
    link = tmp_path / f"{SECRET}_link.dcm"
    link.symlink_to(corpus_file("CT_small.dcm"))
    assert read_dataset(link).Rows == 128
    first, second = tmp_path / f"{SECRET}_a.dcm", tmp_path / f"{SECRET}_b.dcm"
    first.symlink_to(second)
    second.symlink_to(first)
    assert "symlink loop" in _refused(read_dataset, first)
    assert "symlink loop" in _refused(read_header, first)


def test_file_larger_than_max_file_bytes_is_refused(tmp_path: Path) -> None:
    size = corpus_file("CT_small.dcm").stat().st_size
    message = _both_refuse(corpus_file("CT_small.dcm"), Limits(max_file_bytes=size - 1))
    assert f"{size} bytes" in message and f"run.limits.max_file_bytes={size - 1}" in message
    assert read_dataset(corpus_file("CT_small.dcm"), Limits(max_file_bytes=size)).Rows == 128


def test_path_with_a_nul_byte_is_a_read_failure() -> None:
    with pytest.raises(SampleFailure, match="NUL byte"):
        read_header(f"{SECRET}\0.dcm")
