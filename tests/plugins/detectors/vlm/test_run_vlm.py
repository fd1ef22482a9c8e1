"""End to end: VLM detectors through ``phibench.run.execute`` on synthetic DICOMs, answered by a
local server that reads ground truth: exact scorecards, errors apart from negatives, exact
replays, reruns that cost nothing."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from phibench.registry import default_registry
from phibench.results import ResultStore
from phibench.run import execute
from phibench.testing import FirstAttempts, GroundTruthRule, Reply, pick, truth_by_image
from phibench_plugins.detectors.vlm.cache import ResponseCache
from phibench_plugins.detectors.vlm.image import encode_image
from tests.helpers import compose_run, phibench, synthetic_overrides
from tests.plugins.detectors.vlm.conftest import KEY_ENV, SERVERS

QUIET = ["run.progress=false", "reporters=[json,markdown]"]
TIMING = {"throughput_images_per_s", "wall_time_s", "latency_s", "render_s", "run_dir"}
PLAN = {"fingerprint"}
"""The plan's fingerprint: a replay's config differs (cache=replay, cache_root), so its does too."""


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("synthetic")


@pytest.fixture(scope="module")
def truth(data_dir):
    """Image hash (as the detectors encode it by default) -> the PHI burned into it."""
    dataset = default_registry().build("dataset", "synthetic", {"n": 12, "seed": 0, "out": str(data_dir)})
    return truth_by_image(dataset.plan(), lambda image: encode_image(image, 768, "jpeg", 90).data)


def run(run_dir, name, server, data_dir, *overrides):
    executor = [] if any(o.startswith("executor=") for o in overrides) else ["executor=inline"]
    cfg = compose_run(f"detector={name}", f"detector.base_url={server.base_url}",
                      f"detector.api_key_env={KEY_ENV}", "detector.max_in_flight=4",
                      "detector.backoff_initial_s=0.01", "detector.timeout_s=2",
                      *synthetic_overrides(data_dir, 12), *QUIET, *executor, *overrides)
    return execute(cfg, run_dir), ResultStore(run_dir).read()


def expected_confusion(df, rule, truth):
    """The confusion the rule's answers must produce, from ground truth alone."""
    out = {"tp": 0, "fp": 0, "tn": 0, "fn": 0}
    for key, phi in truth.items():
        said = rule.says_phi(key)
        out[("t" if said == bool(phi) else "f") + ("p" if said else "n")] += 1
    return out


@pytest.mark.parametrize(("name", "style", "prompt"), [
    ("gpt4o", "json", "phi_json_v1"),
    ("claude", "json", "phi_json_v1"),
    ("llama4_maverick", "pipes", "pixels_pipes_v1"),
])
def test_each_plugin_scores_exactly_what_the_model_said(name, style, prompt, tmp_path, data_dir, truth, api_key):
    rule = GroundTruthRule(truth, error_rate=0.25, seed=3, style=style)
    with SERVERS[name](rule) as server:
        sc, df = run(tmp_path, name, server, data_dir, f"detector.prompt={prompt}")
    assert len(df) == len(truth) and not server.errors
    assert {k: sc["confusion"][k] for k in ("tp", "fp", "tn", "fn")} == expected_confusion(df, rule, truth)
    assert sc["confusion"]["errors"] == 0 and 0 < sc["confusion"]["fp"] + sc["confusion"]["fn"]
    assert sc["simulated"] is True and sc["endpoints"] == [server.base_url + " (simulated)"]
    assert sc["tokens"]["input"] == int(df["input_tokens"].sum()) > 50 * len(df)
    assert (df["attempts"] == 1).all() and len(server.requests) == len(df)
    price = sc["detector"]["price"]
    cost = (df["input_tokens"] * price["input_per_1m"] + df["output_tokens"] * price["output_per_1m"]) / 1e6
    assert sc["cost_per_100k_usd"] == pytest.approx(cost.mean() * 100_000)
    assert "measured tokens" in sc["cost_basis"] and sc["detector"]["prompt"].startswith(prompt.rsplit("_", 1)[0])
    pc = sc["per_category"]  # entities carry the text read, so regions are located by text
    assert pc["detector_reports_entities"] is True
    assert any((v["region_recall"]["value"] or 0) > 0.5 for v in pc["phi"].values())


