"""Non-DICOM inputs: PNG, JPEG and TIFF files and whole-slide images (issue 15).

Recognised by content (:func:`sniff`), opened as an :class:`ImageSource` (one sample per page,
or per associated image of a slide), written back in their own format
(:func:`write_redacted_image`). :mod:`phibench.sources` puts them beside DICOM behind one API.
"""

from phibench.images.read import ImageSource, open_image, page_count
from phibench.images.sniff import KINDS, SUFFIXES, Kind, sniff
from phibench.images.write import write_redacted_image

__all__ = ["KINDS", "SUFFIXES", "ImageSource", "Kind", "open_image", "page_count", "sniff",
           "write_redacted_image"]
