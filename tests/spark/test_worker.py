"""The Spark executor's worker side, without Spark: in-flight markers, what a retry blames, and
the buffer that stores rows and acknowledges them."""

from __future__ import annotations

import json
from types import SimpleNamespace

from phibench.pipeline import PipelineSpec, StoreSpec, Task
from phibench.records import GroundTruth, Sample
from phibench.results import ResultStore
from phibench.spark.worker import ACK_SCHEMA, WORKER_DIED, _Markers, _Output, _recover
from phibench.specs import PluginSpec


def ctx(attempt: int, task_id: int, partition: int = 3):
    return SimpleNamespace(
        stageId=lambda: 7, partitionId=lambda: partition, attemptNumber=lambda: attempt,
        taskAttemptId=lambda: task_id,
    )


def tasks(*paths: str) -> list[Task]:
    return [Task(Sample(f"{p}#0", p, 0, "t"), GroundTruth(True)) for p in paths]


def spec(run_dir) -> PipelineSpec:
    return PipelineSpec(detector=PluginSpec.of("detector", "flag_all"), session_id="s1",
                        store=StoreSpec(str(run_dir), flush_rows=2, flush_seconds=60))


def test_a_first_attempt_is_not_a_retry_and_leaves_no_marker_when_done(tmp_path):
    m = _Markers(tmp_path, "s1", ctx(0, 1))
    assert not m.retry and json.loads(m.path.read_text())["stage"] == "idle"
    m.watch("decode", tasks("/a"))
    assert json.loads(m.path.read_text()) == {"stage": "decode", "paths": ["/a"]}
    m.done()
    assert not m.path.exists()


def test_a_retry_blames_the_one_file_being_decoded_and_isolates_a_mixed_batch(tmp_path):
    s = spec(tmp_path)
    _Markers(tmp_path, "s1", ctx(0, 1)).watch("decode", tasks("/b"))         # died decoding /b
    _Markers(tmp_path, "s1", ctx(1, 2)).watch("detect", tasks("/c", "/d"))   # died in a batch
    _Markers(tmp_path, "s1", ctx(0, 9, partition=4)).watch("decode", tasks("/a"))  # other partition
    ResultStore(tmp_path).append([{"sample_id": "/e#0", "finished_at": 1.0}])  # already stored
    retry = _Markers(tmp_path, "s1", ctx(2, 3))
    assert retry.retry
    groups, died, skipped = _recover(tasks("/a", "/b", "/c", "/d", "/e"), retry, s)
    assert skipped == 1
    assert [r["sample_id"] for r in died] == ["/b#0"]
    assert died[0]["error_type"] == WORKER_DIED and died[0]["error_stage"] == "decode"
    assert died[0]["has_phi_pred"] is None and died[0]["has_phi_true"] is True
    assert [[t.sample.path for t in g] for g in groups] == [["/c"], ["/d"], ["/a"]]


def test_a_rerun_stage_with_attempt_zero_still_sees_the_earlier_attempt(tmp_path):
    _Markers(tmp_path, "s1", ctx(0, 1))  # an attempt that died between stages (idle)
    again = _Markers(tmp_path, "s1", ctx(0, 5))
    assert again.retry
    groups, died, skipped = _recover(tasks("/a"), again, spec(tmp_path))
    assert died == [] and skipped == 0 and [len(g) for g in groups] == [1]


def test_output_flushes_every_n_rows_and_acknowledges_counts(tmp_path):
    out = _Output(spec(tmp_path))
    assert not out.add([{"sample_id": "a", "finished_at": 1.0}])
    assert out.add([{"sample_id": "b", "finished_at": 1.0}])
    assert out.ack().to_dict("records") == [{"stored": 2, "skipped": 0, "died": 0}]
    assert ResultStore(tmp_path).done_ids() == {"a", "b"}
    assert ACK_SCHEMA == "stored long, skipped long, died long"
    assert list(out.ack().dtypes.astype(str)) == ["int64"] * 3  # Spark's long