def test_faults_become_error_rows_never_negatives(tmp_path, data_dir, truth, api_key):
    keys = sorted(truth)
    faults = [Reply.refusal(), Reply.truncated(), Reply.error(500), Reply.drop(), Reply.empty(),
              Reply.answer("Probably fine, nothing here I think."), Reply.error(400)]
    broken = {k: faults[i] for i, k in enumerate(keys[: len(faults)])}
    good = GroundTruthRule(truth)

    def behaviour(request):
        return broken.get(request.image_key) or good(request)

    with SERVERS["gpt4o"](behaviour) as server:
        sc, df = run(tmp_path, "gpt4o", server, data_dir, "detector.max_attempts=2")
    failed = df[df["error"].notna()]
    assert len(failed) == len(broken) and failed["has_phi_pred"].isna().all()
    assert set(failed["error_stage"]) == {"detect"}
    assert sorted(t.rsplit(".", 1)[1] for t in failed["error_type"]) == sorted(
        ["AnswerRefused", "AnswerTruncated", "RequestFailed", "RequestFailed", "AnswerEmpty", "AnswerUnparsable",
         "RequestFailed"])
    c = sc["confusion"]
    assert c["errors"] == len(broken) and c["tp"] + c["fp"] + c["tn"] + c["fn"] == len(df) - len(broken)
    assert c["fp"] == 0 and c["fn"] == 0  # the answered ones are all right; no error became a negative
    assert c["errors_on_phi"] + c["errors_on_no_phi"] == len(broken)
    assert sc["errors_by_stage"] == {"detect": len(broken)}
    retried = failed[failed["error"].str.contains("HTTP 500|connection dropped")]
    assert (retried["attempts"] == 2).all() and len(retried) == 2


def test_transient_faults_inside_a_run_are_retried_and_recorded(tmp_path, data_dir, truth, api_key):
    rule = FirstAttempts([Reply.rate_limited(retry_after=0.05), Reply.malformed()], then=GroundTruthRule(truth),
                         share=0.5, seed=1)
    with SERVERS["claude"](rule, latency_s=0.05) as server:
        sc, df = run(tmp_path, "claude", server, data_dir, "run.batch_size=16")
    chosen = {k for k in truth if pick(k, 0.5, 1)}
    assert sc["confusion"]["errors"] == 0 and sorted(df["attempts"].tolist()) == sorted(
        [3] * len(chosen) + [1] * (len(truth) - len(chosen)))
    assert 1 < server.max_in_flight <= 4


def test_replay_reproduces_the_scorecard_exactly_offline(monkeypatch, tmp_path, data_dir, truth, api_key):
    rule = GroundTruthRule(truth, error_rate=0.3, seed=5)
    faults = {k: Reply.refusal() for k in sorted(truth)[:2]}
    with SERVERS["gpt4o"](lambda r: faults.get(r.image_key) or rule(r)) as server:
        first, df1 = run(tmp_path / "a", "gpt4o", server, data_dir)
    monkeypatch.delenv(KEY_ENV)  # offline: no server, no key
    again, df2 = run(tmp_path / "b", "gpt4o", server, data_dir, "detector.cache=replay",
                     f"detector.cache_root={tmp_path / 'a'}")
    assert (df2["attempts"] == 0).all() and len(server.requests) == len(truth)
    a, b = ({k: v for k, v in sc.items() if k not in TIMING | PLAN} for sc in (first, again))
    for sc in (a, b):
        sc["config"]["detector"].pop("cache"), sc["config"]["detector"].pop("cache_root")
        sc["provenance"].pop("started_at"), sc["provenance"].pop("finished_at")  # when, not what
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    assert a["confusion"]["errors"] == 2 and a["simulated"] is True
    cols = ["sample_id", "has_phi_pred", "error", "error_type", "entities", "endpoint", "input_tokens",
            "output_tokens", "cost_usd"]
    pd.testing.assert_frame_equal(df1[cols], df2[cols])


