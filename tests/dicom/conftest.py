"""Fixtures for the DICOM reader/renderer tests: real DICOM files written by pydicom.

Every test works on real files written by pydicom (no mocks), so what passes here is what the
pipeline will see.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest
from pydicom.dataset import FileDataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

@pytest.fixture
def write_image(tmp_path: Path) -> Callable[..., Path]:
    """Write a real single-sample greyscale DICOM file from a 2-D (or 3-D multi-frame) array.

    Keyword arguments become dataset attributes (e.g. ``WindowCenter=40``), overriding defaults.
    """
    counter = iter(range(1_000_000))

    def write(pixels: np.ndarray, **attrs: Any) -> Path:
        pixels = np.asarray(pixels)
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        path = tmp_path / f"image_{next(counter)}.dcm"
        ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
        ds.SOPClassUID = meta.MediaStorageSOPClassUID
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.Modality = "OT"
        frames = pixels.shape[0] if pixels.ndim == 3 else 1
        ds.Rows, ds.Columns = pixels.shape[-2:]
        if frames > 1:
            ds.NumberOfFrames = frames
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        signed = pixels.dtype.kind == "i"
        bits = pixels.dtype.itemsize * 8
        ds.BitsAllocated = bits
        ds.BitsStored = bits
        ds.HighBit = bits - 1
        ds.PixelRepresentation = 1 if signed else 0
        for key, value in attrs.items():
            setattr(ds, key, value)
        ds.PixelData = pixels.astype(pixels.dtype.newbyteorder("<")).tobytes()
        pydicom.dcmwrite(path, ds, enforce_file_format=True)
        return path

    return write
