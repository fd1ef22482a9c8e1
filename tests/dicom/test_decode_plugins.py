"""JPEG frames decoded by Pillow first (phibench's choice) equal what pydicom's own order gives.

pydicom tries gdcm first for JPEG Baseline and Extended; phibench tries Pillow (2.4x faster,
``benchmarks/overhead.py``). The choice is only sound if the pixels do not move: every 8-bit JPEG
file of pydicom's corpus is decoded both ways here, frame by frame, and must give the same array
and the same reported colour space. A 12-bit JPEG, which Pillow cannot decode, must still decode.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.pixels import as_pixel_options, get_decoder
from pydicom.uid import JPEGBaseline8Bit, JPEGExtended12Bit

from phibench.dicom import decode
from phibench.dicom.decode import decode_frame, frame_count
from tests.dicom.corpus import corpus_file, corpus_files


def _jpeg_files() -> list[Path]:
    found = []
    for path in corpus_files():
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except Exception:
            continue
        meta = getattr(ds, "file_meta", None)
        if meta is not None and meta.get("TransferSyntaxUID") in (JPEGBaseline8Bit, JPEGExtended12Bit):
            found.append(path)
    return found


JPEG_FILES = _jpeg_files()


def test_the_corpus_has_jpeg_files_of_both_colour_kinds() -> None:
    kinds = {str(pydicom.dcmread(p, stop_before_pixels=True).PhotometricInterpretation) for p in JPEG_FILES}
    assert len(JPEG_FILES) >= 10
    assert {"RGB", "YBR_FULL", "YBR_FULL_422", "MONOCHROME2"} <= kinds


@pytest.mark.parametrize("path", JPEG_FILES, ids=lambda p: p.name)
def test_pillow_first_gives_the_pixels_of_pydicoms_order(path: Path) -> None:
    ds = pydicom.dcmread(path)
    decoder = get_decoder(ds.file_meta.TransferSyntaxUID)
    options = as_pixel_options(ds)
    for index in range(min(frame_count(ds), 3)):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                reference, props = decoder.as_array(
                    ds, index=index, raw=False, correct_unused_bits=True, **options
                )
            except Exception:
                continue  # nothing decodes it (JPEG-lossy.dcm): covered by the corpus tests
            ours = decode_frame(ds, index)
        assert ours.array.dtype == reference.dtype and ours.array.shape == reference.shape
        assert np.array_equal(ours.array, reference), f"frame {index} differs"
        assert ours.photometric == str(props["photometric_interpretation"]).upper()


def test_pillow_is_what_decodes_8_bit_jpeg() -> None:
    ds = pydicom.dcmread(corpus_file("SC_rgb_jpeg_dcmtk.dcm"))
    view = decode._pixel_view(ds, ds.file_meta.TransferSyntaxUID, 1)
    decoder = get_decoder(ds.file_meta.TransferSyntaxUID)
    got = decode._preferred(decoder, ds.file_meta.TransferSyntaxUID, view, 0, as_pixel_options(view))
    assert got is not None
    gdcm, _ = decoder.as_array(ds, index=0, decoding_plugin="gdcm")
    assert np.array_equal(got[0], gdcm)


def test_a_12_bit_jpeg_that_pillow_refuses_still_decodes() -> None:
    ds = pydicom.dcmread(corpus_file("JPGExtended.dcm"))
    assert int(ds.BitsStored) == 12
    view = decode._pixel_view(ds, ds.file_meta.TransferSyntaxUID, 1)
    decoder = get_decoder(ds.file_meta.TransferSyntaxUID)
    assert decode._preferred(decoder, ds.file_meta.TransferSyntaxUID, view, 0, as_pixel_options(view)) is None
    frame = decode_frame(ds, 0)
    assert frame.array.shape == (int(ds.Rows), int(ds.Columns))
    assert int(frame.array.max()) > 255  # 12-bit values, not an 8-bit reading of them
