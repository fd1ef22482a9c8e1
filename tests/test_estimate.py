"""``phibench estimate`` for every detector: a token rule or a pilot measured now, or a finished
run's figures, projected to a number of frames on a number of workers (phibench/projection.py)."""

from __future__ import annotations

import json

import pytest

from phibench.projection import PerImage, project
from tests.helpers import phibench, synthetic_overrides


def test_the_projection_takes_the_longest_bound_plus_one_model_load():
    local = PerImage("pilot", cpu_s=2.0, usd=1e-4, setup_s=3.0)
    p = project(local, frames=1000, workers=4)
    assert (p.wall_s, p.bound, p.cpu_hours, p.usd) == (1000 * 2.0 / 4 + 3.0, "cpu", 1000 * 2.0 / 3600, pytest.approx(0.1))
    remote = PerImage("token rule", cpu_s=0.01, latency_s=2.0, usd=0.002)
    p = project(remote, frames=1000, workers=2, in_flight=16)
    assert (p.wall_s, p.bound) == (1000 * 2.0 / 32, "latency")
    p = project(remote, frames=1000, workers=2, in_flight=16, requests_per_minute=60)
    assert (p.wall_s, p.bound) == (1000 / 2, "request limit")  # 1 request/s per worker
    p = project(PerImage("token rule", usd=0.002), frames=10, workers=1)
    assert (p.wall_s, p.bound, p.cpu_hours, p.usd) == (None, "unknown", None, 0.02)
    with pytest.raises(ValueError):
        project(local, frames=10, workers=0)


def test_a_local_detector_is_measured_on_a_pilot_and_projected(tmp_path):
    out = phibench("estimate", "--json", "detector=flag_none", "executor=inline", "--pilot", "2",
                   "--frames", "5000", "--workers=4", *synthetic_overrides(tmp_path / "data", 6))
    assert out.returncode == 0, out.stderr
    e = json.loads(out.stdout)
    per, proj = e["per_image"], e["projection"]
    assert per["source"] == "pilot of 2 frames" and per["cpu_s"] > 0 and per["setup_s"] >= 0
    assert (proj["frames"], proj["workers"], proj["bound"], e["workers_source"]) == (5000, 4, "cpu", "--workers")
    assert proj["wall_s"] == pytest.approx(5000 * per["cpu_s"] / 4 + per["setup_s"])
    assert not (tmp_path / "outputs").exists()  # a pilot writes no run
    text = phibench("estimate", "detector=flag_none", "executor=inline", "--pilot=1",
                    *synthetic_overrides(tmp_path / "data", 6))
    assert "projected  100,000 frames on 1 workers (executor inline)" in text.stdout, text.stderr
    none = phibench("estimate", "detector=flag_none", "--pilot", "0", *synthetic_overrides(tmp_path / "data", 6))
    assert none.returncode == 2 and "--pilot K" in none.stderr and "--from RUN_DIR" in none.stderr


def test_a_finished_run_gives_its_measured_figures(tmp_path):
    import pandas as pd

    run_dir = tmp_path / "run"
    data = synthetic_overrides(tmp_path / "data", 5)
    done = phibench("run", "detector=flag_none", "executor=inline", *data, f"hydra.run.dir={run_dir}")
    assert done.returncode == 0, done.stderr
    out = phibench("estimate", "--json", "detector=flag_none", "--from", str(run_dir), "--workers", "2", *data)
    assert out.returncode == 0, out.stderr
    per = json.loads(out.stdout)["per_image"]
    rows = pd.read_parquet(run_dir / "results.parquet")
    assert per["source"].startswith("run run (") and per["cpu_s"] == pytest.approx(
        float((rows["cpu_s"] + rows["render_s"]).median()))
    other = phibench("estimate", "detector=flag_all", "--from", str(run_dir), *data)
    assert other.returncode == 2 and "measured detector flag_none, not 'flag_all'" in other.stderr
    nowhere = phibench("estimate", "detector=flag_none", "--from", str(tmp_path), *data)
    assert nowhere.returncode == 2 and "no results.parquet" in nowhere.stderr


def test_a_remote_model_with_a_latency_is_latency_bound(tmp_path):
    out = phibench("estimate", "--json", "detector=gpt4o", "--latency", "2.0", "--workers", "2",
                   *synthetic_overrides(tmp_path / "data", 4), env={"OPENAI_API_KEY": ""})
    assert out.returncode == 0, out.stderr
    e = json.loads(out.stdout)
    assert e["projection"]["bound"] == "latency" and e["projection"]["in_flight"] == 16
    assert e["projection"]["wall_s"] == pytest.approx(100_000 * 2.0 / (2 * 16))


@pytest.mark.parametrize(("args", "says"), [
    (["--frames", "0"], "--frames must be >= 1"),
    (["--workers", "x"], "--workers needs a int, got 'x'"),
    (["--bogus"], "estimate takes no option --bogus"),
])
def test_bad_estimate_options_are_usage_errors(args, says):
    out = phibench("estimate", "detector=flag_none", *args)
    assert out.returncode == 2 and says in out.stderr


def test_the_workers_are_the_ones_the_spark_session_would_start(tmp_path):
    from phibench.spark.session import local_slots, usable_cores

    data = synthetic_overrides(tmp_path / "data", 3)
    for extra, expected in ((["executor.workers=3"], 3),
                            (["executor.threads_per_worker=2"], max(1, usable_cores() // 2))):
        out = phibench("estimate", "--json", "detector=flag_none", "executor=spark", *extra, "--pilot", "1", *data)
        assert out.returncode == 0, out.stderr
        e = json.loads(out.stdout)
        assert e["projection"]["workers"] == expected and e["workers_source"] == "executor spark"
    assert local_slots("spark://host:7077") is None and local_slots("local") == 1 and local_slots("local[5,2]") == 5
