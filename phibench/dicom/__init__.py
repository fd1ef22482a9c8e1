"""The one place phibench reads DICOM files and renders their frames.

Everything else (datasets, detectors, redactors) goes through these four functions, so that
every failure mode of a real-world file becomes a :class:`~phibench.exceptions.SampleFailure`
with a PHI-free message, and every detector sees the same display-ready pixels.

* :func:`read_dataset` / :func:`read_header` -- :mod:`phibench.dicom.read`
* :func:`frame_count` -- :mod:`phibench.dicom.decode`
* :func:`render_frame` -- :mod:`phibench.dicom.render`
"""

from __future__ import annotations

import logging
import warnings

from pydicom import config as _pydicom_config

from phibench.dicom.decode import frame_count
from phibench.dicom.read import read_dataset, read_header
from phibench.dicom.render import render_frame
from phibench.dicom.write import WriteResult, write_redacted

__all__ = [
    "WriteResult",
    "frame_count",
    "read_dataset",
    "read_header",
    "render_frame",
    "write_redacted",
]

# PHI hygiene: pydicom's value-validation warnings quote header values ("Invalid value for VR
# PN: 'DOE^JANE'"), and it both logs and warns them. phibench reads real files as they are, so
# validation on read is off, and what pydicom still reports stays out of default-level output.
_pydicom_config.settings.reading_validation_mode = _pydicom_config.IGNORE
logging.getLogger("pydicom").setLevel(logging.ERROR)
warnings.filterwarnings("ignore", category=UserWarning, module=r"pydicom(\..*)?$")
