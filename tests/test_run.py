"""End to end: a composed config through plan, executor, results store, scorecard, reporters."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

from phibench.exceptions import ConfigError
from phibench.registry import default_registry
from phibench.results import ResultStore
from phibench.run import execute, plan, report
from tests.helpers import compose_run, phibench, synthetic_overrides

QUIET = ["run.progress=false", "reporters=[json,markdown]"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("synthetic")


def run(tmp_path, *overrides):
    cfg = compose_run(*overrides, *QUIET)
    return execute(cfg, tmp_path), ResultStore(tmp_path).read()


def test_flag_all_on_synthetic_scores_what_it_should(tmp_path, data_dir):
    sc, df = run(tmp_path, "detector=flag_all", *synthetic_overrides(data_dir, 12))
    c = sc["confusion"]
    positives = int(df["has_phi_true"].sum())
    assert c["tp"] == positives and c["fn"] == 0 and c["tn"] == 0
    assert c["fp"] == len(df) - positives - c["errors"]
    assert sc["metrics"]["recall"]["value"] == 1.0 and sc["metrics"]["specificity"]["value"] == 0.0
    assert {"tp", "fp", "tn", "fn", "errors"} <= set(c)
    for name in ("recall", "precision", "specificity", "npv", "accuracy", "f1"):
        assert {"value", "ci_low", "ci_high"} <= set(sc["metrics"][name])
    for key in ("cost_per_100k_usd", "throughput_images_per_s", "config", "versions", "schema_version"):
        assert key in sc
    on_disk = json.loads((tmp_path / "scorecard.json").read_text())
    assert on_disk["confusion"] == c
    assert "## Confusion matrix" in (tmp_path / "scorecard.md").read_text()
    assert sc["config"]["detector"] == {"name": "flag_all"}
    assert (tmp_path / "config.resolved.yaml").read_text().count("name:") >= 3


def test_confusion_recomputes_exactly_from_results_parquet(tmp_path, data_dir):
    sc, _ = run(tmp_path, "detector=flag_none", *synthetic_overrides(data_dir, 12))
    df = pd.read_parquet(tmp_path / "results.parquet")
    ok = df[df["error"].isna()]
    assert sc["confusion"] == {
        "tp": int((ok.has_phi_true & ok.has_phi_pred).sum()),
        "fp": int((~ok.has_phi_true & ok.has_phi_pred).sum()),
        "tn": int((~ok.has_phi_true & ~ok.has_phi_pred).sum()),
        "fn": int((ok.has_phi_true & ~ok.has_phi_pred).sum()),
        "errors": int(df["error"].notna().sum()),
        "errors_on_phi": int((df["error"].notna() & df.has_phi_true).sum()),
        "errors_on_no_phi": int((df["error"].notna() & ~df.has_phi_true).sum()),
        "unlabeled": 0,
    }
    assert set(["sample_id", "path", "frame", "has_phi_true", "has_phi_pred", "error"]) <= set(df.columns)


def test_rerun_into_the_same_dir_resumes_and_scores_the_same(tmp_path, data_dir):
    overrides = ("detector=flag_all", *synthetic_overrides(data_dir, 12), "run.flush_rows=4", "run.batch_size=2")
    first, df = run(tmp_path, *overrides)
    (part,) = sorted((tmp_path / "results.parquet").glob("*.parquet"))  # a finished run: one part
    pq.write_table(pq.read_table(part).slice(0, 4), part)  # as if killed after its first flush
    kept = ResultStore(tmp_path).done_ids()
    again, df2 = run(tmp_path, *overrides)
    assert again["confusion"] == first["confusion"] and again["metrics"] == first["metrics"]
    assert df2["sample_id"].is_unique and set(df2["sample_id"]) == set(df["sample_id"])
    raw = pd.read_parquet(tmp_path / "results.parquet")
    assert len(raw) == len(df)  # finished samples were skipped, not recomputed
    assert raw.groupby("session_id").size().min() > 0 and raw["session_id"].nunique() == 2
    assert len(kept) < len(df)


def test_rescoring_a_run_gives_the_same_scorecard(tmp_path, data_dir):
    first, _ = run(tmp_path, "detector=flag_all", *synthetic_overrides(data_dir, 12))
    again = report(tmp_path)
    assert {k: v for k, v in again.items()} == first


def test_every_pydicom_test_file_is_a_result_or_a_named_error(tmp_path, pydicom_test_dir):
    sc, df = run(tmp_path, "detector=flag_none", "dataset=folder", f"dataset.root={pydicom_test_dir}")
    files = {p.resolve() for p in pydicom_test_dir.rglob("*") if p.is_file() and not p.name.startswith(".")}
    assert {str(p) for p in files} == set(df["path"])
    failed = df[df["error"].notna()]
    assert failed["has_phi_pred"].isna().all()
    assert failed["error_stage"].isin(["read", "decode", "render"]).all()
    assert (failed["error"].str.len() > 10).all()
    answered = df[df["error"].isna()]
    assert (answered["has_phi_pred"] == False).all()  # noqa: E712
    assert len(answered) > len(failed)  # most of the corpus decodes
    assert sc["confusion"]["errors"] == len(failed) and sc["confusion"]["unlabeled"] == len(answered)


def test_bad_parameters_fail_before_the_run_names_the_key(tmp_path):
    cfg = compose_run("detector=flag_all", "dataset=folder", "+dataset.rooot=/x", *QUIET)
    with pytest.raises(ConfigError, match="rooot"):
        plan(cfg, default_registry())


def test_cli_run_writes_the_run_dir_and_prints_the_scorecard(tmp_path, data_dir):
    out = phibench("run", "detector=flag_all", *synthetic_overrides(data_dir, 12), f"hydra.run.dir={tmp_path}",
                   "run.progress=false")
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Confusion matrix" in out.stdout and "recall" in out.stdout
    for name in ("scorecard.json", "scorecard.md", "results.parquet", "config.resolved.yaml", ".hydra"):
        assert (tmp_path / name).exists(), name


def test_cli_unknown_detector_fails_fast_listing_known(tmp_path):
    out = phibench("run", "detector=nope", f"hydra.run.dir={tmp_path}")
    assert out.returncode == 2 and "unknown detector 'nope'" in out.stderr and "flag_all" in out.stderr
    assert not (tmp_path / "results.parquet").exists()


def test_cli_sweep_runs_each_detector(tmp_path, data_dir):
    out = phibench("run", "-m", "detector=flag_all,flag_none", *synthetic_overrides(data_dir, 12),
                   f"hydra.sweep.dir={tmp_path}", "run.progress=false", "reporters=[json]")
    assert out.returncode == 0, out.stderr[-3000:]
    cards = sorted(tmp_path.glob("*/scorecard.json"))
    assert [json.loads(p.read_text())["detector"]["name"] for p in cards] == ["flag_all", "flag_none"]


def test_a_finished_run_compacts_its_parts_losslessly_and_a_crash_mid_way_loses_nothing(tmp_path, data_dir):
    import shutil

    store = ResultStore(tmp_path)
    seen: list[int] = []
    original = ResultStore.compact

    def counting(self):
        seen.append(len(self.parts()))
        return original(self)

    ResultStore.compact = counting
    try:
        sc, df = run(tmp_path, "detector=flag_all", *synthetic_overrides(data_dir, 12), "run.flush_rows=2",
                     "run.batch_size=2", "executor=inline")
    finally:
        ResultStore.compact = original
    assert seen and seen[0] >= 5  # many small parts before
    (part,) = store.parts()
    assert pq.read_metadata(part).num_rows == len(df) and df["sample_id"].is_unique
    # a crash after the merged part was renamed in, before the old ones were removed: every row twice
    shutil.copy(part, part.with_name("part-old-000001.parquet"))
    twice = store.read()
    assert len(pq.read_table(store.path)) == 2 * len(df)
    pd.testing.assert_frame_equal(twice, df)
    assert store.done_ids() == set(df["sample_id"])
    assert store.compact() == (2, 2 * len(df)) and len(store.parts()) == 1
    pd.testing.assert_frame_equal(store.read(), df)
