"""The result row is defined once (:class:`phibench.records.ResultRow`): every schema derives from
it, it matches what a real run writes, a misspelt column fails, and every field is documented."""

from __future__ import annotations

import ast
import dataclasses
import inspect

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from phibench import results
from phibench.pipeline import PipelineSpec, Task, failed_rows
from phibench.records import Entity, GroundTruth, ResultRow, Sample, SampleError, TextRegion
from phibench.records import result_row
from phibench.redaction import RedactionSpec, stage
from phibench.run import execute
from phibench.specs import PluginSpec
from tests.helpers import compose_run, extra_plugins, synthetic_overrides

ON_DISK = [
    ("sample_id", pa.string()), ("path", pa.string()), ("frame", pa.int32()),
    ("dataset", pa.string()), ("has_phi_true", pa.bool_()), ("has_phi_pred", pa.bool_()),
    ("error", pa.string()), ("error_stage", pa.string()), ("error_type", pa.string()),
    ("confidence", pa.float64()), ("entities", pa.string()), ("truth_regions", pa.string()),
    ("detector", pa.string()), ("endpoint", pa.string()), ("input_tokens", pa.int64()),
    ("output_tokens", pa.int64()), ("latency_s", pa.float64()), ("attempts", pa.int32()),
    ("cpu_s", pa.float64()), ("render_s", pa.float64()), ("cost_usd", pa.float64()),
    ("worker", pa.string()), ("session_id", pa.string()), ("session_started_at", pa.float64()),
    ("finished_at", pa.float64()),
    ("redaction", pa.string()), ("redaction_reason", pa.string()), ("redacted_path", pa.string()),
    ("quarantine_path", pa.string()), ("redaction_boxes", pa.string()),
    ("pixels_changed", pa.bool_()), ("image_height", pa.int32()), ("image_width", pa.int32()),
    ("residual_regions", pa.string()), ("redact_error", pa.string()),
    ("redact_error_stage", pa.string()), ("redact_s", pa.float64()), ("redact_cpu_s", pa.float64()),
]
"""The columns of ``results.parquet``, in order: the contract with every reader of a run."""


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A real redacting run (test redactor ``whole_frame``: no OCR) over six synthetic files."""
    tmp = tmp_path_factory.mktemp("result_row")
    with extra_plugins("tests.redaction.plugin"):
        cfg = compose_run(
            "detector=flag_all", "redactor=whole_frame", "redactor.verify=false",
            *synthetic_overrides(tmp / "data", 6), "run.progress=false", "reporters=[json]",
            "executor=inline",
        )
        execute(cfg, tmp / "run")
    return tmp / "run"


def _parts(run_dir):
    parts = sorted((run_dir / "results.parquet").glob("*.parquet"))
    assert parts
    return parts


def _row(**kw):
    base = dict(
        sample_id="a#0", path="/d/a.dcm", frame=0, dataset="synthetic", has_phi_true=True,
        has_phi_pred=True, error=None, error_stage=None, error_type=None, confidence=0.5,
        entities=(Entity("NAME", "DOE", (1, 2, 3, 4), 0.9),),
        truth_regions=(TextRegion((1, 2, 3, 4), "DOE", True, "NAME"),), detector="flag_all",
        endpoint="", input_tokens=0, output_tokens=0, latency_s=0.1, attempts=0, cpu_s=0.1,
        render_s=0.2, cost_usd=0.0, worker="h:1", session_id="s", session_started_at=1.0,
        finished_at=2.0,
    )
    return ResultRow(**(base | kw))


# -- one definition, every schema derived -----------------------------------------------------


def test_the_derived_schema_is_the_one_a_real_run_writes(run_dir):
    schema = ResultRow.arrow_schema()
    assert [(f.name, f.type) for f in schema] == ON_DISK
    assert not schema.field("sample_id").nullable
    assert results.SCHEMA == schema and results.COLUMNS == schema.names == ResultRow.columns()
    for part in _parts(run_dir):
        assert pq.read_schema(part).remove_metadata() == schema


def test_the_redaction_columns_are_the_rows_redaction_group():
    group = ResultRow.redaction_columns()
    assert stage.COLUMNS == group
    assert list(group) == ResultRow.columns()[-len(group):]
    assert set(stage.empty_columns()) == set(group)
    assert all(getattr(_row(), name) is None for name in group)  # no redactor: all null


def test_the_spark_columns_take_the_row_types():
    from phibench.spark.detect import DETECTION_SCHEMA
    from phibench.spark.rows import TASK_COLUMNS, TASK_SCHEMA, result_type

    assert DETECTION_SCHEMA == (
        "has_phi boolean, entities string, error string, usage struct<input_tokens:bigint,"
        "output_tokens:bigint,latency_s:double,cpu_s:double,cost_usd:double>"
    )
    # Task columns are not result columns, but they carry the very values the row copies.
    task = dict(part.strip().split(" ") for part in TASK_SCHEMA.split(","))
    assert list(task) == TASK_COLUMNS
    assert task == {name: result_type(name) for name in TASK_COLUMNS}


def test_every_field_is_documented():
    tree = ast.parse(inspect.getsource(result_row))
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "ResultRow")
    docs = {}
    for node, after in zip(cls.body, cls.body[1:]):
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            ok = isinstance(after, ast.Expr) and isinstance(after.value, ast.Constant)
            docs[node.target.id] = after.value.value.strip() if ok else ""
    assert list(docs) == ResultRow.columns()
    assert not [name for name, doc in docs.items() if not doc]


# -- a misspelt column fails loudly ----------------------------------------------------------


def test_a_misspelt_column_fails_where_it_is_written():
    with pytest.raises(TypeError, match="has_phi_prd"):
        _row(has_phi_prd=False)
    row = _row()
    with pytest.raises(TypeError):
        dataclasses.replace(row, sampel_id="b#0")
    with pytest.raises(ValueError, match="redacton"):
        row.with_redaction({"redacton": "masked"})
    with pytest.raises(ValueError, match="sample_id"):  # only the group's columns
        row.with_redaction({"sample_id": "b#0"})
    with pytest.raises(dataclasses.FrozenInstanceError):
        row.error = "x"  # type: ignore[misc]
    with pytest.raises(TypeError, match="has_phi_prd"):
        ResultRow.from_record(row.to_record() | {"has_phi_prd": True})
    assert row["has_phi_pred"] is True and row["entities"] == row.entities  # reads by name
    with pytest.raises(KeyError, match="has_phi_prd"):
        row["has_phi_prd"]
    with pytest.raises(TypeError):
        row["error"] = "x"  # type: ignore[index]


def test_the_store_refuses_an_unknown_column_of_a_plain_record(tmp_path):
    with pytest.raises(ValueError, match="sampel_id"):
        results.ResultStore(tmp_path).append([{"sampel_id": "a#0"}])


# -- the storage boundary --------------------------------------------------------------------


def test_to_record_round_trips_and_encodes_only_at_the_boundary():
    row = _row().with_redaction({"redaction": "masked", "pixels_changed": True})
    record = row.to_record()
    assert list(record) == ResultRow.columns()
    assert record["entities"] == Entity.list_to_json(row.entities)
    assert record["truth_regions"] == GroundTruth(True, row.truth_regions).regions_json()
    assert ResultRow.from_record(record) == row


def test_every_stored_row_of_a_real_run_round_trips(run_dir):
    records = [r for part in _parts(run_dir) for r in pq.read_table(part).to_pylist()]
    assert records and any(r["redaction"] == "masked" for r in records)
    for record in records:
        assert ResultRow.from_record(record).to_record() == record


def test_a_row_stored_and_read_back_is_the_same_row(tmp_path):
    row = _row(confidence=None, entities=(), has_phi_pred=False)
    store = results.ResultStore(tmp_path)
    store.append([row])
    (record,) = pq.read_table(store.path, schema=results.SCHEMA).to_pylist()
    assert ResultRow.from_record(record) == row


def test_the_codecs_beside_the_records_round_trip():
    entities = (Entity("NAME", "DOE", (1, 2, 3, 4), 0.9), Entity("DATE"))
    assert Entity.list_from_json(Entity.list_to_json(entities)) == entities
    assert Entity.list_from_json(None) == () == Entity.list_from_json("")
    regions = (TextRegion((1, 2, 3, 4), "DOE", True, "NAME"), TextRegion((0, 0, 1, 1), "L", False))
    assert TextRegion.list_from_json(TextRegion.list_to_json(regions)) == regions
    assert GroundTruth.regions_from_json(GroundTruth(None, regions).regions_json()) == regions


def test_rows_made_without_running_are_result_rows(tmp_path):
    tasks = [Task(Sample(f"a#{k}", "/d/a.dcm", k, "x"), GroundTruth(True)) for k in range(2)]
    err = SampleError("/d/a.dcm", "decode", "WorkerDied", "gone")
    spec = PipelineSpec(detector=PluginSpec.of("detector", "flag_all"))
    rows = failed_rows(tasks, err, spec)
    assert all(isinstance(r, ResultRow) and r.error == str(err) and r.redaction is None for r in rows)
    spec = dataclasses.replace(
        spec, redaction=RedactionSpec(PluginSpec.of("redactor", "whole_frame"), str(tmp_path))
    )
    rows = failed_rows(tasks, err, spec)
    assert {r.redaction for r in rows} == {"failed"} and rows[0].redact_error_stage == "redact"
