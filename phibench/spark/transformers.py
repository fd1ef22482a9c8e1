"""``pyspark.ml`` Transformers over DataFrames of DICOM paths, the way Pixels users work.

::

    from phibench.spark import PhiDetector
    detector = PhiDetector(inputCol="path", detector="local")
    scored = detector.transform(spark.table("dicom_files"))   # + has_phi, entities, error, usage

A transformer carries only a plugin name and its parameters (validated on the driver when
``transform`` is called); each Python worker builds the plugin once and reuses it across batches
and jobs, through the same per-process cache and the same per-sample pipeline as
``phibench run``. Transformers persist with ``save``/``load`` like any ``pyspark.ml`` stage.

:class:`DicomTransformer` holds what every such stage shares (the path and frame columns, the
plugin's parameters, batching, threads); a stage adds its plugin kind, its output columns and its
worker function. :class:`PhiDetector` is the first; a redactor stage (writing redacted DICOM and
returning the output path) slots in beside it the same way.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import pandas as pd
from pyspark import keyword_only
from pyspark.ml import Transformer
from pyspark.ml.param import Param, Params, TypeConverters
from pyspark.ml.param.shared import HasInputCol
from pyspark.ml.util import DefaultParamsReadable, DefaultParamsWritable
from pyspark.sql import DataFrame
from pyspark.sql.types import StructType

from phibench.config import PRICE_PER_CORE_HOUR_USD
from phibench.pipeline import PipelineSpec
from phibench.registry import default_registry
from phibench.spark.detect import DETECTION_SCHEMA, detect_batches
from phibench.specs import PluginSpec


def _json_object(value: Any) -> str:
    """Param converter: a dict (or its JSON) → canonical JSON text."""
    if isinstance(value, str):
        value = json.loads(value or "{}")
    if not isinstance(value, dict):
        raise TypeError(f"expected a dict of plugin parameters, got {type(value).__name__}")
    return json.dumps(value, sort_keys=True)


class DicomTransformer(Transformer, HasInputCol, DefaultParamsReadable, DefaultParamsWritable):
    """Base of the stages that run a phibench plugin over a column of DICOM paths."""

    kind: ClassVar[str] = ""
    """Plugin kind this stage runs (``detector``)."""
    output_schema: ClassVar[str] = ""
    """Spark DDL of the columns this stage appends."""

    frameCol = Param(
        Params._dummy(), "frameCol",
        "column of zero-based frame indexes; empty: every frame of each file, answers combined",
        typeConverter=TypeConverters.toString,
    )
    pluginParams = Param(
        Params._dummy(), "pluginParams", "the plugin's parameters, as a JSON object",
        typeConverter=_json_object,
    )
    batchSize = Param(Params._dummy(), "batchSize", "frames per plugin call", TypeConverters.toInt)
    threadsPerWorker = Param(
        Params._dummy(), "threadsPerWorker", "torch/OpenMP/BLAS threads per Python worker",
        TypeConverters.toInt,
    )
    pricePerCoreHourUsd = Param(
        Params._dummy(), "pricePerCoreHourUsd", "USD per CPU core-hour, to price local compute",
        TypeConverters.toFloat,
    )

    def __init__(self) -> None:
        super().__init__()
        self._setDefault(
            inputCol="path", frameCol="", pluginParams="{}", batchSize=8, threadsPerWorker=1,
            pricePerCoreHourUsd=PRICE_PER_CORE_HOUR_USD,
        )

    def plugin_name(self) -> str:
        raise NotImplementedError

    def plugin_spec(self) -> PluginSpec:
        """The validated spec of this stage's plugin: unknown names and bad parameters fail here."""
        name = self.plugin_name()
        params = json.loads(self.getOrDefault(self.pluginParams))
        plugin = default_registry().build(self.kind, name, params)
        return PluginSpec.of(self.kind, name, plugin.params)

    def pipeline_spec(self) -> PipelineSpec:
        return PipelineSpec(
            detector=self.plugin_spec(),
            price_per_core_hour_usd=self.getOrDefault(self.pricePerCoreHourUsd),
            batch_size=self.getOrDefault(self.batchSize),
        )

    def worker_function(self) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
        raise NotImplementedError

    def _transform(self, dataset: DataFrame) -> DataFrame:
        added = StructType.fromDDL(self.output_schema)
        clash = sorted(set(added.fieldNames()) & set(dataset.columns))
        if clash:
            raise ValueError(
                f"{type(self).__name__}: the input already has columns {clash}; rename them first"
            )
        path_col = self.getInputCol()
        if path_col not in dataset.columns:
            raise ValueError(f"{type(self).__name__}: no column {path_col!r} (set inputCol)")
        schema = StructType(dataset.schema.fields + added.fields)
        return dataset.mapInPandas(self.worker_function(), schema)


class PhiDetector(DicomTransformer):
    """Appends ``has_phi``, ``entities``, ``error`` and ``usage`` for the DICOM file of each row.

    ``detector`` names any registered detector (``phibench plugins``); ``detectorParams`` are its
    parameters. ``has_phi`` is null exactly when ``error`` says why: an error is never "no PHI".
    """

    kind = "detector"
    output_schema = DETECTION_SCHEMA

    detector = Param(
        Params._dummy(), "detector", "name of a registered detector", TypeConverters.toString
    )

    @keyword_only
    def __init__(
        self,
        *,
        inputCol: str = "path",
        frameCol: str = "",
        detector: str = "local",
        detectorParams: dict[str, Any] | None = None,
        batchSize: int = 8,
        threadsPerWorker: int = 1,
        pricePerCoreHourUsd: float = PRICE_PER_CORE_HOUR_USD,
    ) -> None:
        super().__init__()
        self._setDefault(detector="local")
        self.setParams(**self._input_kwargs)

    @keyword_only
    def setParams(
        self,
        *,
        inputCol: str = "path",
        frameCol: str = "",
        detector: str = "local",
        detectorParams: dict[str, Any] | None = None,
        batchSize: int = 8,
        threadsPerWorker: int = 1,
        pricePerCoreHourUsd: float = PRICE_PER_CORE_HOUR_USD,
    ) -> "PhiDetector":
        kwargs = dict(self._input_kwargs)
        if "detectorParams" in kwargs:
            kwargs["pluginParams"] = kwargs.pop("detectorParams") or {}
        return self._set(**kwargs)

    def plugin_name(self) -> str:
        return self.getOrDefault(self.detector)

    def worker_function(self) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
        return functools.partial(
            detect_batches,
            spec=self.pipeline_spec(),
            path_col=self.getInputCol(),
            frame_col=self.getOrDefault(self.frameCol) or None,
            threads=self.getOrDefault(self.threadsPerWorker),
        )


def detect_phi(
    df: DataFrame, detector: str = "local", *, input_col: str = "path", **params: Any
) -> DataFrame:
    """``df`` with detection columns, as ``PhiDetector(inputCol, detector, detectorParams)``."""
    return PhiDetector(inputCol=input_col, detector=detector, detectorParams=params).transform(df)
