"""phibench on Spark: the ``spark`` executor, a quiet configured session, and ``pyspark.ml`` stages
over DICOM paths. All of phibench's Spark code is in this package; pyspark is the ``[spark]`` extra.

* :class:`SparkExecutor` -- ``phibench run executor=spark`` (registered as ``spark`` by the
  built-in plugin ``phibench_plugins.executors``, like any third party's executor).
* :func:`spark_session` -- the session that executor uses (local, a cluster, or ``existing``),
  for scripts that want the same set-up; :class:`SessionParams` -- its settings.
* :class:`PhiDetector` / :func:`detect_phi` -- a DataFrame with a DICOM path column in, the same
  DataFrame with ``has_phi``, ``entities``, ``error`` and ``usage`` out.

Modules, driver side: ``executor`` (the executor), ``session`` (the SparkSession),
``transformers`` (the ``pyspark.ml`` stages); worker side: ``worker`` (the executor's task
attempts), ``detect`` (the stages' batches); both sides: ``rows`` (task rows, Spark types of
result columns), ``threads`` (native thread pools of a worker, the per-worker plugin cache).

The executor and the stages share the per-sample pipeline and the per-worker plugin cache; see
README, "Spark". Names load on first use: only ``transformers`` imports pyspark when it loads, so
registering the executor needs no pyspark and the executor's workers do not import ``pyspark.ml``.
Functions that run in workers are shipped by reference to these modules (importable there).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from phibench.spark.executor import SparkExecutor
    from phibench.spark.session import SessionParams, spark_session
    from phibench.spark.transformers import DicomTransformer, PhiDetector, detect_phi

_EXPORTS = {
    "SparkExecutor": "phibench.spark.executor",
    "SessionParams": "phibench.spark.session",
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


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
