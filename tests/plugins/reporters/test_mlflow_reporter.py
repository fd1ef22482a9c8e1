"""The ``mlflow`` reporter against real MLflow: a real run (a VLM detector on a local simulated
endpoint, with a key in the environment and one in its URL) logged into a SQLite tracking store
under tmp_path, read back with ``MlflowClient``; no key and no PHI in the store; a re-score
updates the same MLflow run; PHI rows only with show_phi; telemetry off. Without the extra, only
the usage-error test runs (for real: the import fails there as it does for a user)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import pytest

import phibench
from phibench.registry import default_registry
from phibench.run import execute, report
from phibench.testing import GroundTruthRule, OpenAIChatServer, truth_by_image
from phibench_plugins.detectors.vlm.image import encode_image
from phibench_plugins.reporters.mlflow_reporter import INSTALL, RUN_KEY_TAG
from tests.helpers import compose_run, synthetic_overrides
from tests.test_phi_hygiene import phi_strings

EXPERIMENT = "phibench-test"
REPORTERS = "reporters=[json,markdown,html,mlflow]"


@pytest.fixture(scope="module")
def mlflow():
    """MLflow, or the test skips (the extra is optional)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")  # this process imports it too
    return pytest.importorskip("mlflow")


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("data")
    default_registry().build("dataset", "synthetic", {"n": 6, "seed": 0, "out": str(out)}).make()
    return out


class Logged:
    """One real run logged to MLflow, with what it needed to know."""

    def __init__(self, mlflow, root: Path, data: Path) -> None:
        self.mlflow, self.root, self.data = mlflow, root, data
        self.store = root / "store"
        self.store.mkdir()
        self.uri = f"sqlite:///{self.store / 'mlflow.db'}"
        self.run_dir = root / "run"
        self.env_key = "sk-test-SECRET-" + secrets.token_hex(8)
        self.url_keys = (secrets.token_hex(10), secrets.token_hex(10))
        self.env = {"MLFLOW_TRACKING_URI": self.uri, "MLFLOW_EXPERIMENT_NAME": EXPERIMENT,
                    "OPENAI_API_KEY": self.env_key}

    def run(self, *overrides: str) -> dict:
        with pytest.MonkeyPatch.context() as mp:
            for k, v in self.env.items():
                mp.setenv(k, v)
            return execute(compose_run("executor=inline", "run.progress=false", *overrides), self.run_dir)

    def client(self):
        return self.mlflow.MlflowClient(tracking_uri=self.uri)

    def runs(self, run_dir: Path):
        exp = self.client().get_experiment_by_name(EXPERIMENT)
        return self.client().search_runs([exp.experiment_id], f"tags.`phibench.run_dir` = '{run_dir.resolve()}'")


@pytest.fixture(scope="module")
def logged(mlflow, data, tmp_path_factory) -> Logged:
    """A gpt4o run on the simulated endpoint, logged to a new store (MLflow's migrations of a new
    SQLite file take about 5 s of the 8)."""
    lg = Logged(mlflow, tmp_path_factory.mktemp("mlflow"), data)
    dataset = default_registry().build("dataset", "synthetic", {"n": 6, "seed": 0, "out": str(lg.data)})
    truth = truth_by_image(list(dataset.plan()), lambda image: encode_image(image, 768, "jpeg", 90).data)
    with OpenAIChatServer(GroundTruthRule(truth)) as server:
        parts = urlsplit(server.base_url)
        url = f"{parts.scheme}://user:{lg.url_keys[0]}@{parts.netloc}{parts.path}?api-key={lg.url_keys[1]}"
        lg.scorecard = lg.run("detector=gpt4o", f"detector.base_url='{url}'", *synthetic_overrides(lg.data, 6), REPORTERS)
    return lg


@pytest.mark.slow
def test_one_mlflow_run_with_the_scorecards_params_metrics_tags_and_reports(logged):
    sc = json.loads((logged.run_dir / "scorecard.json").read_text())
    assert sc["confusion"]["errors"] == 0 and sc["simulated"] is True
    [run] = logged.runs(logged.run_dir)
    assert run.info.run_name == logged.run_dir.name and run.info.status == "FINISHED"
    p, m, t = run.data.params, run.data.metrics, run.data.tags
    assert p["detector.name"] == "gpt4o" and p["detector.model"] == sc["config"]["detector"]["model"]
    assert p["dataset.name"] == "synthetic" and p["dataset.n"] == "6" and p["dataset.seed"] == "0"
    assert p["detector.api_key_env"] == "OPENAI_API_KEY" and "***" in p["detector.base_url"]
    assert p["run.batch_size"] == str(sc["config"]["run"]["batch_size"])
    for name in ("recall", "precision", "specificity", "npv", "accuracy", "error_rate"):
        rate = sc["metrics"][name]
        assert m[name] == pytest.approx(rate["value"]), name
        assert (m[f"{name}.ci_low"], m[f"{name}.ci_high"]) == pytest.approx((rate["ci_low"], rate["ci_high"]))
    for k in ("tp", "fp", "tn", "fn", "errors"):
        assert m[f"confusion.{k}"] == sc["confusion"][k]
    assert m["samples"] == sc["samples"] == 9
    assert m["throughput_images_per_s"] == pytest.approx(sc["throughput_images_per_s"])
    assert m["cost_per_100k_usd"] == pytest.approx(sc["cost_per_100k_usd"]) and m["cost_per_100k_usd"] > 0
    assert m["tokens.input"] == sc["tokens"]["input"] > 0
    assert sc["threshold_free"] is None and "auroc" not in m  # a VLM gives no scores: no curve
    assert m["category.NAME.recall"] == pytest.approx(sc["per_category"]["phi"]["NAME"]["image_recall"]["value"])
    assert t["phibench.version"] == phibench.__version__
    assert t["phibench.dataset_fingerprint"] == sc["provenance"]["dataset_fingerprint"]
    assert t["phibench.fingerprint"] == sc["fingerprint"] and t["phibench.simulated"] == "true"
    assert t["phibench.endpoints"] == ", ".join(sc["endpoints"]) and "(simulated)" in t["phibench.endpoints"]
    client = logged.client()
    assert {a.path for a in client.list_artifacts(run.info.run_id)} == {"scorecard.json", "scorecard.md", "report.html"}
    local = Path(client.download_artifacts(run.info.run_id, "scorecard.json", str(logged.root)))
    assert local.read_text() == (logged.run_dir / "scorecard.json").read_text()
    assert Path(run.info.artifact_uri.removeprefix("file://")).is_relative_to(logged.store)  # beside the db


