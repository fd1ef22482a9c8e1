"""Reading images into frames: one sample per page, more bits scaled (never wrapped), bounded input."""

from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest
import tifffile
from PIL import Image

from phibench.exceptions import SampleFailure
from phibench.images import open_image
from phibench.limits import Limits
from phibench.sources import count_frames, open_source
from tests.images.conftest import save, text_frame


def test_16_bit_pages_are_scaled_to_8_bit_not_wrapped(tmp_path):
    ramp = np.linspace(0, 65535, 256 * 64).reshape(64, 256).astype(np.uint16)
    save(ramp, tmp_path / "g16.png")
    tifffile.imwrite(tmp_path / "g16.tif", ramp)
    for name in ("g16.png", "g16.tif"):
        shown = open_image(tmp_path / name).render(0)
        assert shown.dtype == np.uint8 and shown.shape == ramp.shape
        assert shown.min() == 0 and shown.max() == 255
        assert (np.diff(shown.astype(int).ravel()) >= 0).all(), name  # monotonic: a cast would wrap


def test_a_multi_page_tiff_is_one_sample_per_page_each_its_own_pixels(tmp_path):
    pages = np.stack([np.full((40, 50), v, np.uint8) for v in (10, 90, 200)])
    tifffile.imwrite(tmp_path / "m.tif", pages, photometric="minisblack")
    source = open_source(tmp_path / "m.tif")
    assert source.kind == "tiff" and source.header is None and count_frames(tmp_path / "m.tif") == 3
    assert [int(source.render(i)[0, 0]) for i in range(3)] == [10, 90, 200]
    with pytest.raises(SampleFailure) as info:
        source.render(3)
    assert info.value.stage == "decode"


def test_min_is_white_is_inverted_and_rgb_keeps_its_colour(tmp_path):
    tifffile.imwrite(tmp_path / "w.tif", np.full((8, 8), 30, np.uint8), photometric="miniswhite")
    assert int(open_image(tmp_path / "w.tif").render(0)[0, 0]) == 225
    rgb = np.zeros((8, 8, 4), np.uint8)
    rgb[..., 0], rgb[..., 3] = 200, 10  # red, nearly transparent: the stored colour is what counts
    save(rgb, tmp_path / "rgba.png")
    shown = open_image(tmp_path / "rgba.png").render(0)
    assert shown.shape == (8, 8, 3) and tuple(shown[0, 0]) == (200, 0, 0)


def test_a_palette_png_renders_its_colours(tmp_path):
    im = Image.new("P", (8, 8), 1)
    im.putpalette([0, 0, 0, 10, 200, 30] + [0] * 762)
    im.save(tmp_path / "p.png")
    assert tuple(open_image(tmp_path / "p.png").render(0)[0, 0]) == (10, 200, 30)


def png_claiming(width: int, height: int) -> bytes:
    """A PNG whose IHDR claims ``width`` x ``height`` and whose data is a few bytes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


def test_a_header_claiming_too_many_pixels_is_refused_before_decoding(tmp_path):
    (tmp_path / "bomb.png").write_bytes(png_claiming(60_000, 60_000))
    with pytest.raises(SampleFailure) as info:
        open_source(tmp_path / "bomb.png")
    assert info.value.stage == "read" and "max_pixels_per_frame" in str(info.value)
    tifffile.imwrite(tmp_path / "big.tif", np.zeros((64, 64), np.uint8))
    with pytest.raises(SampleFailure) as info:
        open_image(tmp_path / "big.tif", Limits(max_pixels_per_frame=1000)).render(0)
    assert "max_pixels_per_frame" in str(info.value)


def test_more_pages_than_the_limit_are_refused(tmp_path):
    tifffile.imwrite(tmp_path / "many.tif", np.zeros((5, 4, 4), np.uint8), photometric="minisblack")
    with pytest.raises(SampleFailure) as info:
        count_frames(tmp_path / "many.tif", Limits(max_frames=4))
    assert info.value.stage == "read" and "max_frames=4" in str(info.value)


def test_a_truncated_file_is_a_decode_failure_that_names_no_path(tmp_path):
    frame, _ = text_frame()
    for name, kw in (("t.png", {}), ("t.jpg", {"quality": 90})):
        whole = save(frame, tmp_path / name, **kw).read_bytes()
        cut = tmp_path / f"cut_{name}"
        cut.write_bytes(whole[: len(whole) // 2])
        source = open_source(cut)  # the header is whole: it opens
        with pytest.raises(SampleFailure) as info:
            source.render(0)
        assert info.value.stage == "decode" and str(tmp_path) not in str(info.value), name
    whole = tifffile.imwrite(tmp_path / "t.tif", frame, compression="zlib") or (tmp_path / "t.tif").read_bytes()
    (tmp_path / "cut.tif").write_bytes(whole[:-200])
    with pytest.raises(SampleFailure) as info:
        open_source(tmp_path / "cut.tif").render(0)
    assert info.value.stage in ("read", "decode") and str(tmp_path) not in str(info.value)


def test_an_ifd_chain_that_loops_back_ends_instead_of_hanging(tmp_path):
    tifffile.imwrite(tmp_path / "loop.tif", np.zeros((2, 8, 8), np.uint8), photometric="minisblack")
    data = bytearray((tmp_path / "loop.tif").read_bytes())
    first = struct.unpack_from("<I", data, 4)[0]
    second_at = first + 2 + 12 * struct.unpack_from("<H", data, first)[0]
    second = struct.unpack_from("<I", data, second_at)[0]
    end = second + 2 + 12 * struct.unpack_from("<H", data, second)[0]
    struct.pack_into("<I", data, end, first)  # page 2 says the next page is page 1 again
    (tmp_path / "loop.tif").write_bytes(bytes(data))
    assert count_frames(tmp_path / "loop.tif") == 2


def test_a_broken_tiff_named_after_the_patient_leaves_the_name_out_of_logs(tmp_path, caplog):
    bad = tmp_path / "DOE_JANE_1961.tif"
    bad.write_bytes(b"II*\x00\xff\xff\xff\x7f" + bytes(8))
    caplog.set_level("DEBUG")
    with pytest.raises(SampleFailure) as info:
        open_source(bad)
    import tifffile as tf

    tf.logger().warning("<tifffile.TiffFile %r> is not a valid TIFF", bad.name)  # as tifffile words it
    assert "DOE_JANE" not in str(info.value) and "DOE_JANE" not in caplog.text
