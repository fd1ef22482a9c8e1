"""Redacted copies keep their input's format and depth; only the boxes change (JPEG: nearly only)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest
import tifffile
from PIL import Image

from phibench.exceptions import SampleFailure
from phibench.images import sniff, write_redacted_image
from tests.images.conftest import save, text_frame


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def outside(arr: np.ndarray, box: list[int]) -> np.ndarray:
    x, y, w, h = box
    keep = np.ones(arr.shape[:2], bool)
    keep[y:y + h, x:x + w] = False
    return arr[keep]


def test_a_16_bit_png_stays_a_16_bit_png_changed_inside_the_box_only(tmp_path):
    ramp = (np.arange(90 * 120).reshape(90, 120) * 6).astype(np.uint16)
    src = save(ramp, tmp_path / "g16.png")
    box = [10, 20, 30, 15]
    result = write_redacted_image(src, tmp_path / "out.png", {0: [tuple(box)]})
    assert result.changed_frames == (0,) and not result.copied
    out = Image.open(tmp_path / "out.png")
    assert out.format == "PNG" and out.mode.startswith("I;16") and sniff(tmp_path / "out.png") == "png"
    after = np.asarray(out)
    assert after.dtype == np.uint16 and (after[20:35, 10:40] == 0).all()
    assert np.array_equal(outside(after, box), outside(ramp, box))


def test_a_jpeg_is_re_encoded_as_a_jpeg_and_the_text_is_gone(tmp_path):
    frame, box = text_frame()
    src = save(np.stack([frame] * 3, axis=-1), tmp_path / "t.jpg", quality=95)
    write_redacted_image(src, tmp_path / "out.jpg", {0: [tuple(box)]})
    out = Image.open(tmp_path / "out.jpg")
    assert out.format == "JPEG" and out.mode == "RGB"
    after, before = np.asarray(out).astype(int), np.asarray(Image.open(src)).astype(int)
    x, y, w, h = box
    assert after[y + 2:y + h - 2, x + 2:x + w - 2].max() < 40  # was white text on dark grey
    assert np.abs(outside(after, box) - outside(before, box)).mean() < 2  # re-encoded at q95


def test_a_multi_page_tiff_keeps_every_page_and_only_masked_pages_change(tmp_path):
    frame, box = text_frame()
    pages = np.stack([frame, frame.astype(np.uint16) * 200])
    src = tmp_path / "m.tif"
    tifffile.imwrite(src, pages, photometric="minisblack", compression="zlib")
    result = write_redacted_image(src, tmp_path / "out.tif", {1: [tuple(box)]})
    assert result.changed_frames == (1,)
    with tifffile.TiffFile(tmp_path / "out.tif") as tif:
        assert len(tif.pages) == 2
        p0, p1 = (p.asarray() for p in tif.pages)
    assert np.array_equal(p0, pages[0]) and p1.dtype == pages.dtype
    x, y, w, h = box
    assert (p1[y:y + h, x:x + w] == 0).all() and np.array_equal(outside(p1, box), outside(pages[1], box))


def test_nothing_to_mask_is_a_byte_copy_and_never_a_dicom(tmp_path):
    frame, _ = text_frame()
    src = save(frame, tmp_path / "t.png")
    result = write_redacted_image(src, tmp_path / "out.png", {0: []})
    assert result.copied and sha(src) == sha(tmp_path / "out.png")
    assert (tmp_path / "out.png").read_bytes()[128:132] != b"DICM"


def test_fill_background_takes_the_ring_around_the_box(tmp_path):
    arr = np.full((40, 40, 3), (10, 120, 200), np.uint8)
    arr[10:20, 10:20] = 255
    src = save(arr, tmp_path / "c.png")
    write_redacted_image(src, tmp_path / "out.png", {0: [(10, 10, 10, 10)]}, fill="background")
    assert (np.asarray(Image.open(tmp_path / "out.png"))[10:20, 10:20] == (10, 120, 200)).all()


def test_what_cannot_be_rewritten_faithfully_fails_and_the_input_is_never_overwritten(tmp_path):
    rgb16 = np.zeros((8, 8, 3), np.uint16)
    tifffile.imwrite(tmp_path / "rgb16.tif", rgb16, photometric="rgb")
    # a 16-bit colour PNG (Pillow would read it as 8-bit): write one with the raw PNG layout
    import struct
    import zlib

    raw = b"".join(b"\0" + bytes(8 * 6) for _ in range(8))
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 16, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    (tmp_path / "rgb16.png").write_bytes(png)
    with pytest.raises(SampleFailure) as info:
        write_redacted_image(tmp_path / "rgb16.png", tmp_path / "out.png", {0: [(0, 0, 4, 4)]})
    assert info.value.stage == "write" and not (tmp_path / "out.png").exists()
    with pytest.raises(ValueError):
        write_redacted_image(tmp_path / "rgb16.tif", tmp_path / "rgb16.tif", {0: [(0, 0, 4, 4)]})
    result = write_redacted_image(tmp_path / "rgb16.tif", tmp_path / "out.tif", {0: [(0, 0, 4, 4)]})
    assert tifffile.imread(tmp_path / "out.tif").dtype == np.uint16 and result.copied is False


def test_black_on_a_min_is_white_page_is_black_on_screen(tmp_path):
    tifffile.imwrite(tmp_path / "w.tif", np.full((20, 20), 40, np.uint8), photometric="miniswhite")
    write_redacted_image(tmp_path / "w.tif", tmp_path / "out.tif", {0: [(5, 5, 5, 5)]})
    from phibench.images import open_image

    shown = open_image(tmp_path / "out.tif").render(0)
    assert (shown[5:10, 5:10] == 0).all() and shown[0, 0] == 215
