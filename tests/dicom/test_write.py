"""write_redacted on real files: pydicom's bundled corpus and the synthetic generator's output.

Every masked file is checked the same way: the box holds one fill value in stored-value space,
every other pixel equals the input's decoded stored values exactly, the pixel format is kept, the
file re-opens and decodes, and its header says what was done. The input is never modified.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.pixels import apply_color_lut, pixel_array
from pydicom.uid import (
    ExplicitVRLittleEndian,
    RLELossless,
    SecondaryCaptureImageStorage,
    generate_uid,
)

import phibench.dicom.write as write_module
from phibench.dicom import WriteResult, read_dataset, render_frame, write_redacted
from phibench.exceptions import SampleFailure
from phibench_plugins.datasets.synthetic.generate import make_file
from phibench_plugins.datasets.synthetic.variants import BY_KEY, Planned

BOX = (5, 4, 20, 9)  # left, top, width, height: inside every image of the table
NOTE = "phibench: burned-in text masked ({})"
SYNTHETIC = ("cr-u12-mono1-explicit", "dx-u12-mono1-rle", "mr-u12-explicit", "us-ybr-jpeg",
             "nm-pal-mf-explicit", "xa-u8-mf-jpeg", "ct-s16-j2k")


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> dict[str, Path]:
    """One generated file per variant in SYNTHETIC (real files, as a synthetic run writes them)."""
    root = tmp_path_factory.mktemp("synthetic")
    (root / "dicom").mkdir()
    out = {}
    for i, key in enumerate(SYNTHETIC):
        rows = make_file(root, Planned(i, BY_KEY[key], True, "same"), 11)
        out[key] = root / rows[0]["path"]
    return out


def source(name: str, pydicom_test_dir: Path, synthetic: dict[str, Path]) -> Path:
    return synthetic[name[4:]] if name.startswith("syn:") else pydicom_test_dir / name


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def stored(path: Path, *, raw: bool = False) -> np.ndarray:
    """All frames as stored values, ``(frames, rows, cols[, 3])``, by pydicom itself."""
    ds = pydicom.dcmread(path, force=True)
    arr = pixel_array(ds, raw=raw)
    return arr if int(ds.get("NumberOfFrames") or 1) > 1 else arr[np.newaxis]


def box_mask(shape: tuple[int, ...], box=BOX) -> np.ndarray:
    left, top, width, height = box
    mask = np.zeros(shape[:2], dtype=bool)
    mask[max(top, 0):top + height, max(left, 0):left + width] = True
    return mask


# (file, what it covers): every case is masked with fill=black and written explicit
CASES = [
    ("image_dfl.dcm", "8-bit MONOCHROME2, deflated"),
    ("CT_small.dcm", "16-bit signed CT"),
    ("examples_overlay.dcm", "12 bits stored in 16"),
    ("syn:mr-u12-explicit", "12 bits stored in 16, windowed"),
    ("693_J2KI.dcm", "14-bit signed JPEG 2000"),
    ("syn:cr-u12-mono1-explicit", "MONOCHROME1"),
    ("syn:dx-u12-mono1-rle", "MONOCHROME1 RLE"),
    ("MR_small.dcm", "16-bit signed, window above the minimum"),
    ("MR_small_bigendian.dcm", "Explicit VR Big Endian"),
    ("MR_small_implicit.dcm", "Implicit VR Little Endian"),
    ("MR_small_RLE.dcm", "RLE Lossless"),
    ("MR_small_jpeg_ls_lossless.dcm", "JPEG-LS Lossless"),
    ("JPEG2000.dcm", "JPEG 2000"),
    ("SC_rgb_jpeg_gdcm.dcm", "JPEG Lossless RGB"),
    ("SC_rgb_jpeg_dcmtk.dcm", "JPEG Baseline YBR_FULL -> RGB"),
    ("syn:us-ybr-jpeg", "JPEG Baseline YBR_FULL_422 -> RGB"),
    ("SC_rgb_rle_16bit.dcm", "16-bit RGB RLE"),
    ("SC_rgb_rle_2frame.dcm", "multi-frame RGB RLE"),
    ("SC_ybr_full_422_uncompressed.dcm", "native YBR_FULL_422 -> YBR_FULL"),
    ("examples_palette.dcm", "PALETTE COLOR"),
    ("syn:nm-pal-mf-explicit", "multi-frame PALETTE COLOR"),
    ("syn:xa-u8-mf-jpeg", "multi-frame JPEG Baseline"),
    ("syn:ct-s16-j2k", "16-bit signed JPEG 2000 Lossless"),
    ("rtdose.dcm", "multi-frame 32-bit, implicit"),
    ("liver_1frame.dcm", "1 bit allocated"),
]


def native_ybr(ds: pydicom.Dataset) -> bool:
    return (not ds.file_meta.TransferSyntaxUID.is_compressed
            and ds.PhotometricInterpretation in ("YBR_FULL", "YBR_FULL_422"))


@pytest.mark.parametrize("name", [c[0] for c in CASES], ids=[c[1] for c in CASES])
def test_masked_box_holds_black_and_nothing_else_changes(
    name, pydicom_test_dir, synthetic, tmp_path
):
    src = source(name, pydicom_test_dir, synthetic)
    before = sha(src)
    header = pydicom.dcmread(src)
    keep_ybr = native_ybr(header)
    original = stored(src, raw=keep_ybr)
    dst = tmp_path / "out" / "redacted.dcm"

    result = write_redacted(src, dst, {0: [BOX]})

    assert sha(src) == before
    assert result.path == str(dst) and not result.copied
    assert result.transfer_syntax == ExplicitVRLittleEndian
    assert os.listdir(dst.parent) == ["redacted.dcm"]  # no temporary file left behind
    out = pydicom.dcmread(dst)
    assert out.preamble is not None and out.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    written = stored(dst, raw=out.PhotometricInterpretation == "YBR_FULL")
    assert written.shape == original.shape
    assert written.dtype.kind == original.dtype.kind
    assert written.dtype.itemsize == original.dtype.itemsize
    for kw in ("BitsAllocated", "BitsStored", "HighBit", "PixelRepresentation", "Rows", "Columns"):
        assert out[kw].value == header[kw].value, kw
    expected_pi = ("YBR_FULL" if keep_ybr else "RGB" if original.ndim == 4
                   else header.PhotometricInterpretation)
    assert out.PhotometricInterpretation == expected_pi
    if original.ndim == 4:
        assert out.PlanarConfiguration == 0

    inside = box_mask(original.shape[1:])
    assert np.array_equal(written[1:], original[1:])  # other frames untouched
    assert np.array_equal(written[0][~inside], original[0][~inside])
    fill = np.unique(written[0][inside].reshape(int(inside.sum()), -1), axis=0)
    assert len(fill) == 1, "the box holds one fill value"
    check_black(out, original[0], fill[0])
    changed = not np.array_equal(written[0], original[0])
    assert result.changed_frames == ((0,) if changed else ())
    assert changed or name == "liver_1frame.dcm"  # a 1-bit image whose box was already black
    check_header(out, header, "black")


def check_black(out: pydicom.Dataset, frame: np.ndarray, value: np.ndarray) -> None:
    """``value`` is the darkest stored value for this photometric interpretation."""
    pi, bits = out.PhotometricInterpretation, out.BitsStored
    signed = out.PixelRepresentation == 1
    lo, hi = (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1) if signed else (0, 2**bits - 1)
    if pi == "MONOCHROME2":
        assert lo <= value[0] <= frame.min()
    elif pi == "MONOCHROME1":
        assert frame.max() <= value[0] <= hi
    elif pi == "RGB":
        assert value.tolist() == [0, 0, 0]
    elif pi == "YBR_FULL":
        assert value.tolist() == [0, 2 ** (bits - 1), 2 ** (bits - 1)]
    else:
        desc = out.RedPaletteColorLookupTableDescriptor
        table = apply_color_lut(np.arange(desc[1], desc[1] + (desc[0] or 2**16)), out)
        assert table[value[0] - desc[1]].sum() == table.sum(axis=-1).min()


def check_header(out: pydicom.Dataset, original: pydicom.Dataset, fill: str) -> None:
    assert out.BurnedInAnnotation == "NO"
    methods = out.DeidentificationMethod
    methods = list(methods) if isinstance(methods, pydicom.multival.MultiValue) else [methods]
    assert NOTE.format(fill) in methods and all(len(m) <= 64 for m in methods)
    codes = [(c.CodeValue, c.CodingSchemeDesignator, c.CodeMeaning)
             for c in out.DeidentificationMethodCodeSequence]
    assert ("113101", "DCM", "Clean Pixel Data Option") in codes
    assert "PatientIdentityRemoved" not in out or out.PatientIdentityRemoved == original.get(
        "PatientIdentityRemoved")
    assert out.SOPInstanceUID != original.SOPInstanceUID
    assert out.file_meta.MediaStorageSOPInstanceUID == out.SOPInstanceUID
    assert out.file_meta.MediaStorageSOPClassUID == original.SOPClassUID
    ref = out.SourceImageSequence[-1]
    assert ref.ReferencedSOPInstanceUID == original.SOPInstanceUID
    assert ref.ReferencedSOPClassUID == original.SOPClassUID
    assert NOTE.format(fill) in out.DerivationDescription


@pytest.mark.parametrize("name", ["syn:cr-u12-mono1-explicit", "syn:dx-u12-mono1-rle",
                                  "MR_small.dcm", "CT_small.dcm", "syn:mr-u12-explicit",
                                  "SC_rgb_jpeg_dcmtk.dcm", "SC_ybr_full_422_uncompressed.dcm",
                                  "examples_palette.dcm"])
def test_black_box_renders_black(name, pydicom_test_dir, synthetic, tmp_path):
    """Through the renderer (Rescale, first window, MONOCHROME1 inversion) the box is black."""
    src = source(name, pydicom_test_dir, synthetic)
    dst = tmp_path / "out.dcm"
    write_redacted(src, dst, {0: [BOX]})
    image = render_frame(read_dataset(dst), 0)
    left, top, width, height = BOX
    assert image[top:top + height, left:left + width].max() <= 3


@pytest.mark.parametrize("name", ["MR_small_RLE.dcm", "JPEG2000.dcm", "SC_rgb_jpeg_dcmtk.dcm",
                                  "SC_rgb_rle_2frame.dcm", "syn:xa-u8-mf-jpeg", "syn:us-ybr-jpeg",
                                  "MR_small_jpeg_ls_lossless.dcm"])
def test_lossless_reencode_round_trips_exactly(name, pydicom_test_dir, synthetic, tmp_path):
    src = source(name, pydicom_test_dir, synthetic)
    frames = int(pydicom.dcmread(src).get("NumberOfFrames") or 1)
    masks = {i: [BOX] for i in range(frames)}
    plain = write_redacted(src, tmp_path / "plain.dcm", masks)
    packed = write_redacted(src, tmp_path / "rle.dcm", masks, transfer_syntax="lossless")
    assert packed.transfer_syntax == RLELossless
    assert pydicom.dcmread(packed.path).file_meta.TransferSyntaxUID == RLELossless
    written = stored(Path(packed.path))
    assert np.array_equal(written, stored(Path(plain.path)))
    inside = box_mask(written.shape[1:])
    assert np.array_equal(written[:, ~inside], stored(src)[:, ~inside])
    assert packed.changed_frames == plain.changed_frames == tuple(range(frames))


def test_lossless_leaves_uncompressed_input_uncompressed(pydicom_test_dir, tmp_path):
    result = write_redacted(pydicom_test_dir / "CT_small.dcm", tmp_path / "o.dcm", {0: [BOX]},
                            transfer_syntax="lossless")
    assert result.transfer_syntax == ExplicitVRLittleEndian


def test_lossless_falls_back_to_uncompressed_when_rle_cannot_hold_it(pydicom_test_dir, tmp_path):
    """pydicom's RLE encoders refuse 32-bit RGB: it is written uncompressed (lossless too)."""
    src = pydicom_test_dir / "SC_rgb_rle_32bit.dcm"
    result = write_redacted(src, tmp_path / "o.dcm", {0: [BOX]}, transfer_syntax="lossless")
    assert result.transfer_syntax == ExplicitVRLittleEndian
    inside = box_mask((100, 100))
    assert np.array_equal(stored(tmp_path / "o.dcm")[0][~inside], stored(src)[0][~inside])


