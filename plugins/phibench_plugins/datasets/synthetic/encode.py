"""Pixel formats and transfer syntaxes: from painted frames to stored values to encoded DICOM.

* Native: Explicit and Implicit VR Little Endian.
* RLE Lossless and JPEG 2000 Lossless through :meth:`pydicom.Dataset.compress` (pylibjpeg), one
  fragment per frame for multi-frame objects.
* JPEG Baseline (8-bit, lossy), which pydicom cannot encode: each frame is a Pillow JPEG
  (greyscale, or colour with 4:2:2 chroma subsampling = ``YBR_FULL_422``) wrapped with
  :func:`pydicom.encaps.encapsulate`.

Every encoder here is deterministic: the same array gives the same bytes.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pydicom
from PIL import Image
from pydicom.encaps import encapsulate
from pydicom.uid import (
    UID,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    RLELossless,
)

from phibench_plugins.datasets.synthetic.backgrounds import Scene

TRANSFER_SYNTAXES: dict[str, UID] = {
    "explicit": ExplicitVRLittleEndian,
    "implicit": ImplicitVRLittleEndian,
    "rle": RLELossless,
    "j2k": JPEG2000Lossless,
    "jpeg": JPEGBaseline8Bit,
}


def stored_frames(scene: Scene, bits: int, signed: bool) -> np.ndarray:
    """The painted frames as stored integers: ``(frames, rows, cols[, 3])``."""
    tone = scene.tone
    if tone.kind == "rgb" or tone.kind == "palette" or bits == 8:
        dtype = np.dtype(np.uint8)
    else:
        dtype = np.dtype(np.int16 if signed else np.uint16)
    if tone.kind == "rgb":
        out = [np.clip(np.rint(f), 0, 255).astype(np.uint8) for f in scene.frames]
    else:
        out = [tone.quantize(f, dtype) for f in scene.frames]
    return np.stack(out)


def set_pixels(ds: pydicom.Dataset, arr: np.ndarray, photometric: str, bits: int, ts: str,
               scene: Scene, quality: int = 92) -> None:
    """Image Pixel module, palette and pixel data of ``ds`` in transfer syntax ``ts``."""
    frames, rows, cols = arr.shape[:3]
    colour = arr.ndim == 4
    ds.SamplesPerPixel = 3 if colour else 1
    ds.PhotometricInterpretation = "RGB" if colour and ts != "jpeg" else photometric
    ds.Rows, ds.Columns = rows, cols
    ds.BitsAllocated = arr.dtype.itemsize * 8
    ds.BitsStored = 8 if arr.dtype.itemsize == 1 else bits
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if arr.dtype.kind == "i" else 0
    if colour:
        ds.PlanarConfiguration = 0
    if frames > 1:
        ds.NumberOfFrames = frames
    if photometric == "PALETTE COLOR":
        assert scene.palette is not None
        for i, name in enumerate(("Red", "Green", "Blue")):
            setattr(ds, f"{name}PaletteColorLookupTableDescriptor", [256, 0, 16])
            setattr(ds, f"{name}PaletteColorLookupTableData",
                    scene.palette[:, i].astype("<u2").tobytes())
    uid = TRANSFER_SYNTAXES[ts]
    ds.file_meta.TransferSyntaxUID = uid
    single = arr[0] if frames == 1 else arr
    if ts in ("explicit", "implicit"):
        data = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
        ds.PixelData = data + (b"\x00" if len(data) % 2 else b"")
        ds["PixelData"].VR = "OB" if ds.BitsAllocated == 8 else "OW"
    elif ts == "rle":
        ds.PixelData = b"\x00\x00"  # replaced by compress(); pydicom wants the element present
        ds.compress(RLELossless, single, encoding_plugin="pylibjpeg", generate_instance_uid=False)
    elif ts == "j2k":
        ds.PixelData = b"\x00\x00"
        ds.compress(JPEG2000Lossless, single, generate_instance_uid=False)
    elif ts == "jpeg":
        if ds.BitsAllocated != 8:
            raise ValueError("JPEG Baseline holds 8-bit samples only")
        encoded = [_jpeg(frame, quality) for frame in arr]
        ds.PixelData = encapsulate(encoded)
        ds["PixelData"].VR = "OB"
        ds["PixelData"].is_undefined_length = True
        ds.LossyImageCompression = "01"
        ratio = arr.nbytes / max(1, sum(len(e) for e in encoded))
        ds.LossyImageCompressionRatio = f"{ratio:.2f}"
        ds.LossyImageCompressionMethod = "ISO_10918_1"
    else:
        raise ValueError(f"unknown transfer syntax {ts!r}")
    ds.file_meta.TransferSyntaxUID = uid


def _jpeg(frame: np.ndarray, quality: int) -> bytes:
    buf = io.BytesIO()
    if frame.ndim == 3:  # Pillow writes YCbCr; subsampling=1 is 4:2:2
        Image.fromarray(frame, "RGB").save(buf, "JPEG", quality=quality, subsampling=1)
    else:
        Image.fromarray(frame, "L").save(buf, "JPEG", quality=quality)
    data = buf.getvalue()
    return data + (b"\x00" if len(data) % 2 else b"")


def write(ds: pydicom.Dataset, path: Path) -> None:
    """Write a Part 10 file (preamble, file meta) at ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
