"""render_frame on real files: same image in every transfer syntax, right colours, right greys."""

from __future__ import annotations

import io

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom.encaps import generate_frames

from phibench.dicom import frame_count, read_dataset, read_header, render_frame
from tests.dicom.corpus import corpus_file

SC_RGB_REFERENCE = "SC_rgb_rle.dcm"  # lossless RGB colour bars, 100x100
SC_RGB_LOSSLESS = [
    "SC_rgb_gdcm_KY.dcm",  # JPEG 2000
    "SC_rgb_jpeg_gdcm.dcm",  # JPEG lossless
    "SC_rgb_rle_16bit.dcm",
    "SC_rgb_rle_32bit.dcm",
    "SC_rgb_rle_2frame.dcm",
    "SC_rgb_rle_16bit_2frame.dcm",
    "SC_rgb_rle_32bit_2frame.dcm",
]
SC_RGB_LOSSY = [
    "SC_rgb_dcmtk_+eb+cr.dcm",  # JPEG baseline, RGB
    "SC_rgb_dcmtk_+eb+cy+n1.dcm",  # JPEG baseline, YBR_FULL
    "SC_rgb_dcmtk_+eb+cy+n2.dcm",
    "SC_rgb_dcmtk_+eb+cy+np.dcm",  # YBR_FULL_422
    "SC_rgb_dcmtk_+eb+cy+s2.dcm",
    "SC_rgb_dcmtk_+eb+cy+s4.dcm",
    "SC_rgb_jls_lossy_line.dcm",  # JPEG-LS near-lossless
    "SC_rgb_jls_lossy_sample.dcm",
    "SC_rgb_jpeg_dcmtk.dcm",
    "SC_rgb_jpeg_lossy_gdcm.dcm",
    "SC_ybr_full_422_uncompressed.dcm",  # native YBR_FULL_422
]
MR_SMALL_SYNTAXES = [
    "MR_small_RLE.dcm",
    "MR_small_bigendian.dcm",
    "MR_small_expb.dcm",
    "MR_small_implicit.dcm",
    "MR_small_jp2klossless.dcm",
    "MR_small_jpeg_ls_lossless.dcm",
    "MR_small_padded.dcm",
]
MONOCHROME1 = [
    "dicomdirtests/77654033/CR1/6154",
    "dicomdirtests/77654033/CR2/6247",
    "dicomdirtests/77654033/CR3/6278",
]


def render(name: str, index: int = 0) -> np.ndarray:
    return render_frame(read_dataset(corpus_file(name)), index)


def _bars(image: np.ndarray) -> dict[str, np.ndarray]:
    """Median colour inside the red, green and blue bars of the SC_rgb test image."""
    return {
        colour: np.median(image[row - 3 : row + 3, 20:80].reshape(-1, 3), axis=0)
        for colour, row in (("red", 5), ("green", 25), ("blue", 45))
    }


# --- colour -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", [SC_RGB_REFERENCE, *SC_RGB_LOSSLESS, *SC_RGB_LOSSY])
def test_colour_bars_have_the_right_colours(name: str) -> None:
    image = render(name)
    assert image.dtype == np.uint8 and image.shape == (100, 100, 3)
    bars = _bars(image)
    for colour, channel in (("red", 0), ("green", 1), ("blue", 2)):
        others = [c for c in range(3) if c != channel]
        assert bars[colour][channel] > 230, (name, colour, bars[colour])
        assert max(bars[colour][others]) < 30, (name, colour, bars[colour])


@pytest.mark.parametrize("name", SC_RGB_LOSSLESS)
def test_lossless_syntaxes_render_identically(name: str) -> None:
    np.testing.assert_array_equal(render(name), render(SC_RGB_REFERENCE))


@pytest.mark.parametrize("name", SC_RGB_LOSSY)
def test_lossy_syntaxes_render_close_to_the_original(name: str) -> None:
    diff = np.abs(render(name).astype(int) - render(SC_RGB_REFERENCE).astype(int))
    assert diff.mean() < 4, (name, diff.mean())


@pytest.mark.parametrize(
    ("compressed", "decompressed"),
    [
        ("SC_rgb_jpeg.dcm", "SC_rgb_jpeg_dcmd.dcm"),
        ("SC_jpeg_no_color_transform.dcm", "SC_rgb_jpeg_dcmd.dcm"),
        ("SC_jpeg_no_color_transform_2.dcm", "SC_rgb_jpeg_app14_dcmd.dcm"),
        ("SC_rgb_small_odd_jpeg.dcm", "SC_rgb_small_odd.dcm"),
        ("SC_rgb_small_odd_big_endian.dcm", "SC_rgb_small_odd.dcm"),
    ],
)
def test_jpeg_matches_its_decompressed_twin(compressed: str, decompressed: str) -> None:
    diff = np.abs(render(compressed).astype(int) - render(decompressed).astype(int))
    assert diff.max() <= 8, (compressed, diff.max())


