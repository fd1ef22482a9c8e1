"""``dataset=overlay``: real text-free DICOM frames with synthetic overlays and exact boxes.

See ``datasets/overlay.md`` (and the card, ``phibench datasets show overlay``).
"""

from phibench_plugins.datasets.overlay.generate import OVERLAY_VERSION, generate
from phibench_plugins.datasets.overlay.plugin import OverlayDataset
from phibench_plugins.datasets.overlay.sources import BUNDLED, Source, bundled, from_folder

__all__ = ["BUNDLED", "OVERLAY_VERSION", "OverlayDataset", "Source", "bundled", "from_folder",
           "generate"]
