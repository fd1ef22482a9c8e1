"""The Spark executor in this process, on the package's local[2] session: the same rows as the
inline executor, one model load per worker process, and a worker killed mid-partition."""

from __future__ import annotations

import json
import os

import pandas as pd
import pytest

from phibench.results import ResultStore
from phibench.run import execute
from tests.helpers import compose_run
from tests.spark.conftest import corpus_overrides

QUIET = ["run.progress=false", "reporters=[json]"]
SPARK = ["executor=spark", "executor.master='local[2]'"]
VOLATILE = ["latency_s", "cpu_s", "render_s", "cost_usd", "worker", "session_id", "session_started_at",
            "finished_at"]
"""Columns that differ between any two runs (timing, where and when)."""


def run(run_dir, *overrides):
    return execute(compose_run(*overrides, *QUIET), run_dir), ResultStore(run_dir).read()


def worker_stats(run_dir) -> list[dict]:
    return [json.loads(p.read_text()) for p in sorted((run_dir / "workers").glob("*.json"))]


def test_spark_and_inline_give_identical_rows(spark, tmp_path, labelled_corpus):
    args = ["detector=hash_flag", *corpus_overrides(labelled_corpus), "run.batch_size=3"]
    inline_card, inline = run(tmp_path / "inline", "executor=inline", *args)
    spark_card, on_spark = run(tmp_path / "spark", *SPARK, "executor.partitions=5", *args)
    assert len(inline) == 250 and on_spark["error"].notna().sum() > 50  # real, odd files
    pd.testing.assert_frame_equal(inline.drop(columns=VOLATILE), on_spark.drop(columns=VOLATILE))
    for key in ("samples", "confusion", "metrics", "per_category", "errors_by_stage"):
        assert spark_card[key] == inline_card[key], key
    raw = pd.read_parquet(tmp_path / "spark" / "results.parquet")
    assert raw["sample_id"].is_unique and len(raw) == 250
    assert not (tmp_path / "spark" / "workers" / "inflight").exists()


def test_each_worker_process_builds_the_detector_once(spark, tmp_path, labelled_corpus):
    _, df = run(tmp_path, *SPARK, "executor.partitions=8", "executor.arrow_batch_size=4",
                "detector=hash_flag", "detector.salt=loads", *corpus_overrides(labelled_corpus))
    stats = worker_stats(tmp_path)
    assert stats and {s["session_id"] for s in stats} == {df["session_id"].iloc[0]}
    assert all(s["loads_this_run"] == {"detector:hash_flag": 1} for s in stats), stats
    assert sum(s["tasks_this_run"] for s in stats) == 8 > len(stats)  # workers were reused
    assert sum(s["samples_this_run"] for s in stats) == 250
    assert all(s["threads"] == 1 for s in stats)


def test_torch_in_a_worker_runs_one_thread(spark, tmp_path, pydicom_test_dir):
    import torch

    assert torch.get_num_threads() > 1 or (os.cpu_count() or 1) == 1  # so the check means something
    _, df = run(tmp_path, *SPARK, "detector=torch_threads", "dataset=folder",
                f"dataset.root={pydicom_test_dir / 'dicomdirtests'}")
    answered = df[df["error"].isna()]
    assert len(answered) > 3 and set(answered["endpoint"]) == {"torch-threads=1"}


def test_existing_session_is_used_as_it_is(spark, tmp_path, labelled_corpus):
    _, df = run(tmp_path, "executor=spark", "executor.master=existing", "detector=flag_all",
                *corpus_overrides(labelled_corpus))
    assert len(df) == 250
    assert spark.sparkContext._jsc is not None  # not stopped


@pytest.mark.slow
def test_a_worker_killed_on_a_file_loses_nothing_and_records_that_file(spark, tmp_path, labelled_corpus):
    """SIGKILL in the worker (as a codec segfault or the OOM killer would): Spark retries the task,
    the retry finds the in-flight marker, records the file as WorkerDied and finishes the rest."""
    args = ["detector=crash", "detector.crash_on=CT_small", *corpus_overrides(labelled_corpus),
            "run.flush_rows=4"]
    card, df = run(tmp_path, *SPARK, "executor.partitions=4", *args)
    _, reference = run(tmp_path / "ref", "executor=inline", "detector=hash_flag",
                       *corpus_overrides(labelled_corpus))
    raw = pd.read_parquet(tmp_path / "results.parquet")
    assert raw["sample_id"].is_unique and set(raw["sample_id"]) == set(reference["sample_id"])
    died = df[df["error_type"] == "WorkerDied"]
    assert list(died["path"].str.rsplit("/", n=1).str[-1]) == ["CT_small.dcm"]
    assert died["error_stage"].tolist() == ["detect"] and died["has_phi_pred"].isna().all()
    assert "worker process died" in died["error"].iloc[0]
    rest = df[df["error_type"] != "WorkerDied"].drop(columns=VOLATILE + ["detector"])
    expected = reference[reference["sample_id"].isin(rest["sample_id"])].drop(columns=VOLATILE + ["detector"])
    pd.testing.assert_frame_equal(rest.reset_index(drop=True), expected.reset_index(drop=True))
    assert card["confusion"]["errors"] == reference["error"].notna().sum() + 1


@pytest.mark.parametrize(("n", "files", "streams", "batch", "parts"), [
    (160, 160, True, 128, 2),       # a VLM's 160 frames on local[2]: one long partition a slot
    (4000, 4000, True, 128, 16),    # 31 partitions of 128 would fit: eight a slot at most
    (1000, 1000, True, 128, 6),     # 3 rounds of 2 slots: 1000 // (2 x 128)
    (409, 409, True, 128, 2),       # not 3: the third would run alone at the end
    (160, 160, False, 8, 16),       # OCR: eight small partitions a slot
    (160, 3, False, 8, 3),          # never more partitions than files
])
def test_partitions_are_sized_for_the_detector(n, files, streams, batch, parts):
    from phibench.pipeline import PipelineSpec, Task
    from phibench.records import GroundTruth, Sample
    from phibench.spark.executor import SparkExecutor
    from phibench.specs import PluginSpec

    tasks = [Task(Sample(f"s{i}", f"/f{i % files}.dcm"), GroundTruth(False)) for i in range(n)]
    spec = PipelineSpec(PluginSpec("detector", "gpt4o", {}), batch_size=batch, streams=streams)
    got, why = SparkExecutor()._partitions(tasks, 2, spec)
    assert got == parts, why
    assert ("streaming detector" in why) is streams