@pytest.mark.parametrize("name", ["examples_ybr_color.dcm", "SC_rgb_dcmtk_+eb+cy+s2.dcm"])
def test_jpeg_ybr_422_converted_to_rgb_exactly_once(name: str) -> None:
    # Independent reference: Pillow decodes the JPEG codestream straight to RGB itself.
    ds = read_dataset(corpus_file(name))
    assert ds.PhotometricInterpretation == "YBR_FULL_422"
    stream = next(generate_frames(ds.PixelData, number_of_frames=frame_count(ds)))
    expected = np.asarray(Image.open(io.BytesIO(stream)).convert("RGB")).astype(int)
    diff = np.abs(render_frame(ds, 0).astype(int) - expected)
    assert diff.mean() < 2, diff.mean()


@pytest.mark.parametrize("name", ["GDCMJ2K_TextGBR.dcm", "examples_jpeg2k.dcm"])
def test_jpeg2000_ybr_rct_comes_out_as_rgb(name: str) -> None:
    image = render(name)
    assert read_header(corpus_file(name)).PhotometricInterpretation == "YBR_RCT"
    assert image.ndim == 3 and image.shape[2] == 3
    if name == "GDCMJ2K_TextGBR.dcm":  # the words "red", "green", "blue" in their colours
        r, g, b = (image[..., c].astype(int) for c in range(3))
        assert ((r > 200) & (g < 60) & (b < 60)).sum() > 500
        assert ((g > 200) & (r < 60) & (b < 60)).sum() > 500
        assert ((b > 200) & (r < 60) & (g < 60)).sum() > 500


def test_palette_colour_uses_the_lut() -> None:
    image = render("examples_palette.dcm")
    assert image.shape == (350, 800, 3)
    assert (np.ptp(image.astype(int), axis=2) > 40).sum() > 1000  # real colour, not grey


def test_palette_16bit_lut_scaled_to_8bit(write_image) -> None:
    ramp = np.arange(256, dtype=np.uint16) * 257  # 16-bit red ramp, green/blue zero
    path = write_image(
        np.array([[0, 128, 255]], dtype=np.uint8),
        PhotometricInterpretation="PALETTE COLOR",
        RedPaletteColorLookupTableDescriptor=[256, 0, 16],
        GreenPaletteColorLookupTableDescriptor=[256, 0, 16],
        BluePaletteColorLookupTableDescriptor=[256, 0, 16],
        RedPaletteColorLookupTableData=ramp.astype("<u2").tobytes(),
        GreenPaletteColorLookupTableData=np.zeros(256, "<u2").tobytes(),
        BluePaletteColorLookupTableData=np.zeros(256, "<u2").tobytes(),
    )
    image = render_frame(read_dataset(path), 0)
    assert image.tolist() == [[[0, 0, 0], [128, 0, 0], [255, 0, 0]]]


# --- greyscale --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", MR_SMALL_SYNTAXES)
def test_mr_small_same_in_every_syntax(name: str) -> None:
    np.testing.assert_array_equal(render(name), render("MR_small.dcm"))


@pytest.mark.parametrize("name", MONOCHROME1)
def test_monochrome1_is_inverted(name: str) -> None:
    ds = read_dataset(corpus_file(name))
    assert ds.PhotometricInterpretation == "MONOCHROME1"
    inverted = render_frame(ds, 0)
    ds.PhotometricInterpretation = "MONOCHROME2"
    plain = render_frame(ds, 0)
    np.testing.assert_array_equal(inverted, 255 - plain)
    assert np.ptp(plain) > 0


def test_unsigned_16bit_scaled_not_wrapped(write_image) -> None:
    stored = np.array([[0, 100, 255, 256, 257, 1000, 4095]], dtype=np.uint16)
    image = render_frame(read_dataset(write_image(stored, BitsStored=12, HighBit=11)), 0)
    assert image[0, 0] == 0 and image[0, -1] == 255
    assert np.all(np.diff(image[0].astype(int)) >= 0), image  # monotonic in the stored value
    assert image[0, 3] > image[0, 0] and image[0, 5] > image[0, 1]  # 256 is not 0 (no wrap)

    stored = np.array([[0, 100, 256, 4095, 30000, 60000]], dtype=np.uint16)
    image = render_frame(read_dataset(write_image(stored)), 0)
    assert image[0].tolist() == sorted(image[0].tolist()) and image[0, -1] == 255
    assert image[0, 4] == round(30000 / 60000 * 255)


