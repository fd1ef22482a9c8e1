"""A cut-short lossy codestream is a decode failure, never a half-grey image scored as an answer.

JPEG (baseline, extended, lossless), JPEG-LS and JPEG 2000 codecs decode a truncated frame
without an error: the missing rows come back grey. The fixtures are real frames of pydicom's
corpus, cut inside the test and encapsulated again; the intact frames, re-encapsulated the same
way, must still decode to exactly what the original file decodes to. The real files of
``shared/realdev`` guard against false alarms.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.encaps import encapsulate, generate_frames

from phibench.dicom import frame_count, read_dataset, read_header, render_frame
from phibench.dicom.decode import decode_frame
from phibench.exceptions import SampleFailure
from tests.dicom.corpus import corpus_file

SECRET = "DOE_JOHN_1970"
REALDEV = Path(__file__).resolve().parents[2].parent / "shared" / "realdev"

CODESTREAMS = [
    ("SC_rgb_jpeg_dcmtk.dcm", "1.2.840.10008.1.2.4.50"),  # JPEG baseline
    ("JPGExtended.dcm", "1.2.840.10008.1.2.4.51"),  # JPEG extended
    ("SC_rgb_jpeg_gdcm.dcm", "1.2.840.10008.1.2.4.70"),  # JPEG lossless SV1
    ("MR_small_jpeg_ls_lossless.dcm", "1.2.840.10008.1.2.4.80"),  # JPEG-LS lossless
    ("JPEGLSNearLossless_16.dcm", "1.2.840.10008.1.2.4.81"),  # JPEG-LS near-lossless
    ("MR_small_jp2klossless.dcm", "1.2.840.10008.1.2.4.90"),  # JPEG 2000 lossless
    ("JPEG2000.dcm", "1.2.840.10008.1.2.4.91"),  # JPEG 2000
]
CUTS: dict[str, Callable[[bytes], bytes]] = {
    "a third": lambda frame: frame[: len(frame) // 3],
    "two thirds": lambda frame: frame[: 2 * len(frame) // 3],
    "nine tenths": lambda frame: frame[: 9 * len(frame) // 10],
    "only the EOI": lambda frame: frame.rstrip(b"\x00\xff")[:-2],
}


def _frames(ds: pydicom.Dataset) -> list[bytes]:
    return list(generate_frames(ds.PixelData, number_of_frames=frame_count(ds)))


def _rewrite(name: str, tmp_path: Path, edit: Callable[[list[bytes]], list[bytes]]) -> Path:
    """The corpus file ``name`` with its frames replaced by ``edit(frames)``, written by pydicom."""
    ds = pydicom.dcmread(corpus_file(name))
    ds.PixelData = encapsulate(edit(_frames(ds)))
    ds["PixelData"].VR = "OB"
    path = tmp_path / f"{SECRET}_{name}"
    ds.save_as(path, enforce_file_format=True)
    return path


def _decode_failure(path: Path, index: int = 0) -> str:
    ds = read_dataset(path)  # the header is fine: the cut is found while decoding
    with pytest.raises(SampleFailure) as info:
        render_frame(ds, index)
    assert info.value.stage == "decode"
    assert SECRET not in str(info.value)
    return str(info.value)


@pytest.mark.parametrize(("name", "syntax"), CODESTREAMS, ids=[n for n, _ in CODESTREAMS])
@pytest.mark.parametrize("cut", list(CUTS), ids=list(CUTS))
def test_truncated_codestream_fails_at_decode(tmp_path: Path, name: str, syntax: str,
                                              cut: str) -> None:
    assert pydicom.dcmread(corpus_file(name)).file_meta.TransferSyntaxUID == syntax
    path = _rewrite(name, tmp_path, lambda frames: [CUTS[cut](frames[0]), *frames[1:]])
    message = _decode_failure(path)
    assert "frame 0 is truncated or corrupt" in message and "EOI/EOC marker" in message


@pytest.mark.parametrize(("name", "syntax"), CODESTREAMS, ids=[n for n, _ in CODESTREAMS])
def test_intact_codestreams_decode_as_before(tmp_path: Path, name: str, syntax: str) -> None:
    original = decode_frame(read_dataset(corpus_file(name)), 0).array
    again = decode_frame(read_dataset(_rewrite(name, tmp_path, list)), 0).array
    np.testing.assert_array_equal(again, original)
    padded = _rewrite(name, tmp_path, lambda frames: [frames[0] + b"\xff\x00"])  # real padding
    np.testing.assert_array_equal(decode_frame(read_dataset(padded), 0).array, original)


def test_only_the_cut_frame_of_a_multiframe_file_fails(tmp_path: Path) -> None:
    name = "examples_ybr_color.dcm"  # 30 JPEG baseline frames
    path = _rewrite(name, tmp_path, lambda frames: [*frames[:5], frames[5][:-400], *frames[6:]])
    original = read_dataset(corpus_file(name))
    ds = read_dataset(path)
    for index in (0, 4, 6, 29):
        np.testing.assert_array_equal(render_frame(ds, index), render_frame(original, index))
    assert "frame 5 is truncated" in _decode_failure(path, 5)


@pytest.mark.parametrize("name", ["MR_small_RLE.dcm", "SC_rgb_rle_16bit.dcm"])
def test_rle_segments_must_fit_in_the_fragment(tmp_path: Path, name: str) -> None:
    header_only = _rewrite(name, tmp_path, lambda frames: [frames[0][:40]])
    assert "no whole RLE header" in _decode_failure(header_only)
    short = _rewrite(name, tmp_path, lambda frames: [frames[0][: len(frames[0]) // 4]])
    message = _decode_failure(short)
    assert "RLE segment" in message and "truncated or corrupt" in message
    whole = _rewrite(name, tmp_path, list)
    np.testing.assert_array_equal(decode_frame(read_dataset(whole), 0).array,
                                  decode_frame(read_dataset(corpus_file(name)), 0).array)


def _realdev_files() -> list[Path]:
    manifest = REALDEV / "manifest.tsv"
    rows = manifest.read_text(encoding="utf-8").splitlines()[1:]
    return [REALDEV / row.split("\t")[0] for row in rows if row.strip()]


@pytest.mark.slow
@pytest.mark.skipif(not REALDEV.is_dir(), reason=f"real DICOM dev set not present at {REALDEV}")
def test_realdev_files_read_and_decode_frame_zero_under_default_limits() -> None:
    files = _realdev_files()
    assert len(files) == 45
    problems = []
    for path in files:
        try:
            header, ds = read_header(path), read_dataset(path)
            assert frame_count(header) == frame_count(ds)
            image = render_frame(ds, 0)
            assert image.dtype == np.uint8 and image.shape[:2] == (int(ds.Rows), int(ds.Columns))
        except SampleFailure as exc:
            problems.append(f"{path.name}: {exc.stage}: {exc}")
    assert not problems, "\n".join(problems)
