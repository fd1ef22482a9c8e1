"""What crosses between the Spark driver and its Python workers: task rows, and the Spark types
of result columns.

Tasks travel as plain DataFrame rows (:data:`TASK_SCHEMA`); a worker turns each pandas batch
back into :class:`~phibench.pipeline.Task` objects and runs the same per-sample pipeline as the
inline executor. Every Spark type here is derived from :class:`~phibench.records.ResultRow`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd
import pyarrow as pa

from phibench.pipeline import Task
from phibench.records import GroundTruth, ResultRow, Sample

SPARK_TYPES = {
    pa.string(): "string",
    pa.bool_(): "boolean",
    pa.int32(): "int",
    pa.int64(): "bigint",
    pa.float64(): "double",
}
"""Spark DDL names of the Arrow types :class:`~phibench.records.ResultRow` uses."""


def result_type(column: str) -> str:
    """Spark DDL type of the result column ``column``, derived from :class:`ResultRow`."""
    return SPARK_TYPES[ResultRow.arrow_type(column)]


TASK_COLUMNS = ["sample_id", "path", "frame", "dataset", "has_phi_true", "truth_regions"]
"""A task row: the sample and its ground truth."""

TASK_SCHEMA = ", ".join(f"{name} {result_type(name)}" for name in TASK_COLUMNS)
"""Spark DDL of a task row. These are task columns, not result columns; they carry the same
values as the result row's columns of the same names, so they take those columns' types."""


def tasks_to_pandas(tasks: Iterable[Task]) -> pd.DataFrame:
    """Task rows, in the order given."""
    records = [
        (
            t.sample.sample_id,
            t.sample.path,
            t.sample.frame,
            t.sample.dataset,
            t.truth.has_phi,
            t.truth.regions_json(),
        )
        for t in tasks
    ]
    df = pd.DataFrame.from_records(records, columns=TASK_COLUMNS)
    df["frame"] = df["frame"].astype("int32")
    df["has_phi_true"] = df["has_phi_true"].astype(object)
    return df


def tasks_from_pandas(pdf: pd.DataFrame) -> Iterator[Task]:
    """Tasks back from one batch of task rows."""
    for sid, path, frame, dataset, has_phi, regions in pdf[TASK_COLUMNS].itertuples(index=False):
        truth = GroundTruth(_bool(has_phi), GroundTruth.regions_from_json(regions))
        yield Task(Sample(str(sid), str(path), int(frame), str(dataset or "")), truth)


def _bool(value: Any) -> bool | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return bool(value)
