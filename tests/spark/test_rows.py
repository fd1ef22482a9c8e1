"""Task rows to and from pandas, and the Spark types they take from the result row."""

from __future__ import annotations

import pandas as pd

from phibench.pipeline import Task
from phibench.records import GroundTruth, Sample, TextRegion
from phibench.spark.rows import (
    TASK_COLUMNS,
    TASK_SCHEMA,
    result_type,
    tasks_from_pandas,
    tasks_to_pandas,
)


def test_task_rows_round_trip_through_pandas():
    region = TextRegion((1, 2, 3, 4), "DOE^JANE", True, "NAME")
    original = [
        Task(Sample("x#0", "/x", 0, "d"), GroundTruth(True, (region,))),
        Task(Sample("x#1", "/x", 1, "d"), GroundTruth(None)),
        Task(Sample("y#0", "/y", 0, "d"), GroundTruth(False)),
    ]
    df = tasks_to_pandas(original)
    assert list(df.columns) == TASK_COLUMNS
    assert list(tasks_from_pandas(df)) == original
    assert list(tasks_from_pandas(pd.DataFrame(df.to_dict("list")))) == original


def test_the_task_schema_is_written_out_from_the_result_types():
    assert TASK_SCHEMA == ("sample_id string, path string, frame int, dataset string, "
                           "has_phi_true boolean, truth_regions string")
    assert result_type("latency_s") == "double" and result_type("input_tokens") == "bigint"
