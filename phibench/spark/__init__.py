"""phibench on Spark: a quiet, configured session and ``pyspark.ml`` stages over DICOM paths.

* :func:`spark_session` -- the session ``phibench run executor=spark`` uses (local, a cluster,
  or ``existing``), for scripts that want the same set-up.
* :class:`PhiDetector` / :func:`detect_phi` -- a DataFrame with a DICOM path column in, the same
  DataFrame with ``has_phi``, ``entities``, ``error`` and ``usage`` out.

The executor of ``phibench run`` (``executor=spark``) and these stages share the per-sample
pipeline and the per-worker plugin cache; see README, "Spark". Names load on first use, so the
executor's workers do not import ``pyspark.ml``.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "spark_session": "phibench.spark.session",
    "DicomTransformer": "phibench.spark.transformers",
    "PhiDetector": "phibench.spark.transformers",
    "detect_phi": "phibench.spark.transformers",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'phibench.spark' has no attribute {name!r}")
    return getattr(importlib.import_module(_EXPORTS[name]), name)