def test_signed_16bit_with_negative_values(write_image) -> None:
    stored = np.array([[-30000, -1000, -1, 0, 1, 1000, 30000]], dtype=np.int16)
    image = render_frame(read_dataset(write_image(stored)), 0)
    assert image[0, 0] == 0 and image[0, -1] == 255
    assert np.all(np.diff(image[0].astype(int)) >= 0), image
    assert image[0, 3] in (127, 128)


def test_ct_small_signed_with_rescale() -> None:
    ds = read_dataset(corpus_file("CT_small.dcm"))
    assert ds.PixelRepresentation == 1 and "RescaleIntercept" in ds and "WindowCenter" not in ds
    image = render_frame(ds, 0)
    raw = pydicom.pixels.pixel_array(ds).astype(int)
    assert image.min() == 0 and image.max() == 255
    # min..max scaling is a monotonic map of the stored values
    order = np.argsort(raw, axis=None, kind="stable")
    assert np.all(np.diff(image.ravel()[order].astype(int)) >= 0)


def test_window_clips_outside_values(write_image) -> None:
    hu = np.array([[-1000, -160, -100, 40, 180, 240, 3000]])  # window 40/400: -160..240
    stored = (hu + 1024).astype(np.int16)
    path = write_image(
        stored, RescaleIntercept=-1024, RescaleSlope=1, WindowCenter=40, WindowWidth=400
    )
    image = render_frame(read_dataset(path), 0)[0].astype(int)
    assert image[0] == image[1] == 0
    assert image[-1] == image[-2] == 255
    assert abs(image[3] - 128) <= 1
    assert 0 < image[2] < image[3] < image[4] < 255


def test_window_on_monochrome1_clips_then_inverts(write_image) -> None:
    stored = np.array([[0, 50, 100, 150, 200]], dtype=np.uint16)
    path = write_image(
        stored, PhotometricInterpretation="MONOCHROME1", WindowCenter=100, WindowWidth=100
    )
    assert render_frame(read_dataset(path), 0)[0].tolist()[0] == 255
    assert render_frame(read_dataset(path), 0)[0].tolist()[-1] == 0


def test_invalid_window_falls_back_to_min_max(write_image) -> None:
    stored = np.array([[10, 20, 30]], dtype=np.uint16)
    path = write_image(stored, WindowCenter=20, WindowWidth=0)
    assert render_frame(read_dataset(path), 0).tolist() == [[0, 128, 255]]


def test_voi_lut_sequence_output_range(write_image) -> None:
    lut = pydicom.Dataset()
    lut.add_new(0x00283002, "US", [4, 0, 16])  # LUT Descriptor
    lut.add_new(0x00283006, "US", [0, 1000, 2000, 4000])  # LUT Data: range 0..4000, not 65535
    path = write_image(np.array([[0, 1, 2, 3, 9]], dtype=np.uint16), VOILUTSequence=[lut])
    assert render_frame(read_dataset(path), 0).tolist() == [[0, 64, 128, 255, 255]]


def test_constant_and_tiny_images(write_image) -> None:
    assert render_frame(read_dataset(write_image(np.array([[7]], np.uint16))), 0).tolist() == [[0]]
    flat = render_frame(read_dataset(write_image(np.full((1, 5), 300, np.int16))), 0)
    assert flat.shape == (1, 5) and flat.dtype == np.uint8


def test_bits_stored_32_and_1bit() -> None:
    dose = render("rtdose.dcm", 3)
    assert dose.shape == (10, 10) and dose.min() == 0 and dose.max() == 255
    mask = render("liver_1frame.dcm")
    assert set(np.unique(mask).tolist()) == {0, 255}


def test_float_pixel_data_in_memory() -> None:
    ds = pydicom.Dataset()
    ds.file_meta = pydicom.dataset.FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.Rows, ds.Columns, ds.SamplesPerPixel = 2, 2, 1
    ds.PhotometricInterpretation, ds.BitsAllocated = "MONOCHROME2", 32
    ds.FloatPixelData = np.array([-1.5, 0.0, 2.5, np.nan], dtype="<f4").tobytes()
    assert render_frame(ds, 0).tolist() == [[0, 96], [255, 0]]


def test_deflate_renders_content() -> None:
    image = render("image_dfl.dcm")
    assert image.shape == (512, 512) and image.std() > 10