@pytest.mark.parametrize("name", ["rtdose.dcm", "SC_rgb_rle_2frame.dcm", "syn:nm-pal-mf-explicit"])
def test_mask_on_frame_one_changes_frame_one_only(name, pydicom_test_dir, synthetic, tmp_path):
    src = source(name, pydicom_test_dir, synthetic)
    original = stored(src)
    result = write_redacted(src, tmp_path / "o.dcm", {0: [], 1: [(0, 0, 4, 3)]})
    assert result.changed_frames == (1,)
    written = stored(tmp_path / "o.dcm")
    assert np.array_equal(np.delete(written, 1, axis=0), np.delete(original, 1, axis=0))
    assert not np.array_equal(written[1], original[1])


@pytest.mark.parametrize("masks", [{}, {0: []}, {0: [], 1: []}, {0: [(3, 3, 0, 5), (3, 3, 5, -1)]}],
                         ids=["no-frames", "empty-list", "all-empty", "zero-size-boxes"])
def test_nothing_to_mask_copies_byte_for_byte(masks, pydicom_test_dir, tmp_path):
    src = pydicom_test_dir / "MR_small_RLE.dcm"
    dst = tmp_path / "deep" / "er" / "copy.dcm"
    result = write_redacted(src, dst, masks)
    assert result == WriteResult(str(dst), (), RLELossless, True)
    assert dst.read_bytes() == src.read_bytes()
    assert os.listdir(dst.parent) == ["copy.dcm"]


