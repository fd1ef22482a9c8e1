"""Whole-slide images: the associated images are the samples; blanking them leaves the pyramid byte-identical."""

from __future__ import annotations

import struct

import numpy as np
import pytest
import tifffile

from phibench.exceptions import SampleFailure
from phibench.images import write_redacted_image
from phibench.images.blank import blank_pages
from phibench.images.slide import SlideSource
from phibench.limits import DEFAULT_LIMITS
from phibench.sources import count_frames, open_source

pytest.importorskip("tiffslide")


def segments(path, index: int) -> list[bytes]:
    """The stored bytes of every strip/tile of page ``index``."""
    with tifffile.TiffFile(path) as tif, open(path, "rb") as fh:
        page = tif.pages[index]
        out = []
        for off, n in zip(page.dataoffsets, page.databytecounts, strict=True):
            fh.seek(off)
            out.append(fh.read(n))
        return out


def pyramid_pages(path) -> list[int]:
    with tifffile.TiffFile(path) as tif:
        return [p.index for p in tif.series[0].levels[0].pages] + [
            lv.pages[0].index for lv in tif.series[0].levels[1:]]


def test_a_slide_is_planned_as_label_macro_thumbnail(svs_file):
    path, regions = svs_file
    source = open_source(path)
    assert source.kind == "slide" and source.header is None
    assert source.names == ["label", "macro", "thumbnail"] and count_frames(path) == 3
    label = source.render(0)
    assert label.shape[:2] == (420, 420)
    x, y, w, h = regions["label"][0]["box"]
    assert label[y:y + h, x:x + w].min() < 60  # the burned name is there, dark on white


def test_blanking_label_and_macro_keeps_every_pyramid_byte_and_no_label_byte(svs_file, tmp_path):
    path, _ = svs_file
    source = SlideSource(path, DEFAULT_LIMITS)
    label_page, macro_page = source.page_index(0), source.page_index(1)
    source.close()
    old_label = b"".join(segments(path, label_page))
    out = tmp_path / "out.svs"
    result = write_redacted_image(path, out, {0: [], 1: [(0, 0, 5, 5)]})
    assert result.changed_frames == (0, 1)
    with tifffile.TiffFile(path) as tif:
        untouched = [p.index for p in tif.pages if p.index not in (label_page, macro_page)]
        tags = {i: {t.code: t.value for t in tif.pages[i].tags.values()} for i in untouched}
    assert set(pyramid_pages(path)) <= set(untouched)
    with tifffile.TiffFile(out) as tif:
        for i in untouched:
            assert {t.code: t.value for t in tif.pages[i].tags.values()} == tags[i], i
            assert segments(out, i) == segments(path, i), i
        for i in (label_page, macro_page):
            assert not tif.pages[i].asarray().any()
    data = out.read_bytes()
    assert old_label[:64] not in data and len(data) == path.stat().st_size
    import tiffslide

    with tiffslide.TiffSlide(path) as a, tiffslide.TiffSlide(out) as b:
        assert np.array_equal(a.read_region((0, 0), 0, (512, 512), as_array=True),
                              b.read_region((0, 0), 0, (512, 512), as_array=True))
        assert set(b.associated_images) >= {"label", "macro", "thumbnail"}
        assert not np.asarray(b.associated_images["label"]).any()
        assert np.asarray(b.associated_images["thumbnail"]).any()


def test_nothing_to_blank_is_a_byte_copy(svs_file, tmp_path):
    path, _ = svs_file
    assert write_redacted_image(path, tmp_path / "out.svs", {}).copied
    assert (tmp_path / "out.svs").read_bytes() == path.read_bytes()


def test_a_page_sharing_bytes_with_another_is_refused_not_blanked(tmp_path):
    src = tmp_path / "shared.tif"
    with tifffile.TiffWriter(src) as tif:
        tif.write(np.full((16, 16), 7, np.uint8), rowsperstrip=16, metadata=None)
        tif.write(np.full((16, 16), 9, np.uint8), rowsperstrip=16, metadata=None)
    with tifffile.TiffFile(src) as tif:
        first = int(tif.pages[0].dataoffsets[0])
        slot = int(tif.pages[1].tags["StripOffsets"].valueoffset)
    data = bytearray(src.read_bytes())
    struct.pack_into("<I", data, slot, first)  # page 1 now points at page 0's strip
    src.write_bytes(bytes(data))
    with pytest.raises(SampleFailure) as info:
        blank_pages(src, tmp_path / "out.tif", [1])
    assert info.value.stage == "write" and not (tmp_path / "out.tif").exists()


def test_a_pyramid_without_associated_images_shows_its_overview_and_cannot_be_blanked(tmp_path):
    src = tmp_path / "pyr.tif"
    with tifffile.TiffWriter(src) as tif:
        tif.write(np.full((512, 512, 3), 200, np.uint8), tile=(256, 256), photometric="rgb",
                  metadata=None)
        tif.write(np.full((256, 256, 3), 200, np.uint8), tile=(256, 256), photometric="rgb",
                  subfiletype=1, metadata=None)  # a reduced level: a generic tiled pyramid
    source = open_source(src)
    assert source.kind == "slide" and source.count() == 1
    assert source.render(0).shape[:2] in ((256, 256), (512, 512))
    with pytest.raises(SampleFailure) as info:
        write_redacted_image(src, tmp_path / "out.tif", {0: [(0, 0, 10, 10)]})
    assert info.value.stage == "write" and "pyramid" in str(info.value)
