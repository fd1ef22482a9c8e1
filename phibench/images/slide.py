"""Whole-slide images (Aperio SVS, generic tiled TIFF): PHI lives in the associated images.

A slide's pyramid holds tissue; the patient's identity is on the *label* (a photo of the glass
label: name, accession, barcode), the *macro* (an overview photo that shows the label too) and
sometimes the *thumbnail*. So a slide is planned as one sample per associated image, in the
fixed order ``label``, ``macro``, ``thumbnail`` (then any other named associated image, in file
order), keeping only those the file has: frame 0 of an SVS with all three is its label, frame 1
its macro, frame 2 its thumbnail (``SlideSource.names``: the names of a file's frames).
A slide with no associated image at all is planned as one sample showing its smallest pyramid
level (its overview); that one cannot be blanked (it *is* the pyramid), so when it must be
redacted the file fails closed.

Read with tiffslide (the ``wsi`` extra; why it and not openslide: see the extra in
pyproject.toml), which sits on tifffile: the page a sample shows is the very IFD that
:mod:`.blank` blanks, so reader and writer never disagree about which page is the label.
Redaction is blanking, not removal (:mod:`phibench.images.blank`).
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from phibench.exceptions import SampleFailure
from phibench.images.render import to_display
from phibench.images.sniff import Kind
from phibench.limits import Limits

__all__ = ["ORDER", "SlideSource"]

ORDER = ("label", "macro", "thumbnail")
"""Associated images, in the order their samples are numbered."""

OVERVIEW = "overview"
"""The name of the one sample of a slide with no associated image: its smallest level."""


def _tiffslide() -> Any:
    try:
        import tiffslide
    except ImportError as exc:
        raise SampleFailure("read", "whole-slide images need tiffslide: pip install "
                            "'phibench[wsi]'") from exc
    return tiffslide


class SlideSource:
    """An opened slide: its associated images as pages."""

    kind: Kind = "slide"
    header = None

    def __init__(self, path: str | os.PathLike[str], limits: Limits) -> None:
        self.path, self.limits = os.fspath(path), limits
        tiffslide = _tiffslide()
        try:
            self.slide = tiffslide.TiffSlide(self.path)
            self.series = dict(self.slide.associated_images.series_map)
        except SampleFailure:
            raise
        except Exception as exc:  # noqa: BLE001 - corrupt IFDs, truncated file
            raise SampleFailure("read", f"corrupt or unreadable slide ({type(exc).__name__})") from exc
        self.names = _ordered(list(self.series)) or [OVERVIEW]

    def count(self) -> int:
        return len(self.names)

    def name(self, index: int) -> str:
        if not 0 <= index < len(self.names):
            raise SampleFailure("decode", f"frame {index} requested; the slide has "
                                f"{len(self.names)} associated image(s)")
        return self.names[index]

    def page_index(self, index: int) -> int | None:
        """The TIFF page (IFD index) of frame ``index``; ``None`` for the overview."""
        name = self.name(index)
        if name == OVERVIEW:
            return None
        return int(self.series[name].pages[0].index)

    def render(self, index: int) -> np.ndarray:
        name = self.name(index)
        from phibench.images.read import check_page

        try:
            if name == OVERVIEW:
                level = self.slide.level_count - 1
                w, h = self.slide.level_dimensions[level]
                check_page((h, w, 4), 1, self.limits, "the smallest level")
                arr = np.asarray(self.slide.read_region((0, 0), level, (w, h), as_array=True))
            else:
                s = self.series[name]
                check_page(tuple(s.shape), s.dtype.itemsize, self.limits, f"the {name} image")
                arr = s.asarray()
        except SampleFailure:
            raise
        except Exception as exc:  # noqa: BLE001 - truncated strips, missing codec
            raise SampleFailure("decode", f"the slide's {name} image does not decode "
                                f"({type(exc).__name__})") from exc
        return to_display(arr)

    def close(self) -> None:
        self.slide.close()


def _ordered(names: list[str]) -> list[str]:
    return [n for n in ORDER if n in names] + [n for n in names if n not in ORDER and n]