@pytest.mark.parametrize(
    ("center", "width", "function"),
    [(40, 400, None), (40, 400, "LINEAR_EXACT"), (1024, 2, None), (-600, 1500, "LINEAR"), (2047.5, 4096, None), (0.5, 1.5, None)],
)
def test_fused_linear_window_matches_pydicom_apply_windowing(center, width, function):
    """The fast path equals pydicom's windowing scaled from its output range, within rounding."""
    from pydicom import Dataset
    from pydicom.pixels import apply_windowing

    from phibench.dicom.render import _linear_window, _scale

    ds = Dataset()
    ds.BitsStored, ds.PixelRepresentation, ds.PhotometricInterpretation = 16, 1, "MONOCHROME2"
    ds.WindowCenter, ds.WindowWidth = center, width
    if function:
        ds.VOILUTFunction = function
    values = np.random.default_rng(0).integers(-3000, 5000, size=(64, 64)).astype(np.float64)
    values[0, :4] = [center - width / 2, center + width / 2, center, center - 0.5]
    expected = _scale(apply_windowing(values.copy(), ds), *apply_windowing(np.array([-np.inf, np.inf]), ds))
    got = _linear_window(values, ds)
    assert got is not None and got.dtype == np.uint8
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_palette_lookup_matches_pydicom_per_pixel(write_image, dtype) -> None:
    """8-bit palette frames go through a 256-entry table: same pixels as pydicom's per-pixel
    apply_color_lut then scaling, including values below First Mapped and past the last entry."""
    from pydicom.pixels import apply_color_lut

    from phibench.dicom.render import _scale

    rng = np.random.default_rng(3)
    pixels = rng.integers(0, 256, size=(96, 80)).astype(dtype)
    pixels[0, :4] = [0, 19, 20, 255]
    lut = {c: rng.integers(0, 65536, size=200).astype("<u2") for c in "RGB"}
    attrs = {f"{n}PaletteColorLookupTableDescriptor": [200, 20, 16] for n in ("Red", "Green", "Blue")}
    attrs.update({f"{n}PaletteColorLookupTableData": lut[n[0]].tobytes() for n in ("Red", "Green", "Blue")})
    path = write_image(pixels, PhotometricInterpretation="PALETTE COLOR", **attrs)
    ds = read_dataset(path)
    image = render_frame(ds, 0)
    expected = _scale(apply_color_lut(ds.pixel_array, ds)[..., :3], 0.0, 65535.0)
    assert image.shape == (96, 80, 3) and image.dtype == np.uint8
    np.testing.assert_array_equal(image, expected)


@pytest.mark.parametrize(
    ("dtype", "low", "high", "attrs"),
    [
        (np.int16, -32768, 32767, {"RescaleSlope": 1, "RescaleIntercept": -1024, "WindowCenter": 40, "WindowWidth": 400}),
        (np.int16, -2000, 3000, {"RescaleSlope": 0.5, "RescaleIntercept": 10}),  # min..max fallback
        (np.int16, -2000, 3000, {"RescaleSlope": -2, "RescaleIntercept": 100, "WindowCenter": -300, "WindowWidth": 900}),
        (np.uint16, 0, 4096, {"RescaleSlope": 1, "RescaleIntercept": -1024, "PhotometricInterpretation": "MONOCHROME1"}),
        (np.uint8, 0, 256, {"RescaleSlope": 3, "RescaleIntercept": 0, "WindowCenter": 200, "WindowWidth": 300,
                            "VOILUTFunction": "SIGMOID"}),
    ],
)
def test_rescaled_frames_through_a_table_equal_the_direct_path(write_image, dtype, low, high, attrs) -> None:
    """A rescaled (CT-like) frame is rendered through a table of its stored values: the same
    pixels, value for value, as rescaling and windowing every pixel (inversion, negative slope,
    the whole int16 range and the min..max fallback included)."""
    from phibench.dicom.decode import decode_frame
    from phibench.dicom.render import _grey_pixels, _greyscale, _tabulated

    rng = np.random.default_rng(7)
    stored = rng.integers(low, high, size=(520, 520)).astype(dtype)
    stored[0, :2] = [low, high - 1]
    frame = decode_frame(read_dataset(write_image(stored, **attrs)), 0)
    invert = frame.photometric == "MONOCHROME1"
    assert _tabulated(frame.array, frame.view, invert) is not None  # the table path is taken
    direct = _grey_pixels(frame.array, frame.view, invert)
    assert np.array_equal(_greyscale(frame.array, frame.view, invert=invert), direct)
    assert direct.min() < direct.max()


def test_ct_small_through_the_table_equals_the_direct_path() -> None:
    from phibench.dicom.decode import decode_frame
    from phibench.dicom.render import _grey_pixels, _greyscale

    frame = decode_frame(read_dataset(corpus_file("CT_small.dcm")), 0)
    assert np.array_equal(_greyscale(frame.array, frame.view, invert=False),
                          _grey_pixels(frame.array, frame.view, False))
