"""``phibench run`` on Spark as a user runs it: a standalone cluster, and a driver killed with
SIGKILL midway and rerun. Each test starts its own processes and always tears them down."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pandas as pd
import pytest

from phibench.run import execute
from tests.helpers import compose_run
from tests.spark.conftest import corpus_overrides, spark_env
from tests.spark.processes import StandaloneCluster, group_alive, kill_group, start, wait_for

pytestmark = pytest.mark.slow

COMPARED = ("samples", "confusion", "metrics", "per_category", "errors_by_stage")


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "phibench", "run", *args]


@pytest.fixture(scope="module")
def reference(tmp_path_factory, labelled_corpus):
    """The scorecard of an uninterrupted inline run (hash_flag answers do not depend on timing)."""
    run_dir = tmp_path_factory.mktemp("reference")
    cfg = compose_run("executor=inline", "detector=hash_flag", *corpus_overrides(labelled_corpus),
                      "run.progress=false", "reporters=[json]")
    return execute(cfg, run_dir)


def check_complete(run_dir, reference, retried: frozenset[str] = frozenset()) -> pd.DataFrame:
    """Every sample stored once -- twice for the ``retried`` ones (error rows a rerun ran again)."""
    raw = pd.read_parquet(run_dir / "results.parquet")
    twice = raw["sample_id"][raw["sample_id"].duplicated()]
    assert set(twice) <= retried and twice.is_unique, sorted(set(twice) - retried)
    assert raw["sample_id"].nunique() == reference["samples"]
    card = json.loads((run_dir / "scorecard.json").read_text())
    for key in COMPARED:
        assert card[key] == reference[key], key
    return raw


def test_a_run_on_a_standalone_cluster(tmp_path, labelled_corpus, reference):
    with StandaloneCluster(tmp_path, env=spark_env()) as cluster:
        out = subprocess.run(
            cli("executor=spark", f"executor.master='{cluster.url}'", "executor.ui=true", "detector=hash_flag",
                *corpus_overrides(labelled_corpus), f"hydra.run.dir={tmp_path / 'run'}"),
            env={**os.environ, **spark_env()}, capture_output=True, text=True, timeout=300,
        )
        assert out.returncode == 0, out.stderr[-3000:] + cluster.executor_logs()[-3000:]
        master_log = cluster.master_log.read_text()
        assert "Registered app phibench" in master_log and "Launching executor" in master_log
    raw = check_complete(tmp_path / "run", reference)
    assert f"{reference['samples']}/{reference['samples']} samples" in out.stderr  # progress bar
    assert " INFO " not in out.stderr and "Stage " not in out.stderr  # Spark kept quiet
    assert re.search(r"Spark UI at http://\S+:\d+", out.stderr)  # executor.ui=true
    stats = [json.loads(p.read_text()) for p in (tmp_path / "run" / "workers").glob("*.json")]
    assert stats and all(s["loads_this_run"] == {"detector:hash_flag": 1} for s in stats)
    assert set(raw["worker"]) <= {f"{s['host']}:{s['pid']}" for s in stats}


def test_kill_9_the_driver_midway_then_rerun_scores_like_an_uninterrupted_run(
    tmp_path, labelled_corpus, reference
):
    run_dir = tmp_path / "run"
    results = run_dir / "results.parquet"
    args = cli("executor=spark", "executor.master='local[2]'", "detector=hash_flag",
               "detector.sleep_s=0.05", *corpus_overrides(labelled_corpus), "run.flush_rows=4",
               "run.progress=false", f"hydra.run.dir={run_dir}")
    driver = start(args, tmp_path / "first.log", spark_env())
    try:
        wait_for(lambda: len(list(results.glob("part-*.parquet"))) >= 3 if results.exists() else False,
                 180, "the first stored rows")
    finally:
        kill_group(driver)  # SIGKILL to the driver, its JVM and every Python worker
    assert not group_alive(driver.pid)
    kept = pd.read_parquet(results)
    assert 0 < len(kept) < reference["samples"] and not (run_dir / "scorecard.json").exists()
    assert kept["sample_id"].is_unique

    again = subprocess.run(args, env={**os.environ, **spark_env()}, capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 0, again.stderr[-3000:]
    errors = frozenset(kept.loc[kept["error"].notna(), "sample_id"])
    raw = check_complete(run_dir, reference, retried=errors)  # answers are never asked again
    assert raw["session_id"].nunique() == 2  # the rerun did only what the first run had not answered
    assert set(kept["sample_id"]) <= set(raw["sample_id"])
