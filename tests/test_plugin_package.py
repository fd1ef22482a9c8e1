"""A real third-party plugin package, installed with pip, found through its entry point."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parent / "plugin_package"


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    target = tmp_path_factory.mktemp("site")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(PACKAGE)],
        check=True, capture_output=True, text=True,
    )
    return {**os.environ, "PYTHONPATH": str(target)}


def phibench(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "phibench", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_installed_plugin_is_listed_with_its_distribution(installed):
    out = phibench(installed, "plugins")
    assert out.returncode == 0, out.stderr
    line = next(l for l in out.stdout.splitlines() if "burned_in_flag" in l)
    assert "phibench-example-plugin 0.3.1" in line and "example" in line


def test_installed_plugin_runs_by_name_without_shipping_a_config(installed, tmp_path, pydicom_test_dir):
    run_dir = tmp_path / "run"
    out = phibench(
        installed, "run", "detector=burned_in_flag", "detector.missing_means_phi=false",
        "dataset=folder", f"dataset.root={pydicom_test_dir}", "run.progress=false",
        "reporters=[json]", f"hydra.run.dir={run_dir}",
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert (run_dir / "scorecard.json").exists()


def test_without_the_package_the_name_is_unknown(tmp_path):
    out = phibench(dict(os.environ), "run", "detector=burned_in_flag", f"hydra.run.dir={tmp_path}")
    assert out.returncode == 2
    assert "unknown detector 'burned_in_flag'" in out.stderr and "flag_none" in out.stderr


def test_a_plugin_ships_its_own_preset_and_a_reporter_with_parameters(installed, tmp_path, pydicom_test_dir):
    run_dir = tmp_path / "run"
    out = phibench(
        installed, "run", "detector=header_says", "dataset=synthetic", "dataset.n=6", f"dataset.out={tmp_path / 'data'}",
        "executor=inline", "run.progress=false", "reporters=[json,{name: summary_csv, decimals: 2, metrics: [specificity]}]",
        f"hydra.run.dir={run_dir}",
    )
    assert out.returncode == 0, out.stderr[-2000:]
    sc = json.loads((run_dir / "scorecard.json").read_text())
    assert sc["config"]["detector"] == {"name": "header_says", "missing_means_phi": False}  # the preset
    assert sc["config"]["reporter_params"] == {"summary_csv": {"decimals": 2, "metrics": ["specificity"]}}
    rows = (run_dir / "summary.csv").read_text().splitlines()
    spec = sc["metrics"]["specificity"]["value"]
    assert spec is not None and rows == ["metric,value", f"specificity,{round(spec, 2)}"]
    bad = phibench(installed, "run", "detector=header_says", "dataset=folder", f"dataset.root={pydicom_test_dir}",
                   "reporters=[{name: summary_csv, decimal: 2}]", f"hydra.run.dir={tmp_path / 'bad'}")
    assert bad.returncode == 2 and "reporter 'summary_csv'" in bad.stderr and "decimals" in bad.stderr
    listed = phibench(installed, "--version")
    assert "phibench-example-plugin 0.3.1" in listed.stdout