@pytest.mark.parametrize("fill", ["background", "contrast"])
@pytest.mark.parametrize("name", ["CT_small.dcm", "syn:cr-u12-mono1-explicit", "SC_rgb_rle.dcm",
                                  "SC_ybr_full_422_uncompressed.dcm", "examples_palette.dcm"])
def test_background_and_contrast_fills(fill, name, pydicom_test_dir, synthetic, tmp_path):
    src = source(name, pydicom_test_dir, synthetic)
    keep_ybr = native_ybr(pydicom.dcmread(src))
    original = stored(src, raw=keep_ybr)[0]
    dst = tmp_path / "o.dcm"
    write_redacted(src, dst, {0: [BOX]}, fill=fill)
    out = pydicom.dcmread(dst)
    written = stored(dst, raw=keep_ybr)[0]
    inside = box_mask(original.shape)
    ring = box_mask(original.shape, (BOX[0] - 3, BOX[1] - 3, BOX[2] + 6, BOX[3] + 6)) & ~inside
    assert np.array_equal(written[~inside], original[~inside])
    value = np.unique(written[inside].reshape(int(inside.sum()), -1), axis=0)
    assert len(value) == 1
    value = value[0].astype(np.int64)
    around = original[ring].reshape(int(ring.sum()), -1)
    palette = out.PhotometricInterpretation == "PALETTE COLOR"
    if palette:
        found, counts = np.unique(around[:, 0], return_counts=True)
        background = np.array([found[np.argmax(counts)]])
    else:
        background = np.rint(np.median(around, axis=0)).astype(np.int64)
    if fill == "background":
        assert value.tolist() == background.tolist()
    else:  # one of the two extremes, the one farther from the background
        assert not np.array_equal(value, background)
        if original.ndim == 2 and not palette:
            lo, hi = int(original.min()), int(original.max())
            bg = int(background[0])
            assert value[0] <= lo or value[0] >= hi
            assert abs(int(value[0]) - bg) >= min(abs(lo - bg), abs(hi - bg))
    check_header(out, pydicom.dcmread(src), fill)