@pytest.mark.slow
def test_no_key_and_no_phi_reach_the_store(logged):
    df = pd.read_parquet(logged.run_dir / "results.parquet")
    phi = phi_strings(df)
    assert len(phi) > 10  # the run handled PHI: truth regions, the model's entities, header values
    # the database and this run's artifacts (another test's run uploads result rows on purpose)
    [run] = logged.runs(logged.run_dir)
    artifacts = Path(run.info.artifact_uri.removeprefix("file://"))
    files = [*logged.store.glob("mlflow.db*"), *(p for p in artifacts.rglob("*") if p.is_file())]
    blobs = {p.name: p.read_bytes() for p in files}
    assert {"mlflow.db", "scorecard.json", "scorecard.md", "report.html"} <= set(blobs)
    for secret in (logged.env_key, *logged.url_keys):
        assert not [k for k, b in blobs.items() if secret.encode() in b], "a key reached the MLflow store"
    leaks = {s for s in phi for b in blobs.values() if s.encode() in b}
    assert not leaks, f"PHI in the MLflow store: {sorted(leaks)[:5]}"


@pytest.mark.slow
def test_rescoring_updates_the_same_mlflow_run(logged):
    [before] = logged.runs(logged.run_dir)
    with pytest.MonkeyPatch.context() as mp:
        for k, v in logged.env.items():
            mp.setenv(k, v)
        report(logged.run_dir)  # `phibench score DIR`
    [after] = logged.runs(logged.run_dir)
    assert after.info.run_id == before.info.run_id and after.info.status == "FINISHED"
    assert after.data.tags[RUN_KEY_TAG] == before.data.tags[RUN_KEY_TAG]
    assert after.data.metrics == before.data.metrics
    assert len(logged.client().get_metric_history(after.info.run_id, "recall")) == 2


@pytest.mark.slow
def test_result_rows_are_logged_only_where_reports_may_show_phi(logged):
    run_dir = logged.root / "show_phi"
    with pytest.MonkeyPatch.context() as mp:
        for k, v in logged.env.items():
            mp.setenv(k, v)
        common = ("detector=flag_all", "executor=inline", "run.progress=false", *synthetic_overrides(logged.data, 6))
        execute(compose_run(*common, "reporters=[json,mlflow,html]", "report.show_phi=true"), run_dir / "once")
        execute(compose_run(*common, "reporters=[json,{name: mlflow, log_results: true},html]", "report.show_phi=true"),
                run_dir)
    [once] = logged.runs(run_dir / "once")  # show_phi alone, for the local gallery, uploads no rows
    assert {a.path for a in logged.client().list_artifacts(once.info.run_id)} == {"scorecard.json"}
    [run] = logged.runs(run_dir)
    sc = json.loads((run_dir / "scorecard.json").read_text())
    assert run.data.metrics["auroc"] == pytest.approx(sc["threshold_free"]["auroc"]["value"])
    client = logged.client()
    # html runs after mlflow: its report.html would be the previous session's, so it is not logged
    assert {a.path for a in client.list_artifacts(run.info.run_id)} == {"scorecard.json", "results.parquet"}
    uploaded = client.download_artifacts(run.info.run_id, "results.parquet", str(logged.root / "rows"))
    rows = pd.read_parquet(run_dir / "results.parquet")
    assert len(pd.read_parquet(uploaded)) == len(rows) == 9
    blob = b"".join(p.read_bytes() for p in Path(uploaded).rglob("*") if p.is_file())
    assert any(s.encode() in blob for s in phi_strings(rows))  # what the store's PHI scan would find


def test_without_the_extra_the_run_says_what_to_install(data, tmp_path):
    # a real `phibench run`, in a Python where `import mlflow` fails as it does without the extra
    run_dir = tmp_path / "run"
    args = ["run", "detector=flag_all", "executor=inline", "run.progress=false", *synthetic_overrides(data, 6),
            "reporters=[json,mlflow]", f"hydra.run.dir={run_dir}"]
    code = ("import sys, runpy; sys.modules['mlflow'] = None; "
            f"sys.argv = ['phibench', *{args!r}]; runpy.run_module('phibench', run_name='__main__')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 2, out.stderr[-2000:]
    assert INSTALL in out.stderr and "Traceback" not in out.stderr


def test_mlflow_telemetry_is_off(mlflow):
    env = {k: v for k, v in os.environ.items()
           if k not in ("MLFLOW_DISABLE_TELEMETRY", "DO_NOT_TRACK", "PYTEST_CURRENT_TEST", "CI")}
    code = ("from phibench_plugins.reporters.mlflow_reporter import _mlflow; _mlflow(); "
            "from mlflow.telemetry import get_telemetry_client; print(get_telemetry_client())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "None"
