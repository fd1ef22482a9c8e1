"""Presidio as a phibench detector (and, in :mod:`phibench_plugins.redactors.presidio`, a redactor).

Importing this package is cheap: Presidio and spaCy load in ``setup()``, once per process.

- :mod:`.params`: the settings both plugins take, with Presidio's defaults, and their checks.
- :mod:`.engine`: the engines (built once per process) and the analysis of one frame.
- :mod:`.ocr_adapter`: phibench's OCR engines behind Presidio's ``OCR`` interface.
- :mod:`.detector`: :class:`PresidioDetector`.
"""

from phibench_plugins.detectors.presidio.detector import PresidioDetector
from phibench_plugins.detectors.presidio.params import PresidioParams

__all__ = ["PresidioDetector", "PresidioParams"]