def test_boxes_are_clipped_to_the_image(pydicom_test_dir, tmp_path):
    src = pydicom_test_dir / "CT_small.dcm"
    original = stored(src)[0]
    write_redacted(src, tmp_path / "o.dcm", {0: [(-10, 120, 30, 50), (500, 500, 4, 4)]})
    written = stored(tmp_path / "o.dcm")[0]
    inside = np.zeros(original.shape, dtype=bool)
    inside[120:, :20] = True
    assert np.array_equal(written[~inside], original[~inside])
    assert len(np.unique(written[inside])) == 1


def test_signed_fill_stays_in_bits_stored_range(pydicom_test_dir, tmp_path):
    """14 bits stored, signed: black is within -8192..8191 and read back as written (no wrap)."""
    src = pydicom_test_dir / "693_J2KI.dcm"
    write_redacted(src, tmp_path / "o.dcm", {0: [BOX]})
    value = stored(tmp_path / "o.dcm")[0][BOX[1], BOX[0]]
    assert -8192 <= value <= stored(src).min()


def test_existing_deidentification_method_is_extended(pydicom_test_dir, tmp_path):
    ds = pydicom.dcmread(pydicom_test_dir / "CT_small.dcm")
    ds.DeidentificationMethod = "site pipeline v2"
    ds.SourceImageSequence = [pydicom.Dataset()]
    ds.SourceImageSequence[0].ReferencedSOPClassUID = ds.SOPClassUID
    ds.SourceImageSequence[0].ReferencedSOPInstanceUID = generate_uid()
    src = tmp_path / "in.dcm"
    ds.save_as(src, enforce_file_format=True)
    write_redacted(src, tmp_path / "o.dcm", {0: [BOX]})
    out = pydicom.dcmread(tmp_path / "o.dcm")
    assert list(out.DeidentificationMethod) == ["site pipeline v2", NOTE.format("black")]
    assert len(out.SourceImageSequence) == 2
    assert out.SourceImageSequence[1].ReferencedSOPInstanceUID == ds.SOPInstanceUID


