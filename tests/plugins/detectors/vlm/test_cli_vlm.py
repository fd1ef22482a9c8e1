"""The command line with VLM detectors: key and PHI hygiene of a real `phibench run`, the
`phibench estimate` dry run, the providers' token formulas and prices, the server command."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys

import pandas as pd
import pytest

from phibench.exceptions import ConfigError
from phibench.records import TokenUsage
from phibench.registry import default_registry
from phibench.testing import GroundTruthRule, OpenAIChatServer, truth_by_image
from phibench_plugins.detectors.vlm.image import encode_image, resized_size
from phibench_plugins.detectors.vlm.pricing import (
    Price,
    anthropic_image_tokens,
    openai_image_tokens,
    resolve_price,
)
from tests.helpers import phibench, synthetic_overrides


@pytest.mark.slow
def test_a_cli_run_never_writes_or_prints_the_key_or_phi(tmp_path):
    key = "sk-live-" + secrets.token_hex(16)
    data, run_dir = tmp_path / "data", tmp_path / "run"
    dataset = default_registry().build("dataset", "synthetic", {"n": 6, "seed": 0, "out": str(data)})
    samples = list(dataset.plan())
    truth = truth_by_image(samples, lambda image: encode_image(image, 768, "jpeg", 90).data)
    with OpenAIChatServer(GroundTruthRule(truth)) as server:
        out = phibench("run", "detector=gpt4o", f"detector.base_url={server.base_url}", "executor=inline",
                       *synthetic_overrides(data, 6), f"hydra.run.dir={run_dir}", "run.progress=false",
                       env={"OPENAI_API_KEY": key}, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert all(r.headers["authorization"] == f"Bearer {key}" for r in server.requests)
    files = [p for p in run_dir.rglob("*") if p.is_file()]
    assert any(p.parent.parent.name == "cache" for p in files)  # the cache is in the run's data area
    for where, blob in [("stdout", out.stdout.encode()), ("stderr", out.stderr.encode())] + [
            (str(p.relative_to(run_dir)), p.read_bytes()) for p in files]:
        assert key.encode() not in blob, f"the API key is in {where}"
    card = json.loads((run_dir / "scorecard.json").read_text())
    assert card["simulated"] is True and card["confusion"]["errors"] == 0
    assert card["config"]["detector"]["api_key_env"] == "OPENAI_API_KEY"
    phi = {r.text for _, t in samples for r in t.regions if r.is_phi and len(r.text) >= 5}
    shown = out.stdout + out.stderr + "".join(p.read_text() for p in run_dir.glob("*.log"))
    shown += (run_dir / "scorecard.json").read_text() + (run_dir / "scorecard.md").read_text()
    assert phi and not [s for s in phi if s in shown]
    df = pd.read_parquet(run_dir / "results.parquet")
    assert (df["attempts"] == 1).all() and (df["endpoint"] == server.base_url + " (simulated)").all()


def test_estimate_is_a_dry_run_from_image_sizes(tmp_path):
    out = phibench("estimate", "--json", "detector=gpt4o", "detector.detail=high",
                   *synthetic_overrides(tmp_path, 4), env={"OPENAI_API_KEY": ""})
    assert out.returncode == 0, out.stderr
    e = json.loads(out.stdout)
    dataset = default_registry().build("dataset", "synthetic", {"n": 4, "seed": 0, "out": str(tmp_path)})
    import pydicom

    expected_input = 0
    frames = 0
    for sample, _ in dataset.plan():
        ds = pydicom.dcmread(sample.path, stop_before_pixels=True)
        w, h = resized_size(int(ds.Columns), int(ds.Rows), 768)
        expected_input += openai_image_tokens(w, h, "high")
        frames += 1
    prompt_tokens = (e["input_tokens"] - expected_input) / frames
    assert e["frames"] == frames and 150 < prompt_tokens < 600  # the prompt's text, per image
    assert e["output_tokens"] == 60 * frames
    assert e["usd"] == pytest.approx((e["input_tokens"] * 2.5 + e["output_tokens"] * 10) / 1e6)
    text = phibench("estimate", "detector=claude", *synthetic_overrides(tmp_path, 4), env={"ANTHROPIC_API_KEY": ""})
    assert text.returncode == 0 and "per 100k images" in text.stdout and "no request was sent" in text.stdout
    assert "latency    unknown: pass --latency" in text.stdout  # no wall time is made up
    proj = e["projection"]
    assert proj["frames"] == 100_000 and proj["bound"] == "unknown" and proj["wall_s"] is None
    assert proj["usd"] == pytest.approx(e["usd"] / frames * 100_000)


@pytest.mark.parametrize(("w", "h", "detail", "tokens"), [
    (768, 768, "low", 85), (4000, 3000, "low", 85),
    (512, 512, "high", 255),  # one tile
    (768, 768, "high", 765),  # 2x2 tiles
    (1024, 1024, "high", 765),  # short side scaled to 768
    (2048, 4096, "high", 1105),  # fit in 2048 (1024x2048), short side 768 (768x1536): 2x3 tiles
    (300, 200, "auto", 255),
])
def test_openai_image_tokens_follow_the_published_rule(w, h, detail, tokens):
    assert openai_image_tokens(w, h, detail) == tokens


def test_anthropic_and_subscription_pricing():
    assert anthropic_image_tokens(768, 768) == 787 and anthropic_image_tokens(3136, 1568) == 1640
    sub = resolve_price("any", "isv_commercial", None, None)
    assert sub.kind == "subscription" and sub.cost(TokenUsage()) == pytest.approx(4400 / 100_000)
    assert "$4,400.00 per month" in sub.basis() and sub.source
    gpt = resolve_price("gpt-4o", None, None, None)
    assert gpt.cost(TokenUsage(1_000_000, 100_000)) == pytest.approx(2.5 + 1.0)
    assert gpt.as_of and gpt.source.startswith("https://")
    with pytest.raises(ConfigError, match="no price for 'nope'"):
        resolve_price("nope", None, None, None)
    assert Price("x", input_per_1m=1, output_per_1m=2).cost(TokenUsage(500_000, 250_000)) == pytest.approx(1.0)


def test_the_server_command_serves_until_stopped():
    proc = subprocess.Popen([sys.executable, "-m", "phibench.testing", "anthropic", "--answer", "No PHI"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        import httpx2

        r = httpx2.post(f"{url}/v1/messages", json={"model": "m", "max_tokens": 5, "messages": []}, timeout=10)
        assert r.status_code == 200 and r.headers["x-phibench-simulated"] == "1"
        assert r.json()["content"][0]["text"] == "No PHI"
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0
    assert "served 1 requests" in proc.stderr.read()


def test_shipped_configs_compose_with_their_defaults():
    from tests.helpers import compose_run

    for name, model, key in [("gpt4o", "gpt-4o-2024-08-06", "OPENAI_API_KEY"),
                             ("claude", "claude-3-7-sonnet-20250219", "ANTHROPIC_API_KEY"),
                             ("llama4_maverick", "databricks-llama-4-maverick", "DATABRICKS_TOKEN"),
                             ("openai_compatible", "", None)]:
        node = compose_run(f"detector={name}").detector
        assert (node.model, node.api_key_env, node.cache, node.prompt) == (model, key, "read_write", "phi_json_v1")
        assert node.image_long_side == 768 and node.max_in_flight == 16
        resolve_price(node.model or "gpt-4o-mini", node.price, None, None)  # every shipped model is priced


def test_the_simulated_mark_is_the_scorecards():
    from phibench.scoring.scorecard import SIMULATED_SUFFIX
    from phibench_plugins.detectors.vlm.params import SIMULATED_HEADER, SIMULATED_SUFFIX as OURS
    from phibench.testing import SIMULATED_HEADER as SERVERS_HEADER

    assert OURS == SIMULATED_SUFFIX and SIMULATED_HEADER == SERVERS_HEADER


def test_replay_needs_the_recorded_cache_folder(monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigError, match="cache_root"):
        default_registry().build("detector", "gpt4o", {"model": "gpt-4o", "cache": "replay"})
    det = default_registry().build("detector", "gpt4o", {"model": "gpt-4o", "cache": "replay", "cache_root": "/x"})
    assert det.preferred_batch_size == 8 * det.params.max_in_flight
