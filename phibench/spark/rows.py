"""What crosses between the Spark driver and its Python workers: task rows, and worker set-up.

Tasks travel as plain DataFrame rows (:data:`TASK_SCHEMA`); a worker turns each pandas batch
back into :class:`~phibench.pipeline.Task` objects and runs the same per-sample pipeline as the
inline executor. :func:`limit_threads` is called by every worker function before the first model
is built, so that workers x threads fits the cores.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd
import pyarrow as pa

from phibench.pipeline import Task
from phibench.records import GroundTruth, ResultRow, Sample

TASK_SCHEMA = (
    "sample_id string, path string, frame int, dataset string, "
    "has_phi_true boolean, truth_regions string"
)
"""Spark DDL of a task row: the sample and its ground truth. These are task columns, not result
columns; they carry the same values as the result row's columns of the same names, and
``tests/test_result_row.py`` checks that their types agree with :class:`ResultRow`'s."""

TASK_COLUMNS = ["sample_id", "path", "frame", "dataset", "has_phi_true", "truth_regions"]

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


THREAD_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS")


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


def limit_threads(threads: int | None = None) -> int:
    """Size native thread pools in this worker: the environment (read when torch, BLAS or
    OpenMP load), and torch's and OpenCV's pools if they are loaded already."""
    n = int(threads or os.environ.get("PHIBENCH_THREADS_PER_WORKER") or 1)
    for var in THREAD_VARS:
        os.environ[var] = str(n)
    torch: Any = sys.modules.get("torch")
    if torch is not None and torch.get_num_threads() != n:
        torch.set_num_threads(n)
    cv2: Any = sys.modules.get("cv2")  # OpenCV sizes its own pool, whatever OMP says
    if cv2 is not None and cv2.getNumThreads() != n:
        cv2.setNumThreads(n)
    return n


def _bool(value: Any) -> bool | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return bool(value)