def test_keep_sop_instance_uid(pydicom_test_dir, tmp_path):
    src = pydicom_test_dir / "CT_small.dcm"
    write_redacted(src, tmp_path / "o.dcm", {0: [BOX]}, new_sop_instance_uid=False)
    out, original = pydicom.dcmread(tmp_path / "o.dcm"), pydicom.dcmread(src)
    assert out.SOPInstanceUID == original.SOPInstanceUID == out.file_meta.MediaStorageSOPInstanceUID
    assert "SourceImageSequence" not in out


@pytest.mark.parametrize("drop_class", [False, True])
def test_input_without_file_meta_is_written_as_part_10(drop_class, pydicom_test_dir, tmp_path):
    ds = pydicom.dcmread(pydicom_test_dir / "CT_small.dcm")
    if drop_class:
        del ds.SOPClassUID
    src = tmp_path / "bare.dcm"
    ds.preamble, ds.file_meta = None, pydicom.dataset.FileMetaDataset()
    pydicom.dcmwrite(src, ds, implicit_vr=True, little_endian=True)
    assert src.read_bytes()[128:132] != b"DICM"
    write_redacted(src, tmp_path / "o.dcm", {0: [BOX]})
    raw = (tmp_path / "o.dcm").read_bytes()
    assert raw[128:132] == b"DICM"
    out = pydicom.dcmread(tmp_path / "o.dcm")
    want = SecondaryCaptureImageStorage if drop_class else ds.SOPClassUID
    assert out.file_meta.MediaStorageSOPClassUID == want
    assert out.file_meta.TransferSyntaxUID == ExplicitVRLittleEndian
    assert out.file_meta.MediaStorageSOPInstanceUID == out.SOPInstanceUID
    assert out.pixel_array.shape == (128, 128)


