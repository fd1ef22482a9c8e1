"""The streaming pipeline (phibench/pipeline.py): a streaming detector's frames are rendered ahead
on a thread and answered out of order, with the same rows as a detector that takes batches; the
frames in memory stay bounded; a detector that drops frames or breaks fails them, closed; a killed
run resumes to the rows of an uninterrupted one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pandas as pd
import pytest

from phibench.pipeline import AHEAD_MIN
from phibench.results import ResultStore
from phibench.run import execute
from tests.helpers import compose_run, extra_plugins, synthetic_overrides

PLUGIN = "tests.pipeline.plugin"
TIMING = ["finished_at", "session_id", "session_started_at", "worker", "detector"]
"""Besides every ``*_s`` column and every cost (CPU-priced): what differs between two runs of the
same rows."""


def answers(df: pd.DataFrame) -> pd.DataFrame:
    drop = [c for c in df.columns if c in TIMING or c.endswith("_s") or "cost" in c]
    return df.drop(columns=drop).sort_values("sample_id").reset_index(drop=True)


def rows(tmp_path, name, *overrides):
    with extra_plugins(PLUGIN):
        execute(compose_run(f"detector={name}", "executor=inline", "run.progress=false",
                            "reporters=[json]", *overrides), tmp_path)
    return answers(ResultStore(tmp_path).read())


@pytest.mark.parametrize("redactor", [None, "whole_frame"])
def test_a_streaming_detector_gives_the_rows_of_a_batch_detector_on_synthetic(tmp_path, redactor):
    data = synthetic_overrides(tmp_path / "data", 12)
    extra = [f"redactor={redactor}"] if redactor else []
    module = "tests.pipeline.plugin,tests.redaction.plugin" if redactor else PLUGIN
    with extra_plugins(module):
        batch = rows_in(tmp_path / "batch", "pixel_oracle", *data, *extra)
        stream = rows_in(tmp_path / "stream", "pixel_oracle_stream", *data, *extra)
    assert len(batch) > 12 and batch["error"].notna().any() and batch["has_phi_pred"].eq(True).any()
    if redactor:  # the redacted copies are under each run's own folder: compare what they say
        for df in (batch, stream):
            df["redacted_path"] = df["redacted_path"].str.replace(r"^.*/redacted/", "", regex=True)
        assert batch["redaction"].notna().all()
    pd.testing.assert_frame_equal(batch, stream)


def rows_in(run_dir, name, *overrides):
    execute(compose_run(f"detector={name}", "executor=inline", "run.progress=false",
                        "reporters=[json]", *overrides), run_dir)
    return answers(ResultStore(run_dir).read())


def test_a_streaming_detector_gives_the_rows_of_a_batch_detector_on_the_pydicom_corpus(tmp_path, pydicom_test_dir):
    data = ["dataset=folder", f"dataset.root={pydicom_test_dir}"]
    batch = rows(tmp_path / "batch", "pixel_oracle", *data)
    stream = rows(tmp_path / "stream", "pixel_oracle_stream", *data)
    assert batch["error_stage"].isin(["read", "decode", "render"]).any()  # the corpus's odd files
    pd.testing.assert_frame_equal(batch, stream)


def test_rendering_ahead_keeps_a_bounded_number_of_frames_in_memory(tmp_path):
    from tests.pipeline.plugin import PEAK

    PEAK.update(live=0, checks=0)
    window = 4
    df = rows(tmp_path, "pixel_oracle_stream", *synthetic_overrides(tmp_path / "data", 40),
              "detector.delay_s=0.005", f"detector.window={window}", "detector.count_live=true",
              "detector.fail=0")
    assert len(df) > 40 and PEAK["checks"] >= 8
    # the renderer's queue, the frame it is putting, the detector's window, the one in hand
    assert PEAK["live"] <= AHEAD_MIN + 1 + window + 2, PEAK


def test_frames_a_detector_drops_or_holds_when_it_breaks_fail_closed(tmp_path):
    df = rows(tmp_path, "drops_frames", *synthetic_overrides(tmp_path / "data", 10))
    answered, failed = df[df["error"].isna()], df[df["error"].notna()]
    assert df["sample_id"].is_unique and len(answered) and len(failed)
    assert set(failed["error_stage"]) == {"detect"} and failed["has_phi_pred"].isna().all()
    broke = failed["error"].str.contains("connection broke")
    assert broke.any() and (~broke).any()  # held when it broke; never answered at the end
    assert failed.loc[~broke, "error"].str.contains("gave no result").all()


@pytest.mark.slow
def test_a_killed_streaming_run_resumes_to_the_rows_of_an_uninterrupted_one(tmp_path):
    data = synthetic_overrides(tmp_path / "data", 30)
    args = [sys.executable, "-m", "phibench", "run", "detector=pixel_oracle_stream", "executor=inline",
            "detector.delay_s=0.05", "run.flush_rows=4", "run.flush_seconds=0.2", "run.progress=false", *data]
    env = {**os.environ, "PHIBENCH_EXTRA_PLUGINS": PLUGIN}
    killed = tmp_path / "killed"
    proc = subprocess.Popen([*args, f"hydra.run.dir={killed}"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        parts = list((killed / "results.parquet").glob("*.parquet")) if (killed / "results.parquet").exists() else []
        if len(parts) >= 2:
            break
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be killed"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    partial = len(ResultStore(killed).read())
    resumed = subprocess.run([*args, f"hydra.run.dir={killed}"], env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    whole = tmp_path / "whole"
    done = subprocess.run([*args, f"hydra.run.dir={whole}"], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    a, b = answers(ResultStore(killed).read()), answers(ResultStore(whole).read())
    assert 0 < partial < len(b)
    pd.testing.assert_frame_equal(a, b)