def test_a_rerun_costs_nothing_and_a_replay_miss_is_an_error_row(tmp_path, data_dir, truth, api_key):
    with SERVERS["claude"](GroundTruthRule(truth)) as server:
        first, _ = run(tmp_path / "a", "claude", server, data_dir)
        sent = len(server.requests)
        cache_dir = tmp_path / "a" / "cache"
        rerun, df = run(tmp_path / "b", "claude", server, data_dir, f"detector.cache_root={tmp_path / 'a'}")
        assert len(server.requests) == sent and (df["attempts"] == 0).all()
        assert rerun["confusion"] == first["confusion"] and rerun["cost_per_100k_usd"] == first["cost_per_100k_usd"]
    entries = sorted(cache_dir.glob("??/*.json"))
    assert len(entries) == ResponseCache(cache_dir).count() == sent
    for path in entries[:3]:
        path.unlink()
    replay, df = run(tmp_path / "c", "claude", server, data_dir, "detector.cache=replay",
                     f"detector.cache_root={tmp_path / 'a'}")
    missed = df[df["error_type"].fillna("").str.endswith("CacheMiss")]
    assert len(missed) == 3 and missed["has_phi_pred"].isna().all()
    assert replay["confusion"]["errors"] == 3 and "cache=replay" in missed["error"].iloc[0]


@pytest.mark.slow
def test_inside_spark_workers_the_cache_and_labels_hold(tmp_path, data_dir, truth, api_key):
    """The same detector in Spark Python workers (a fresh `phibench run`, so a fresh Spark): its
    event loop runs there, the key arrives through the environment, the cache lands in this run's
    folder (from the run context that travels with the pipeline's spec), and the scorecard is exact and labelled simulated."""
    run_dir = tmp_path / "run"
    with SERVERS["gpt4o"](GroundTruthRule(truth), latency_s=0.05) as server:
        out = phibench("run", "detector=gpt4o", f"detector.base_url={server.base_url}",
                       f"detector.api_key_env={KEY_ENV}", "executor=spark", "executor.ui=false",
                       *synthetic_overrides(data_dir, 12), f"hydra.run.dir={run_dir}",
                       "run.progress=false", "reporters=[json]",
                       env={KEY_ENV: api_key, "SPARK_LOCAL_IP": "127.0.0.1"}, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    sc = json.loads((run_dir / "scorecard.json").read_text())
    assert sc["confusion"]["errors"] == 0 and sc["confusion"]["fp"] + sc["confusion"]["fn"] == 0
    assert sc["simulated"] is True and len(server.requests) == len(truth) == sc["samples"]
    assert ResponseCache(run_dir / "cache").count() == len(truth)
    assert sc["config"]["detector"]["cache_root"] is None  # placed by the run's context, not config


def test_after_a_500_storm_a_rerun_against_a_healthy_server_retries_the_error_rows(tmp_path, data_dir, truth, api_key):
    run_dir, rule, storm = tmp_path / "run", GroundTruthRule(truth), {"on": True}
    with SERVERS["gpt4o"](lambda r: Reply.error(500) if storm["on"] else rule(r)) as server:
        first, df = run(run_dir, "gpt4o", server, data_dir, "detector.max_attempts=2")
        assert first["confusion"]["errors"] == len(truth) and df["has_phi_pred"].isna().all()
        storm["on"], sent = False, len(server.requests)  # the endpoint recovers
        second, df = run(run_dir, "gpt4o", server, data_dir, "detector.max_attempts=2")
        assert len(server.requests) - sent == len(truth)  # every error row asked again, once
        third, _ = run(run_dir, "gpt4o", server, data_dir, "detector.max_attempts=2")
        assert len(server.requests) - sent == len(truth)  # answered rows are not asked again
    assert second["confusion"]["errors"] == 0 and third["confusion"] == second["confusion"]
    assert {k: second["confusion"][k] for k in ("tp", "fp", "tn", "fn")} == expected_confusion(df, rule, truth)