def test_float_pixel_data_is_masked_with_its_minimum(tmp_path):
    rng = np.random.default_rng(0)
    pixels = rng.normal(5.0, 2.0, size=(2, 24, 32)).astype(np.float32)
    meta = pydicom.dataset.FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = pydicom.dataset.FileDataset("f.dcm", {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.Rows, ds.Columns, ds.NumberOfFrames = 24, 32, 2
    ds.SamplesPerPixel, ds.PhotometricInterpretation, ds.BitsAllocated = 1, "MONOCHROME2", 32
    ds.FloatPixelData = pixels.tobytes()
    src = tmp_path / "f.dcm"
    ds.save_as(src, enforce_file_format=True)
    result = write_redacted(src, tmp_path / "o.dcm", {1: [BOX]})
    assert result.changed_frames == (1,)
    out = pydicom.dcmread(tmp_path / "o.dcm")
    assert "PixelData" not in out and out.BitsAllocated == 32
    written = out.pixel_array
    assert written.dtype == np.float32
    inside = box_mask((24, 32))
    assert np.array_equal(written[0], pixels[0])
    assert np.array_equal(written[1][~inside], pixels[1][~inside])
    assert np.all(written[1][inside] == pixels[1].min())


def test_output_path_equal_to_input_is_refused(pydicom_test_dir, tmp_path):
    src = tmp_path / "in.dcm"
    src.write_bytes((pydicom_test_dir / "CT_small.dcm").read_bytes())
    before = sha(src)
    link = tmp_path / "link.dcm"
    link.symlink_to(src)
    for dst in (src, tmp_path / "." / "in.dcm", link):
        with pytest.raises(ValueError, match="input"):
            write_redacted(src, dst, {0: [BOX]})
    with pytest.raises(ValueError, match="input"):
        write_redacted(src, src, {})
    assert sha(src) == before


@pytest.mark.parametrize("name, message", [("MR_truncated.dcm", "cannot decode"),
                                           ("rtplan.dcm", "no pixel data"),
                                           ("no_such_file.dcm", "file not found")])
def test_bad_input_fails_and_leaves_nothing(name, message, pydicom_test_dir, tmp_path):
    dst = tmp_path / "out" / "o.dcm"
    with pytest.raises(SampleFailure, match=message) as info:
        write_redacted(pydicom_test_dir / name, dst, {0: [BOX]})
    assert info.value.stage == "write"
    assert not dst.parent.exists()


def test_failure_while_writing_leaves_no_partial_file(pydicom_test_dir, tmp_path, monkeypatch):
    def broken(path, ds, **kwargs):
        Path(path).write_bytes(b"partial")
        raise ValueError("encoder exploded")

    monkeypatch.setattr(write_module.pydicom, "dcmwrite", broken)
    with pytest.raises(SampleFailure, match="cannot encode") as info:
        write_redacted(pydicom_test_dir / "CT_small.dcm", tmp_path / "o.dcm", {0: [BOX]})
    assert info.value.stage == "write"
    assert os.listdir(tmp_path) == []


def test_existing_output_is_replaced_atomically(pydicom_test_dir, tmp_path):
    dst = tmp_path / "o.dcm"
    dst.write_bytes(b"old")
    write_redacted(pydicom_test_dir / "CT_small.dcm", dst, {0: [BOX]})
    assert pydicom.dcmread(dst).pixel_array.shape == (128, 128)
    assert os.listdir(tmp_path) == ["o.dcm"]


def test_bad_arguments(pydicom_test_dir, tmp_path):
    src = pydicom_test_dir / "CT_small.dcm"
    with pytest.raises(ValueError, match="fill"):
        write_redacted(src, tmp_path / "o.dcm", {0: [BOX]}, fill="white")
    with pytest.raises(ValueError, match="transfer_syntax"):
        write_redacted(src, tmp_path / "o.dcm", {0: [BOX]}, transfer_syntax="jpeg")
    with pytest.raises(ValueError, match="frame 3"):
        write_redacted(src, tmp_path / "o.dcm", {3: [BOX]})
    assert os.listdir(tmp_path) == []


def test_icon_image_is_removed(pydicom_test_dir, tmp_path):
    """A thumbnail of the unmasked image would carry the burned-in text along."""
    ds = pydicom.dcmread(pydicom_test_dir / "CT_small.dcm")
    icon = pydicom.Dataset()
    icon.Rows = icon.Columns = 2
    ds.IconImageSequence = [icon]
    src = tmp_path / "in.dcm"
    ds.save_as(src, enforce_file_format=True)
    write_redacted(src, tmp_path / "o.dcm", {0: [BOX]})
    assert "IconImageSequence" not in pydicom.dcmread(tmp_path / "o.dcm")


# -- owner-only output -------------------------------------------------------------------------


@pytest.fixture
def open_umask():
    """The usual umask 022, under which a plain open() makes world-readable files."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return os.stat(path).st_mode & 0o777


@pytest.mark.parametrize("masks", [{0: [BOX]}, {}], ids=["masked", "copied"])
def test_output_is_owner_only_and_so_is_a_folder_it_makes(pydicom_test_dir, tmp_path, open_umask, masks):
    dst = tmp_path / "new" / "deeper" / "o.dcm"
    result = write_redacted(pydicom_test_dir / "CT_small.dcm", dst, masks)
    assert result.copied == (not masks)
    assert _mode(dst) == 0o600
    assert _mode(dst.parent) == 0o700


def test_an_existing_folder_is_left_as_it_is(pydicom_test_dir, tmp_path, open_umask):
    (tmp_path / "mine").mkdir(mode=0o755)
    write_redacted(pydicom_test_dir / "CT_small.dcm", tmp_path / "mine" / "o.dcm", {0: [BOX]})
    assert _mode(tmp_path / "mine") == 0o755  # the caller's folder, not ours to change
    assert _mode(tmp_path / "mine" / "o.dcm") == 0o600


def test_replacing_a_world_readable_output_makes_it_owner_only(pydicom_test_dir, tmp_path, open_umask):
    dst = tmp_path / "o.dcm"
    dst.write_bytes(b"old")
    os.chmod(dst, 0o644)
    write_redacted(pydicom_test_dir / "CT_small.dcm", dst, {})
    assert _mode(dst) == 0o600


def test_the_file_is_owner_only_before_any_byte_is_written(pydicom_test_dir, tmp_path, open_umask, monkeypatch):
    """No window in which another user could open the half-written temporary file."""
    seen: list[int] = []
    real = write_module.pydicom.dcmwrite

    def spy(path, ds, **kwargs):
        seen.append(_mode(Path(path)))
        return real(path, ds, **kwargs)

    monkeypatch.setattr(write_module.pydicom, "dcmwrite", spy)
    write_redacted(pydicom_test_dir / "CT_small.dcm", tmp_path / "o.dcm", {0: [BOX]})
    assert seen == [0o600]
