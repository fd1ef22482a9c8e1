"""Reading PNG, JPEG and (multi-page) TIFF files into pages a detector can see.

One :class:`ImageSource` per file, opened once by the pipeline: ``count()`` pages (a PNG or a
JPEG has one; a TIFF one per page, each its own sample), ``render(i)`` the display-ready
``uint8`` (:mod:`.render`); a TIFF page's samples as stored (16-bit stays 16-bit: what the
writer masks) are ``TiffSource.stored(i)``, a PNG's or JPEG's ``PillowSource.image()``. PNG and JPEG are read with Pillow, TIFF with tifffile (it keeps 16-bit and
multi-sample pages Pillow would reduce; compressions beyond zlib/PackBits need ``imagecodecs``,
from the ``wsi`` extra, else that page's ``decode`` error).

Bounded like DICOM input (:mod:`phibench.limits`): the file size, the page count
(``max_frames``), each page's pixels (``max_pixels_per_frame``, checked from the header before
decoding; Pillow's own decompression-bomb limit is set to the same number) and its decoded bytes
(``max_decoded_bytes``). A truncated or corrupt file is that sample's ``read`` or ``decode``
:class:`~phibench.exceptions.SampleFailure`; messages never carry a path (Pillow's do, so only
the exception's type is kept).
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from collections.abc import Iterator
from typing import Any, Protocol

import numpy as np
from PIL import Image

from phibench.dicom.limits import check_file_size
from phibench.exceptions import SampleFailure
from phibench.images.render import to_display
from phibench.images.sniff import Kind, sniff
from phibench.limits import DEFAULT_LIMITS, Limits

__all__ = ["ImageSource", "open_image", "page_count"]

_PILLOW_FORMATS = {"png": "PNG", "jpeg": "JPEG"}

# tifffile's warnings name the file (``<tifffile.TiffFile 'DOE_JANE.tif'>``), and an export's
# name can be the patient's: keep them out of default logs. What failed is the sample's error.
logging.getLogger("tifffile").setLevel(logging.CRITICAL)


class ImageSource(Protocol):
    """An opened non-DICOM image file: its pages, stored and rendered."""

    kind: Kind
    header: None
    """No DICOM header: none is made up for an image."""

    def count(self) -> int:
        """Pages (samples) of the file."""

    def close(self) -> None:
        """Release the open file (a TIFF or slide keeps its handle)."""

    def render(self, index: int) -> np.ndarray:
        """Page ``index`` as display-ready ``uint8`` (the :class:`~phibench.frame.Frame` image)."""


def open_image(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS,
               kind: Kind | None = None) -> ImageSource:
    """Open ``path`` (kind sniffed from its bytes unless given). Raises :class:`SampleFailure`."""
    kind = kind or sniff(path)
    if kind is None:
        raise SampleFailure("read", "not a PNG, JPEG or TIFF file (by its content)")
    try:
        check_file_size(os.stat(path).st_size, limits)
    except OSError as exc:
        raise SampleFailure("read", f"cannot open file: {exc.strerror or type(exc).__name__}") from exc
    if kind == "slide":
        from phibench.images.slide import SlideSource

        return SlideSource(path, limits)
    if kind == "tiff":
        return TiffSource(path, limits)
    return PillowSource(path, limits, kind)


def page_count(path: str | os.PathLike[str], limits: Limits = DEFAULT_LIMITS) -> int:
    """Samples ``path`` plans (pages, or a slide's associated images); raises SampleFailure."""
    source = open_image(path, limits)
    try:
        return source.count()
    finally:
        source.close()


def check_page(shape: tuple[int, ...], itemsize: int, limits: Limits, what: str = "the image") -> None:
    """Refuse a page whose header claims more pixels or bytes than ``limits`` allow."""
    if len(shape) < 2 or shape[0] <= 0 or shape[1] <= 0:
        raise SampleFailure("read", f"{what} has no pixels (shape {tuple(shape)})")
    pixels = int(shape[0]) * int(shape[1])
    if pixels > limits.max_pixels_per_frame:
        raise SampleFailure("read", f"{what} claims {shape[1]} x {shape[0]} pixels, above "
                            f"run.limits.max_pixels_per_frame={limits.max_pixels_per_frame}")
    nbytes = int(np.prod([int(v) for v in shape], dtype=np.int64)) * itemsize
    if nbytes > limits.max_decoded_bytes:
        raise SampleFailure("read", f"{what} decodes to {nbytes} bytes, above "
                            f"run.limits.max_decoded_bytes={limits.max_decoded_bytes}")


@contextlib.contextmanager
def pillow_bounded(limits: Limits) -> Iterator[None]:
    """Pillow's decompression-bomb limit set to ``limits.max_pixels_per_frame`` while inside.

    Pillow warns above ``MAX_IMAGE_PIXELS`` and refuses above twice that; phibench checks the
    size itself (:func:`check_page`) before decoding, so the warning is silenced and the hard
    stop stays as a second guard tied to the run's limit.
    """
    saved = Image.MAX_IMAGE_PIXELS
    Image.MAX_IMAGE_PIXELS = limits.max_pixels_per_frame
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            yield
    finally:
        Image.MAX_IMAGE_PIXELS = saved


def _failure(stage: str, what: str, exc: BaseException) -> SampleFailure:
    # Pillow and tifffile name the file in their messages: keep the type only.
    return SampleFailure(stage, f"{what} ({type(exc).__name__})")


class PillowSource:
    """A PNG or JPEG: one page, decoded by Pillow on first use."""

    header = None

    def __init__(self, path: str | os.PathLike[str], limits: Limits, kind: Kind) -> None:
        self.kind, self.path, self.limits = kind, os.fspath(path), limits
        self._image: Image.Image | None = None
        with pillow_bounded(limits):
            try:
                with Image.open(self.path, formats=[_PILLOW_FORMATS[kind]]) as im:
                    self.mode, self.size = im.mode, im.size
                    self.info: dict[str, Any] = dict(im.info)
            except Image.DecompressionBombError as exc:
                raise SampleFailure("read", "the image claims more pixels than run.limits."
                                    f"max_pixels_per_frame={limits.max_pixels_per_frame}") from exc
            except Exception as exc:  # noqa: BLE001 - corrupt header, unreadable
                raise _failure("read", f"corrupt or unreadable {kind.upper()} header", exc) from exc
        bands = Image.getmodebands(self.mode) if self.mode else 1
        check_page((self.size[1], self.size[0], bands), 2 if ";16" in self.mode else 1, limits)

    def count(self) -> int:
        return 1

    def image(self) -> Image.Image:
        """The decoded page (loaded once); a truncated file is a ``decode`` failure here."""
        if self._image is None:
            with pillow_bounded(self.limits):
                try:
                    with Image.open(self.path, formats=[_PILLOW_FORMATS[self.kind]]) as im:
                        im.load()
                        self._image = im.copy()
                except Exception as exc:  # noqa: BLE001 - truncated, corrupt data
                    raise _failure("decode", f"the {self.kind.upper()} data does not decode "
                                   "(truncated or corrupt)", exc) from exc
        return self._image

    def render(self, index: int) -> np.ndarray:
        self._check(index)
        im = self.image()
        if im.mode in ("P", "PA", "CMYK", "YCbCr", "LAB", "HSV", "RGBX", "RGBa", "La"):
            im = im.convert("RGB")
        elif im.mode == "1":
            im = im.convert("L")
        return to_display(np.asarray(im))

    def close(self) -> None:
        self._image = None

    def _check(self, index: int) -> None:
        if index != 0:
            raise SampleFailure("decode", f"frame {index} requested; the file has one image")


class TiffSource:
    """A (multi-page) TIFF: one page per sample, each decoded by tifffile on demand."""

    kind: Kind = "tiff"
    header = None

    def __init__(self, path: str | os.PathLike[str], limits: Limits) -> None:
        import tifffile

        self.path, self.limits = os.fspath(path), limits
        try:
            self.tif = tifffile.TiffFile(self.path)
            pages = self.tif.pages
            pages.useframes = False
            n = len(pages)
        except Exception as exc:  # noqa: BLE001 - corrupt IFDs, truncated header
            raise _failure("read", "corrupt or truncated TIFF header", exc) from exc
        if n == 0:
            self.tif.close()
            raise SampleFailure("read", "the TIFF has no readable page (its first IFD offset is invalid)")
        if n > limits.max_frames:
            self.tif.close()
            raise SampleFailure("read", f"the file has {n} pages, above run.limits.max_frames="
                                f"{limits.max_frames}")
        self.n = n

    def count(self) -> int:
        return self.n

    def page(self, index: int) -> Any:
        if not 0 <= index < self.n:
            raise SampleFailure("decode", f"page {index} requested; the file has {self.n}")
        try:
            page = self.tif.pages[index]
        except Exception as exc:  # noqa: BLE001
            raise _failure("read", f"page {index}'s header is corrupt", exc) from exc
        check_page(tuple(page.shape), page.dtype.itemsize if page.dtype else 1, self.limits,
                   f"page {index}")
        return page

    def stored(self, index: int) -> np.ndarray:
        page = self.page(index)
        try:
            arr = page.asarray()
        except Exception as exc:  # noqa: BLE001 - truncated strips, missing codec
            raise _failure("decode", f"page {index} does not decode (truncated, corrupt, or a "
                           "compression that needs imagecodecs: pip install 'phibench[wsi]')",
                           exc) from exc
        if arr.ndim == 3 and page.photometric == 2 and page.planarconfig == 2 and arr.shape[0] in (3, 4):
            arr = np.moveaxis(arr, 0, -1)  # separate planes -> samples last
        return arr

    def render(self, index: int) -> np.ndarray:
        page = self.page(index)
        arr = self.stored(index)
        if page.photometric == 3 and page.colormap is not None:  # palette
            cmap = np.asarray(page.colormap)
            arr = (cmap[:, arr].transpose(1, 2, 0) >> 8).astype(np.uint8) if cmap.max() > 255 \
                else cmap[:, arr].transpose(1, 2, 0).astype(np.uint8)
        return to_display(arr, min_is_white=page.photometric == 0)

    def close(self) -> None:
        self.tif.close()
